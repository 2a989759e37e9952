/* spin [N]: integer work with no system calls until exit (default N = 20000000
 * iterations of an xorshift step): the emulation throughput benchmark. */
#include "lib.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000000;
    unsigned int x = 2463534242u, acc = 0;
    for (int i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        acc += x & 0xff;
    }
    return acc & 1;
}
