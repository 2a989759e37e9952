/* What the two Figure 3 guests share: opening the files (the wrong way round for the
 * call that is to fail), the buffer, and reporting. */
#ifndef SYSCLUSTER_FIG3_H
#define SYSCLUSTER_FIG3_H
#include "lib.h"

#define FIG3_READ_SIZE 64
static char fig3_buffer[256];

static void fig3_open(const char *fail, int *out, int *in)
{
    int fail_write = !memcmp(fail, "write", 6), fail_read = !memcmp(fail, "read", 5);
    *out = open("out.txt", fail_write ? O_RDONLY | O_CREAT : O_WRONLY | O_CREAT | O_TRUNC, 0644);
    *in = open("in.txt", fail_read ? O_WRONLY : O_RDONLY, 0);
    if (*out < 0 || *in < 0)
        die("fig3: cannot open out.txt or in.txt", *out < 0 ? *out : *in, 3);
}

static int fig3_prepare(void)
{
    static const char line[] = "written by the Figure 3 fragment\n";
    memcpy(fig3_buffer, line, sizeof line - 1);
    return sizeof line - 1;
}

static int fig3_error(const char *call, int err)
{
    print(1, "error handling of ");
    print(1, call);
    print(1, " with error code ");
    if (errno_name(err))
        print(1, errno_name(err));
    else
        print_int(1, err);
    print(1, "\n");
    return call[0] == 'w' ? 1 : 2;
}

static int fig3_done(int wrote, int read_bytes)
{
    print(1, "wrote ");
    print_int(1, wrote);
    print(1, ", read ");
    print_int(1, read_bytes);
    print(1, ": ");
    write(1, fig3_buffer, read_bytes);
    print(1, "\n");
    return 0;
}
#endif
