#include "bnncc/common.h"
#include "bnncc/copy.h"

#include <string.h>

#define COPY_MAX_RANK 6

void bnn_transpose_f32(int rank, const int *in_shape, const int *perm, const float *x, float *out)
{
    size_t in_stride[COPY_MAX_RANK], src_stride[COPY_MAX_RANK];
    int shape[COPY_MAX_RANK], idx[COPY_MAX_RANK];
    size_t total = 1, outer, r, s;
    int d, n;
    size_t off = 0;

    if (rank <= 0) {
        out[0] = x[0];
        return;
    }
    for (d = rank - 1; d >= 0; d--) {
        in_stride[d] = total;
        total *= (size_t)in_shape[d];
    }
    if (total == 0) return;
    for (d = 0; d < rank; d++) {
        shape[d] = in_shape[perm[d]];
        src_stride[d] = in_stride[perm[d]];
        idx[d] = 0;
    }
    n = shape[rank - 1];
    s = src_stride[rank - 1];
    outer = total / (size_t)n;
    for (r = 0; r < outer; r++) {
        const float *src = x + off;
        float *dst = out + r * (size_t)n;
        int i;
        if (s == 1) {
            memcpy(dst, src, (size_t)n * sizeof(float));
        } else {
            for (i = 0; i < n; i++) dst[i] = src[(size_t)i * s];
        }
        for (d = rank - 2; d >= 0; d--) {
            off += src_stride[d];
            if (++idx[d] < shape[d]) break;
            off -= src_stride[d] * (size_t)shape[d];
            idx[d] = 0;
        }
    }
}

void bnn_copy_blocks_f32(int outer, int inner_in, int inner_out, int offset, const float *in, float *out)
{
    int o;
    if (inner_in <= 0) return;
    for (o = 0; o < outer; o++)
        memcpy(out + (size_t)o * (size_t)inner_out + (size_t)offset, in + (size_t)o * (size_t)inner_in,
               (size_t)inner_in * sizeof(float));
}
