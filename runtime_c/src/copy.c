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

void bnn_copy_blocks_f32(int outer, int count, int in_stride, int out_stride, const float *in, float *out)
{
    int o;
    if (count <= 0) return;
    for (o = 0; o < outer; o++)
        memcpy(out + (size_t)o * (size_t)out_stride, in + (size_t)o * (size_t)in_stride, (size_t)count * sizeof(float));
}

/* The 64 bits of a pixel's words starting at bit `bit` (0 <= bit < words * 64); bits past the
 * last word read as 0. */
static bnn_word bits_from(const bnn_word *in, int words, int bit)
{
    int w = bit / BNN_WORD_BITS, r = bit % BNN_WORD_BITS;
    bnn_word value = in[w] >> r;
    if (r && w + 1 < words) value |= in[w + 1] << (BNN_WORD_BITS - r);
    return value;
}

void bnn_copy_bits(int pixels, int count, int in_words, int in_bit, int out_words, int out_bit, const bnn_word *in,
                   bnn_word *out)
{
    int p, first = out_bit / BNN_WORD_BITS, last = (out_bit + count - 1) / BNN_WORD_BITS;
    int lead = out_bit % BNN_WORD_BITS, end = (out_bit + count) % BNN_WORD_BITS;
    bnn_word keep = ((bnn_word)1 << lead) - 1;          /* the first word's bits below out_bit */
    bnn_word tail = end ? ((bnn_word)1 << end) - 1 : ~(bnn_word)0;   /* the last word's bits up to the end */
    if (count <= 0) return;
    if (lead == 0 && in_bit % BNN_WORD_BITS == 0) {
        /* both ranges start on a word: whole words move as they are, the last one cut at `end`
         * (a word-aligned group of a grouped conv, or its piece of the Concat) */
        const int skip = in_bit / BNN_WORD_BITS, n = last - first;
        for (p = 0; p < pixels; p++) {
            const bnn_word *x = in + (size_t)p * (size_t)in_words + skip;
            bnn_word *y = out + (size_t)p * (size_t)out_words + first;
            int w;
            for (w = 0; w < n; w++) y[w] = x[w];
            y[n] = x[n] & tail;
        }
        return;
    }
    for (p = 0; p < pixels; p++) {
        const bnn_word *x = in + (size_t)p * (size_t)in_words;
        bnn_word *y = out + (size_t)p * (size_t)out_words;
        int w;
        /* output word w holds the source bits from in_bit + 64 w - out_bit on; the first word's
         * source starts at in_bit, `lead` bits up */
        for (w = first; w <= last; w++) {
            bnn_word value = w == first ? (y[w] & keep) | (bits_from(x, in_words, in_bit) << lead)
                                        : bits_from(x, in_words, in_bit + w * BNN_WORD_BITS - out_bit);
            y[w] = w == last ? value & tail : value;
        }
    }
}
