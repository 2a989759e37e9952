/* copy_value: the looped copy specialized on the value profile's block size (section
 * 3.4): 4096, the size almost every run uses, takes copy_4096; any other size falls
 * back to the general copy_loop, off the critical path. */
#include "copyprog.h"

int main(int argc, char **argv)
{
    struct copy c = copy_open(argc, argv);
    int n;
    if (c.size == 4096)
        while ((n = copy_4096(c.in, c.out, (long)c.buf)) > 0)
            ;
    else
        while ((n = copy_loop(c.in, c.out, (long)c.buf, c.size)) > 0)
            ;
    if (n < 0)
        die("copy", n, 1);
    return copy_close(&c);
}
