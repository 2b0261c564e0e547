/* bnncc runtime: reductions over the middle axis of an [outer][n][inner] view
 * (ONNX axis a of shape S: outer = prod S[:a], n = S[a], inner = prod S[a+1:]).
 * NaN inputs are not supported (results unspecified). n >= 1.
 */
#ifndef BNNCC_SOFTMAX_H
#define BNNCC_SOFTMAX_H

#include "common.h"

/* out = exp(x - max) / sum_j exp(x_j - max) (true division, sum in ascending j). */
void bnn_softmax_f32(int outer, int n, int inner, const float *x, float *out);
/* out = (x - max) - log(sum_j exp(x_j - max)). */
void bnn_logsoftmax_f32(int outer, int n, int inner, const float *x, float *out);
/* out [outer][inner] (int64): index of the max along n; ties -> first index, or last index
 * when select_last_index != 0. */
void bnn_argmax_f32(int outer, int n, int inner, int select_last_index, const float *x, int64_t *out);
/* values, indices: [outer][k][inner], 0 <= k <= n. The k largest (largest != 0) or smallest
 * values along n, sorted (descending / ascending); equal values -> lower index first
 * (onnxruntime behaviour). O(n*k) insertion: meant for the small k of classifier heads. */
void bnn_topk_f32(int outer, int n, int inner, int k, int largest, const float *x, float *values, int64_t *indices);

#endif /* BNNCC_SOFTMAX_H */
