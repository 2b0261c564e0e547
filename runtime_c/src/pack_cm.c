/* Packing kernels of pack.h for Cortex-M (pack_cm.h), bit for bit with pack.c.
 *
 * Why the portable loop is slow here: it walks channel rows and ORs each channel's bit into a
 * 64-bit accumulator per pixel kept in memory, so every element costs a 64-bit variable shift (two
 * 32-bit shifts and an OR on a 32-bit core) and a load and store of both accumulator halves, and
 * every channel pays its row set-up; on a dense layer's input (HW = 1) that is ~34 instructions
 * per element on the Cortex-M4.
 *
 * Here each 32-bit half of an output word is built in one register: for a pixel, the half's
 * channels are taken from the last to the first, acc = 2*acc + bit, so channel c0 + j ends at bit
 * j and the bits above the channel count stay 0 (the tail). The halves are stored as 32-bit words
 * (ARMv7-M is little-endian: channels 0..31 of a 64-bit word are its first 32-bit word). bit = NOT(decision) from one VFP
 * compare (VCMP + VMRS): the same instruction the portable kernel's compare compiles to, hence the
 * same result for NaN (unordered: the decision fails), -0 = +0 and, with FPSCR.FZ set, flushed
 * subnormals. Channels are read at a stride of HW floats from the pixel's column.
 */
#include <string.h>

#include "bnncc/common.h"
#include "bnncc/pack_cm.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* The channels of a half word share one direction (UP: dir > 0, DOWN: dir <= 0: the common case,
 * a compare without a branch on dir) or not (MIXED: the channel's own dir). */
enum direction { MIXED, UP, DOWN };

/* A byte b of w is in [1, 127] (dir > 0) iff neither b nor b - 1 has its top bit set; a borrow into
 * the next byte only comes from a byte 0, which is caught itself. */
static int all_up4(uint32_t w) { return ((w | (w - 0x01010101u)) & 0x80808080u) == 0; }

static enum direction shared_direction(const int8_t *dir, int k)
{
    int j = 0, up = 0;
    for (; j + 4 <= k; j += 4) {
        uint32_t w;
        memcpy(&w, dir + j, sizeof w);
        if (!all_up4(w)) break;
    }
    if (j == k) return UP;
    for (j = 0; j < k; j++) up += dir[j] > 0;
    return up == k ? UP : up == 0 ? DOWN : MIXED;
}

/* Bits of channels [0, k), k <= 32, of one pixel (x: channel 0's value, the next channel HW floats
 * on): bit j = NOT(decision of channel j), bits k..31 zero. */
ALWAYS_INLINE uint32_t pack_half(const float *x, size_t HW, const float *thr, const int8_t *dir, int k,
                                 enum direction d)
{
    uint32_t acc = 0;
    int j;
#pragma GCC unroll 4
    for (j = k - 1; j >= 0; j--) {
        const float v = x[(size_t)j * HW];
        const int up = d == UP || (d == MIXED && dir[j] > 0);
        acc <<= 1;
        if (up ? !(v >= thr[j]) : !(v <= thr[j])) acc |= 1u;
    }
    return acc;
}

/* Half word [c0, c0 + k) of pixels [p_begin, p_end): out is its first byte, pixels step half words apart. */
static void pack_halves(const float *x, int HW, int p_begin, int p_end, const float *thr, const int8_t *dir,
                        int k, unsigned char *out, size_t step)
{
    const enum direction d = shared_direction(dir, k);
    int p;
    for (p = p_begin; p < p_end; p++) {
        const float *xp = x + p;
        const uint32_t bits = d == UP     ? pack_half(xp, (size_t)HW, thr, dir, k, UP)
                              : d == DOWN ? pack_half(xp, (size_t)HW, thr, dir, k, DOWN)
                                          : pack_half(xp, (size_t)HW, thr, dir, k, MIXED);
        memcpy(out + (size_t)p * step * 4, &bits, sizeof bits);     /* a 32-bit store, no aliasing */
    }
}

/* Half word by half word (little-endian: channels c0..c0+31 are the low 32 bits of word c0/64);
 * an empty upper half (C - c0 <= 32) is 0. */
void bnn_pack_threshold_range_f32__cm(const float *x, int C, int HW, int p_begin, int p_end, const float *thr,
                                      const int8_t *dir, bnn_word *out)
{
    const size_t step = 2 * (size_t)bnn_words(C);
    unsigned char *halves = (unsigned char *)out;
    int h, p;
    for (h = 0; h < (int)step; h++) {
        const int c0 = 32 * h, k = C - c0 < 32 ? C - c0 : 32;
        if (k > 0) {
            pack_halves(x + (size_t)c0 * (size_t)HW, HW, p_begin, p_end, thr + c0, dir + c0, k, halves + 4 * h, step);
        } else {
            for (p = p_begin; p < p_end; p++) memset(halves + ((size_t)p * step + (size_t)h) * 4, 0, 4);
        }
    }
}

/* y = x*s + b (+ r) on its pixels [p_begin, p_end) of every channel, each step rounded (no FMA:
 * the artifact builds with -ffp-contract=off), then the bits from y; element-wise, so y may alias
 * x or r. */
void bnn_affine_pack_range_f32__cm(int C, int HW, int p_begin, int p_end, const float *x, const float *scale,
                                   const float *bias, const float *residual, float *y, const float *thr,
                                   const int8_t *dir, bnn_word *bits)
{
    int c, i;
    for (c = 0; c < C; c++) {
        const size_t row = (size_t)c * (size_t)HW;
        const float s = scale[c], b = bias[c];
        for (i = p_begin; i < p_end; i++) {
            float t = x[row + i] * s;
            t = t + b;
            y[row + i] = residual ? t + residual[row + i] : t;
        }
    }
    if (bits) bnn_pack_threshold_range_f32__cm(y, C, HW, p_begin, p_end, thr, dir, bits);
}
