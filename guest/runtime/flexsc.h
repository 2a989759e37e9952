/* Exception-less calls (FlexSC, Soares and Stumm, OSDI 2010) over flexsc_register and
 * flexsc_wait (kernel-model/sys/flexsc.ts): a syscall page of 64-byte entries shared with
 * the kernel. A call is posted by filling an entry and setting it SUBMITTED, with no
 * crossing; a kernel worker on another core runs it and sets DONE. The program enters the
 * kernel only to wait for results it needs (fx_wait). Run under --personality modern. */
#ifndef SYSCLUSTER_FLEXSC_H
#define SYSCLUSTER_FLEXSC_H
#include "lib.h"

enum { FX_FREE = 0, FX_SUBMITTED = 1, FX_BUSY = 2, FX_DONE = 3 };
#define FX_ENTRIES 64

struct fx_entry {
    volatile unsigned int status;
    unsigned int nr;
    unsigned int args[6];
    volatile int result;
    unsigned int pad[7];
} __attribute__((aligned(64)));

static struct fx_entry fx_page[FX_ENTRIES];

/* Registers the page: 0, or a negative errno (EOPNOTSUPP on a platform with one core). */
static int fx_init(void)
{
    return flexsc_register(fx_page, FX_ENTRIES);
}

/* Posts call `nr` in entry `i`: no crossing. */
static void fx_post(int i, unsigned int nr, unsigned int a0, unsigned int a1, unsigned int a2, unsigned int a3)
{
    struct fx_entry *e = &fx_page[i];
    e->nr = nr;
    e->args[0] = a0; e->args[1] = a1; e->args[2] = a2; e->args[3] = a3;
    e->args[4] = e->args[5] = 0;
    __asm__ volatile ("" ::: "memory");
    e->status = FX_SUBMITTED;
}

/* Waits for entries [first, first+n): enters the kernel only if one of them is not yet DONE.
 * Returns 0, or a negative errno from flexsc_wait. */
static int fx_wait(int first, int n)
{
    for (;;) {
        int done = 0;
        for (int i = first; i < first + n; i++)
            done += fx_page[i].status == FX_DONE;
        if (done == n)
            return 0;
        int r = flexsc_wait(first, n);
        if (r < 0)
            return r;
    }
}

/* The result of a DONE entry; the entry is free again. */
static int fx_take(int i)
{
    int r = fx_page[i].result;
    fx_page[i].status = FX_FREE;
    return r;
}
#endif
