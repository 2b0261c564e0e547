/* bnncc runtime: data movement. */
#ifndef BNNCC_COPY_H
#define BNNCC_COPY_H

#include "common.h"

/* ONNX Transpose, rank <= 6: out shape[d] = in_shape[perm[d]],
 * out[i_0..i_{r-1}] = x[j] with j[perm[d]] = i_d. x and out must not overlap. */
void bnn_transpose_f32(int rank, const int *in_shape, const int *perm, const float *x, float *out);

/* for o in [0,outer): copy count floats from in + o*in_stride to out + o*out_stride.
 * Concat, Split and Slice along an axis: outer = the product of the dims before it, a stride =
 * that tensor's size from the axis on; the caller offsets `in` or `out` to the range's start. */
void bnn_copy_blocks_f32(int outer, int count, int in_stride, int out_stride, const float *in, float *out);

/* Channels of packed maps ([pixels][words] each): for every pixel, bits [in_bit, in_bit + count)
 * of in go to bits [out_bit, out_bit + count) of out. In out's first word written the bits below
 * out_bit are kept, in its last word the bits past the range are cleared: the pieces of a
 * concat, written in increasing out_bit order, leave the tail bits 0. count > 0 bits are
 * copied; in and out must not overlap. */
void bnn_copy_bits(int pixels, int count, int in_words, int in_bit, int out_words, int out_bit, const bnn_word *in,
                   bnn_word *out);

#endif /* BNNCC_COPY_H */
