/* flexsc_loop [N] [getpid|gettimeofday] [batch]: N getpid (or gettimeofday) calls as
 * exception-less calls (runtime/flexsc.h), `batch` posted at a time (default 64) and waited
 * for with one crossing. The same output and exit status as getpid_loop N and
 * gettimeofday_loop N (runtime/callloop.h). */
#include "callloop.h"
#include "flexsc.h"

int main(int argc, char **argv)
{
    struct call_loop l = loop_args(argc, argv, "flexsc_loop: batch must be 1..64");
    int e = fx_init();
    if (e < 0)
        die("flexsc_register", e, 1);
    static struct timeval tv[LOOP_MAX_BATCH];
    for (int done = 0; done < l.n; done += l.batch) {
        int k = l.n - done < l.batch ? l.n - done : l.batch;
        for (int i = 0; i < k; i++) {
            if (l.tod)
                fx_post(i, __NR_gettimeofday, (unsigned int)&tv[i], 0, 0, 0);
            else
                fx_post(i, __NR_getpid, 0, 0, 0, 0);
        }
        if ((e = fx_wait(0, k)) < 0)
            die("flexsc_wait", e, 1);
        for (int i = 0; i < k; i++)
            loop_check(&l, fx_take(i), &tv[i]);
    }
    return loop_end(&l);
}
