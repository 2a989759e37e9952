/* gettimeofday_loop [N] [vdso]: N gettimeofday calls (default 1000000), each checked
 * never to go back in time. With `vdso`, through the vDSO's __vdso_gettimeofday (looked up
 * by sc_vdso_sym in the auxiliary vector; run with --vdso on): no crossing per call.
 * Prints the number of calls. */
#include "syscluster.h"

typedef int (*gtod_fn)(struct timeval *, void *);

static int sys_gtod(struct timeval *tv, void *tz)
{
    return gettimeofday(tv, tz);
}

int main(int argc, char **argv, char **envp)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000000;
    gtod_fn gtod = sys_gtod;
    if (argc > 2 && memcmp(argv[2], "vdso", 5) == 0) {
        gtod = (gtod_fn)sc_vdso_sym(envp, "__vdso_gettimeofday");
        if (!gtod) {
            print(2, "gettimeofday_loop: no vDSO (run with --vdso on)\n");
            return 2;
        }
    }
    struct timeval last = {0, 0}, tv;
    for (int i = 0; i < n; i++) {
        int r = gtod(&tv, NULL);
        if (r != 0)
            die("gettimeofday", r, 1);
        if (tv.tv_sec < last.tv_sec || (tv.tv_sec == last.tv_sec && tv.tv_usec < last.tv_usec))
            die("gettimeofday went back in time", 0, 1);
        last = tv;
    }
    print_int(1, n);
    print(1, " gettimeofday calls\n");
    return 0;
}
