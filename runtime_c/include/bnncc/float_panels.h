/* bnncc runtime: SIMD float kernels (x86 and ARM) for the real-valued layers (Conv, MatMul/Gemm).
 *
 * Three instruction sets, each in its own translation unit built with its own flags:
 *   __avx2    runtime_c/src/float_avx2.c    -mavx2 -mfma
 *   __avx512  runtime_c/src/float_avx512.c  -mavx512f -mavx512bw -mavx2 -mfma
 *   __neon    runtime_c/src/float_neon.c    aarch64 (ARMv8-A); armv7-A: -mfpu=neon -mfloat-abi=hard
 * The caller (generated code) must only call a family the CPU supports (CPUID: avx2+fma, or
 * avx512f+avx512bw; NEON: every aarch64 CPU, armv7 ones with NEON).
 *
 * Semantics are those of bnn_conv2d_f32 (fconv.h) for ungrouped convolutions (G == 1; grouped
 * ones run fconv.h's kernel on every target) and of bnn_matmul_f32 (fgemm.h), except the
 * rounding: these kernels use fused multiply-adds (armv7 NEON: a rounded product, then the add),
 * accumulate in a different order (register tiles; convolutions with K = C*KH*KW > 256 sum in
 * blocks of 256 terms, partial sums kept in the output) and may therefore differ from the portable
 * kernels by a few ulps of the sum of |terms| (the tests use 1e-5 of that scale). armv7 NEON
 * arithmetic also flushes subnormal inputs and results to zero (an error below 2^-126 per term,
 * inside that tolerance unless the terms themselves are subnormal). Results do not depend on
 * m_begin/m_end or n_begin/n_end: splitting a call into ranges gives bit-identical outputs.
 *
 * Weights are constants, so they are packed once (at compile time by the Python compiler, or at
 * run time with the reference packers below) into the layouts documented here. All sizes are in
 * floats. Packed buffers need no particular alignment (64-byte alignment is recommended).
 * No heap, no stdio, no mutable globals; memory beyond the arguments is the caller's scratch.
 *
 * ---- Convolution, packed weight layout -------------------------------------------------------
 * MR = BNN_F32_CONV_MR__avx512 (8), BNN_F32_CONV_MR__avx2 (4) or BNN_F32_CONV_MR__neon (8) output
 * channels per panel.
 * K  = C*KH*KW, reduction index k = (c*KH + kh)*KW + kw  (w viewed as a [M][K] matrix).
 * Mp = ceil(M/MR)*MR. packed has Mp*K floats:
 *     packed[(m/MR)*K*MR + k*MR + m%MR] = w[m][c][kh][kw]    for m < M,
 *     packed[...]                       = 0                   for M <= m < Mp.
 * i.e. panels of MR output channels, each panel k-major with its MR weights contiguous.
 * numpy:  wp = zeros((Mp, K)); wp[:M] = w.reshape(M, K)
 *         packed = wp.reshape(Mp // MR, MR, K).transpose(0, 2, 1).ravel()
 *
 * bnn_conv2d_f32__ISA computes the output channels [m_begin, m_end) (clamped to [0, M)) of
 * out [M][OH][OW]; other channels are not touched, so threads may split M in any way (splits on
 * multiples of MR waste no work). in/out/bias as in fconv.h. scratch: caller memory of
 * bnn_conv2d_scratch_size__ISA(p) floats, private to the call (one per thread; each call rebuilds
 * it), contents unspecified on entry and exit. What it holds depends on the shape:
 *  - 0 floats (scratch may be NULL): 1x1 / stride 1 / unpadded convolutions with
 *    OH == H and OW == W (the input is read in place as the [C][H*W] matrix).
 *  - OW >= 12 (avx512) / OW >= 6 (avx2) / OW >= 8 (neon): a zero-padded copy of the input split
 *    into SW column phases, C*SW*Hp*Wph floats with Hp = (OH-1)*SH + (KH-1)*DH + 1 and
 *    Wph = ceil(((OW-1)*SW + (KW-1)*DW + 1) / SW) (about the input size; 632 KiB for the
 *    224x224 RGB stem); the kernel reads its taps in place from there (indirect GEMM).
 *  - otherwise: an im2col block of min(K, 256) x roundup(min(OH*OW, 384), 16 / 8 / 4) floats (the
 *    floats per vector: avx512 / avx2 / neon).
 *
 * ---- Convolution followed by a max-pool (the stem of ResNet-like nets) -------------------------
 * bnn_conv_maxpool_affine_f32__ISA(p, q, ...) = bnn_maxpool_affine_f32(q, bnn_conv2d_f32__ISA(p, ...)) for an
 * ungrouped convolution p (weights packed as above, bias or NULL) whose output [M][OH][OW] is the
 * pool's input (q->C == M, q->H == OH, q->W == OW), bit for bit, without the conv output ever
 * being stored whole: the pool rows [y_begin, y_end) of out [M][q->OH][q->OW] are computed from a
 * ring of the few conv rows their windows read, which stays in cache. Threads split the pool rows
 * (a conv row shared by two ranges is computed by both). scale/shift: the per-channel affine
 * after the pool (both NULL: none). scratch: bnn_conv_maxpool_scratch_size__ISA(p, q) floats, private
 * to the caller: the padded input copy (of the rows it reads), (q->KH-1)*q->DH+1 rows of M*OW floats
 * and the pool's work area (BNN_MAXPOOL_WORK(q), fpool.h). resume (0 or 1): the previous call on
 * this scratch (same p, q, in) ended at pool row y_begin: its conv rows and padded input rows are
 * reused, so consecutive ranges cost what one range does.
 *
 * ---- MatMul, packed B layout ------------------------------------------------------------------
 * NR = BNN_F32_MATMUL_NR__avx512 (64), BNN_F32_MATMUL_NR__avx2 (32) or BNN_F32_MATMUL_NR__neon (16)
 * columns per panel.
 * Np = ceil(N/NR)*NR. packed has K*Np floats:
 *     packed[(j/NR)*K*NR + k*NR + j%NR] = B[k][j]   for j < N,   0 for N <= j < Np.
 * numpy:  bp = zeros((K, Np)); bp[:, :N] = B
 *         packed = bp.reshape(K, Np // NR, NR).transpose(1, 0, 2).ravel()
 * bnn_matmul_f32__ISA computes the columns [n_begin, n_end) (clamped to [0, N)) of C [M][N]
 * (row-major, C[i][j] = sum_k A[i][k]*B[k][j] + bias[j]); A is [M][K] row-major, bias [N] or NULL.
 */
#ifndef BNNCC_FLOAT_PANELS_H
#define BNNCC_FLOAT_PANELS_H

#include "common.h"
#include "fconv.h"
#include "fpool.h"

#define BNN_F32_CONV_MR__avx512 8
#define BNN_F32_MATMUL_NR__avx512 64
#define BNN_F32_CONV_MR__avx2 4
#define BNN_F32_MATMUL_NR__avx2 32
#define BNN_F32_CONV_MR__neon 8
#define BNN_F32_MATMUL_NR__neon 16

size_t bnn_conv2d_weights_size__avx512(const bnn_conv_params *p);
size_t bnn_conv2d_scratch_size__avx512(const bnn_conv_params *p);
void bnn_conv2d_pack_weights__avx512(const bnn_conv_params *p, const float *w, float *packed);
void bnn_conv2d_f32__avx512(const bnn_conv_params *p, const float *in, const float *packed_w,
                            const float *bias, float *scratch, int m_begin, int m_end, float *out);
size_t bnn_conv_maxpool_scratch_size__avx512(const bnn_conv_params *p, const bnn_pool_params *q);
void bnn_conv_maxpool_affine_f32__avx512(const bnn_conv_params *p, const bnn_pool_params *q, const float *in,
                                         const float *packed_w, const float *bias, const float *scale,
                                         const float *shift, float *scratch, int resume, int y_begin, int y_end,
                                         float *out);
size_t bnn_matmul_weights_size__avx512(int K, int N);
void bnn_matmul_pack_weights__avx512(int K, int N, const float *B, float *packed);
void bnn_matmul_f32__avx512(int M, int K, int N, const float *A, const float *packed_B,
                            const float *bias, int n_begin, int n_end, float *C);

size_t bnn_conv2d_weights_size__avx2(const bnn_conv_params *p);
size_t bnn_conv2d_scratch_size__avx2(const bnn_conv_params *p);
void bnn_conv2d_pack_weights__avx2(const bnn_conv_params *p, const float *w, float *packed);
void bnn_conv2d_f32__avx2(const bnn_conv_params *p, const float *in, const float *packed_w,
                          const float *bias, float *scratch, int m_begin, int m_end, float *out);
size_t bnn_conv_maxpool_scratch_size__avx2(const bnn_conv_params *p, const bnn_pool_params *q);
void bnn_conv_maxpool_affine_f32__avx2(const bnn_conv_params *p, const bnn_pool_params *q, const float *in,
                                       const float *packed_w, const float *bias, const float *scale,
                                       const float *shift, float *scratch, int resume, int y_begin, int y_end,
                                       float *out);
size_t bnn_matmul_weights_size__avx2(int K, int N);
void bnn_matmul_pack_weights__avx2(int K, int N, const float *B, float *packed);
void bnn_matmul_f32__avx2(int M, int K, int N, const float *A, const float *packed_B,
                          const float *bias, int n_begin, int n_end, float *C);

/* ---- ARM NEON (aarch64 and armv7) */
size_t bnn_conv2d_weights_size__neon(const bnn_conv_params *p);
size_t bnn_conv2d_scratch_size__neon(const bnn_conv_params *p);
void bnn_conv2d_pack_weights__neon(const bnn_conv_params *p, const float *w, float *packed);
void bnn_conv2d_f32__neon(const bnn_conv_params *p, const float *in, const float *packed_w,
                          const float *bias, float *scratch, int m_begin, int m_end, float *out);
size_t bnn_conv_maxpool_scratch_size__neon(const bnn_conv_params *p, const bnn_pool_params *q);
void bnn_conv_maxpool_affine_f32__neon(const bnn_conv_params *p, const bnn_pool_params *q, const float *in,
                                       const float *packed_w, const float *bias, const float *scale,
                                       const float *shift, float *scratch, int resume, int y_begin, int y_end,
                                       float *out);
size_t bnn_matmul_weights_size__neon(int K, int N);
void bnn_matmul_pack_weights__neon(int K, int N, const float *B, float *packed);
void bnn_matmul_f32__neon(int M, int K, int N, const float *A, const float *packed_B,
                          const float *bias, int n_begin, int n_end, float *C);

/* The kernel sources (float_avx512.c, float_avx2.c, float_neon.c) define BNN_FLOAT_PANELS_IMPL and
 * their ISA parameters before including this header, to get their shared ISA-independent code. */
#ifdef BNN_FLOAT_PANELS_IMPL
#include "float_panels_impl.h"
#endif

#endif /* BNNCC_FLOAT_PANELS_H */
