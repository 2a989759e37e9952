/* jump_cost: the paper's first control experiment (section 4.2, Table 1). The dummy
 * system call jump_cost returns rdtscl taken inside the kernel; bracketing it with two
 * user-side rdtscl splits a crossing into entry and exit. The procedure-call version
 * brackets a user function that does the same. The cost of a pair of rdtscl is
 * measured first and subtracted, as in the paper.
 *
 * The brackets are written in assembly so that the instructions between the reads are
 * exactly these, whatever the compiler does. */
#include "lib.h"

/* Two rdtscl back to back: the measurement overhead. */
static unsigned int pair_overhead(void)
{
    unsigned int t1, t2;
    __asm__ volatile("rdtsc\n\t"
                     "mov %%eax, %%esi\n\t"
                     "rdtsc"
                     : "=S"(t1), "=a"(t2) : : "edx", "memory");
    return t2 - t1;
}

/* rdtscl; jump_cost(); rdtscl. The xchg puts the call number in eax and keeps t1. */
static void syscall_bracket(unsigned int *entry, unsigned int *exit)
{
    unsigned int t1, k, t2;
    __asm__ volatile("mov $223, %%esi\n\t"
                     "rdtsc\n\t"
                     "xchg %%eax, %%esi\n\t"
                     "int $0x80\n\t"
                     "mov %%eax, %%edi\n\t"
                     "rdtsc"
                     : "=S"(t1), "=D"(k), "=a"(t2) : : "ebx", "ecx", "edx", "memory");
    *entry = k - t1;
    *exit = t2 - k;
}

/* The same as a user procedure, shaped like an unoptimized C function: frame set-up,
 * rdtscl, the result kept in a local and reloaded, frame torn down. */
__asm__(".text\n"
        "jump_cost_proc:\n\t"
        "push %ebp\n\t"
        "mov %esp, %ebp\n\t"
        "rdtsc\n\t"
        "mov %eax, %ecx\n\t"
        "mov %ecx, %eax\n\t"
        "pop %ebp\n\t"
        "ret\n");

static void procedure_bracket(unsigned int *entry, unsigned int *exit)
{
    unsigned int t1, k, t2;
    __asm__ volatile("rdtsc\n\t"
                     "mov %%eax, %%esi\n\t"
                     "call jump_cost_proc\n\t"
                     "mov %%eax, %%edi\n\t"
                     "rdtsc"
                     : "=S"(t1), "=D"(k), "=a"(t2) : : "ecx", "edx", "memory");
    *entry = k - t1;
    *exit = t2 - k;
}

static void row(const char *name, unsigned int entry, unsigned int exit, unsigned int overhead)
{
    print(1, name);
    print(1, " entry ");
    print_int(1, entry - overhead);
    print(1, " exit ");
    print_int(1, exit - overhead);
    print(1, " entry_raw ");
    print_int(1, entry);
    print(1, " exit_raw ");
    print_int(1, exit);
    print(1, "\n");
}

int main(void)
{
    unsigned int overhead = pair_overhead(), se, sx, pe, px;
    syscall_bracket(&se, &sx);
    procedure_bracket(&pe, &px);
    print(1, "rdtscl_pair ");
    print_int(1, overhead);
    print(1, "\n");
    row("system_call", se, sx, overhead);
    row("procedure_call", pe, px, overhead);
    return 0;
}
