/* copy_multicall: the copy loop rotated as in section 3.3.3 (the write of one block and
 * the read of the next become neighbours), with that write+read as one multi-call. */
#include "copyprog.h"
#include "multicall.h"

int main(int argc, char **argv)
{
    struct copy c = copy_open(argc, argv);
    int n = read(c.in, c.buf, c.size);
    struct sys_params args[2];
    int results[2];
    void *write_params[3] = {&c.out, &c.buf, &n};
    void *read_params[3] = {&c.in, &c.buf, &c.size};
    mc_entry(&args[0], __NR_write, write_params, &results[0], 1);
    mc_entry(&args[1], __NR_read, read_params, &results[1], 1);
    while (n > 0) {
        int r = multi_call(2, args); /* write(out, buf, n); n = read(in, buf, size) */
        if (r == 1)
            die("write", results[0], 1);
        n = results[1];
    }
    if (n < 0)
        die("read", n, 1);
    return copy_close(&c);
}
