/* The guest runtime: syscall stubs (generated) and a few freestanding helpers. */
#ifndef SYSCLUSTER_LIB_H
#define SYSCLUSTER_LIB_H
#include "syscalls.h"

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_APPEND 02000
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define NULL ((void *)0)

struct timeval { int tv_sec; int tv_usec; };
struct timespec { int tv_sec; int tv_nsec; };

typedef unsigned int size_t;
size_t strlen(const char *s);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int atoi(const char *s);
/* Writes a string / a signed decimal to fd; returns what write returned. */
int print(int fd, const char *s);
int print_int(int fd, int v);
/* "ENOENT (No such file or directory)" for -2: the name and text of a negative errno,
 * or NULL when err is not one the kernel model has. */
const char *errno_name(int err);
/* On stderr "what: ENAME (text)\n" when err is a negative errno, "what: err\n" for any
 * other non-zero value (a bad argument), "what\n" for 0; then exit(status). */
__attribute__((noreturn)) void die(const char *what, int err, int status);

/* rdtscl: the low 32 bits of the time stamp counter (the paper's measurement macro). */
static inline unsigned int rdtscl(void)
{
    unsigned int lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return lo;
}
#endif
