#include "bnncc/axpy.h"
#include "bnncc/common.h"
#include "bnncc/fgemm.h"

/* Columns per block: a block of C's row (NB floats) stays in L1 while the k loop streams the
 * matching NB-wide strip of B. Blocking over j does not change any element's summation order. */
#define GEMM_NB 256

/* Four consecutive k at once: c[j] = (((c[j] + a0*b0[j]) + a1*b1[j]) + a2*b2[j]) + a3*b3[j],
 * the same rounding sequence as four bnn_axpy calls, with a quarter of the c traffic. */
static void axpy4_row(size_t n, const float *a, const float *restrict b0, size_t ldb, float *restrict c)
{
    const float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    const float *restrict b1 = b0 + ldb;
    const float *restrict b2 = b1 + ldb;
    const float *restrict b3 = b2 + ldb;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        float t0 = c[j], t1 = c[j + 1], t2 = c[j + 2], t3 = c[j + 3];
        t0 += a0 * b0[j]; t1 += a0 * b0[j + 1]; t2 += a0 * b0[j + 2]; t3 += a0 * b0[j + 3];
        t0 += a1 * b1[j]; t1 += a1 * b1[j + 1]; t2 += a1 * b1[j + 2]; t3 += a1 * b1[j + 3];
        t0 += a2 * b2[j]; t1 += a2 * b2[j + 1]; t2 += a2 * b2[j + 2]; t3 += a2 * b2[j + 3];
        t0 += a3 * b3[j]; t1 += a3 * b3[j + 1]; t2 += a3 * b3[j + 2]; t3 += a3 * b3[j + 3];
        c[j] = t0; c[j + 1] = t1; c[j + 2] = t2; c[j + 3] = t3;
    }
    for (; j < n; j++) {
        float t = c[j];
        t += a0 * b0[j];
        t += a1 * b1[j];
        t += a2 * b2[j];
        t += a3 * b3[j];
        c[j] = t;
    }
}

void bnn_matmul_f32(int M, int K, int N, const float *A, const float *B,
                    const float *bias, float *C)
{
    int j0, i, k, j;
    for (j0 = 0; j0 < N; j0 += GEMM_NB) {
        const int j1 = N - j0 < GEMM_NB ? N : j0 + GEMM_NB;
        const size_t nb = (size_t)(j1 - j0);
        for (i = 0; i < M; i++) {
            const float *a = A + (size_t)i * (size_t)K;
            float *c = C + (size_t)i * (size_t)N;
            for (j = j0; j < j1; j++) c[j] = 0.0f;
            for (k = 0; k + 4 <= K; k += 4)
                axpy4_row(nb, a + k, B + (size_t)k * (size_t)N + j0, (size_t)N, c + j0);
            for (; k < K; k++)
                bnn_axpy(nb, a[k], B + (size_t)k * (size_t)N + j0, c + j0);
            if (bias)
                for (j = j0; j < j1; j++) c[j] += bias[j];
        }
    }
}
