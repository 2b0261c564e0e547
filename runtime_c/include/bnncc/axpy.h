/* bnncc runtime, private: the scalar-loop axpy of the portable float kernels (fconv.c, fgemm.c).
 * Not a public header: kernel sources include it, generated code does not. */
#ifndef BNNCC_AXPY_H
#define BNNCC_AXPY_H

#include <stddef.h>

/* c[j] += a * b[j], j < n, each product rounded then added (no FMA: -ffp-contract=off). restrict
 * and an unrolled body let -O2 (gcc's very-cheap vectorizer cost model, which adds neither alias
 * checks nor epilogues) still use SIMD via SLP. */
static inline void bnn_axpy(size_t n, float a, const float *restrict b, float *restrict c)
{
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        c[j] += a * b[j];
        c[j + 1] += a * b[j + 1];
        c[j + 2] += a * b[j + 2];
        c[j + 3] += a * b[j + 3];
    }
    for (; j < n; j++) c[j] += a * b[j];
}

#endif /* BNNCC_AXPY_H */
