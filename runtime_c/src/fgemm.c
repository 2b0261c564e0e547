#include "bnncc/common.h"
#include "bnncc/fgemm.h"

/* Columns per block: a block of C's row (NB floats) stays in L1 while the k loop streams the
 * matching NB-wide strip of B. Blocking over j does not change any element's summation order. */
#define GEMM_NB 256

/* c[j] += a * b[j] over n elements. restrict + an 8-wide body let -O2 (gcc's very-cheap vectorizer
 * cost model, which will not add alias checks or epilogues) still use SIMD via SLP. */
static void axpy_row(size_t n, float a, const float *restrict b, float *restrict c)
{
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        c[j] += a * b[j];
        c[j + 1] += a * b[j + 1];
        c[j + 2] += a * b[j + 2];
        c[j + 3] += a * b[j + 3];
        c[j + 4] += a * b[j + 4];
        c[j + 5] += a * b[j + 5];
        c[j + 6] += a * b[j + 6];
        c[j + 7] += a * b[j + 7];
    }
    for (; j < n; j++) c[j] += a * b[j];
}

void bnn_matmul_f32(int M, int K, int N, const float *A, const float *B,
                    const float *bias, float *C)
{
    int j0, i, k, j;
    for (j0 = 0; j0 < N; j0 += GEMM_NB) {
        const int j1 = N - j0 < GEMM_NB ? N : j0 + GEMM_NB;
        for (i = 0; i < M; i++) {
            const float *a = A + (size_t)i * (size_t)K;
            float *c = C + (size_t)i * (size_t)N;
            for (j = j0; j < j1; j++) c[j] = 0.0f;
            for (k = 0; k < K; k++)
                axpy_row((size_t)(j1 - j0), a[k], B + (size_t)k * (size_t)N + j0, c + j0);
            if (bias)
                for (j = j0; j < j1; j++) c[j] += bias[j];
        }
    }
}
