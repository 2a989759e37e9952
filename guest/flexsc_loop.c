/* flexsc_loop [N] [getpid|gettimeofday] [batch]: N getpid (or gettimeofday) calls as
 * exception-less calls (runtime/flexsc.h), `batch` posted at a time (default 64) and waited
 * for with one crossing. The same output and exit status as getpid_loop N (nothing printed;
 * exit 0) and gettimeofday_loop N ("N gettimeofday calls", each checked never to go back in
 * time). */
#include "flexsc.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000000;
    int tod = argc > 2 && argv[2][0] == 'g' && argv[2][3] == 't';
    int batch = argc > 3 ? atoi(argv[3]) : FX_ENTRIES;
    if (batch < 1 || batch > FX_ENTRIES)
        die("flexsc_loop: batch must be 1..64", batch, 2);
    int e = fx_init();
    if (e < 0)
        die("flexsc_register", e, 1);
    static struct timeval tv[FX_ENTRIES];
    struct timeval last = {0, 0};
    int sum = 0;
    for (int done = 0; done < n; done += batch) {
        int k = n - done < batch ? n - done : batch;
        for (int i = 0; i < k; i++) {
            if (tod)
                fx_post(i, __NR_gettimeofday, (unsigned int)&tv[i], 0, 0, 0);
            else
                fx_post(i, __NR_getpid, 0, 0, 0, 0);
        }
        if ((e = fx_wait(0, k)) < 0)
            die("flexsc_wait", e, 1);
        for (int i = 0; i < k; i++) {
            int r = fx_take(i);
            if (!tod) {
                sum += r;
                continue;
            }
            if (r != 0)
                die("gettimeofday", r, 1);
            if (tv[i].tv_sec < last.tv_sec || (tv[i].tv_sec == last.tv_sec && tv[i].tv_usec < last.tv_usec))
                die("gettimeofday went back in time", 0, 1);
            last = tv[i];
        }
    }
    if (!tod)
        return sum == 0;
    print_int(1, n);
    print(1, " gettimeofday calls\n");
    return 0;
}
