/* regions: one clustering pattern per function, for `syscluster analyze` (paper sections
 * 3.2-3.3). Each function's comment gives the verdict the paper's text leads to. Run, it
 * copies argv[1] to argv[2] through every pattern once; it exists to be analysed. */
#include "lib.h"

static char buf[4096], other[4096];
int counter, failures;
#define NOINLINE __attribute__((noinline))

/* read's result feeds write's count (section 3.2's example): clusterable now. */
NOINLINE int result_feeds(int in, int out)
{
    int n = read(in, buf, 512);
    return write(out, buf, n);
}

/* Two writes separated by a counter increment: clusterable after interchange (3.3.1). */
NOINLINE int counter_between(int out)
{
    write(out, buf, 16);
    counter++;
    return write(out, other, 16);
}

/* write's count is an arithmetic expression of read's result: never (argument safety). */
NOINLINE int expression_arg(int in, int out)
{
    int n = read(in, buf, 512);
    return write(out, buf, n * 3 + 1);
}

/* An error exit between two calls: clusterable with a checked entry (Figure 7). */
NOINLINE int error_exit(int in, int out)
{
    int n = write(out, buf, 32);
    if (n < 0)
        exit(3);
    return read(in, buf, 32);
}

/* An error handler that goes on to the next call: it runs only when write fails and has
 * a side effect, so it cannot be interchanged; mutual exclusion (3.3.2) would fix it, if
 * the program need not read after a failed write. */
NOINLINE int error_continues(int in, int out)
{
    int n = write(out, buf, 32);
    if (n < 0) {
        failures++;
        other[0] = (char)n;
    }
    return read(in, buf, 32);
}

/* User code changes the buffer the next call reads: never. */
NOINLINE int modifies_buffer(int in, int out)
{
    int n = read(in, buf, 512);
    buf[0] = 'X';
    return write(out, buf, n);
}

/* The calls sit in different functions: clusterable after inlining. */
NOINLINE int send_tail(int out) { return write(out, other, 8); }
NOINLINE int split_calls(int in, int out)
{
    read(in, buf, 8);
    return send_tail(out);
}

/* The copy loop: the whole loop as one looped call after loop rotation (3.3.3, 3.4). */
NOINLINE int copy_loop_body(int in, int out)
{
    int n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        write(out, buf, n);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        die("usage: regions <in> <out>", 0, 2);
    int in = open(argv[1], O_RDONLY, 0), out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0)
        die("regions: open", in < 0 ? in : out, 1);
    result_feeds(in, out);
    counter_between(out);
    expression_arg(in, out);
    error_exit(in, out);
    error_continues(in, out);
    modifies_buffer(in, out);
    split_calls(in, out);
    copy_loop_body(in, out);
    return 0;
}
