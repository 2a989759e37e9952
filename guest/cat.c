/* cat [block-size] [file...]: copy files (or standard input) to standard output with
 * a read/write loop of the given block size (default 4096). */
#include "lib.h"

#define MAX_BLOCK 65536
static char buf[MAX_BLOCK];

static int cat_fd(int fd, int block)
{
    int n;
    while ((n = read(fd, buf, block)) > 0) {
        int w = write(1, buf, n);
        if (w < 0)
            return w;
    }
    return n;
}

int main(int argc, char **argv)
{
    int block = argc > 1 ? atoi(argv[1]) : 4096;
    if (block <= 0 || block > MAX_BLOCK)
        die("cat: block size must be 1..65536", block, 2);
    if (argc <= 2)
        return cat_fd(0, block) < 0;
    for (int i = 2; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY, 0);
        if (fd < 0)
            die(argv[i], fd, 1);
        int r = cat_fd(fd, block);
        close(fd);
        if (r < 0)
            die(argv[i], r, 1);
    }
    return 0;
}
