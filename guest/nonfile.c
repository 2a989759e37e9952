/*
 * nonfile: the non-file calls of today's i386 table, issued by number (run it with
 * --personality modern; qemu-i386 runs it as it is).
 *   nonfile seeded  prints what time, clock_gettime, clock_gettime64 and getrandom return:
 *                   the same bytes on every run with one --seed and --clock-start
 *   nonfile abi     makes each call with good and bad arguments and prints only what any
 *                   Linux answers alike (the differential test compares the results)
 *   nonfile deadlock waits on a futex nothing can wake: the run stops with one line
 */
#include "lib.h"

enum {
    NR_time = 13, NR_getpriority = 96, NR_sysinfo = 116, NR_uname = 122, NR_sigaction = 67, NR_sigprocmask = 126,
    NR_prctl = 172, NR_rt_sigaction = 174, NR_rt_sigprocmask = 175, NR_sigaltstack = 186, NR_ugetrlimit = 191,
    NR_getuid32 = 199, NR_gettid = 224, NR_futex = 240, NR_set_tid_address = 258, NR_clock_gettime = 265,
    NR_clock_getres = 266, NR_clock_nanosleep = 267, NR_getcpu = 318, NR_prlimit64 = 340, NR_getrandom = 355,
    NR_rseq = 386, NR_clock_gettime64 = 403, NR_clock_getres_time64 = 406, NR_clock_nanosleep_time64 = 407,
    NR_membarrier = 375, NR_arch_prctl = 384, NR_set_robust_list = 311, NR_getppid = 64,
    NR_futex_time64 = 422, NR_sched_yield = 158, NR_getrlimit = 76, NR_setrlimit = 75, NR_nanosleep = 162,
};

#define BAD ((int)0xdead0000)

static int sys(int nr, int a, int b, int c, int d, int e)
{
    int r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e) : "memory");
    return r;
}

static void hex(const unsigned char *p, int n)
{
    static const char digits[] = "0123456789abcdef";
    char out[2];
    for (int i = 0; i < n; i++) {
        out[0] = digits[p[i] >> 4];
        out[1] = digits[p[i] & 15];
        write(1, out, 2);
    }
    print(1, "\n");
}

static void line(const char *what, int v)
{
    print(1, what);
    print(1, " ");
    print_int(1, v);
    print(1, "\n");
}

static int seeded(void)
{
    struct timespec ts;
    long long ts64[2];
    unsigned char bytes[16];
    line("time", sys(NR_time, 0, 0, 0, 0, 0));
    sys(NR_clock_gettime, 0, (int)&ts, 0, 0, 0);
    line("realtime.sec", ts.tv_sec);
    line("realtime.nsec", ts.tv_nsec);
    sys(NR_clock_gettime, 1, (int)&ts, 0, 0, 0);
    line("monotonic.nsec", ts.tv_nsec);
    sys(NR_clock_gettime64, 0, (int)ts64, 0, 0, 0);
    line("realtime64.sec", (int)ts64[0]);
    line("getrandom", sys(NR_getrandom, (int)bytes, sizeof bytes, 1, 0, 0));
    hex(bytes, sizeof bytes);
    return 0;
}

static int abi(void)
{
    static char uts[390];
    static unsigned int words[64];
    static char name[16];
    struct timespec ts = { 0, 1000 };

    sys(NR_uname, (int)uts, 0, 0, 0, 0);
    print(1, uts);          /* sysname */
    print(1, " ");
    print(1, uts + 4 * 65); /* machine */
    print(1, "\n");
    sys(NR_uname, BAD, 0, 0, 0, 0);
    sys(NR_sysinfo, (int)words, 0, 0, 0, 0);
    sys(NR_sysinfo, BAD, 0, 0, 0, 0);
    sys(NR_getrandom, (int)words, 16, 0, 0, 0);
    sys(NR_getrandom, (int)words, 16, 8, 0, 0);
    sys(NR_getrandom, BAD, 16, 0, 0, 0);

    sys(NR_clock_gettime, 0, (int)&ts, 0, 0, 0);
    sys(NR_clock_gettime, 1, (int)words, 0, 0, 0);
    sys(NR_clock_gettime64, 7, (int)words, 0, 0, 0);
    sys(NR_clock_gettime, 99, (int)words, 0, 0, 0);
    sys(NR_clock_gettime, 0, BAD, 0, 0, 0);
    sys(NR_clock_getres, 1, 0, 0, 0, 0);
    sys(NR_clock_getres_time64, 0, (int)words, 0, 0, 0);
    ts.tv_sec = 0;
    ts.tv_nsec = 1000;
    sys(NR_nanosleep, (int)&ts, 0, 0, 0, 0);
    sys(NR_clock_nanosleep, 1, 0, (int)&ts, 0, 0);
    ts.tv_nsec = 1000000000;
    sys(NR_clock_nanosleep, 1, 0, (int)&ts, 0, 0);
    sys(NR_clock_nanosleep, 0, 0, BAD, 0, 0);

    /* signal state: set an action, read it back; bad numbers and sizes */
    words[0] = 1;           /* SIG_IGN */
    words[1] = 0;
    words[2] = 0;
    words[3] = 0;
    words[4] = 0;
    sys(NR_rt_sigaction, 10, (int)words, 0, 8, 0);
    sys(NR_rt_sigaction, 10, 0, (int)(words + 8), 8, 0);
    line("sigusr1.handler", words[8]);
    sys(NR_rt_sigaction, 9, (int)words, 0, 8, 0);
    sys(NR_rt_sigaction, 65, 0, (int)(words + 8), 8, 0);
    sys(NR_rt_sigaction, 10, 0, (int)(words + 8), 4, 0);
    sys(NR_sigaction, 10, 0, (int)(words + 8), 0, 0);
    words[0] = 1 << 1;      /* SIGINT */
    words[1] = 0;
    sys(NR_rt_sigprocmask, 0, (int)words, (int)(words + 8), 8, 0);
    sys(NR_rt_sigprocmask, 2, 0, (int)(words + 8), 8, 0);
    line("blocked", words[8]);
    sys(NR_rt_sigprocmask, 9, (int)words, 0, 8, 0);
    sys(NR_sigprocmask, 1, (int)words, (int)(words + 8), 0, 0);
    sys(NR_sigaltstack, 0, (int)(words + 8), 0, 0, 0);
    line("altstack.flags", words[9]);
    words[0] = 0x1000;
    words[1] = 0;
    words[2] = 100;
    sys(NR_sigaltstack, (int)words, 0, 0, 0, 0);

    /* prctl names */
    sys(NR_prctl, 15, (int)"renamed", 0, 0, 0);
    sys(NR_prctl, 16, (int)name, 0, 0, 0);
    print(1, name);
    print(1, "\n");
    sys(NR_prctl, 9999, 0, 0, 0, 0);
    sys(NR_prctl, 15, BAD, 0, 0, 0);

    /* limits */
    sys(NR_ugetrlimit, 3, (int)words, 0, 0, 0);
    sys(NR_ugetrlimit, 99, (int)words, 0, 0, 0);
    sys(NR_getrlimit, 4, (int)words, 0, 0, 0);
    words[0] = 0;
    words[1] = 0;
    sys(NR_setrlimit, 4, (int)words, 0, 0, 0);
    words[0] = 10;
    words[1] = 0;
    sys(NR_setrlimit, 4, (int)words, 0, 0, 0);
    sys(NR_prlimit64, 0, 4, 0, (int)words, 0);
    line("core.max", words[2]);

    /* futex, one thread */
    words[0] = 5;
    sys(NR_futex, (int)words, 129, 1, 0, 0);            /* FUTEX_WAKE_PRIVATE */
    sys(NR_futex, (int)words, 128, 4, 0, 0);            /* FUTEX_WAIT_PRIVATE, differing value */
    ts.tv_nsec = 1000000;
    sys(NR_futex, (int)words, 128, 5, (int)&ts, 0);     /* times out */
    sys(NR_futex, (int)words + 1, 128, 5, 0, 0);        /* misaligned */
    sys(NR_futex_time64, (int)words, 129, 1, 0, 0);

    sys(NR_getcpu, (int)words, 0, 0, 0, 0);
    sys(NR_sched_yield, 0, 0, 0, 0, 0);
    sys(NR_getpriority, 0, 0, 0, 0, 0);
    sys(NR_rseq, 0, 0, 0, 0, 0);
    sys(NR_membarrier, 1, 0, 0, 0, 0);           /* MEMBARRIER_CMD_GLOBAL */
    sys(NR_membarrier, 3, 0, 0, 0, 0);           /* two commands at once */
    sys(NR_arch_prctl, 0x1001, (int)words, 0, 0, 0);
    sys(NR_set_robust_list, (int)words, 12, 0, 0, 0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !memcmp(argv[1], "seeded", 7)) return seeded();
    if (argc > 1 && !memcmp(argv[1], "abi", 4)) return abi();
    if (argc > 1 && !memcmp(argv[1], "deadlock", 9)) {
        static int word = 1;
        sys(NR_futex, (int)&word, 128, 1, 0, 0); /* FUTEX_WAIT_PRIVATE with no timeout: nothing can wake it */
        print(1, "woken\n");
        return 1;
    }
    print(2, "usage: nonfile seeded|abi|deadlock\n");
    return 2;
}
