/* What the batched loops (flexsc_loop, multicall_loop) share with getpid_loop and
 * gettimeofday_loop: their arguments `[N] [getpid|gettimeofday] [batch]`, the check of
 * each result, and the ending (getpid: nothing printed, exit 0; gettimeofday: "N
 * gettimeofday calls", each call checked never to go back in time). */
#ifndef SYSCLUSTER_CALLLOOP_H
#define SYSCLUSTER_CALLLOOP_H
#include "lib.h"

#define LOOP_MAX_BATCH 64

struct call_loop {
    int n, tod, batch, sum;
    struct timeval last;
};

static struct call_loop loop_args(int argc, char **argv, const char *usage)
{
    struct call_loop l = {0, 0, 0, 0, {0, 0}};
    l.n = argc > 1 ? atoi(argv[1]) : 1000000;
    l.tod = argc > 2 && argv[2][0] == 'g' && argv[2][3] == 't';
    l.batch = argc > 3 ? atoi(argv[3]) : LOOP_MAX_BATCH;
    if (l.batch < 1 || l.batch > LOOP_MAX_BATCH)
        die(usage, l.batch, 2);
    return l;
}

/* One call's result `r` (and, for gettimeofday, the time it filled in). */
static void loop_check(struct call_loop *l, int r, struct timeval *tv)
{
    if (!l->tod) {
        l->sum += r;
        return;
    }
    if (r != 0)
        die("gettimeofday", r, 1);
    if (tv->tv_sec < l->last.tv_sec || (tv->tv_sec == l->last.tv_sec && tv->tv_usec < l->last.tv_usec))
        die("gettimeofday went back in time", 0, 1);
    l->last = *tv;
}

/* The exit status, after what the plain loop prints. */
static int loop_end(struct call_loop *l)
{
    if (!l->tod)
        return l->sum == 0; /* uses the results, as getpid_loop does */
    print_int(1, l->n);
    print(1, " gettimeofday calls\n");
    return 0;
}
#endif
