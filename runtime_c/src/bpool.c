#include "bnncc/common.h"
#include "bnncc/bpool.h"

void bnn_bmaxpool(const bnn_pool_params *p, const bnn_word *in, bnn_word *out)
{
    bnn_bmaxpool_rows(p, in, 0, p->OH, out);
}

void bnn_bmaxpool_rows(const bnn_pool_params *p, const bnn_word *in, int oy_begin, int oy_end, bnn_word *out)
{
    const size_t nw = (size_t)bnn_words(p->C);
    const bnn_word tail = bnn_tail_mask(p->C);
    int oy, ox, kh, kw, kh0, kh1, kw0, kw1;
    size_t i;

    if (nw == 0) return;
    for (oy = oy_begin; oy < oy_end; oy++) {
        const int iy0 = oy * p->SH - p->PT;
        bnn_tap_range(iy0, p->DH, p->H, p->KH, &kh0, &kh1);
        for (ox = 0; ox < p->OW; ox++) {
            const int ix0 = ox * p->SW - p->PL;
            bnn_word *o = out + ((size_t)oy * (size_t)p->OW + (size_t)ox) * nw;
            bnn_tap_range(ix0, p->DW, p->W, p->KW, &kw0, &kw1);
            for (i = 0; i < nw; i++) o[i] = ~(bnn_word)0;
            o[nw - 1] = tail;
            for (kh = kh0; kh < kh1; kh++) {
                const int iy = iy0 + kh * p->DH;
                for (kw = kw0; kw < kw1; kw++) {
                    const int ix = ix0 + kw * p->DW;
                    const bnn_word *x = in + ((size_t)iy * (size_t)p->W + (size_t)ix) * nw;
                    for (i = 0; i < nw; i++) o[i] &= x[i];
                }
            }
        }
    }
}
