/*
 * The hot path of the emulator, kept out of JavaScript.
 *
 * Two Unicorn hooks live here:
 *  - a block hook that counts guest instructions exactly: each translated block's
 *    instruction count is decoded once (by a JavaScript callback that uses Capstone)
 *    and cached in a hash table keyed by (address, size); every later execution of the
 *    block adds the cached count with no call into JavaScript. It also stops the guest
 *    once the instruction limit is passed.
 *  - an interrupt hook that snapshots the i386 registers into a shared frame, calls
 *    the kernel model (JavaScript) once, and writes back eax when asked to. One
 *    JavaScript call per kernel crossing, with no register round trips through FFI.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

/* Order of the registers in sc_state.regs; emulator/native.ts declares the same list.
 * Segment registers are left out: the emulated CPU runs flat, and reading them on every
 * trap would cost time for values that never change. */
enum { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP, R_EIP, R_EFLAGS, R_COUNT };

static const int uc_reg_ids[R_COUNT] = {
    UC_X86_REG_EAX, UC_X86_REG_EBX, UC_X86_REG_ECX, UC_X86_REG_EDX,
    UC_X86_REG_ESI, UC_X86_REG_EDI, UC_X86_REG_EBP, UC_X86_REG_ESP,
    UC_X86_REG_EIP, UC_X86_REG_EFLAGS,
};

typedef uint32_t (*decode_fn)(uint64_t address, uint32_t size);
typedef void (*interrupt_fn)(uint32_t intno);

/* Shared with JavaScript through a view of this memory (it never moves, unlike a small
 * JavaScript buffer, which the garbage collector may); layout mirrored in native.ts. */
struct sc_state {
    uint64_t instructions;      /* guest instructions executed, whole blocks counted at entry */
    uint64_t limit;             /* stop once instructions exceed this */
    uint32_t limit_hit;         /* set when the block hook stopped the guest */
    uint32_t write_eax;         /* set by the interrupt callback to write regs[R_EAX] back */
    uint32_t regs[R_COUNT];     /* registers at the last interrupt */
};

struct block_entry {
    uint64_t address;
    uint32_t size;
    uint32_t insns;             /* 0 marks an empty slot: no block has 0 instructions */
};

#define RECENT 8192 /* a power of two */

struct sc_handle {
    uc_engine *uc;
    struct sc_state *state; /* points at own_state */
    struct sc_state own_state;
    decode_fn decode;
    interrupt_fn interrupt;
    struct block_entry *table;
    uint32_t capacity;          /* a power of two */
    uint32_t used;
    uc_hook block_hook, intr_hook;
    /* A direct-mapped cache in front of the table, indexed by the block's address. */
    struct block_entry recent[RECENT];
    struct block_entry *current; /* the block being executed */
};

static uint32_t slot_of(uint64_t address, uint32_t size, uint32_t mask)
{
    uint64_t h = address * 0x9E3779B97F4A7C15ull ^ (uint64_t)size * 0xC2B2AE3D27D4EB4Full;
    return (uint32_t)(h >> 32) & mask;
}

static struct block_entry *find_slot(struct block_entry *table, uint32_t capacity,
                                     uint64_t address, uint32_t size)
{
    uint32_t mask = capacity - 1, i = slot_of(address, size, mask);
    while (table[i].insns != 0 && (table[i].address != address || table[i].size != size))
        i = (i + 1) & mask;
    return &table[i];
}

static int grow(struct sc_handle *h)
{
    uint32_t capacity = h->capacity * 2;
    struct block_entry *table = calloc(capacity, sizeof *table);
    if (!table)
        return -1;
    for (uint32_t i = 0; i < h->capacity; i++)
        if (h->table[i].insns != 0)
            *find_slot(table, capacity, h->table[i].address, h->table[i].size) = h->table[i];
    free(h->table);
    h->table = table;
    h->capacity = capacity;
    return 0;
}

static struct block_entry *lookup(struct sc_handle *h, uint64_t address, uint32_t size);

static void on_block(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
    struct sc_handle *h = user;
    struct sc_state *s = h->state;
    struct block_entry *e = &h->recent[(address >> 1) & (RECENT - 1)];
    if (e->address != address || e->size != size || e->insns == 0) {
        e = lookup(h, address, size);
        h->recent[(address >> 1) & (RECENT - 1)] = *e;
    }
    h->current = e; /* sc_block() reads it; nothing else is stored on this hot path */
    s->instructions += e->insns;
    if (s->instructions > s->limit) {
        s->limit_hit = 1;
        uc_emu_stop(uc);
    }
}

/* The table: every block seen, its instruction count decoded once. */
static struct block_entry *lookup(struct sc_handle *h, uint64_t address, uint32_t size)
{
    struct block_entry *e = find_slot(h->table, h->capacity, address, size);
    if (e->insns == 0) {
        uint32_t insns = h->decode(address, size);
        if (insns == 0)
            insns = 1; /* undecodable bytes: the CPU faults on the first one */
        if ((h->used + 1) * 2 > h->capacity && grow(h) == 0)
            e = find_slot(h->table, h->capacity, address, size);
        e->address = address;
        e->size = size;
        e->insns = insns;
        h->used++;
    }
    return e;
}

static void on_interrupt(uc_engine *uc, uint32_t intno, void *user)
{
    struct sc_handle *h = user;
    struct sc_state *s = h->state;
    for (int i = 0; i < R_COUNT; i++)
        uc_reg_read(uc, uc_reg_ids[i], &s->regs[i]);
    s->write_eax = 0;
    h->interrupt(intno);
    if (s->write_eax)
        uc_reg_write(uc, UC_X86_REG_EAX, &s->regs[R_EAX]);
}

struct sc_handle *sc_attach(uc_engine *uc, decode_fn decode, interrupt_fn interrupt,
                            uint64_t limit, int *err)
{
    struct sc_handle *h = calloc(1, sizeof *h);
    if (!h) {
        *err = UC_ERR_NOMEM;
        return NULL;
    }
    h->uc = uc;
    h->state = &h->own_state;
    h->state->limit = limit;
    h->decode = decode;
    h->interrupt = interrupt;
    h->capacity = 4096;
    h->table = calloc(h->capacity, sizeof *h->table);
    *err = h->table ? UC_ERR_OK : UC_ERR_NOMEM;
    if (*err == UC_ERR_OK)
        *err = uc_hook_add(uc, &h->block_hook, UC_HOOK_BLOCK, (void *)on_block, h, 1, 0);
    if (*err == UC_ERR_OK)
        *err = uc_hook_add(uc, &h->intr_hook, UC_HOOK_INTR, (void *)on_interrupt, h, 1, 0);
    if (*err != UC_ERR_OK) {
        free(h->table);
        free(h);
        return NULL;
    }
    return h;
}

/* The shared counters and register frame. */
struct sc_state *sc_state(struct sc_handle *h)
{
    return h->state;
}

/* The block being executed: its address, size in bytes and instruction count. */
void sc_block(struct sc_handle *h, uint64_t *address, uint32_t *size, uint32_t *insns)
{
    struct block_entry none = {0, 0, 0}, *e = h->current ? h->current : &none;
    *address = e->address;
    *size = e->size;
    *insns = e->insns;
}

/* Number of distinct blocks decoded so far (for the benchmark and tests). */
uint32_t sc_blocks(struct sc_handle *h)
{
    return h->used;
}

/* Removes the hooks; the state stays readable until sc_detach. */
void sc_unhook(struct sc_handle *h)
{
    if (!h || !h->block_hook)
        return;
    uc_hook_del(h->uc, h->block_hook);
    uc_hook_del(h->uc, h->intr_hook);
    h->block_hook = h->intr_hook = 0;
}

void sc_detach(struct sc_handle *h)
{
    if (!h)
        return;
    sc_unhook(h);
    free(h->table);
    free(h);
}
