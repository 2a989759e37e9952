/* hostile: multi-calls and specialized calls with bad arguments, through the real trap
 * path. Prints each result; the simulator must answer each with an error and go on. */
#include "lib.h"
#include "multicall.h"

static void show(const char *what, int r)
{
    print(1, what);
    print(1, " ");
    print_int(1, r);
    print(1, "\n");
}

int main(void)
{
    struct sys_params e[2];
    int result = 0, pid_nr = __NR_getpid;
    void *none[1] = {0};
    mc_entry(&e[0], pid_nr, none, &result, 1);
    show("count0", multi_call(0, e));
    show("count-1", multi_call(-1, e));
    show("count-huge", multi_call(1 << 30, e));
    show("args-unmapped", multi_call(1, (struct sys_params *)0x10));
    mc_entry(&e[0], __NR_write, (void **)0x10, &result, 1);
    show("params-unmapped", multi_call(1, e));
    show("params-unmapped-result", result);
    mc_entry(&e[0], pid_nr, none, (int *)(void *)main, 1);
    show("result-readonly", multi_call(1, e));
    void *inner[2] = {&pid_nr, &e};
    mc_entry(&e[0], __NR_multi_call, inner, &result, 1);
    show("nested", multi_call(1, e));
    show("nested-result", result);
    show("specialized-bad-buffer", read_write(0, 1, 0x10, 100));
    show("specialized-bad-fd", copy_loop(77, 1, (long)e, 16));
    mc_entry(&e[0], pid_nr, none, &result, 1);
    show("still-works", multi_call(1, e) == 2 && result > 0);
    return 0;
}
