#include "bnncc/axpy.h"
#include "bnncc/common.h"
#include "bnncc/fconv.h"

/* Direct convolution, one output plane at a time: for each (input channel, tap) the weight is
 * a scalar and the update out[oy][ox] += w * in[iy][ix] runs over the output rows/columns whose
 * tap is in bounds (ranges computed once per tap, so the inner loop has no bounds test). */
void bnn_conv2d_f32(const bnn_conv_params *p, const float *in, const float *w,
                    const float *bias, float *out)
{
    const int G = p->G > 0 ? p->G : 1;
    const int Cg = p->C / G, Mg = p->M / G;
    const size_t ohw = (size_t)p->OH * (size_t)p->OW;
    const size_t hw = (size_t)p->H * (size_t)p->W;
    int m, c, kh, kw, oy, ox;

    for (m = 0; m < p->M; m++) {
        const int g = m / Mg;
        float *o = out + (size_t)m * ohw;
        size_t i;
        for (i = 0; i < ohw; i++) o[i] = 0.0f;
        for (c = 0; c < Cg; c++) {
            const float *x = in + (size_t)(g * Cg + c) * hw;
            const float *wc = w + ((size_t)m * (size_t)Cg + (size_t)c) * (size_t)p->KH * (size_t)p->KW;
            for (kh = 0; kh < p->KH; kh++) {
                int oy0, oy1;
                bnn_tap_range(kh * p->DH - p->PT, p->SH, p->H, p->OH, &oy0, &oy1);
                for (kw = 0; kw < p->KW; kw++) {
                    const float wv = wc[kh * p->KW + kw];
                    const int xoff = kw * p->DW - p->PL;
                    int ox0, ox1;
                    bnn_tap_range(xoff, p->SW, p->W, p->OW, &ox0, &ox1);
                    for (oy = oy0; oy < oy1; oy++) {
                        const float *xr = x + (size_t)(oy * p->SH - p->PT + kh * p->DH) * (size_t)p->W;
                        float *orow = o + (size_t)oy * (size_t)p->OW;
                        if (p->SW == 1) {
                            if (ox1 > ox0) bnn_axpy((size_t)(ox1 - ox0), wv, xr + (ox0 + xoff), orow + ox0);
                        } else {
                            for (ox = ox0; ox < ox1; ox++) orow[ox] += wv * xr[ox * p->SW + xoff];
                        }
                    }
                }
            }
        }
        if (bias) {
            const float b = bias[m];
            for (i = 0; i < ohw; i++) o[i] += b;
        }
    }
}
