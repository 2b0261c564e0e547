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

/* h[j] = max over kw of col[j*SW - PL + kw*DW], j in [j0, j1) (every index inside col). Each
 * output is written once: re-reading outputs just stored stalls on store forwarding. */
static void window_max_cols(const bnn_pool_params *p, const float *col, int j0, int j1, float *h)
{
    const float *t = col - p->PL;
    int j, kw;
    if (p->KW == 3 && p->SW == 2) {        /* 3x3/2 pools (ResNet stems): constant strides vectorize */
        const float *t1 = t + p->DW, *t2 = t + 2 * p->DW;
        for (j = j0; j < j1; j++) {
            const float a = t[2 * j], b = t1[2 * j], c = t2[2 * j], m = b > a ? b : a;
            h[j] = c > m ? c : m;
        }
        return;
    }
    for (j = j0; j < j1; j++) {
        float m = t[(size_t)j * (size_t)p->SW];
        for (kw = 1; kw < p->KW; kw++) {
            const float v = t[(size_t)j * (size_t)p->SW + (size_t)(kw * p->DW)];
            m = v > m ? v : m;
        }
        h[j] = m;
    }
}

/* Channels bnn_maxpool_affine_rows_f32 takes at a time: their work area stays in L1. */
#define POOL_CHUNK 16 /* BNN_MAXPOOL_WORK (fpool.h) counts on it */

/* Output row of channels [0, C) (C <= POOL_CHUNK) of bnn_maxpool_affine_rows_f32. */
static void maxpool_affine_chunk(const bnn_pool_params *p, int C, const float *const *rows, int nrows, size_t in_cs,
                                 const float *scale, const float *bias, float *work, float *out, size_t out_cs)
{
    const size_t W = (size_t)p->W, OW = (size_t)p->OW;
    float *col = work, *h = work + (size_t)C * W;
    int c, ix, ox, kh, kw, kw0, kw1, ox_in0, ox_in1;
    interior_columns(p, &ox_in0, &ox_in1);
    /* column maxima of sg*x; a negative scale turns max into min: max(-x) = -min(x), and negation is
     * exact. NaN never wins a comparison, so it is skipped (a column of NaN only gives -inf). */
    for (c = 0; c < C; c++) {
        const float sg = scale && scale[c] < 0 ? -1.0f : 1.0f;
        float *cc = col + (size_t)c * W;
        if (nrows == 0)
            for (ix = 0; ix < p->W; ix++) cc[ix] = -INFINITY;
        if (nrows == 3) {        /* 3-row windows in one pass (see window_max_cols) */
            const float *r0 = rows[0] + (size_t)c * in_cs, *r1 = rows[1] + (size_t)c * in_cs;
            const float *r2 = rows[2] + (size_t)c * in_cs;
            for (ix = 0; ix < p->W; ix++) {
                const float a = sg * r0[ix], b = sg * r1[ix], d = sg * r2[ix];
                const float m0 = a > -INFINITY ? a : -INFINITY, m1 = b > m0 ? b : m0;
                cc[ix] = d > m1 ? d : m1;
            }
            continue;
        }
        for (kh = 0; kh < nrows; kh++) {
            const float *row = rows[kh] + (size_t)c * in_cs;
            if (kh == 0)
                for (ix = 0; ix < p->W; ix++) {
                    const float v = sg * row[ix];
                    cc[ix] = v > -INFINITY ? v : -INFINITY;
                }
            else
                for (ix = 0; ix < p->W; ix++) {
                    const float v = sg * row[ix];
                    cc[ix] = v > cc[ix] ? v : cc[ix];
                }
        }
    }
    /* interior columns; when W == OW*SW, column ox of channel c sits at (c*OW + ox)*SW - PL + kw*DW
     * in col, so all channels run as one loop (the non-interior outputs it writes between two
     * channels are recomputed below) */
    if (ox_in0 < ox_in1) {
        if (W == OW * (size_t)p->SW)
            window_max_cols(p, col, ox_in0, (int)((size_t)(C - 1) * OW) + ox_in1, h);
        else
            for (c = 0; c < C; c++)
                window_max_cols(p, col + (size_t)c * W, ox_in0, ox_in1, h + (size_t)c * OW);
    }
    for (c = 0; c < C; c++) {
        const float sg = scale && scale[c] < 0 ? -1.0f : 1.0f, sc = scale ? scale[c] : 1.0f, b = scale ? bias[c] : 0.0f;
        const float *cc = col + (size_t)c * W, *hc = h + (size_t)c * OW;
        float *o = out + (size_t)c * out_cs;
        if (scale)
            for (ox = ox_in0; ox < ox_in1; ox++) {
                const float t = (sg * hc[ox]) * sc;
                o[ox] = t + b;
            }
        else
            for (ox = ox_in0; ox < ox_in1; ox++) o[ox] = hc[ox];
        for (ox = 0; ox < p->OW; ox++) {          /* border columns: clipped windows, straight to out */
            const int ix0 = ox * p->SW - p->PL;
            float m = -INFINITY;
            if (ox == ox_in0 && ox_in1 > ox_in0) {
                ox = ox_in1 - 1;
                continue;
            }
            bnn_tap_range(ix0, p->DW, p->W, p->KW, &kw0, &kw1);
            for (kw = kw0; kw < kw1; kw++) {
                const float v = cc[ix0 + kw * p->DW];
                m = v > m ? v : m;
            }
            if (scale) {
                const float t = (sg * m) * sc;
                o[ox] = t + b;
            } else {
                o[ox] = m;
            }
        }
    }
}

void bnn_maxpool_affine_rows_f32(const bnn_pool_params *p, int C, const float *const *rows, int nrows, size_t in_cs,
                                 const float *scale, const float *bias, float *work, float *out, size_t out_cs)
{
    const float *chunk_rows[nrows > 0 ? nrows : 1];
    int c0, kh;
    for (c0 = 0; c0 < C; c0 += POOL_CHUNK) {
        for (kh = 0; kh < nrows; kh++) chunk_rows[kh] = rows[kh] + (size_t)c0 * in_cs;
        maxpool_affine_chunk(p, C - c0 < POOL_CHUNK ? C - c0 : POOL_CHUNK, chunk_rows, nrows, in_cs,
                             scale ? scale + c0 : NULL, bias ? bias + c0 : NULL, work, out + (size_t)c0 * out_cs, out_cs);
    }
}

void bnn_maxpool_affine_f32(const bnn_pool_params *p, const float *in, const float *scale, const float *bias,
                            float *out)
{
    float work[BNN_MAXPOOL_WORK(p) + 1];
    const float *rows[p->KH > 0 ? p->KH : 1];
    const size_t plane = (size_t)p->H * (size_t)p->W, oplane = (size_t)p->OH * (size_t)p->OW;
    int oy, kh, kh0, kh1;
    for (oy = 0; oy < p->OH; oy++) {
        const int iy0 = oy * p->SH - p->PT;
        bnn_tap_range(iy0, p->DH, p->H, p->KH, &kh0, &kh1);
        for (kh = kh0; kh < kh1; kh++) rows[kh - kh0] = in + (size_t)(iy0 + kh * p->DH) * (size_t)p->W;
        bnn_maxpool_affine_rows_f32(p, p->C, rows, kh1 > kh0 ? kh1 - kh0 : 0, plane, scale, bias, work,
                                    out + (size_t)oy * (size_t)p->OW, oplane);
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
