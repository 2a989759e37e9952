/* The multi-call of the paper's Figure 2 and 3, user side: one entry per system call,
 * arguments passed by reference (read by the kernel when that entry runs), each result
 * stored through its pointer. multi_call(count, args) returns the 1-based index of the
 * first entry that failed and was checked, or count + 1. */
#ifndef SYSCLUSTER_MULTICALL_H
#define SYSCLUSTER_MULTICALL_H
#include "syscalls.h"

struct sys_params {
    int sys_call_no;          /* identity of the syscall */
    void **params;            /* pointers to its arguments */
    int *result;              /* where its return value goes */
    int check_return_value;   /* stop the batch if it fails? */
};

/* Fills one entry, like the set_params of the paper's Figure 7. */
static inline void mc_entry(struct sys_params *e, int nr, void **params, int *result, int check)
{
    e->sys_call_no = nr;
    e->params = params;
    e->result = result;
    e->check_return_value = check;
}
#endif
