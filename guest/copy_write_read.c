/* copy_write_read: the rotated copy loop with write+read as the specialized call
 * write_read (Table 3's "multi-call" column). A failed write and a failed read both come
 * back as the call's error, so they share one message. */
#include "copyprog.h"

int main(int argc, char **argv)
{
    struct copy c = copy_open(argc, argv);
    int n = read(c.in, c.buf, c.size);
    while (n > 0)
        n = write_read(c.out, c.in, (long)c.buf, n, c.size); /* write(out, buf, n); n = read(in, buf, size) */
    if (n < 0)
        die("write_read", n, 1);
    return copy_close(&c);
}
