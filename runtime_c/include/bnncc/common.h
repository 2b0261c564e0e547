/* bnncc runtime: definitions shared by every kernel family.
 *
 * Conventions (all kernels process ONE sample; the generated code loops over the batch):
 *  - Float tensors are NCHW (ONNX order), contiguous, per sample.
 *  - Packed binary tensors hold +-1 values, one bit each: bit 0 = +1, bit 1 = -1.
 *    A packed sample is [H][W][bnn_words(C)]: channel c sits at bit c%64 of word c/64.
 *    Tail bits (channel index >= C in the last word) are always 0, on input and output.
 *  - Dot product of two +-1 vectors of length K: matches - mismatches
 *    = (K - p) - p = K - 2*popcount(a XOR w).
 *  - No heap, no mutable globals, no stdio: a generated artifact copies only the families it uses.
 */
#ifndef BNNCC_COMMON_H
#define BNNCC_COMMON_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t bnn_word;
#define BNN_WORD_BITS 64

static inline int bnn_words(int channels) { return (channels + BNN_WORD_BITS - 1) / BNN_WORD_BITS; }

#define BNN_PAD_ZERO (-1) /* padded taps contribute 0 (ONNX zero padding) */

/* Pooling geometry, shared by the packed (bpool.h) and float (fpool.h) pools.
 * Tap (kh,kw) of output (oy,ox) reads iy = oy*SH - PT + kh*DH, ix = ox*SW - PL + kw*DW.
 * Bottom/right padding is implied by OH/OW; taps outside [0,H)x[0,W) are padding. */
typedef struct {
    int C, H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL;
} bnn_pool_params;

/* popcount of one word */
#if defined(BNN_POPCOUNT_TABLE8)
/* A byte table (measured against SWAR on Cortex-M: README, "Microcontrollers"). */
static const unsigned char bnn_popcount_table8[256] = {
#define BNN_P2(n) n, n + 1, n + 1, n + 2
#define BNN_P4(n) BNN_P2(n), BNN_P2(n + 1), BNN_P2(n + 1), BNN_P2(n + 2)
#define BNN_P6(n) BNN_P4(n), BNN_P4(n + 1), BNN_P4(n + 1), BNN_P4(n + 2)
    BNN_P6(0), BNN_P6(1), BNN_P6(1), BNN_P6(2)
};
static inline int bnn_popcount(bnn_word x)
{
    int n = 0, i;
    for (i = 0; i < 8; i++, x >>= 8) n += bnn_popcount_table8[x & 0xFFu];
    return n;
}
#elif defined(BNN_POPCOUNT_SWAR32)
/* Cores without a popcount instruction (Cortex-M, where __builtin_popcountll is a libgcc call):
 * each 32-bit half counted in 2-bit, then 4-bit fields (at most 4 each); the halves' fields added
 * (at most 8: still 4 bits), folded to bytes (at most 16) and the bytes summed by a multiply.
 * (The DSP extension's USADA8 summing the bytes instead measured the same, within 0.5%.) */
static inline uint32_t bnn_nibble_counts32(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    return (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
}
static inline int bnn_popcount(bnn_word x)
{
    uint32_t n = bnn_nibble_counts32((uint32_t)x) + bnn_nibble_counts32((uint32_t)(x >> 32));
    n = (n & 0x0F0F0F0Fu) + ((n >> 4) & 0x0F0F0F0Fu);
    return (int)((n * 0x01010101u) >> 24);
}
#elif defined(__GNUC__) || defined(__clang__)
static inline int bnn_popcount(bnn_word x) { return __builtin_popcountll((unsigned long long)x); }
#else
static inline int bnn_popcount(bnn_word x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
}
#endif

/* Mask of the valid bits of the last word of a C-channel packed vector (all ones if C%64 == 0). */
static inline bnn_word bnn_tail_mask(int channels)
{
    int r = channels % BNN_WORD_BITS;
    return r ? (((bnn_word)1 << r) - 1) : ~(bnn_word)0;
}

/* Range [*lo,*hi) of k in [0,count) with 0 <= base + k*step < n (step > 0).
 * Used for "which taps are in bounds" and "which outputs read in-bounds input". */
static inline void bnn_tap_range(int base, int step, int n, int count, int *lo, int *hi)
{
    int l, h;
    l = base >= 0 ? 0 : (-base + step - 1) / step;
    h = base > n - 1 ? 0 : (n - 1 - base) / step + 1;
    if (h > count) h = count;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

#endif /* BNNCC_COMMON_H */
