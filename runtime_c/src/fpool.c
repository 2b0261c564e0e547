#include "bnncc/common.h"
#include "bnncc/fpool.h"

#include <math.h>

void bnn_maxpool_f32(const bnn_pool_params *p, const float *in, float *out)
{
    int c, oy, ox, kh, kw, kh0, kh1, kw0, kw1;
    for (c = 0; c < p->C; c++) {
        const float *x = in + (size_t)c * (size_t)p->H * (size_t)p->W;
        float *o = out + (size_t)c * (size_t)p->OH * (size_t)p->OW;
        for (oy = 0; oy < p->OH; oy++) {
            const int iy0 = oy * p->SH - p->PT;
            bnn_tap_range(iy0, p->DH, p->H, p->KH, &kh0, &kh1);
            for (ox = 0; ox < p->OW; ox++) {
                const int ix0 = ox * p->SW - p->PL;
                float m = -INFINITY;
                bnn_tap_range(ix0, p->DW, p->W, p->KW, &kw0, &kw1);
                for (kh = kh0; kh < kh1; kh++) {
                    const float *row = x + (size_t)(iy0 + kh * p->DH) * (size_t)p->W;
                    for (kw = kw0; kw < kw1; kw++) {
                        const float v = row[ix0 + kw * p->DW];
                        m = v > m ? v : m;
                    }
                }
                o[(size_t)oy * (size_t)p->OW + (size_t)ox] = m;
            }
        }
    }
}

void bnn_avgpool_f32(const bnn_pool_params *p, int count_include_pad, const float *in, float *out)
{
    int c, oy, ox, kh, kw, kh0, kh1, kw0, kw1;
    for (c = 0; c < p->C; c++) {
        const float *x = in + (size_t)c * (size_t)p->H * (size_t)p->W;
        float *o = out + (size_t)c * (size_t)p->OH * (size_t)p->OW;
        for (oy = 0; oy < p->OH; oy++) {
            const int iy0 = oy * p->SH - p->PT;
            bnn_tap_range(iy0, p->DH, p->H, p->KH, &kh0, &kh1);
            for (ox = 0; ox < p->OW; ox++) {
                const int ix0 = ox * p->SW - p->PL;
                float s = 0.0f;
                int n;
                bnn_tap_range(ix0, p->DW, p->W, p->KW, &kw0, &kw1);
                for (kh = kh0; kh < kh1; kh++) {
                    const float *row = x + (size_t)(iy0 + kh * p->DH) * (size_t)p->W;
                    for (kw = kw0; kw < kw1; kw++) s += row[ix0 + kw * p->DW];
                }
                n = count_include_pad ? p->KH * p->KW : (kh1 - kh0) * (kw1 - kw0);
                o[(size_t)oy * (size_t)p->OW + (size_t)ox] = n > 0 ? s / (float)n : 0.0f;
            }
        }
    }
}

void bnn_global_avgpool_f32(int C, int HW, const float *in, float *out)
{
    int c, i;
    for (c = 0; c < C; c++) {
        const float *x = in + (size_t)c * (size_t)HW;
        float s = 0.0f;
        for (i = 0; i < HW; i++) s += x[i];
        out[c] = HW > 0 ? s / (float)HW : 0.0f;
    }
}
