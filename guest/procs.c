/* procs: fork, exec, wait, pipes and signals, one scenario per argument.
 *   procs pipe      a child writes through a pipe, the parent reads and reaps it
 *   procs signal    a SIGUSR1 handler (SA_SIGINFO, with a restorer) runs and returns
 *   procs kill      a paused child is killed with SIGTERM; wait4 shows the signal
 *   procs sigpipe   a write to a pipe without readers: EPIPE, then death by SIGPIPE
 *   procs exec      execve of this program, of a missing file, of a non-ELF file
 *   procs bomb      every process forks until EAGAIN (--max-procs), all are reaped
 *   procs fill      200000 bytes through a pipe (it fills: the writer waits for the reader)
 *   procs storm     a child sends 2000 SIGUSR1 to its parent, which counts them
 *   procs zombies   100 children exit unreaped, then are all reaped
 *   procs deadlock  a read from a pipe whose writer is the reader itself
 *   procs preempt   the parent computes without a system call while its child writes
 *   procs fpu       sums doubles (x87 and SSE2) while a child's signals interrupt the loops;
 *                   the handler computes with doubles and changes both rounding modes
 *   procs vfork     a vfork child writes a global and a variable on the parent's stack, exits;
 *                   the parent, which shares its memory, sees both (Linux; qemu-user's vfork
 *                   is a fork)
 *   procs hello     prints a line (the program exec runs)
 */
#include "lib.h"

#define SIGKILL 9
#define SIGUSR1 10
#define SIGPIPE 13
#define SIGTERM 15
#define SIGCHLD 17
#define SA_SIGINFO 4
#define SA_RESTORER 0x04000000
#define SA_RESTART 0x10000000
#define WNOHANG 1
#define EAGAIN 11
#define EPIPE 32
#define ECHILD 10
#define O_NONBLOCK 04000

struct kaction { void *handler; unsigned flags; void *restorer; unsigned mask[2]; };
struct siginfo { int signo, err, code, pid, uid, status; int pad[26]; };

void restore_rt(void);
__asm__(".text\n.globl restore_rt\nrestore_rt:\n movl $173, %eax\n int $0x80\n");

static int same(const char *a, const char *b)
{
    return strlen(a) == strlen(b) && memcmp(a, b, strlen(a)) == 0;
}

static void say(const char *s, int v)
{
    print(1, s);
    print_int(1, v);
    print(1, "\n");
}

static int on(int sig, void (*h)(int, struct siginfo *, void *), unsigned flags)
{
    struct kaction a = { (void *)h, flags | SA_RESTORER, (void *)restore_rt, { 0, 0 } };
    return rt_sigaction(sig, &a, 0, 8);
}

static volatile int hits, from, infosig;

static void counter(int sig, struct siginfo *info, void *uc)
{
    (void)uc;
    hits++;
    from = info->pid;
    infosig = info->signo + sig * 0;
}

static int pipe_demo(void)
{
    int fds[2], st;
    char buf[64];
    int made = pipe(fds);
    if (made < 0) die("pipe", made, 1);
    int pid = fork();
    if (pid == 0) {
        close(fds[0]);
        print(fds[1], "hello through a pipe\n");
        exit(7);
    }
    close(fds[1]);
    int n, total = 0;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) {
        write(1, buf, n);
        total += n;
    }
    int r = wait4(pid, &st, 0, 0);
    say("reaped the child: ", r == pid);
    say("exit status: ", (st >> 8) & 0xff);
    say("bytes: ", total);
    say("the parent is not ourselves: ", getppid() != getpid());
    return 0;
}

static int signal_demo(void)
{
    on(SIGUSR1, counter, SA_SIGINFO);
    kill(getpid(), SIGUSR1);
    say("handler ran: ", hits);
    say("si_signo: ", infosig);
    say("si_pid is our pid: ", from == getpid());
    return 0;
}

static int kill_demo(void)
{
    int st;
    int pid = fork();
    if (pid == 0) {
        pause();
        exit(1);
    }
    kill(pid, SIGTERM);
    wait4(pid, &st, 0, 0);
    say("killed by signal: ", st & 0x7f);
    return 0;
}

static int sigpipe_demo(void)
{
    int fds[2], st;
    pipe(fds);
    close(fds[0]);
    struct kaction ign = { (void *)1, SA_RESTORER, (void *)restore_rt, { 0, 0 } };
    rt_sigaction(SIGPIPE, &ign, 0, 8);
    say("write with SIGPIPE ignored: ", write(fds[1], "x", 1));
    int pid = fork();
    if (pid == 0) {
        struct kaction dfl = { (void *)0, SA_RESTORER, (void *)restore_rt, { 0, 0 } };
        rt_sigaction(SIGPIPE, &dfl, 0, 8);
        write(fds[1], "x", 1);
        exit(0);
    }
    wait4(pid, &st, 0, 0);
    say("child killed by signal: ", st & 0x7f);
    return 0;
}

static int exec_demo(char **envp)
{
    char *args[] = { "procs", "hello", 0 };
    int st;
    say("execve of a missing file: ", execve("/no/such/program", args, envp));
    say("execve of a text file: ", execve("/notes.txt", args, envp));
    int pid = fork();
    if (pid == 0) {
        execve("/proc/self/exe", args, envp);
        exit(99);
    }
    wait4(pid, &st, 0, 0);
    say("exec'd child exit: ", (st >> 8) & 0xff);
    return 0;
}

/* Every process forks 8 times; each exits with the EAGAINs it and its descendants saw. */
static int bomb(void)
{
    int refused = 0, me = getpid(), st, r;
    for (int i = 0; i < 8; i++) {
        int pid = fork();
        if (pid == -EAGAIN) refused++;
        else if (pid == 0) refused = 0;
    }
    while ((r = wait4(-1, &st, 0, 0)) > 0)
        refused += (st >> 8) & 0xff;
    if (getpid() != me)
        exit(refused > 255 ? 255 : refused);
    say("fork refused with EAGAIN somewhere in the tree: ", refused > 0);
    return 0;
}

static int fill(void)
{
    int fds[2], st;
    static char buf[8192];
    pipe(fds);
    int pid = fork();
    if (pid == 0) {
        close(fds[0]);
        memset(buf, 'x', sizeof buf);
        int left = 200000;
        while (left > 0) {
            int n = write(fds[1], buf, left < (int)sizeof buf ? left : (int)sizeof buf);
            if (n <= 0) die("write", n, 1);
            left -= n;
        }
        exit(0);
    }
    close(fds[1]);
    int total = 0, n;
    while ((n = read(fds[0], buf, 100)) > 0)
        total += n;
    wait4(pid, &st, 0, 0);
    say("bytes through the pipe: ", total);
    int nb[2];
    pipe(nb);
    fcntl(nb[1], 4 /* F_SETFL */, O_NONBLOCK);
    int in = 0;
    while ((n = write(nb[1], buf, 4096)) > 0)
        in += n;
    say("a pipe holds: ", in);
    say("then write says: ", n);
    return 0;
}

static int storm(void)
{
    int st, parent = getpid();
    on(SIGUSR1, counter, SA_SIGINFO | SA_RESTART);
    int pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 2000; i++)
            kill(parent, SIGUSR1);
        exit(0);
    }
    while (wait4(pid, &st, 0, 0) != pid)
        ;
    say("handled at least one: ", hits > 0);
    say("handled at most 2000: ", hits <= 2000);
    return 0;
}

/* 50 children exit; the parent yields until all are zombies, then reaps them without blocking. */
static int zombies(void)
{
    int st, n = 0;
    for (int i = 0; i < 50; i++) {
        int pid = fork();
        if (pid == 0)
            exit(i);
        if (pid < 0)
            die("fork", pid, 1);
    }
    for (int i = 0; i < 50; i++)
        sched_yield();
    int sum = 0, r;
    while ((r = wait4(-1, &st, WNOHANG, 0)) > 0) {
        n++;
        sum += (st >> 8) & 0xff;
    }
    say("zombies reaped without waiting: ", n);
    say("sum of their exit codes: ", sum);
    say("then wait4 says: ", wait4(-1, &st, 0, 0));
    return 0;
}

static int deadlock(void)
{
    int fds[2];
    char c;
    pipe(fds);
    return read(fds[0], &c, 1);
}

/* The parent runs an xorshift loop (no system call in it) while the child writes: the
 * child's line comes first only if the parent is preempted inside the loop. */
static int preempt(void)
{
    int st;
    int pid = fork();
    if (pid == 0) {
        print(1, "the writer ran\n");
        exit(0);
    }
    unsigned int x = 2463534242u, acc = 0;
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        acc += x & 0xff;
    }
    say("the spinner is done: ", acc != 0);
    wait4(pid, &st, 0, 0);
    say("writer's exit: ", (st >> 8) & 0xff);
    return 0;
}

/* Doubles on the x87 stack (gcc's default for i386) and in SSE2 registers: the running
 * sums stay in registers across the whole loop, which has no system call in it. */
__attribute__((noipa)) static double harmonic_x87(int n)
{
    double s = 0;
    for (int i = 1; i <= n; i++)
        s += 1.0 / i;
    return s;
}

typedef double v2d __attribute__((vector_size(16)));

/* Two sums at once in an XMM register (addpd, divpd). */
__attribute__((target("sse2"), noipa)) static double harmonic_sse(int n)
{
    v2d s = { 0, 0 }, one = { 1, 1 };
    for (int i = 1; i <= n; i++) {
        v2d d = { i, i + 0.5 };
        s += one / d;
    }
    return s[0] + s[1];
}

static volatile double in_handler;

/* Computes with doubles and leaves the FPU changed: x87 rounding toward zero at single
 * precision, SSE rounding toward zero, every XMM register zeroed, then the x87 stack
 * emptied (fninit). Only the kernel's saving and restoring of the FPU state keeps the
 * interrupted loop's result intact. */
__attribute__((target("sse2"), noinline)) static void fpu_handler(int sig, struct siginfo *info, void *uc)
{
    (void)sig; (void)info; (void)uc;
    double d = 0;
    for (int i = 1; i < 100; i++)
        d += 1.0 / (i * 3.0);
    in_handler += d;
    hits++;
    unsigned short cw = 0x0c7f;
    unsigned int mxcsr = 0x7f80;
    __asm__ volatile("fldcw %0\n ldmxcsr %1\n"
                     "xorps %%xmm0,%%xmm0\n xorps %%xmm1,%%xmm1\n xorps %%xmm2,%%xmm2\n xorps %%xmm3,%%xmm3\n"
                     "xorps %%xmm4,%%xmm4\n xorps %%xmm5,%%xmm5\n xorps %%xmm6,%%xmm6\n xorps %%xmm7,%%xmm7\n"
                     "fninit\n fldcw %0\n"
                     : : "m"(cw), "m"(mxcsr) : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7");
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int fpu(void)
{
    int st, parent = getpid();
    const int n = 400000;
    double x87 = harmonic_x87(n), sse = harmonic_sse(n);
    on(SIGUSR1, (void (*)(int, struct siginfo *, void *))fpu_handler, SA_SIGINFO | SA_RESTART);
    int pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 200; i++) {
            kill(parent, SIGUSR1);
            sched_yield();
        }
        exit(0);
    }
    double x87_again = harmonic_x87(n);
    int during_x87 = hits;
    double sse_again = harmonic_sse(n);
    wait4(pid, &st, 0, 0);
    say("signals handled during the x87 loop: ", during_x87 > 0);
    say("signals handled during the SSE loop: ", hits > during_x87);
    say("x87 sum unchanged: ", same_bits(x87, x87_again));
    say("SSE sum unchanged: ", same_bits(sse, sse_again));
    say("handler's sums: ", in_handler > 0);
    return 0;
}

static volatile int shared_value;

/* vfork by hand: the child must not return through the parent's stack frame, so it
 * writes, then exits, in the same few instructions (as glibc's vfork wrapper takes care). */
static int vfork_demo(void)
{
    volatile int on_stack = 1;
    int pid, st;
    __asm__ volatile("movl $190, %%eax\n int $0x80\n"
                     "testl %%eax, %%eax\n jnz 1f\n"
                     "movl $42, shared_value\n movl $43, (%%ecx)\n"
                     "movl $1, %%eax\n movl $7, %%ebx\n int $0x80\n"
                     "1:\n"
                     : "=a"(pid) : "c"(&on_stack) : "ebx", "edx", "memory");
    say("vfork returned a pid: ", pid > 0);
    say("the child's write to a global: ", shared_value);
    say("the child's write to the parent's stack: ", on_stack);
    wait4(pid, &st, 0, 0);
    say("the child's exit: ", (st >> 8) & 0xff);
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (same(m, "pipe")) return pipe_demo();
    if (same(m, "signal")) return signal_demo();
    if (same(m, "kill")) return kill_demo();
    if (same(m, "sigpipe")) return sigpipe_demo();
    if (same(m, "exec")) return exec_demo(envp);
    if (same(m, "bomb")) return bomb();
    if (same(m, "fill")) return fill();
    if (same(m, "storm")) return storm();
    if (same(m, "zombies")) return zombies();
    if (same(m, "deadlock")) return deadlock();
    if (same(m, "preempt")) return preempt();
    if (same(m, "fpu")) return fpu();
    if (same(m, "vfork")) return vfork_demo();
    if (same(m, "hello")) { print(1, "hello from the exec'd image\n"); return 5; }
    print(2, "usage: procs pipe|signal|kill|sigpipe|exec|bomb|fill|storm|zombies|deadlock|preempt|fpu|vfork|hello\n");
    return 2;
}
