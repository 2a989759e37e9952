/*
 * The hot path of the emulator, kept out of JavaScript.
 *
 * Two Unicorn hooks live here:
 *  - a block hook that counts guest instructions exactly: each translated block's
 *    instruction count is decoded once (by a JavaScript callback that uses Capstone)
 *    and cached in a hash table keyed by (address, size); every later execution of the
 *    block adds the cached count with no call into JavaScript. It also stops the guest
 *    once the instruction limit is passed.
 *    It also stops the guest before a block that would pass the limit, or whose decode
 *    marked an instruction that traps (a privileged one): the caller then runs exactly
 *    the instructions before that point (uc_emu_start's count) and ends the guest.
 *  - an interrupt hook that snapshots the i386 registers into a shared frame, calls
 *    the kernel model (JavaScript) once, and writes back eax when asked to. One
 *    JavaScript call per kernel crossing, with no register round trips through FFI.
 *  - rdtsc: code hooks over ranges of known rdtsc sites (one hook per cluster of
 *    nearby sites, C callbacks), and one JavaScript call per executed rdtsc, after it,
 *    that sets edx:eax through the shared frame.
 *
 * Every allocation failure is reported (UC_ERR_NOMEM), never ignored.
 */
#include <stddef.h>
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

/* Returns the block's instruction count in the low 16 bits and, in the high 16 bits,
 * 1 + the index of an instruction that traps before it runs (0: none). */
typedef uint32_t (*decode_fn)(uint64_t address, uint32_t size);
typedef void (*interrupt_fn)(uint32_t intno);
typedef void (*rdtsc_fn)(uint32_t address);

/* Shared with JavaScript through a view of this memory (it never moves, unlike a small
 * JavaScript buffer, which the garbage collector may); layout mirrored in native.ts. */
struct sc_state {
    uint64_t instructions;      /* guest instructions executed, whole blocks counted at entry */
    uint64_t limit;             /* stop once instructions exceed this */
    uint32_t limit_hit;         /* set when the block hook stopped the guest */
    uint32_t write_eax;         /* set by the interrupt callback to write regs[R_EAX] back */
    uint32_t regs[R_COUNT];     /* registers at the last interrupt */
    uint32_t stop;              /* why the block hook stopped the guest: STOP_* */
    uint32_t block_left;        /* instructions of the stopped block that may still run */
    uint32_t partial;           /* set while the caller runs block_left instructions */
    uint32_t stop_pc;           /* the stopped block's address */
};

enum { STOP_NONE, STOP_LIMIT, STOP_TRAP };

/* The address every run is started with as its end (uc_emu_start's `until`). */
#define SC_STOP_PC 0xffffffffu

/* The layout native.ts reads; checked here at compile time and exported for a check at load. */
_Static_assert(offsetof(struct sc_state, instructions) == 0, "instructions");
_Static_assert(offsetof(struct sc_state, limit) == 8, "limit");
_Static_assert(offsetof(struct sc_state, limit_hit) == 16, "limit_hit");
_Static_assert(offsetof(struct sc_state, write_eax) == 20, "write_eax");
_Static_assert(offsetof(struct sc_state, regs) == 24, "regs");
_Static_assert(offsetof(struct sc_state, stop) == 64, "stop");
_Static_assert(offsetof(struct sc_state, block_left) == 68, "block_left");
_Static_assert(offsetof(struct sc_state, partial) == 72, "partial");
_Static_assert(offsetof(struct sc_state, stop_pc) == 76, "stop_pc");
_Static_assert(sizeof(struct sc_state) == 80, "size");

static const uint32_t layout[] = {
    offsetof(struct sc_state, instructions), offsetof(struct sc_state, limit),
    offsetof(struct sc_state, limit_hit), offsetof(struct sc_state, write_eax),
    offsetof(struct sc_state, regs), offsetof(struct sc_state, stop),
    offsetof(struct sc_state, block_left), offsetof(struct sc_state, partial),
    offsetof(struct sc_state, stop_pc), sizeof(struct sc_state), R_COUNT,
};

/* Offsets of the fields of struct sc_state in declaration order, then its size and the
 * number of registers: native.ts compares them with its own before using the state. */
uint32_t sc_layout(uint32_t *out, uint32_t n)
{
    uint32_t count = sizeof layout / sizeof layout[0];
    for (uint32_t i = 0; i < n && i < count; i++)
        out[i] = layout[i];
    return count;
}

struct block_entry {
    uint64_t address;
    uint32_t size;
    uint32_t insns;             /* 0 marks an empty slot: no block has 0 instructions */
    uint32_t trap;              /* 1 + index of an instruction that traps; 0: none */
    uint32_t pad;
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
    rdtsc_fn rdtsc;
    uint32_t *sites;            /* rdtsc addresses, sorted */
    uint32_t nsites;
    uint32_t pending;           /* address after the rdtsc that just ran; 0: none */
    uc_hook *site_hooks;
    uint32_t nsite_hooks;
    int failed;                 /* an allocation failed inside a hook: UC_ERR_NOMEM */
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
    if (!s->partial) {
        uint64_t left = s->limit > s->instructions ? s->limit - s->instructions : 0;
        uint32_t trap = e->trap ? e->trap - 1 : UINT32_MAX;
        if (left < e->insns || trap < e->insns) {
            s->stop = left <= trap ? STOP_LIMIT : STOP_TRAP;
            s->limit_hit = s->stop == STOP_LIMIT;
            s->block_left = left <= trap ? (uint32_t)left : trap;
            s->stop_pc = (uint32_t)address;
            /* Writing the program counter inside a hook leaves the block before it runs
             * (Unicorn restarts at the new address); the run's `until` address, where
             * Unicorn stops, is SC_STOP_PC. Nothing may follow this write. */
            uint32_t pc = SC_STOP_PC;
            uc_reg_write(uc, UC_X86_REG_EIP, &pc);
            return;
        }
    }
    s->instructions += e->insns;
}

/* The table: every block seen, its instruction count decoded once. */
static struct block_entry *lookup(struct sc_handle *h, uint64_t address, uint32_t size)
{
    struct block_entry *e = find_slot(h->table, h->capacity, address, size);
    if (e->insns == 0) {
        uint32_t decoded = h->decode(address, size);
        uint32_t insns = decoded & 0xffff, trap = decoded >> 16;
        if (insns == 0)
            insns = 1; /* undecodable bytes: the CPU faults on the first one */
        if ((h->used + 1) * 2 > h->capacity) {
            if (grow(h) != 0) {
                /* Out of memory: stop the guest; sc_failed() reports it. */
                static struct block_entry scratch;
                h->failed = 1;
                uc_emu_stop(h->uc);
                scratch = (struct block_entry){address, size, insns, trap, 0};
                return &scratch;
            }
            e = find_slot(h->table, h->capacity, address, size);
        }
        e->address = address;
        e->size = size;
        e->insns = insns;
        e->trap = trap;
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

static int site_index(struct sc_handle *h, uint32_t address)
{
    uint32_t lo = 0, hi = h->nsites;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (h->sites[mid] < address)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < h->nsites && h->sites[lo] == address;
}

/* Runs before each instruction in a range of rdtsc sites: after an rdtsc, JavaScript
 * computes the counter into regs[EAX] and regs[EDX], written back here. */
static void on_rdtsc_range(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
    struct sc_handle *h = user;
    struct sc_state *s = h->state;
    (void)size;
    if (h->pending && h->pending == (uint32_t)address) {
        h->pending = 0;
        h->rdtsc((uint32_t)address);
        uc_reg_write(uc, UC_X86_REG_EAX, &s->regs[R_EAX]);
        uc_reg_write(uc, UC_X86_REG_EDX, &s->regs[R_EDX]);
    }
    if (site_index(h, (uint32_t)address))
        h->pending = (uint32_t)address + 2;
}

/* Known rdtsc sites (sorted, distinct): one code hook per run of sites less than `gap`
 * bytes apart, so that a code hook covers little code besides them. */
int sc_rdtsc_sites(struct sc_handle *h, rdtsc_fn fn, const uint32_t *sites, uint32_t n, uint32_t gap)
{
    if (!h || h->sites || n == 0)
        return UC_ERR_ARG;
    h->rdtsc = fn;
    h->sites = malloc(n * sizeof *sites);
    h->site_hooks = calloc(n, sizeof *h->site_hooks);
    if (!h->sites || !h->site_hooks)
        return UC_ERR_NOMEM;
    memcpy(h->sites, sites, n * sizeof *sites);
    h->nsites = n;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j + 1 < n && h->sites[j + 1] - h->sites[j] < gap)
            j++;
        int err = uc_hook_add(h->uc, &h->site_hooks[h->nsite_hooks], UC_HOOK_CODE, (void *)on_rdtsc_range, h,
                              h->sites[i], (uint64_t)h->sites[j] + 2);
        if (err != UC_ERR_OK)
            return err;
        h->nsite_hooks++;
        i = j + 1;
    }
    return UC_ERR_OK;
}

/* Drops the translations of [begin, end), so that the next run translates them again
 * (with uc_emu_start's instruction counting, which a cached block would skip). */
int sc_forget_code(struct sc_handle *h, uint64_t begin, uint64_t end)
{
    return uc_ctl_remove_cache(h->uc, begin, end);
}

/* Nonzero when an allocation failed during the run (the guest was stopped). */
int sc_failed(struct sc_handle *h)
{
    return h->failed;
}

/* The shared counters and register frame. */
struct sc_state *sc_state(struct sc_handle *h)
{
    return h->state;
}

/* The block being executed: its address, size in bytes and instruction count. */
void sc_block(struct sc_handle *h, uint64_t *address, uint32_t *size, uint32_t *insns)
{
    struct block_entry none = {0}, *e = h->current ? h->current : &none;
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
    for (uint32_t i = 0; i < h->nsite_hooks; i++)
        uc_hook_del(h->uc, h->site_hooks[i]);
    h->nsite_hooks = 0;
}

void sc_detach(struct sc_handle *h)
{
    if (!h)
        return;
    sc_unhook(h);
    free(h->table);
    free(h->sites);
    free(h->site_hooks);
    free(h);
}
