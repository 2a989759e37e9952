/* A small liburing-like layer over the raw io_uring interface (io_uring_setup,
 * io_uring_enter, io_uring_register and three mmaps at Linux's IORING_OFF_* offsets):
 * enough for a program to queue SQEs, submit them and reap CQEs, with or without SQPOLL.
 * The structures and constants are Linux's <linux/io_uring.h>. */
#ifndef SYSCLUSTER_URING_H
#define SYSCLUSTER_URING_H
#include "lib.h"

typedef unsigned int u32;
typedef unsigned long long u64;

#define IORING_OFF_SQ_RING 0u
#define IORING_OFF_CQ_RING 0x8000000u
#define IORING_OFF_SQES 0x10000000u
#define IORING_SETUP_SQPOLL (1u << 1)
#define IORING_ENTER_GETEVENTS (1u << 0)
#define IORING_ENTER_SQ_WAKEUP (1u << 1)
#define IORING_SQ_NEED_WAKEUP (1u << 0)
#define IOSQE_IO_LINK (1u << 2)
enum { IORING_OP_NOP = 0, IORING_OP_READV = 1, IORING_OP_WRITEV = 2, IORING_OP_FSYNC = 3,
       IORING_OP_OPENAT = 18, IORING_OP_CLOSE = 19, IORING_OP_READ = 22, IORING_OP_WRITE = 23 };

struct io_sqring_offsets { u32 head, tail, ring_mask, ring_entries, flags, dropped, array, resv1; u64 user_addr; };
struct io_cqring_offsets { u32 head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1; u64 user_addr; };
struct io_uring_params {
    u32 sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd, resv[3];
    struct io_sqring_offsets sq_off;
    struct io_cqring_offsets cq_off;
};
struct io_uring_sqe {
    unsigned char opcode, flags;
    unsigned short ioprio;
    int fd;
    u64 off, addr;
    u32 len, op_flags;
    u64 user_data;
    unsigned short buf_index, personality;
    int splice_fd_in;
    u64 addr3, pad;
};
struct io_uring_cqe { u64 user_data; int res; u32 flags; };

struct ring {
    int fd, sqpoll;
    volatile u32 *sq_head, *sq_tail, *sq_flags, *sq_array, *cq_head, *cq_tail;
    u32 sq_mask, cq_mask, sq_entries, queued;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
};

/* mmap2 by its number (six arguments, the sixth in ebp): the one call the generated stubs
 * may not carry. */
__asm__(".text\n.globl uring_mmap2\nuring_mmap2:\n"
        "\tpush %ebp\n\tpush %ebx\n\tpush %esi\n\tpush %edi\n"
        "\tmov 20(%esp), %ebx\n\tmov 24(%esp), %ecx\n\tmov 28(%esp), %edx\n"
        "\tmov 32(%esp), %esi\n\tmov 36(%esp), %edi\n\tmov 40(%esp), %ebp\n"
        "\tmov $192, %eax\n\tint $0x80\n"
        "\tpop %edi\n\tpop %esi\n\tpop %ebx\n\tpop %ebp\n\tret\n");
void *uring_mmap2(u32 addr, u32 len, u32 prot, u32 flags, int fd, u32 pgoff);

static inline void *uring_mmap(u32 len, int fd, u32 offset)
{
    return uring_mmap2(0, len, 3 /* PROT_READ|PROT_WRITE */, 0x01 | 0x8000 /* MAP_SHARED|MAP_POPULATE */, fd, offset >> 12);
}

static inline int uring_failed(void *p) { return (u32)p >= 0xfffff000u; }

/* io_uring_queue_init: 0, or a negative errno. */
static int ring_init(struct ring *r, u32 entries, u32 flags)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = flags;
    r->fd = io_uring_setup(entries, &p);
    if (r->fd < 0)
        return r->fd;
    char *sq = uring_mmap(p.sq_off.array + p.sq_entries * 4, r->fd, IORING_OFF_SQ_RING);
    char *cq = uring_mmap(p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe), r->fd, IORING_OFF_CQ_RING);
    void *sqes = uring_mmap(p.sq_entries * sizeof(struct io_uring_sqe), r->fd, IORING_OFF_SQES);
    if (uring_failed(sq)) return (int)sq;
    if (uring_failed(cq)) return (int)cq;
    if (uring_failed(sqes)) return (int)sqes;
    r->sq_head = (u32 *)(sq + p.sq_off.head);
    r->sq_tail = (u32 *)(sq + p.sq_off.tail);
    r->sq_flags = (u32 *)(sq + p.sq_off.flags);
    r->sq_array = (u32 *)(sq + p.sq_off.array);
    r->sq_mask = *(u32 *)(sq + p.sq_off.ring_mask);
    r->sq_entries = p.sq_entries;
    r->cq_head = (u32 *)(cq + p.cq_off.head);
    r->cq_tail = (u32 *)(cq + p.cq_off.tail);
    r->cq_mask = *(u32 *)(cq + p.cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    r->sqes = sqes;
    r->sqpoll = (flags & IORING_SETUP_SQPOLL) != 0;
    r->queued = 0;
    return 0;
}

/* io_uring_get_sqe: the next free SQE, zeroed, or 0 when the ring is full. */
static struct io_uring_sqe *ring_sqe(struct ring *r)
{
    u32 tail = *r->sq_tail + r->queued;
    if (tail - *r->sq_head >= r->sq_entries)
        return 0;
    struct io_uring_sqe *s = &r->sqes[tail & r->sq_mask];
    memset(s, 0, sizeof *s);
    r->sq_array[tail & r->sq_mask] = tail & r->sq_mask;
    r->queued++;
    return s;
}

static void ring_prep(struct io_uring_sqe *s, int op, int fd, void *addr, u32 len, u64 off, u64 data)
{
    s->opcode = op;
    s->fd = fd;
    s->addr = (u32)addr;
    s->len = len;
    s->off = off;
    s->user_data = data;
}

/* io_uring_submit: publishes the queued SQEs; enters the kernel unless an SQPOLL thread
 * takes them. Returns how many were published. */
static int ring_submit(struct ring *r)
{
    u32 n = r->queued;
    __asm__ volatile ("" ::: "memory");
    *r->sq_tail += n;
    r->queued = 0;
    if (r->sqpoll) {
        if (*r->sq_flags & IORING_SQ_NEED_WAKEUP)
            io_uring_enter(r->fd, n, 0, IORING_ENTER_SQ_WAKEUP, 0, 0);
        return n;
    }
    return io_uring_enter(r->fd, n, 0, 0, 0, 0);
}

/* Submits and waits for `want` completions in one io_uring_enter (io_uring_submit_and_wait). */
static int ring_submit_wait(struct ring *r, u32 want)
{
    if (r->sqpoll)
        return ring_submit(r);
    u32 n = r->queued;
    __asm__ volatile ("" ::: "memory");
    *r->sq_tail += n;
    r->queued = 0;
    return io_uring_enter(r->fd, n, want, IORING_ENTER_GETEVENTS, 0, 0);
}

/* io_uring_wait_cqe + io_uring_cqe_seen: the next completion. With SQPOLL the program
 * spins; each turn reads the time stamp counter, as a bounded spin-then-sleep loop does. */
static struct io_uring_cqe ring_wait(struct ring *r)
{
    while (*r->cq_head == *r->cq_tail) {
        if (r->sqpoll)
            rdtscl();
        else
            io_uring_enter(r->fd, 0, 1, IORING_ENTER_GETEVENTS, 0, 0);
    }
    __asm__ volatile ("" ::: "memory");
    struct io_uring_cqe c = r->cqes[*r->cq_head & r->cq_mask];
    *r->cq_head += 1;
    return c;
}
#endif
