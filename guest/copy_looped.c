/* copy_looped: the whole copy loop as one looped multi-call (copy_loop): one crossing
 * for the loop instead of two per block. */
#include "copyprog.h"

int main(int argc, char **argv)
{
    struct copy c = copy_open(argc, argv);
    int n;
    while ((n = copy_loop(c.in, c.out, (long)c.buf, c.size)) > 0)
        ; /* each call copies until end of file (or its iteration limit) */
    if (n < 0)
        die("copy_loop", n, 1);
    return copy_close(&c);
}
