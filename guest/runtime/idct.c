/* An integer 8x8 inverse DCT as two separable passes of 8-point matrix products with
 * cosines in 1.13 fixed point: f(x) = sum_u c(u) F(u) cos((2x+1)u pi / 16) / 2.
 * Plain and exact enough for a decoder model; its cost is what matters here. */
#include "idct.h"

/* C[x][u] = round(8192 * c(u) * cos((2x+1) u pi / 16) / 2), c(0) = 1/sqrt(2), else 1. */
static const int C[8][8] = {
    {2896, 4017, 3784, 3406, 2896, 2276, 1567, 799},
    {2896, 3406, 1567, -799, -2896, -4017, -3784, -2276},
    {2896, 2276, -1567, -4017, -2896, 799, 3784, 3406},
    {2896, 799, -3784, -2276, 2896, 3406, -1567, -4017},
    {2896, -799, -3784, 2276, 2896, -3406, -1567, 4017},
    {2896, -2276, -1567, 4017, -2896, -799, 3784, -3406},
    {2896, -3406, 1567, 799, -2896, 4017, -3784, 2276},
    {2896, -4017, 3784, -3406, 2896, -2276, 1567, -799},
};

void idct8x8(int *block)
{
    int tmp[64];
    for (int row = 0; row < 8; row++)
        for (int x = 0; x < 8; x++) {
            int acc = 0;
            for (int u = 0; u < 8; u++)
                acc += C[x][u] * block[row * 8 + u];
            tmp[row * 8 + x] = (acc + (1 << 12)) >> 13;
        }
    for (int col = 0; col < 8; col++)
        for (int y = 0; y < 8; y++) {
            int acc = 0;
            for (int v = 0; v < 8; v++)
                acc += C[y][v] * tmp[v * 8 + col];
            int px = ((acc + (1 << 12)) >> 13) + 128;
            block[y * 8 + col] = px < 0 ? 0 : px > 255 ? 255 : px;
        }
}
