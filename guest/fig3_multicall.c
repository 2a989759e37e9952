/* fig3_multicall [none|write|read]: the paper's Figure 3, with the write and the read
 * as one multi-call. Compare with fig3_original.c: only the fragment differs. */
#include "lib.h"
#include "multicall.h"
#include "fig3.h"

int main(int argc, char **argv)
{
    int out, in;
    fig3_open(argc > 1 ? argv[1] : "none", &out, &in);
    char *buff = fig3_buffer;
    int write_size = fig3_prepare(), read_size = FIG3_READ_SIZE, res;

    /* --- the fragment, as in Figure 3 (using multi-call) --- */
    struct sys_params args[2];
    int results[2];
    void *write_params[3] = {&out, &buff, &write_size};
    void *read_params[3] = {&in, &buff, &read_size};
    mc_entry(&args[0], __NR_write, write_params, &results[0], 1);
    mc_entry(&args[1], __NR_read, read_params, &results[1], 1);
    res = multi_call(2, args);
    if (res == 1) {
        return fig3_error("write", results[0]);
    } else if (res == 2) {
        return fig3_error("read", results[1]);
    }
    res = results[1];
    /* --- end of the fragment --- */

    return fig3_done(write_size, res);
}
