#include "bnncc/common.h"
#include "bnncc/pack.h"

/* Pixels handled per block: the block's words stay in registers/L1 while the channel rows of
 * x are read contiguously. */
#define PACK_BLOCK 64

void bnn_pack_threshold_f32(const float *x, int C, int HW, const float *thr, const int8_t *dir, bnn_word *out)
{
    bnn_pack_threshold_range_f32(x, C, HW, 0, HW, thr, dir, out);
}

void bnn_pack_threshold_range_f32(const float *x, int C, int HW, int p_begin, int p_end, const float *thr,
                                  const int8_t *dir, bnn_word *out)
{
    const int nw = bnn_words(C);
    bnn_word acc[PACK_BLOCK];
    int p0, wi, c, i;

    for (p0 = p_begin; p0 < p_end; p0 += PACK_BLOCK) {
        const int np = p_end - p0 < PACK_BLOCK ? p_end - p0 : PACK_BLOCK;
        for (wi = 0; wi < nw; wi++) {
            const int c0 = wi * BNN_WORD_BITS;
            const int c1 = C - c0 < BNN_WORD_BITS ? C : c0 + BNN_WORD_BITS;
            for (i = 0; i < np; i++) acc[i] = 0;
            for (c = c0; c < c1; c++) {
                const float *xr = x + (size_t)c * (size_t)HW + (size_t)p0;
                const float t = thr[c];
                const int sh = c - c0;
                /* bit = NOT(decision): NaN compares false, so it lands on -1 */
                if (dir[c] > 0) {
                    for (i = 0; i < np; i++) acc[i] |= (bnn_word)!(xr[i] >= t) << sh;
                } else {
                    for (i = 0; i < np; i++) acc[i] |= (bnn_word)!(xr[i] <= t) << sh;
                }
            }
            for (i = 0; i < np; i++) out[(size_t)(p0 + i) * (size_t)nw + (size_t)wi] = acc[i];
        }
    }
}

void bnn_affine_pack_range_f32(int C, int HW, int p_begin, int p_end, const float *x, const float *scale,
                               const float *bias, const float *residual, float *y, const float *thr,
                               const int8_t *dir, bnn_word *bits)
{
    const int nw = bnn_words(C);
    bnn_word acc[PACK_BLOCK];
    int p0, c, i;

    for (p0 = p_begin; p0 < p_end; p0 += PACK_BLOCK) {
        const int np = p_end - p0 < PACK_BLOCK ? p_end - p0 : PACK_BLOCK;
        for (i = 0; i < np; i++) acc[i] = 0;
        for (c = 0; c < C; c++) {
            const size_t row = (size_t)c * (size_t)HW + (size_t)p0;
            const float s = scale[c], b = bias[c];
            const float *xr = x + row;
            float *yr = y + row;
            if (residual) {
                const float *rr = residual + row;
                for (i = 0; i < np; i++) {
                    float t = xr[i] * s;
                    t = t + b;
                    yr[i] = t + rr[i];
                }
            } else {
                for (i = 0; i < np; i++) {
                    float t = xr[i] * s;
                    yr[i] = t + b;
                }
            }
            if (bits) {
                const float t = thr[c];
                const int sh = c % BNN_WORD_BITS;
                if (dir[c] > 0) {
                    for (i = 0; i < np; i++) acc[i] |= (bnn_word)!(yr[i] >= t) << sh;
                } else {
                    for (i = 0; i < np; i++) acc[i] |= (bnn_word)!(yr[i] <= t) << sh;
                }
                if (sh == BNN_WORD_BITS - 1 || c == C - 1) {       /* a word of channels is complete */
                    const int wi = c / BNN_WORD_BITS;
                    for (i = 0; i < np; i++) {
                        bits[(size_t)(p0 + i) * (size_t)nw + (size_t)wi] = acc[i];
                        acc[i] = 0;
                    }
                }
            }
        }
    }
}

void bnn_unpack_f32(const bnn_word *in, int C, int HW, float *out)
{
    const int nw = bnn_words(C);
    int c, p;
    for (c = 0; c < C; c++) {
        const bnn_word *src = in + c / BNN_WORD_BITS;
        const int sh = c % BNN_WORD_BITS;
        float *dst = out + (size_t)c * (size_t)HW;
        for (p = 0; p < HW; p++) {
            /* bit 0 -> +1, bit 1 -> -1 :  1 - 2*bit */
            const int b = (int)((src[(size_t)p * (size_t)nw] >> sh) & 1u);
            dst[p] = (float)(1 - 2 * b);
        }
    }
}

void bnn_binarize_f32(const float *x, int C, int HW, const float *thr, const int8_t *dir, float *out)
{
    int c, p;
    for (c = 0; c < C; c++) {
        const float *xr = x + (size_t)c * (size_t)HW;
        float *o = out + (size_t)c * (size_t)HW;
        const float t = thr[c];
        if (dir[c] > 0) {
            for (p = 0; p < HW; p++) o[p] = xr[p] >= t ? 1.0f : -1.0f;
        } else {
            for (p = 0; p < HW; p++) o[p] = xr[p] <= t ? 1.0f : -1.0f;
        }
    }
}
