/* Pixel strides in the binary conv checks (bnn_bconv_params in_stride / out_stride): the kernel under
 * test reads its input as words [lead, lead + words(C)) of each pixel of a wider map (the words
 * around them random: a kernel that read them would count them), and writes its packed output into
 * words [lead, lead + words(M)) of a wider map prefilled with garbage that must stay. A case line
 * gives the extra words per pixel, `pad`; the range starts at word pad / 2 of its pixel.
 * Shared by the NEON and Cortex-M check programs. */
#ifndef BNNCC_TEST_STRIDED_MAPS_H
#define BNNCC_TEST_STRIDED_MAPS_H

#include <stddef.h>

#include "bnncc/common.h"
#include "bnncc/bconv.h"

/* The map's words per pixel: words + pad (or 0, "dense", without pad). */
static int stride_of(int words, int pad) { return pad ? words + pad : 0; }

/* Where the range starts in its pixel. */
static size_t lead_of(int pad) { return (size_t)(pad / 2); }

/* wide[q*stride + lead + i] = dense[q*words + i] for the n pixels q and i < words (wide keeps the
 * rest of each pixel); stride 0 is words. */
static void place_words(const bnn_word *dense, size_t n, size_t words, bnn_word *wide, size_t stride, size_t lead)
{
    size_t q, i;
    if (!stride) stride = words;
    for (q = 0; q < n; q++)
        for (i = 0; i < words; i++) wide[q * stride + lead + i] = dense[q * words + i];
}

/* The dense packed output want ([OH*OW][words(M)]) as q's strided output must hold it: at word lead
 * of each pixel, out_stride words apart, and `garbage` (what the output was prefilled with) around
 * it. Returns the words of wide. */
static size_t strided_output(const bnn_word *want, const bnn_bconv_params *q, size_t lead, bnn_word garbage,
                             bnn_word *wide)
{
    const size_t hw = (size_t)q->OH * (size_t)q->OW, n = hw * bnn_out_stride(q);
    size_t i;
    for (i = 0; i < n; i++) wide[i] = garbage;
    place_words(want, hw, (size_t)bnn_words(q->M), wide, (size_t)q->out_stride, lead);
    return n;
}

#endif /* BNNCC_TEST_STRIDED_MAPS_H */
