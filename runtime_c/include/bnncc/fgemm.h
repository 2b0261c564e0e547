/* bnncc runtime: float matrix multiply (ONNX MatMul / Gemm without transposes).
 *
 * C[i][j] = (sum_k A[i][k] * B[k][j]) + bias[j]
 * A is MxK, B is KxN, both row-major; bias [N] or NULL; C is MxN.
 * Accumulation order: k ascending, each product rounded then added (no FMA); bias last.
 * C must not overlap A, B or bias.
 * Transposed operands (Gemm transA/transB) are the compiler's job (pre-transpose constants).
 */
#ifndef BNNCC_FGEMM_H
#define BNNCC_FGEMM_H

#include "common.h"

void bnn_matmul_f32(int M, int K, int N, const float *A, const float *B,
                    const float *bias, float *C);

#endif /* BNNCC_FGEMM_H */
