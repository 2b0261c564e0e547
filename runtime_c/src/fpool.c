#include "bnncc/common.h"
#include "bnncc/fpool.h"

#include <math.h>

/* Pools are separable: for one output row, first reduce the window's (in-bounds) input rows
 * column by column (contiguous, vectorizes), then reduce each output pixel's columns. */

/* [*lo, *hi): output columns whose whole window is inside [0, W) (no clipping needed). */
static void interior_columns(const bnn_pool_params *p, int *lo, int *hi)
{
    int last_lo, last_hi;
    bnn_tap_range(-p->PL, p->SW, p->W, p->OW, lo, hi);
    bnn_tap_range(-p->PL + (p->KW - 1) * p->DW, p->SW, p->W, p->OW, &last_lo, &last_hi);
    *lo = *lo > last_lo ? *lo : last_lo;
    *hi = *hi < last_hi ? *hi : last_hi;
}

void bnn_maxpool_f32(const bnn_pool_params *p, const float *in, float *out)
{
    bnn_maxpool_affine_f32(p, in, NULL, NULL, out);
}

void bnn_maxpool_affine_f32(const bnn_pool_params *p, const float *in, const float *scale, const float *bias,
                            float *out)
{
    float col[p->W > 0 ? p->W : 1];
    int c, oy, ox, kh, kw, ix, kh0, kh1, kw0, kw1, ox_in0, ox_in1;
    interior_columns(p, &ox_in0, &ox_in1);
    for (c = 0; c < p->C; c++) {
        const float *x = in + (size_t)c * (size_t)p->H * (size_t)p->W;
        float *o = out + (size_t)c * (size_t)p->OH * (size_t)p->OW;
        /* a negative scale turns max into min: max(-x) = -min(x), and negation is exact */
        const float sg = scale && scale[c] < 0 ? -1.0f : 1.0f;
        for (oy = 0; oy < p->OH; oy++) {
            const int iy0 = oy * p->SH - p->PT;
            float *out_row = o + (size_t)oy * (size_t)p->OW;
            bnn_tap_range(iy0, p->DH, p->H, p->KH, &kh0, &kh1);
            for (ix = 0; ix < p->W; ix++) col[ix] = -INFINITY;
            for (kh = kh0; kh < kh1; kh++) {
                const float *row = x + (size_t)(iy0 + kh * p->DH) * (size_t)p->W;
                for (ix = 0; ix < p->W; ix++) {
                    const float v = sg * row[ix];
                    col[ix] = v > col[ix] ? v : col[ix];
                }
            }
            /* interior columns: kw outer, output columns inner (a strided, vectorizable loop) */
            for (ox = ox_in0; ox < ox_in1; ox++) out_row[ox] = -INFINITY;
            for (kw = 0; kw < p->KW; kw++) {
                const float *t = col + kw * p->DW - p->PL;
                if (p->SW == 2) {          /* constant strides vectorize */
                    for (ox = ox_in0; ox < ox_in1; ox++) {
                        const float v = t[2 * ox];
                        out_row[ox] = v > out_row[ox] ? v : out_row[ox];
                    }
                } else if (p->SW == 1) {
                    for (ox = ox_in0; ox < ox_in1; ox++) {
                        const float v = t[ox];
                        out_row[ox] = v > out_row[ox] ? v : out_row[ox];
                    }
                } else {
                    for (ox = ox_in0; ox < ox_in1; ox++) {
                        const float v = t[ox * p->SW];
                        out_row[ox] = v > out_row[ox] ? v : out_row[ox];
                    }
                }
            }
            if (sg < 0.0f)
                for (ox = ox_in0; ox < ox_in1; ox++) out_row[ox] = -out_row[ox];
            for (ox = 0; ox < p->OW; ox++) {          /* border columns: clipped windows */
                const int ix0 = ox * p->SW - p->PL;
                float m = -INFINITY;
                if (ox == ox_in0 && ox_in1 > ox_in0) {
                    ox = ox_in1 - 1;
                    continue;
                }
                bnn_tap_range(ix0, p->DW, p->W, p->KW, &kw0, &kw1);
                for (kw = kw0; kw < kw1; kw++) {
                    const float v = col[ix0 + kw * p->DW];
                    m = v > m ? v : m;
                }
                out_row[ox] = sg * m;
            }
            if (scale) {
                const float sc = scale[c], b = bias[c];
                for (ox = 0; ox < p->OW; ox++) {
                    const float t = out_row[ox] * sc;
                    out_row[ox] = t + b;
                }
            }
        }
    }
}

/* 2x2 windows, stride 2, no padding (ResNet-style downsampling): ((a + c) + (b + d)) / 4, the same
 * additions the general path makes (column sums first), without its bookkeeping. */
static void avgpool_2x2(const bnn_pool_params *p, const float *in, float *out)
{
    int c, oy, ox;
    for (c = 0; c < p->C; c++) {
        const float *x = in + (size_t)c * (size_t)p->H * (size_t)p->W;
        float *o = out + (size_t)c * (size_t)p->OH * (size_t)p->OW;
        for (oy = 0; oy < p->OH; oy++) {
            const float *r0 = x + (size_t)(2 * oy) * (size_t)p->W, *r1 = r0 + p->W;
            float *orow = o + (size_t)oy * (size_t)p->OW;
            for (ox = 0; ox < p->OW; ox++) {
                const float left = r0[2 * ox] + r1[2 * ox], right = r0[2 * ox + 1] + r1[2 * ox + 1];
                orow[ox] = (left + right) / 4.0f;
            }
        }
    }
}

void bnn_avgpool_f32(const bnn_pool_params *p, int count_include_pad, const float *in, float *out)
{
    float col[p->W > 0 ? p->W : 1];
    int c, oy, ox, kh, kw, ix, kh0, kh1, kw0, kw1, ox_in0, ox_in1;
    if (p->KH == 2 && p->KW == 2 && p->SH == 2 && p->SW == 2 && p->DH == 1 && p->DW == 1 && p->PT == 0 &&
        p->PL == 0 && 2 * p->OH <= p->H && 2 * p->OW <= p->W) {
        avgpool_2x2(p, in, out);
        return;
    }
    interior_columns(p, &ox_in0, &ox_in1);
    for (c = 0; c < p->C; c++) {
        const float *x = in + (size_t)c * (size_t)p->H * (size_t)p->W;
        float *o = out + (size_t)c * (size_t)p->OH * (size_t)p->OW;
        for (oy = 0; oy < p->OH; oy++) {
            const int iy0 = oy * p->SH - p->PT;
            float *out_row = o + (size_t)oy * (size_t)p->OW;
            bnn_tap_range(iy0, p->DH, p->H, p->KH, &kh0, &kh1);
            for (ix = 0; ix < p->W; ix++) col[ix] = 0.0f;
            for (kh = kh0; kh < kh1; kh++) {
                const float *row = x + (size_t)(iy0 + kh * p->DH) * (size_t)p->W;
                for (ix = 0; ix < p->W; ix++) col[ix] += row[ix];
            }
            /* interior columns: kw outer, output columns inner (constant strides vectorize) */
            for (ox = ox_in0; ox < ox_in1; ox++) out_row[ox] = 0.0f;
            for (kw = 0; kw < p->KW; kw++) {
                const float *t = col + kw * p->DW - p->PL;
                if (p->SW == 2) {
                    for (ox = ox_in0; ox < ox_in1; ox++) out_row[ox] += t[2 * ox];
                } else if (p->SW == 1) {
                    for (ox = ox_in0; ox < ox_in1; ox++) out_row[ox] += t[ox];
                } else {
                    for (ox = ox_in0; ox < ox_in1; ox++) out_row[ox] += t[ox * p->SW];
                }
            }
            {
                const int n = count_include_pad ? p->KH * p->KW : (kh1 - kh0) * p->KW;
                const float count = (float)(n > 0 ? n : 1);
                for (ox = ox_in0; ox < ox_in1; ox++) out_row[ox] = n > 0 ? out_row[ox] / count : 0.0f;
            }
            for (ox = 0; ox < p->OW; ox++) {          /* border columns: clipped windows */
                const int ix0 = ox * p->SW - p->PL;
                float s = 0.0f;
                int n;
                if (ox == ox_in0 && ox_in1 > ox_in0) {
                    ox = ox_in1 - 1;
                    continue;
                }
                bnn_tap_range(ix0, p->DW, p->W, p->KW, &kw0, &kw1);
                for (kw = kw0; kw < kw1; kw++) s += col[ix0 + kw * p->DW];
                n = count_include_pad ? p->KH * p->KW : (kh1 - kh0) * (kw1 - kw0);
                out_row[ox] = n > 0 ? s / (float)n : 0.0f;
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
