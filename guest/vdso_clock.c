/* vdso_clock: the vDSO's clocks against the kernel's (run with --vdso on). Each vDSO read
 * is taken between two system calls reading the same clock and must lie between them; a
 * sleep must move the vDSO's clock as it moves the kernel's; the coarse clock keeps whole
 * ticks; clock_getres and time agree. Prints one line per check; exits 1 at the first
 * that fails, 2 without a vDSO. */
#include "syscluster.h"

typedef int (*gtod_fn)(struct timeval *, void *);
typedef int (*cgt_fn)(int, struct timespec *);
typedef int (*time_fn)(int *);

static long long us(struct timeval t) { return t.tv_sec * 1000000LL + t.tv_usec; }
static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static void check(int ok, const char *what)
{
    print(1, ok ? "ok   " : "FAIL ");
    print(1, what);
    print(1, "\n");
    if (!ok)
        exit(1);
}

int main(int argc, char **argv, char **envp)
{
    (void)argc; (void)argv;
    gtod_fn vgtod = (gtod_fn)sc_vdso_sym(envp, "__vdso_gettimeofday");
    cgt_fn vcgt = (cgt_fn)sc_vdso_sym(envp, "__vdso_clock_gettime");
    cgt_fn vres = (cgt_fn)sc_vdso_sym(envp, "__vdso_clock_getres");
    time_fn vtime = (time_fn)sc_vdso_sym(envp, "__vdso_time");
    if (!vgtod || !vcgt || !vres || !vtime) {
        print(2, "vdso_clock: no vDSO (run with --vdso on)\n");
        return 2;
    }
    struct timeval a, v, b;
    gettimeofday(&a, NULL);
    vgtod(&v, NULL);
    gettimeofday(&b, NULL);
    check(us(a) <= us(v) && us(v) <= us(b), "gettimeofday: the vDSO's reading lies between the kernel's");

    struct timespec ta, tv, tb;
    for (int clock = 0; clock <= 7; clock++) {
        if (clock == 2 || clock == 3 || clock == 5 || clock == 6)
            continue; /* CPU clocks fall back to the kernel; coarse ones are checked below */
        clock_gettime(clock, &ta);
        vcgt(clock, &tv);
        clock_gettime(clock, &tb);
        check(ns(ta) <= ns(tv) && ns(tv) <= ns(tb), clock == 0 ? "clock_gettime(CLOCK_REALTIME): between the kernel's"
              : clock == 1 ? "clock_gettime(CLOCK_MONOTONIC): between the kernel's"
              : clock == 4 ? "clock_gettime(CLOCK_MONOTONIC_RAW): between the kernel's"
                           : "clock_gettime(CLOCK_BOOTTIME): between the kernel's");
    }

    struct timespec req = {1, 500000000}, after;
    vcgt(1, &tv);
    nanosleep(&req, NULL);
    vcgt(1, &after);
    clock_gettime(1, &tb);
    check(ns(after) - ns(tv) >= 1500000000LL && ns(after) <= ns(tb), "a 1.5 s sleep moves the vDSO's monotonic clock by 1.5 s and more");
    vgtod(&v, NULL);
    gettimeofday(&b, NULL);
    check(us(v) <= us(b) && us(b) - us(v) < 1000, "after the sleep the realtime clocks still agree");

    struct timespec coarse, rk, rv;
    vcgt(6, &coarse);
    clock_getres(6, &rk);
    check(rk.tv_nsec > 0 && coarse.tv_nsec % rk.tv_nsec == 0, "CLOCK_MONOTONIC_COARSE keeps whole ticks");
    for (int clock = 0; clock <= 7; clock++) {
        if (clock == 2 || clock == 3)
            continue;
        clock_getres(clock, &rk);
        vres(clock, &rv);
        if (rk.tv_sec != rv.tv_sec || rk.tv_nsec != rv.tv_nsec)
            check(0, "clock_getres: the vDSO's resolution is the kernel's");
    }
    check(1, "clock_getres: the vDSO's resolution is the kernel's");
    check(vcgt(2, &tv) == 0 && tv.tv_sec >= 0, "CLOCK_PROCESS_CPUTIME_ID falls back to the kernel");
    check(vcgt(-1000, &tv) == -22, "a bad clock is EINVAL from the kernel");

    int ka = time(NULL), t = 0, vt = vtime(&t), kb = time(NULL);
    check(ka <= vt && vt <= kb && t == vt, "time: between the kernel's, stored through its pointer");
    return 0;
}
