/* copy <in> <out> [block-size]: the paper's file copy program (section 3.1, Figure 5),
 * unclustered: a read/write loop. The other copy_*.c variants cluster this loop. */
#include "copyprog.h"

int main(int argc, char **argv)
{
    struct copy c = copy_open(argc, argv);
    int n;
    while ((n = read(c.in, c.buf, c.size)) > 0) {
        int w = write(c.out, c.buf, n);
        if (w < 0)
            die("write", w, 1);
    }
    if (n < 0)
        die("read", n, 1);
    return copy_close(&c);
}
