/* copy_flexsc <in> <out> [block-size] [depth]: the copy program on exception-less calls
 * (runtime/flexsc.h). Each round posts `depth` reads of consecutive blocks to the syscall
 * page and waits for them, then posts the writes of what came back and waits for those: one
 * crossing per round of reads and one per round of writes, however many blocks. The worker
 * runs entries in page order, so the reads take the file position in turn, as the plain
 * copy's do. The output is the plain copy's. */
#include "copyprog.h"
#include "flexsc.h"

/* Room for a whole round: depth blocks of up to 64 KiB each would not fit copyprog.h's buffer. */
#define ROUND_BYTES (1 << 20)
static char round_buffer[ROUND_BYTES];

int main(int argc, char **argv)
{
    struct copy c = copy_open(argc, argv);
    int depth = argc > 4 ? atoi(argv[4]) : 8;
    if (depth < 1 || depth > FX_ENTRIES || depth * c.size > ROUND_BYTES)
        die("copy_flexsc: depth must be 1..64 and depth * block size at most 1048576", depth, 2);
    c.buf = round_buffer;
    int e = fx_init();
    if (e < 0)
        die("flexsc_register", e, 1);
    for (;;) {
        for (int i = 0; i < depth; i++)
            fx_post(i, __NR_read, c.in, (unsigned int)(c.buf + i * c.size), c.size, 0);
        if ((e = fx_wait(0, depth)) < 0)
            die("flexsc_wait", e, 1);
        int got[FX_ENTRIES], end = depth, writes = 0;
        for (int i = 0; i < depth; i++)
            got[i] = fx_take(i);
        for (int i = 0; i < depth; i++) {
            if (got[i] < 0)
                die("read", got[i], 1);
            if (got[i] > 0)
                fx_post(writes++, __NR_write, c.out, (unsigned int)(c.buf + i * c.size), got[i], 0);
            if (got[i] < c.size) { end = i; break; }
        }
        if (writes) {
            if ((e = fx_wait(0, writes)) < 0)
                die("flexsc_wait", e, 1);
            for (int i = 0; i < writes; i++) {
                int w = fx_take(i);
                if (w < 0)
                    die("write", w, 1);
            }
        }
        if (end < depth)
            break;
    }
    return copy_close(&c);
}
