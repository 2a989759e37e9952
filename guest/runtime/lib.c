/* Freestanding helpers for guests: no libc here, only the kernel model below. */
#include "lib.h"
#include "errnames.h"

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memset(void *d, int c, size_t n)
{
    unsigned char *dp = d;
    while (n--)
        *dp++ = (unsigned char)c;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

int atoi(const char *s)
{
    int v = 0, neg = 0;
    if (*s == '-')
        neg = 1, s++;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return neg ? -v : v;
}

int print(int fd, const char *s)
{
    return write(fd, (void *)s, strlen(s));
}

int print_int(int fd, int v)
{
    char buf[12];
    int i = sizeof buf;
    unsigned int u = v < 0 ? -(unsigned int)v : (unsigned int)v;
    do {
        buf[--i] = '0' + u % 10;
        u /= 10;
    } while (u);
    if (v < 0)
        buf[--i] = '-';
    return write(fd, buf + i, sizeof buf - i);
}

const char *errno_name(int err)
{
    int n = -err;
    if (n > 0 && n < ERRNO_NAMES_COUNT && errno_names[n])
        return errno_names[n];
    return 0;
}

void die(const char *what, int err, int status)
{
    const char *name = errno_name(err);
    print(2, what);
    if (name) {
        print(2, ": ");
        print(2, name);
    } else if (err < 0 && err >= -4095) {
        print(2, ": E");   /* an errno the kernel model does not have: E<n>, as strace */
        print_int(2, -err);
    } else if (err != 0) {
        print(2, ": ");
        print_int(2, err);
    }
    print(2, "\n");
    exit(status);
}
