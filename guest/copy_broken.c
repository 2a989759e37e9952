/* copy_broken: a deliberately wrong clustering of the copy loop (the rotated loop that
 * forgets to write the last block). It exists only so that tests can prove the
 * scenarios' behaviour check catches a variant that changes what the program does. */
#include "copyprog.h"

int main(int argc, char **argv)
{
    struct copy c = copy_open(argc, argv);
    int n = read(c.in, c.buf, c.size), next;
    while (n > 0) {
        next = read(c.in, c.buf + MAX_BLOCK / 2, c.size); /* look ahead... */
        if (next <= 0)
            break; /* ...and drop the last block: the bug */
        write(c.out, c.buf, n);
        memcpy(c.buf, c.buf + MAX_BLOCK / 2, next);
        n = next;
    }
    return copy_close(&c);
}
