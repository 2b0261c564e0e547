#include "bnncc/common.h"
#include "bnncc/bconv.h"

/* Output channels computed together: each input word loaded once serves BCONV_MB weight rows.
 * Must divide 64 so a group never straddles an output word in bnn_bconv_bits. */
#define BCONV_MB 4

/* Geometry of one output pixel: in-bounds taps are kh in [kh0,kh1) x kw in [kw0,kw1). */
typedef struct {
    int iy0, ix0;      /* oy*SH - PT, ox*SW - PL */
    int kh0, kh1, kw0, kw1;
    int n_in;          /* number of in-bounds taps */
} pixel_geom;

static void pixel_geometry(const bnn_bconv_params *p, int oy, int ox, pixel_geom *g)
{
    g->iy0 = oy * p->SH - p->PT;
    g->ix0 = ox * p->SW - p->PL;
    bnn_tap_range(g->iy0, p->DH, p->H, p->KH, &g->kh0, &g->kh1);
    bnn_tap_range(g->ix0, p->DW, p->W, p->KW, &g->kw0, &g->kw1);
    g->n_in = (g->kh1 - g->kh0) * (g->kw1 - g->kw0);
}

/* sum popcount(x[i] ^ w[i]), i < n */
static int xorpop1(const bnn_word *x, const bnn_word *w, size_t n)
{
    int s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += bnn_popcount(x[i] ^ w[i]);
        s1 += bnn_popcount(x[i + 1] ^ w[i + 1]);
        s2 += bnn_popcount(x[i + 2] ^ w[i + 2]);
        s3 += bnn_popcount(x[i + 3] ^ w[i + 3]);
    }
    for (; i < n; i++) s0 += bnn_popcount(x[i] ^ w[i]);
    return s0 + s1 + s2 + s3;
}

/* Same for BCONV_MB weight rows w, w+ws, w+2ws, w+3ws sharing the input x. */
static void xorpop4(const bnn_word *x, const bnn_word *w, size_t ws, size_t n, int pc[BCONV_MB])
{
    const bnn_word *w0 = w, *w1 = w + ws, *w2 = w + 2 * ws, *w3 = w + 3 * ws;
    int s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        const bnn_word xv = x[i];
        s0 += bnn_popcount(xv ^ w0[i]);
        s1 += bnn_popcount(xv ^ w1[i]);
        s2 += bnn_popcount(xv ^ w2[i]);
        s3 += bnn_popcount(xv ^ w3[i]);
    }
    pc[0] += s0;
    pc[1] += s1;
    pc[2] += s2;
    pc[3] += s3;
}

/* acc for output channels m0..m0+nm-1 (nm <= BCONV_MB) at one output pixel.
 * wm points at the weights of channel m0; wsz = KH*KW*nw words per output channel. */
static void bconv_pixel(const bnn_bconv_params *p, const pixel_geom *g, const bnn_word *in,
                        const bnn_word *wm, size_t wsz, int nm, int32_t acc[BCONV_MB])
{
    const size_t nw = (size_t)bnn_words(p->C), ps = bnn_in_stride(p);
    const int KW = p->KW;
    int pc[BCONV_MB] = {0, 0, 0, 0};
    int j;

    if (g->n_in > 0) {
        /* runs of contiguous words: with DW == 1 on a dense map (ps == nw) one kernel row is one run
         * of (kw1-kw0)*nw words (input pixels ix0+kw0.. and weight taps kw0.. are both adjacent);
         * else one run per tap. */
        const int dw1 = p->DW == 1 && ps == nw;
        const size_t seg_len = dw1 ? (size_t)(g->kw1 - g->kw0) * nw : nw;
        const int nseg = dw1 ? 1 : g->kw1 - g->kw0;
        const size_t in_seg_step = (size_t)p->DW * ps;
        int kh0 = g->kh0, kh1 = g->kh1, khlen_mul = 1;
        int kh, s;
        /* whole rows, consecutive: the full receptive field is one run (dense layer case) */
        if (dw1 && g->kw0 == 0 && g->kw1 == KW && KW == p->W && g->ix0 == 0 && p->DH == 1) {
            khlen_mul = kh1 - kh0;
            kh1 = kh0 + 1;
        }
        for (kh = kh0; kh < kh1; kh++) {
            const int iy = g->iy0 + kh * p->DH;
            const bnn_word *xs = in + ((size_t)iy * (size_t)p->W + (size_t)(g->ix0 + g->kw0 * p->DW)) * ps;
            const bnn_word *ws = wm + ((size_t)kh * (size_t)KW + (size_t)g->kw0) * nw;
            const size_t len = seg_len * (size_t)khlen_mul;
            for (s = 0; s < nseg; s++) {
                if (nm == BCONV_MB) {
                    xorpop4(xs, ws, wsz, len, pc);
                } else {
                    for (j = 0; j < nm; j++) pc[j] += xorpop1(xs, ws + (size_t)j * wsz, len);
                }
                xs += in_seg_step;
                ws += nw;
            }
        }
    }
    for (j = 0; j < nm; j++) acc[j] = (int32_t)g->n_in * p->C - 2 * pc[j];

    if (p->pad_bit != BNN_PAD_ZERO && g->n_in < p->KH * KW) {
        const int n_out = p->KH * KW - g->n_in;
        int kh, kw;
        for (j = 0; j < nm; j++) {
            const bnn_word *wj = wm + (size_t)j * wsz;
            int P = 0;
            for (kh = 0; kh < p->KH; kh++) {
                const int row_in = kh >= g->kh0 && kh < g->kh1;
                for (kw = 0; kw < KW; kw++) {
                    size_t i;
                    const bnn_word *wt;
                    if (row_in && kw >= g->kw0 && kw < g->kw1) continue;
                    wt = wj + ((size_t)kh * (size_t)KW + (size_t)kw) * nw;
                    for (i = 0; i < nw; i++) P += bnn_popcount(wt[i]);
                }
            }
            if (p->pad_bit == 0)
                acc[j] += n_out * p->C - 2 * P;
            else
                acc[j] += 2 * P - n_out * p->C;
        }
    }
}

void bnn_bconv_f32(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, float *out)
{
    bnn_bconv_f32_rows(p, in, w, 0, p->OH, out);
}

void bnn_bconv_bits(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                    const int32_t *thr, const int8_t *dir, bnn_word *out)
{
    bnn_bconv_bits_rows(p, in, w, thr, dir, 0, p->OH, out);
}

/* Float output stage of rows [oy_begin, oy_end): out = acc, or with st the affine stage on it
 * (bnn_affine_stage_at). With bits != NULL (and st) the output values are also packed: bit = NOT(dir[m] > 0 ? y >= thr[m]
 * : y <= thr[m]), [OH][OW][words(M)], tail bits 0 (as bnn_pack_threshold_range_f32). */
static void f32_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, const bnn_affine_stage *st,
                     const float *thr, const int8_t *dir,
                     int oy_begin, int oy_end, float *out, bnn_word *bits)
{
    const size_t wsz = (size_t)p->KH * (size_t)p->KW * (size_t)bnn_words(p->C);
    const size_t ohw = (size_t)p->OH * (size_t)p->OW;
    const size_t os = bnn_out_stride(p);
    int oy, ox, m0, j;
    int32_t acc[BCONV_MB];
    pixel_geom g;

    for (oy = oy_begin; oy < oy_end; oy++) {
        for (ox = 0; ox < p->OW; ox++) {
            const size_t pix = (size_t)oy * (size_t)p->OW + (size_t)ox;
            bnn_word word = 0;
            pixel_geometry(p, oy, ox, &g);
            for (m0 = 0; m0 < p->M; m0 += BCONV_MB) {
                const int nm = p->M - m0 < BCONV_MB ? p->M - m0 : BCONV_MB;
                bconv_pixel(p, &g, in, w + (size_t)m0 * wsz, wsz, nm, acc);
                for (j = 0; j < nm; j++) {
                    const int m = m0 + j;
                    const size_t o = (size_t)m * ohw + pix;
                    float t = (float)acc[j];
                    if (st) t = bnn_affine_stage_at(st, m, o, t);
                    out[o] = t;
                    if (bits) { /* NaN compares false: bit 1 */
                        const int pass = dir[m] > 0 ? t >= thr[m] : t <= thr[m];
                        word |= (bnn_word)!pass << (m % BNN_WORD_BITS);
                    }
                }
                /* BCONV_MB divides 64: a group ends a word exactly at m0+nm == 64k or M */
                if (bits && ((m0 + nm) % BNN_WORD_BITS == 0 || m0 + nm == p->M)) {
                    bits[pix * os + (size_t)((m0 + nm - 1) / BNN_WORD_BITS)] = word;
                    word = 0;
                }
            }
        }
    }
}

void bnn_bconv_f32_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, int oy_begin, int oy_end,
                        float *out)
{
    f32_rows(p, in, w, NULL, NULL, NULL, oy_begin, oy_end, out, NULL);
}

void bnn_bconv_affine_f32_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                               const bnn_affine_stage *st, int oy_begin, int oy_end, float *out)
{
    f32_rows(p, in, w, st, NULL, NULL, oy_begin, oy_end, out, NULL);
}

void bnn_bconv_affine_pack_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                int oy_begin, int oy_end, float *out, bnn_word *bits)
{
    f32_rows(p, in, w, st, thr, dir, oy_begin, oy_end, out, bits);
}

void bnn_bconv_bits_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                         const int32_t *thr, const int8_t *dir, int oy_begin, int oy_end, bnn_word *out)
{
    const size_t wsz = (size_t)p->KH * (size_t)p->KW * (size_t)bnn_words(p->C);
    const size_t os = bnn_out_stride(p);
    int oy, ox, m0, j;
    int32_t acc[BCONV_MB];
    pixel_geom g;

    for (oy = oy_begin; oy < oy_end; oy++) {
        for (ox = 0; ox < p->OW; ox++) {
            bnn_word *o = out + ((size_t)oy * (size_t)p->OW + (size_t)ox) * os;
            bnn_word word = 0;
            pixel_geometry(p, oy, ox, &g);
            for (m0 = 0; m0 < p->M; m0 += BCONV_MB) {
                const int nm = p->M - m0 < BCONV_MB ? p->M - m0 : BCONV_MB;
                bconv_pixel(p, &g, in, w + (size_t)m0 * wsz, wsz, nm, acc);
                for (j = 0; j < nm; j++) {
                    const int m = m0 + j;
                    const int pass = dir[m] > 0 ? acc[j] >= thr[m] : acc[j] <= thr[m];
                    word |= (bnn_word)!pass << (m % BNN_WORD_BITS);
                }
                /* BCONV_MB divides 64: a group ends a word exactly at m0+nm == 64k or M */
                if ((m0 + nm) % BNN_WORD_BITS == 0 || m0 + nm == p->M) {
                    o[(m0 + nm - 1) / BNN_WORD_BITS] = word;
                    word = 0;
                }
            }
        }
    }
}
