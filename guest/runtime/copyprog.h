/* What every variant of the copy program shares: arguments, opening, closing, errors.
 * The variants (guest/copy*.c) differ only in how the read/write loop is clustered. */
#ifndef SYSCLUSTER_COPYPROG_H
#define SYSCLUSTER_COPYPROG_H
#include "lib.h"

#define MAX_BLOCK 65536
static char copy_buffer[MAX_BLOCK];

struct copy {
    int in, out, size;
    char *buf;
};

/* copy <in> <out> [block-size]: open the input, create the output. */
static struct copy copy_open(int argc, char **argv)
{
    struct copy c;
    if (argc < 3)
        die("usage: copy <in> <out> [block-size]", 0, 2);
    c.size = argc > 3 ? atoi(argv[3]) : 4096;
    if (c.size <= 0 || c.size > MAX_BLOCK)
        die("copy: block size must be 1..65536", c.size, 2);
    c.buf = copy_buffer;
    c.in = open(argv[1], O_RDONLY, 0);
    if (c.in < 0)
        die(argv[1], c.in, 1);
    c.out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (c.out < 0)
        die(argv[2], c.out, 1);
    return c;
}

static int copy_close(struct copy *c)
{
    close(c->in);
    close(c->out);
    return 0;
}
#endif
