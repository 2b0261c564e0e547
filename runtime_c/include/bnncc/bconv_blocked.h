/* bnncc runtime: SIMD binary convolution kernels on the blocked weight layout (x86: AVX-512 VPOPCNTDQ,
 * AVX2; ARM: NEON), same semantics as bnn_bconv_f32 / bnn_bconv_bits (bconv.h) but with target-specific packed weights.
 *
 * Sources and flags (each source includes only common.h, bconv.h, bconv_blocked.h and immintrin.h
 * or arm_neon.h):
 *   src/bconv_avx512.c  -mavx512f -mavx512bw -mavx512vpopcntdq -mavx2 -mfma -mpopcnt
 *   src/bconv_avx2.c    -mavx2 -mfma -mpopcnt
 *   src/bconv_neon.c    aarch64: -march=armv8-a; armv7: -march=armv7-a -mfpu=neon -mfloat-abi=hard
 *                       (one source for both; B differs, see below)
 * Every function of a source (the packers too) may use that ISA: call them only on a CPU that has it.
 *
 * ---------------------------------------------------------------- weight layout ("k-major, blocked")
 * Notation: nw = words(C), T = KH*KW, tap t = kh*KW + kw,
 *           VW = channels per vector  (__avx512: 8, __avx2: 4, __neon: 2),
 *           B  = channels per block   (__avx512: 32, __avx2: 8, __neon: 8 on aarch64, 4 on armv7),
 *           Mp = M rounded up to a multiple of VW.
 * Output channels are cut into blocks of B channels; the last block may be narrower (Mp - b0, a
 * multiple of VW). Within a block the weights are stored tap by tap, word by word, and for each
 * (tap, word) one row of the block's channels:
 *     b0  = (m / B) * B                  first channel of m's block
 *     bw  = min(B, Mp - b0)              width of that block
 *     index(m, kh, kw, i) = b0*T*nw + ((kh*KW + kw)*nw + i)*bw + (m - b0)
 * holds word i of w[m][kh][kw][*] (portable layout [M][KH][KW][words(C)], tail bits 0).
 * Padding channels m in [M, Mp) hold 0 words. Total size: bnn_bconv_weights_size__X(p) = Mp*T*nw words.
 *
 * ---------------------------------------------------------------- aux table (padding correction)
 *     aux[t*Mp + m] = C - 2*popcount(w[m][kh][kw][*])   (int32; 0 for m in [M, Mp))
 * i.e. the contribution of tap t when it reads a +1 (bit 0) padding pixel.
 * Size: bnn_bconv_aux_size__X(p) = Mp*T int32. The kernels read it only when pad_bit != 0 and
 * some output pixel has out-of-bounds taps; it must still be a valid table (the packer fills it).
 *
 * ---------------------------------------------------------------- kernels
 * Outputs are those of bnn_bconv_f32 (float [M][OH][OW]) and bnn_bconv_bits (packed
 * [OH][OW][words(M)], tail bits 0), but only output rows [oy_begin, oy_end) are written: `out` is
 * the whole output tensor, so disjoint row ranges may run on different threads.
 * bnn_bconv_affine_f32__X is the f32 kernel with bnn_bconv_affine_f32_rows' output stage
 * (bnn_affine_stage: (float)acc * scale[m] + bias[m] [+ residual] [then * scale2[m] + bias2[m]
 * [+ residual2]], each step rounded on its own: build the sources with -ffp-contract=off) applied
 * in registers before the store. bnn_bconv_affine_pack__X also packs
 * that y (bnn_bconv_affine_pack_rows) in the same output stage: each block of B channels starts at a
 * multiple of B bits of a word (B divides 64), so it stores its B bits of each pixel on their own
 * (the block that starts a word writes the whole word, zeros above it), channels >= M masked to 0.
 * The _channels variants compute every output row but only output channels [m_begin, m_end), with
 * m_begin a multiple of 64 and m_end a multiple of 64 or >= M: every word of `bits` then belongs to
 * one call, so disjoint channel ranges may run on different threads (small maps, where rows are
 * too few to share and each member would stream all the weights).
 * Out-of-bounds taps are computed as reads of 0 words (+1 pixels, exact for pad_bit 0), then
 * corrected with aux for BNN_PAD_ZERO (minus aux) and pad_bit 1 (minus 2*aux). No heap, no
 * mutable globals; any shape is valid.
 */
#ifndef BNNCC_BCONV_BLOCKED_H
#define BNNCC_BCONV_BLOCKED_H

#include "common.h"
#include "bconv.h"

/* ---- AVX-512 (F, BW, VPOPCNTDQ) */
size_t bnn_bconv_weights_size__avx512(const bnn_bconv_params *p); /* words */
size_t bnn_bconv_aux_size__avx512(const bnn_bconv_params *p);     /* int32 elements */
void bnn_bconv_pack_weights__avx512(const bnn_bconv_params *p, const bnn_word *w_portable,
                                    bnn_word *w_out, int32_t *aux);
void bnn_bconv_f32__avx512(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                           const int32_t *aux, int oy_begin, int oy_end, float *out);
void bnn_bconv_bits__avx512(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                            const int32_t *aux, const int32_t *thr, const int8_t *dir,
                            int oy_begin, int oy_end, bnn_word *out);
/* bnn_bconv_affine_f32_rows (bconv.h) on the packed weights: f32 output through the stage st. */
void bnn_bconv_affine_f32__avx512(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                  const int32_t *aux, const bnn_affine_stage *st, int oy_begin, int oy_end, float *out);
/* bnn_bconv_affine_pack_rows (bconv.h) on the packed weights: that f32 output, also packed
 * ([OH][OW][words(M)] for the rows' pixels, every word, tail bits 0) with thr/dir in the same pass. */
void bnn_bconv_affine_pack__avx512(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                 const int32_t *aux, const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                 int oy_begin, int oy_end, float *out, bnn_word *bits);
void bnn_bconv_affine_f32_channels__avx512(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                  const int32_t *aux, const bnn_affine_stage *st, int m_begin, int m_end, float *out);
void bnn_bconv_affine_pack_channels__avx512(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                   const int32_t *aux, const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                   int m_begin, int m_end, float *out, bnn_word *bits);

/* ---- AVX2 (vpshufb nibble-table popcount) */
size_t bnn_bconv_weights_size__avx2(const bnn_bconv_params *p); /* words */
size_t bnn_bconv_aux_size__avx2(const bnn_bconv_params *p);     /* int32 elements */
void bnn_bconv_pack_weights__avx2(const bnn_bconv_params *p, const bnn_word *w_portable,
                                  bnn_word *w_out, int32_t *aux);
void bnn_bconv_f32__avx2(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                         const int32_t *aux, int oy_begin, int oy_end, float *out);
void bnn_bconv_bits__avx2(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                          const int32_t *aux, const int32_t *thr, const int8_t *dir,
                          int oy_begin, int oy_end, bnn_word *out);
/* bnn_bconv_affine_f32_rows (bconv.h) on the packed weights: f32 output through the stage st. */
void bnn_bconv_affine_f32__avx2(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                const int32_t *aux, const bnn_affine_stage *st, int oy_begin, int oy_end, float *out);
/* bnn_bconv_affine_pack_rows (bconv.h) on the packed weights: that f32 output, also packed
 * ([OH][OW][words(M)] for the rows' pixels, every word, tail bits 0) with thr/dir in the same pass. */
void bnn_bconv_affine_pack__avx2(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                 const int32_t *aux, const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                 int oy_begin, int oy_end, float *out, bnn_word *bits);
void bnn_bconv_affine_f32_channels__avx2(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                  const int32_t *aux, const bnn_affine_stage *st, int m_begin, int m_end, float *out);
void bnn_bconv_affine_pack_channels__avx2(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                   const int32_t *aux, const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                   int m_begin, int m_end, float *out, bnn_word *bits);

/* ---- ARM NEON (aarch64 and armv7: CNT, byte accumulators flushed with UADALP) */
size_t bnn_bconv_weights_size__neon(const bnn_bconv_params *p); /* words */
size_t bnn_bconv_aux_size__neon(const bnn_bconv_params *p);     /* int32 elements */
void bnn_bconv_pack_weights__neon(const bnn_bconv_params *p, const bnn_word *w_portable,
                                  bnn_word *w_out, int32_t *aux);
void bnn_bconv_f32__neon(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                         const int32_t *aux, int oy_begin, int oy_end, float *out);
void bnn_bconv_bits__neon(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                          const int32_t *aux, const int32_t *thr, const int8_t *dir,
                          int oy_begin, int oy_end, bnn_word *out);
/* bnn_bconv_affine_f32_rows (bconv.h) on the packed weights: f32 output through the stage st. */
void bnn_bconv_affine_f32__neon(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                const int32_t *aux, const bnn_affine_stage *st, int oy_begin, int oy_end, float *out);
/* bnn_bconv_affine_pack_rows (bconv.h) on the packed weights: that f32 output, also packed
 * ([OH][OW][words(M)] for the rows' pixels, every word, tail bits 0) with thr/dir in the same pass. */
void bnn_bconv_affine_pack__neon(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                 const int32_t *aux, const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                 int oy_begin, int oy_end, float *out, bnn_word *bits);
void bnn_bconv_affine_f32_channels__neon(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                         const int32_t *aux, const bnn_affine_stage *st, int m_begin, int m_end, float *out);
void bnn_bconv_affine_pack_channels__neon(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                          const int32_t *aux, const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                          int m_begin, int m_end, float *out, bnn_word *bits);

/* The kernel sources (bconv_avx512.c, bconv_avx2.c, bconv_neon.c) define BNN_BCONV_BLOCKED_IMPL, their ISA
 * parameters and their sink before including this header, to get their shared ISA-independent code. */
#ifdef BNN_BCONV_BLOCKED_IMPL
#include "bconv_blocked_impl.h"
#endif

#endif /* BNNCC_BCONV_BLOCKED_H */
