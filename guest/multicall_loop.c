/* multicall_loop [N] [getpid|gettimeofday] [batch]: N getpid (or gettimeofday) calls, `batch`
 * of them (default 64) in each multi-call (runtime/multicall.h): one crossing per batch, as
 * flexsc_loop waits once per batch. The same output and exit status as getpid_loop N and
 * gettimeofday_loop N (runtime/callloop.h). */
#include "callloop.h"
#include "multicall.h"

int main(int argc, char **argv)
{
    struct call_loop l = loop_args(argc, argv, "multicall_loop: batch must be 1..64");
    static struct sys_params args[LOOP_MAX_BATCH];
    static struct timeval tv[LOOP_MAX_BATCH];
    static void *params[LOOP_MAX_BATCH][2];
    static void *ptrs[LOOP_MAX_BATCH];
    static void *null_tz = 0;
    static int results[LOOP_MAX_BATCH];
    for (int i = 0; i < LOOP_MAX_BATCH; i++) {
        ptrs[i] = &tv[i];
        params[i][0] = &ptrs[i]; /* arguments by reference: the pointer's value is read when the entry runs */
        params[i][1] = &null_tz;
        mc_entry(&args[i], l.tod ? __NR_gettimeofday : __NR_getpid, params[i], &results[i], 1);
    }
    for (int done = 0; done < l.n; done += l.batch) {
        int k = l.n - done < l.batch ? l.n - done : l.batch;
        int r = multi_call(k, args);
        if (r != k + 1)
            die(l.tod ? "gettimeofday" : "getpid", r >= 1 && r <= k ? results[r - 1] : r, 1);
        for (int i = 0; i < k; i++)
            loop_check(&l, results[i], &tv[i]);
    }
    return loop_end(&l);
}
