/* vsyscall_loop [N] [getpid|gettimeofday]: N calls (default 1000000) made as a C library
 * makes them, through the vDSO's __kernel_vsyscall (AT_SYSINFO; run with --vdso on): it
 * enters by sysenter when the platform choice says so (e.g. skylake-2018:sysenter), by
 * int 0x80 otherwise, and each crossing is costed by the path it took. Prints the number
 * of calls. */
#include "syscluster.h"

static long vsyscall2(unsigned int entry, long nr, long a, long b)
{
    long ret;
    __asm__ volatile("call *%[entry]" : "=a"(ret) : [entry] "r"(entry), "a"(nr), "b"(a), "c"(b) : "memory", "edx");
    return ret;
}

int main(int argc, char **argv, char **envp)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000000;
    int time = argc > 2 && memcmp(argv[2], "gettimeofday", 13) == 0;
    unsigned int entry = sc_getauxval(envp, AT_SYSINFO);
    if (!entry) {
        print(2, "vsyscall_loop: no AT_SYSINFO (run with --vdso on)\n");
        return 2;
    }
    int pid = getpid();
    struct timeval tv;
    for (int i = 0; i < n; i++) {
        long r = time ? vsyscall2(entry, __NR_gettimeofday, (long)&tv, 0) : vsyscall2(entry, __NR_getpid, 0, 0);
        if (r != (time ? 0 : pid))
            die(time ? "gettimeofday" : "getpid", r, 1);
    }
    print_int(1, n);
    print(1, time ? " gettimeofday calls\n" : " getpid calls\n");
    return 0;
}
