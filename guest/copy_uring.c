/* copy_uring <in> <out> [block-size] [depth] [sqpoll]: the copy program on io_uring. Each
 * round queues `depth` READs of consecutive blocks and submits them with one
 * io_uring_enter, then queues the WRITEs of what came back and submits those; with
 * "sqpoll", a kernel thread takes the submissions and the program enters the kernel only
 * to open and close. The output is the plain copy's. */
#include "copyprog.h"
#include "uring.h"

#define MAX_DEPTH 64

int main(int argc, char **argv)
{
    struct copy c = copy_open(argc, argv);
    int depth = argc > 4 ? atoi(argv[4]) : 8;
    int sqpoll = argc > 5 && argv[5][0] == 's';
    if (depth < 1 || depth > MAX_DEPTH || depth * c.size > MAX_BLOCK)
        die("copy_uring: depth must be 1..64 and depth * block size at most 65536", depth, 2);
    struct ring r;
    int e = ring_init(&r, depth, sqpoll ? IORING_SETUP_SQPOLL : 0);
    if (e < 0)
        die("io_uring_setup", e, 1);
    u64 pos = 0;
    for (;;) {
        for (int i = 0; i < depth; i++)
            ring_prep(ring_sqe(&r), IORING_OP_READ, c.in, c.buf + i * c.size, c.size, pos + (u64)i * c.size, i);
        ring_submit_wait(&r, depth);
        int got[MAX_DEPTH], end = depth;
        for (int i = 0; i < depth; i++) {
            struct io_uring_cqe q = ring_wait(&r);
            if (q.res < 0)
                die("read", q.res, 1);
            got[q.user_data] = q.res;
        }
        int writes = 0;
        for (int i = 0; i < depth; i++) {
            if (got[i] > 0) {
                ring_prep(ring_sqe(&r), IORING_OP_WRITE, c.out, c.buf + i * c.size, got[i], pos + (u64)i * c.size, i);
                writes++;
            }
            if (got[i] < c.size) { end = i; break; }
        }
        if (writes) {
            ring_submit_wait(&r, writes);
            for (int i = 0; i < writes; i++) {
                struct io_uring_cqe q = ring_wait(&r);
                if (q.res < 0)
                    die("write", q.res, 1);
            }
        }
        if (end < depth)
            break;
        pos += (u64)depth * c.size;
    }
    close(r.fd);
    return copy_close(&c);
}
