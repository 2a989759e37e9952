/* An integer 8x8 inverse DCT, the inner work of a software video decoder. */
#ifndef SYSCLUSTER_IDCT_H
#define SYSCLUSTER_IDCT_H
/* Transforms 64 coefficients in place into 64 samples, clamped to 0..255. */
void idct8x8(int *block);
#endif
