/* bnncc runtime: data movement. */
#ifndef BNNCC_COPY_H
#define BNNCC_COPY_H

#include "common.h"

/* ONNX Transpose, rank <= 6: out shape[d] = in_shape[perm[d]],
 * out[i_0..i_{r-1}] = x[j] with j[perm[d]] = i_d. x and out must not overlap. */
void bnn_transpose_f32(int rank, const int *in_shape, const int *perm, const float *x, float *out);

/* for o in [0,outer): copy inner_in floats from in + o*inner_in to out + o*inner_out + offset.
 * Concat along an axis: outer = prod of the dims before it, inner_in = this input's size from the
 * axis on, inner_out = the output's, offset = the sizes of the previous inputs from the axis on. */
void bnn_copy_blocks_f32(int outer, int inner_in, int inner_out, int offset, const float *in, float *out);

#endif /* BNNCC_COPY_H */
