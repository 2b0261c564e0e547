/* bnncc runtime: binary 2-D convolution on packed +-1 data (also dense layers).
 *
 * in : packed [H][W][words(C)]           (tail bits 0)
 * w  : packed [M][KH][KW][words(C)]      (tail bits 0)
 * acc[m][oy][ox] = sum over taps (kh,kw), iy = oy*SH - PT + kh*DH, ix = ox*SW - PL + kw*DW:
 *   in bounds     : sum_c x[iy][ix][c]*w[m][kh][kw][c] = C - 2*popcount(x XOR w)
 *   out of bounds : pad_bit == BNN_PAD_ZERO -> 0
 *                   pad_bit == 0 (pad value +1) -> sum_c w        =   C - 2*popcount(w)
 *                   pad_bit == 1 (pad value -1) -> -sum_c w       = -(C - 2*popcount(w))
 * So acc = n_in*C - 2*P_in + (pad_bit 0: n_out*C - 2*P_out | pad_bit 1: 2*P_out - n_out*C),
 * with n_in/n_out the in/out-of-bounds tap counts and P_in = sum of popcount(x XOR w) over
 * in-bounds taps, P_out = sum of popcount(w) over out-of-bounds taps.
 * Bottom/right padding is implied by OH/OW. |acc| <= KH*KW*C, so the float output is exact
 * while KH*KW*C < 2^24.
 *
 * A dense (fully connected) layer is KH=H, KW=W, OH=OW=1, no padding: the whole receptive
 * field is then one contiguous run of H*W*words(C) words and is handled as such.
 */
#ifndef BNNCC_BCONV_H
#define BNNCC_BCONV_H

#include "common.h"

typedef struct {
    int C, H, W;                 /* input channels, height, width */
    int M, OH, OW;               /* output channels, output height, width */
    int KH, KW, SH, SW, DH, DW;  /* kernel, strides, dilations (all >= 1) */
    int PT, PL;                  /* top and left padding (bottom/right follow from OH/OW) */
    int pad_bit;                 /* BNN_PAD_ZERO: padded taps add 0; 0: padded taps are +1; 1: padded taps are -1 */
    int in_stride, out_stride;   /* words from one pixel to the next in `in` and in the packed output; 0: words(C)
                                  * and words(M), dense maps (see below) */
} bnn_bconv_params;

/* Pixel strides. A packed map's channels [64a, 64b) are words [a, b) of every pixel: a word-aligned
 * channel range of a wider map is the map itself read or written from word a on, with the wider
 * map's words per pixel as the stride. So a kernel reads such a range in place (a SliceBits view:
 * in = the wider map + a, in_stride = its words) and writes its packed output into one (an in-place
 * ConcatBits piece: bits = the wider map + a, out_stride = its words), touching only words
 * [0, words(C)) resp. [0, words(M)) of each pixel. */
static inline size_t bnn_in_stride(const bnn_bconv_params *p)
{
    return p->in_stride ? (size_t)p->in_stride : (size_t)bnn_words(p->C);
}

static inline size_t bnn_out_stride(const bnn_bconv_params *p)
{
    return p->out_stride ? (size_t)p->out_stride : (size_t)bnn_words(p->M);
}

/* out: float [M][OH][OW] = acc (exact integers). */
void bnn_bconv_f32(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, float *out);

/* out: packed [OH][OW][words(M)] (pixels out_stride words apart), tail bits 0; channel m is +1 (bit 0) iff
 * (dir[m] > 0 ? acc >= thr[m] : acc <= thr[m]). */
void bnn_bconv_bits(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                    const int32_t *thr, const int8_t *dir, bnn_word *out);

/* The same for output rows [oy_begin, oy_end) only (in and out are the whole tensors), so
 * threads can split a layer by rows. */
void bnn_bconv_f32_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, int oy_begin, int oy_end,
                        float *out);
void bnn_bconv_bits_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                         const int32_t *thr, const int8_t *dir, int oy_begin, int oy_end, bnn_word *out);

/* The float output stage of the affine kernels: per output channel m and element o = m*OH*OW + pix,
 *     t = (float)acc;
 *     t = t * scale[m];  t = t + bias[m];                  the layer's scale and bias (a BatchNormalization)
 *     if (residual)  t = t + residual[o];                  a residual Add
 *     if (scale2) {  t = t * scale2[m];  t = t + bias2[m];  a second per-channel map (a BatchNormalization
 *                                                          after the residual Add, GroupNet's lambda)
 *                    if (residual2) t = t + residual2[o]; } a residual Add after it (the running sum of a
 *                                                          sum of binary layers)
 *     out[o] = t;
 * each step rounded to float on its own (no fused multiply-add: build with -ffp-contract=off), so the
 * result equals the separate operations in this order bit for bit. scale and bias are never NULL;
 * residual, scale2 (with bias2) and residual2 may be (residual2 is read only with scale2). out does
 * not alias the kernel's inputs, weights or residuals. */
typedef struct {
    const float *scale, *bias, *residual;
    const float *scale2, *bias2, *residual2;
} bnn_affine_stage;

/* st on one value t = (float)acc of channel m, element o (scalar code and tails). */
static inline float bnn_affine_stage_at(const bnn_affine_stage *st, int m, size_t o, float t)
{
    t = t * st->scale[m];
    t = t + st->bias[m];
    if (st->residual) t = t + st->residual[o];
    if (st->scale2) {
        t = t * st->scale2[m];
        t = t + st->bias2[m];
        if (st->residual2) t = t + st->residual2[o];
    }
    return t;
}

/* Conv and the output stage st fused, rows [oy_begin, oy_end): out = st applied to acc. */
void bnn_bconv_affine_f32_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                               const bnn_affine_stage *st, int oy_begin, int oy_end, float *out);

/* The same, and the output y also packed in the same pass as bnn_pack_threshold_range_f32 (pack.h)
 * would pack it: bits is packed [OH][OW][words(M)]; for each pixel of the rows every word is written,
 * channel m at bit m%64 of word m/64 is 0 (+1) iff (dir[m] > 0 ? y >= thr[m] : y <= thr[m]), else 1
 * (NaN -> 1); tail bits (m >= M) 0. out is still written; bits does not alias the other arguments. */
void bnn_bconv_affine_pack_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                int oy_begin, int oy_end, float *out, bnn_word *bits);

#endif /* BNNCC_BCONV_H */
