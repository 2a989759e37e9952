/* crash <kind>: a guest that misbehaves on purpose, so tests can check that each kind of
 * fault ends the guest the way Linux would (signal, eip, address, instruction). */
#include "lib.h"

static volatile int zero;
static int *volatile unmapped = (int *)0x10;

int main(int argc, char **argv)
{
    const char *k = argc > 1 ? argv[1] : "";
    if (!memcmp(k, "segv-read", 10))
        return *unmapped;
    if (!memcmp(k, "segv-write", 11))
        *(volatile int *)(void *)main = 1; /* text is read-only */
    if (!memcmp(k, "fpe", 4))
        return 100 / zero;
    if (!memcmp(k, "ill", 4))
        __asm__ volatile("ud2");
    if (!memcmp(k, "trap", 5))
        __asm__ volatile("int3");
    if (!memcmp(k, "int81", 6))
        __asm__ volatile("int $0x81");
    if (!memcmp(k, "fetch", 6))
        ((void (*)(void))0x30000000)();
    if (!memcmp(k, "loop", 5))
        for (;;)
            __asm__ volatile("");
    if (!memcmp(k, "enosys", 7)) {
        int r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(999));
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(999));
        return r == -38 ? 0 : 1;
    }
    print(2, "usage: crash segv-read|segv-write|fpe|ill|trap|int81|fetch|loop|enosys\n");
    return 2;
}
