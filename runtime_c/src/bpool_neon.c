/* NEON binary max-pool (bnn_bmaxpool_rows of bpool.h, bit for bit; aarch64 and armv7).
 *
 * Max of +-1 values is +1 iff any is +1, so with bit 0 = +1 an output word is the AND of its
 * in-bounds taps' words, started from all ones (a window with no tap gives -1 everywhere) and
 * masked to the valid channels. Per output pixel the taps are walked once per block of words:
 * 8 words (4 vectors) at a time, then 2, the last 2 overlapping the previous ones when nw is
 * odd (the same AND again, same bits); with one word per pixel (C <= 64) the AND is scalar.
 */
#include <arm_neon.h>

#include "bnncc/bpool_neon.h"
#include "bnncc/common.h"

/* Words [0, 2*nv) of one output: AND over nkh x nkw taps, the first at x, rows row_step words
 * apart and columns col_step. */
static inline void and_taps(const bnn_word *x, size_t row_step, size_t col_step, int nkh, int nkw, int nv,
                            bnn_word *o)
{
    uint64x2_t acc[4];
    int kh, kw, i;
    for (i = 0; i < nv; i++) acc[i] = vdupq_n_u64(~(uint64_t)0);
    for (kh = 0; kh < nkh; kh++) {
        const bnn_word *r = x + (size_t)kh * row_step;
        for (kw = 0; kw < nkw; kw++, r += col_step)
            for (i = 0; i < nv; i++) acc[i] = vandq_u64(acc[i], vld1q_u64(r + 2 * i));
    }
    for (i = 0; i < nv; i++) vst1q_u64(o + 2 * i, acc[i]);
}

void bnn_bmaxpool_rows__neon(const bnn_pool_params *p, const bnn_word *in, int oy_begin, int oy_end, bnn_word *out)
{
    const size_t nw = (size_t)bnn_words(p->C);
    const size_t row_step = (size_t)p->DH * (size_t)p->W * nw, col_step = (size_t)p->DW * nw;
    const bnn_word tail = bnn_tail_mask(p->C);
    int oy, ox, kh0, kh1, kw0, kw1;

    if (nw == 0) return;
    for (oy = oy_begin; oy < oy_end; oy++) {
        const int iy0 = oy * p->SH - p->PT;
        bnn_tap_range(iy0, p->DH, p->H, p->KH, &kh0, &kh1);
        for (ox = 0; ox < p->OW; ox++) {
            const int ix0 = ox * p->SW - p->PL;
            bnn_word *o = out + ((size_t)oy * (size_t)p->OW + (size_t)ox) * nw;
            const bnn_word *x;
            size_t w;
            bnn_tap_range(ix0, p->DW, p->W, p->KW, &kw0, &kw1);
            if (kh0 == kh1 || kw0 == kw1) {             /* no tap: all ones */
                for (w = 0; w < nw; w++) o[w] = ~(bnn_word)0;
                o[nw - 1] = tail;
                continue;
            }
            x = in + ((size_t)(iy0 + kh0 * p->DH) * (size_t)p->W + (size_t)(ix0 + kw0 * p->DW)) * nw;
            if (nw == 1) {
                bnn_word acc = ~(bnn_word)0;
                int kh, kw;
                for (kh = kh0; kh < kh1; kh++)
                    for (kw = kw0; kw < kw1; kw++) acc &= x[(size_t)(kh - kh0) * row_step + (size_t)(kw - kw0) * col_step];
                o[0] = acc;
            } else {
                for (w = 0; w + 8 <= nw; w += 8) and_taps(x + w, row_step, col_step, kh1 - kh0, kw1 - kw0, 4, o + w);
                for (; w + 2 <= nw; w += 2) and_taps(x + w, row_step, col_step, kh1 - kh0, kw1 - kw0, 1, o + w);
                if (w < nw) and_taps(x + nw - 2, row_step, col_step, kh1 - kh0, kw1 - kw0, 1, o + nw - 2);
            }
            o[nw - 1] &= tail;
        }
    }
}
