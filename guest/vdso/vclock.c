/*
 * The vDSO's clocks: clock_gettime, clock_gettime64, gettimeofday, time and clock_getres
 * read the simulated clock without entering the kernel, as Linux's vDSO does: the kernel
 * keeps a data page (vvar, kernel-model/vvar.ts) that relates the cycle counter to the
 * clocks, and the time is the page's base plus the cycles read by rdtsc, converted:
 *   micros = base + floor(tsc * den / num)      (the platform's clock is num/den MHz)
 * which is exactly what the kernel model computes for the same calls. A clock the page
 * does not cover, or a page marked unusable (mode 0), falls back to the system call
 * through __kernel_vsyscall, as Linux's vDSO does.
 */
#include <stdint.h>

struct vvar {
    uint32_t magic;     /* VVAR_MAGIC */
    uint32_t mode;      /* 1: the clock can be read here; 0: every call enters the kernel */
    uint32_t num, den;  /* the clock in MHz is num / den */
    uint64_t real_base; /* CLOCK_REALTIME at tsc 0, microseconds since the epoch */
    uint64_t mono_base; /* CLOCK_MONOTONIC at tsc 0, microseconds */
    uint32_t tick_ns;   /* the coarse clocks' resolution (one timer tick) */
    uint32_t hres_ns;   /* the other clocks' resolution */
};

#define VVAR_MAGIC 0x72617676u /* "vvar" */

extern const struct vvar vvar_page __attribute__((visibility("hidden")));

/* The i386 numbers of the fallback calls. */
enum { NR_time = 13, NR_gettimeofday = 78, NR_clock_gettime = 265, NR_clock_getres = 266, NR_clock_gettime64 = 403 };

struct old_timespec32 { int32_t tv_sec, tv_nsec; };
struct kernel_timespec { int64_t tv_sec, tv_nsec; };
struct old_timeval32 { int32_t tv_sec, tv_usec; };
struct timezone { int32_t tz_minuteswest, tz_dsttime; };


/* A call through __kernel_vsyscall (vdso_vsyscall is its hidden name) (ebx is the PIC register: saved around the call). */
static long fallback(long nr, long a, long b)
{
    long ret;
    __asm__ volatile("xchgl %%ebx, %%esi\n\tcall vdso_vsyscall\n\txchgl %%ebx, %%esi"
                     : "=a"(ret) : "a"(nr), "S"(a), "c"(b) : "memory", "edx");
    return ret;
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* n / d for a 64-bit n and a 32-bit d, with two divl (no libgcc); *rem gets the remainder. */
static uint64_t div64(uint64_t n, uint32_t d, uint32_t *rem)
{
    uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n, qhi = hi / d, r = hi % d, qlo;
    __asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
    if (rem)
        *rem = r;
    return ((uint64_t)qhi << 32) | qlo;
}

/* 64-bit multiplication by a 32-bit number, in 32-bit halves. */
static uint64_t mul64(uint64_t a, uint32_t b)
{
    uint64_t lo = (uint64_t)(uint32_t)a * b, hi = (uint64_t)(uint32_t)(a >> 32) * b;
    return lo + (hi << 32);
}

enum { CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5,
       CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7, CLOCK_TAI = 11 };

/* The clocks the page covers: 1 realtime, 2 monotonic, +4 coarse; 0 for any other. */
static int kind_of(int32_t clock)
{
    switch (clock) {
    case CLOCK_REALTIME: case CLOCK_TAI: return 1;
    case CLOCK_MONOTONIC: case CLOCK_BOOTTIME: case CLOCK_MONOTONIC_RAW: return 2;
    case CLOCK_REALTIME_COARSE: return 1 | 4;
    case CLOCK_MONOTONIC_COARSE: return 2 | 4;
    default: return 0;
    }
}

static const volatile struct vvar *page(void)
{
    const volatile struct vvar *v = &vvar_page;
    return v->magic == VVAR_MAGIC && v->mode == 1 ? v : 0;
}

/* Microseconds on the realtime (kind 1) or monotonic (kind 2) clock, now. */
static uint64_t micros(const volatile struct vvar *v, int kind)
{
    uint64_t base = (kind & 1) ? v->real_base : v->mono_base;
    return base + div64(mul64(rdtsc(), v->den), v->num, 0);
}

/* Nanoseconds on a clock of kind_of's kind; coarse clocks drop the part of the tick. */
static uint64_t nanos(const volatile struct vvar *v, int kind, uint32_t *nsec)
{
    uint64_t ns = mul64(micros(v, kind), 1000);
    uint32_t rem;
    if (kind & 4) {
        div64(ns, v->tick_ns, &rem);
        ns -= rem;
    }
    return div64(ns, 1000000000u, nsec);
}

int __vdso_clock_gettime(int32_t clock, struct old_timespec32 *ts)
{
    const volatile struct vvar *v = page();
    int kind = kind_of(clock);
    if (!v || !kind)
        return fallback(NR_clock_gettime, clock, (long)ts);
    uint32_t nsec;
    uint64_t sec = nanos(v, kind, &nsec);
    ts->tv_sec = (int32_t)sec; /* put_old_timespec32 truncates past 2038 */
    ts->tv_nsec = (int32_t)nsec;
    return 0;
}

int __vdso_clock_gettime64(int32_t clock, struct kernel_timespec *ts)
{
    const volatile struct vvar *v = page();
    int kind = kind_of(clock);
    if (!v || !kind)
        return fallback(NR_clock_gettime64, clock, (long)ts);
    uint32_t nsec;
    uint64_t sec = nanos(v, kind, &nsec);
    ts->tv_sec = (int64_t)sec;
    ts->tv_nsec = nsec;
    return 0;
}

int __vdso_gettimeofday(struct old_timeval32 *tv, struct timezone *tz)
{
    const volatile struct vvar *v = page();
    if (!v)
        return fallback(NR_gettimeofday, (long)tv, (long)tz);
    if (tv) {
        uint32_t usec;
        uint64_t sec = div64(micros(v, 1), 1000000u, &usec);
        tv->tv_sec = (int32_t)sec;
        tv->tv_usec = (int32_t)usec;
    }
    if (tz) { /* UTC, no DST, as the kernel model answers */
        tz->tz_minuteswest = 0;
        tz->tz_dsttime = 0;
    }
    return 0;
}

int32_t __vdso_time(int32_t *t)
{
    const volatile struct vvar *v = page();
    if (!v)
        return fallback(NR_time, (long)t, 0);
    int32_t sec = (int32_t)div64(micros(v, 1), 1000000u, 0);
    if (t)
        *t = sec;
    return sec;
}

int __vdso_clock_getres(int32_t clock, struct old_timespec32 *res)
{
    const volatile struct vvar *v = page();
    int kind = kind_of(clock);
    if (!v || !kind)
        return fallback(NR_clock_getres, clock, (long)res);
    if (res) {
        res->tv_sec = 0;
        res->tv_nsec = (int32_t)((kind & 4) ? v->tick_ns : v->hres_ns);
    }
    return 0;
}
