/* bnncc runtime: binary convolution kernels for Cortex-M cores with the DSP extension (ARMv7E-M:
 * Cortex-M4, M7; source bconv_cm.c). Same contracts, layouts and outputs as the row-range kernels of
 * bconv.h, bit for bit, on the portable packed weights ([M][KH][KW][words(C)]). */
#ifndef BNNCC_BCONV_CM_H
#define BNNCC_BCONV_CM_H

#include "common.h"
#include "bconv.h"

void bnn_bconv_f32_rows__cm(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, int oy_begin,
                            int oy_end, float *out);
void bnn_bconv_bits_rows__cm(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                             const int32_t *thr, const int8_t *dir, int oy_begin, int oy_end, bnn_word *out);
void bnn_bconv_affine_f32_rows__cm(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                   const bnn_affine_stage *st, int oy_begin, int oy_end, float *out);
void bnn_bconv_affine_pack_rows__cm(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                    const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                    int oy_begin, int oy_end, float *out, bnn_word *bits);

#endif /* BNNCC_BCONV_CM_H */
