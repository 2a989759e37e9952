/* copy <in> <out> [block-size]: the paper's file copy program (section 3.1, Figure 5):
 * open the input, create the output, a read/write loop, close both. */
#include "lib.h"

#define MAX_BLOCK 65536
static char buf[MAX_BLOCK];

int main(int argc, char **argv)
{
    if (argc < 3)
        die("usage: copy <in> <out> [block-size]", -22, 2);
    int size = argc > 3 ? atoi(argv[3]) : 4096;
    if (size <= 0 || size > MAX_BLOCK)
        die("copy: block size must be 1..65536", size, 2);
    int in = open(argv[1], O_RDONLY, 0);
    if (in < 0)
        die(argv[1], in, 1);
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0)
        die(argv[2], out, 1);
    int n;
    while ((n = read(in, buf, size)) > 0) {
        int w = write(out, buf, n);
        if (w < 0)
            die("write", w, 1);
    }
    if (n < 0)
        die("read", n, 1);
    close(in);
    close(out);
    return 0;
}
