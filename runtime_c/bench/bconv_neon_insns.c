/* Work done by one call of the NEON binary convolution (bconv_neon.c), for instruction counting
 * under qemu-user (tests/kernels/bconv_neon_insns.py): on a machine without ARM hardware the honest
 * proxy for work (exact and repeatable; it does not model the pipeline).
 *
 *   bconv_neon_insns C HW M S P IMPL
 * runs bnn_bconv_affine_pack__neon (what Bi-Real-18's binary convs run: BatchNorm, residual and
 * sign packed in the output stage) once on a 3x3 conv C -> M, HW x HW input, stride S, pad P
 * (BNN_PAD_ZERO: ONNX zero padding), all output rows; IMPL = neon, or none to count the setup
 * (data, weight packing) alone. Prints "macs N" (binary MACs of the call).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnncc/bconv.h"
#include "bnncc/bconv_blocked.h"

static void *xalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) exit(3);
    return p;
}

int main(int argc, char **argv)
{
    bnn_bconv_params p = {0};
    size_t nx, nwt, hw, i;
    bnn_word *x, *w, *wp, *bits;
    int32_t *aux;
    float *scale, *bias, *res, *thr, *out;
    int8_t *dir;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    int m, HW;

    if (argc != 7) return 2;
    p.C = atoi(argv[1]);
    HW = atoi(argv[2]);
    p.M = atoi(argv[3]);
    p.SH = p.SW = atoi(argv[4]);
    p.PT = p.PL = atoi(argv[5]);
    p.H = p.W = HW;
    p.KH = p.KW = 3;
    p.DH = p.DW = 1;
    p.OH = p.OW = (HW + 2 * p.PT - 3) / p.SH + 1;
    p.pad_bit = BNN_PAD_ZERO;
    nx = (size_t)HW * (size_t)HW * (size_t)bnn_words(p.C);
    nwt = (size_t)p.M * 9u * (size_t)bnn_words(p.C);
    hw = (size_t)p.OH * (size_t)p.OW;
    x = xalloc(nx * sizeof *x);
    w = xalloc(nwt * sizeof *w);
    for (i = 0; i < nx + nwt; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        *(i < nx ? x + i : w + (i - nx)) = s ^ (s >> 29); /* C is a multiple of 64: no tail bits */
    }
    wp = xalloc(bnn_bconv_weights_size__neon(&p) * sizeof *wp);
    aux = xalloc(bnn_bconv_aux_size__neon(&p) * sizeof *aux);
    bnn_bconv_pack_weights__neon(&p, w, wp, aux);
    scale = xalloc((size_t)p.M * sizeof *scale);
    bias = xalloc((size_t)p.M * sizeof *bias);
    thr = xalloc((size_t)p.M * sizeof *thr);
    dir = xalloc((size_t)p.M);
    for (m = 0; m < p.M; m++) {
        scale[m] = m % 3 ? 0.5f : -0.25f;
        bias[m] = 0.125f * (float)(m % 17);
        thr[m] = (float)(m % 5) - 2.0f;
        dir[m] = (int8_t)(m % 3 ? 1 : -1);
    }
    res = xalloc((size_t)p.M * hw * sizeof *res);
    out = xalloc((size_t)p.M * hw * sizeof *out);
    bits = xalloc(hw * (size_t)bnn_words(p.M) * sizeof *bits);
    for (i = 0; i < (size_t)p.M * hw; i++) res[i] = (float)(i % 9) - 4.0f;
    memset(bits, 0, hw * (size_t)bnn_words(p.M) * sizeof *bits);
    if (!strcmp(argv[6], "neon"))
        bnn_bconv_affine_pack__neon(&p, x, wp, aux, &(const bnn_affine_stage){scale, bias, res, NULL, NULL, NULL},
                                    thr, dir, 0, p.OH, out, bits);
    else if (strcmp(argv[6], "none"))
        return 2;
    printf("macs %llu check %llu\n", (unsigned long long)(hw * (size_t)p.M * 9u * (size_t)p.C),
           (unsigned long long)bits[hw / 2]);
    return 0;
}
