/* decode_bench [N]: N inverse DCTs of 8x8 blocks with no system calls until exit
 * (default 200000): a compute-heavy guest shaped like a video decoder's inner work. */
#include "lib.h"
#include "idct.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200000;
    int block[64];
    unsigned int seed = 12345, sum = 0;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 64; k++) {
            seed = seed * 1103515245u + 12345u;
            block[k] = k < 10 ? (int)((seed >> 16) & 0x1ff) - 256 : 0;
        }
        idct8x8(block);
        sum += block[i & 63];
    }
    return sum & 1;
}
