/* bnncc runtime: element-wise float ops. */
#ifndef BNNCC_ELTWISE_H
#define BNNCC_ELTWISE_H

#include "common.h"

#define BNN_MAX_RANK 6

/* Binary ops. MAX/MIN propagate NaN (either operand NaN -> NaN). PRELU: a < 0 ? a*b : a. */
enum { BNN_ADD, BNN_SUB, BNN_MUL, BNN_DIV, BNN_MAX, BNN_MIN, BNN_PRELU };

/* out[i] = a[ia] op b[ib] for every index i of out_shape (rank <= 6, rank 0 = one element),
 * out contiguous row-major; ia = sum_d idx[d]*a_strides[d] (in elements; 0 on broadcast dims),
 * likewise ib. out must not overlap a or b unless it is the same array with the same strides. */
void bnn_binary_f32(int op, int rank, const int *out_shape, const float *a, const int *a_strides,
                    const float *b, const int *b_strides, float *out);
/* The same for out[i] = powf(a[ia], b[ib]): its own entry point, so that other ops link no powf. */
void bnn_pow_f32(int rank, const int *out_shape, const float *a, const int *a_strides, const float *b,
                 const int *b_strides, float *out);

/* Unary ops.
 * RELU: x < 0 ? 0 : x (NaN stays NaN). SIGMOID: 1/(1+exp(-x)) for x >= 0, exp(x)/(1+exp(x))
 * otherwise (no overflow). ROUND: to nearest, ties to even, independent of the FP rounding mode.
 * SIGN: -1, 0 or +1 (0 -> 0, NaN -> NaN). RECIPROCAL: 1/x. IDENTITY: copy. */
enum { BNN_RELU, BNN_NEG, BNN_ABS, BNN_SQRT, BNN_EXP, BNN_LOG, BNN_SIGMOID, BNN_TANH, BNN_ROUND,
       BNN_CEIL, BNN_FLOOR, BNN_RECIPROCAL, BNN_SIGN, BNN_IDENTITY };
/* x and out may be the same array (in place). */
void bnn_unary_f32(int op, size_t n, const float *x, float *out);

/* out = min(max(x, lo), hi); NaN stays NaN. In place allowed. */
void bnn_clip_f32(size_t n, const float *x, float lo, float hi, float *out);

/* x, out [C][HW]: out = x*scale[c] + bias[c], product and sum each rounded (no FMA).
 * In place allowed. */
void bnn_affine_channel_f32(int C, int HW, const float *x, const float *scale, const float *bias, float *out);

/* QONNX/FINN MultiThreshold: out = out_scale * count_t(x >= thr[c][t]) + out_bias
 * (count converted to float, then multiplied, then added: two roundings).
 * x and out are [C][HW] (channels_last = 0) or [HW][C] (channels_last = 1); thr is [C][T]
 * (need not be sorted). NaN counts 0. In place allowed. */
void bnn_multithreshold_f32(int C, int HW, int channels_last, const float *x, int T, const float *thr,
                            float out_scale, float out_bias, float *out);

#endif /* BNNCC_ELTWISE_H */
