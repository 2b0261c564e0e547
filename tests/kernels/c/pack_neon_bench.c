/* Work done by one call of a packing or binary max-pool kernel, for instruction counting under
 * qemu (tests/kernels/neon_insns.py): `pack_neon_bench KERNEL IMPL C H W` runs KERNEL (pack,
 * affine, binarize, pool: a 3x3/2 pad-1 pool) once on a [C][H][W] map, IMPL = portable or neon,
 * or none to count the setup alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bnncc/bpool.h"
#include "bnncc/bpool_neon.h"
#include "bnncc/pack.h"
#include "bnncc/pack_neon.h"

int main(int argc, char **argv)
{
    const char *kernel, *impl;
    int C, H, W, HW, c, neon, none;
    size_t n, i;
    float *x, *r, *y, *thr, *scale, *bias;
    int8_t *dir;
    bnn_word *bits;
    uint32_t s = 12345;

    if (argc != 6) return 2;
    kernel = argv[1];
    impl = argv[2];
    C = atoi(argv[3]);
    H = atoi(argv[4]);
    W = atoi(argv[5]);
    HW = H * W;
    n = (size_t)C * (size_t)HW;
    neon = !strcmp(impl, "neon");
    none = !strcmp(impl, "none");
    x = malloc(n * sizeof *x);
    r = malloc(n * sizeof *r);
    y = malloc(n * sizeof *y);
    bits = calloc((size_t)HW * (size_t)bnn_words(C), sizeof *bits);
    thr = malloc((size_t)C * sizeof *thr);
    scale = malloc((size_t)C * sizeof *scale);
    bias = malloc((size_t)C * sizeof *bias);
    dir = malloc((size_t)C);
    if (!x || !r || !y || !bits || !thr || !scale || !bias || !dir) return 3;
    for (i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(int)(s >> 24) - 128.0f;
        r[i] = (float)(int)(s >> 16 & 255u) - 128.0f;
    }
    for (c = 0; c < C; c++) {
        thr[c] = (float)(c % 7) - 3.0f;
        scale[c] = c % 3 ? 0.5f : -0.25f;
        bias[c] = 0.125f * (float)c;
        dir[c] = (int8_t)(c % 3 ? 1 : -1);
    }
    if (none) {
    } else if (!strcmp(kernel, "pack")) {
        (neon ? bnn_pack_threshold_range_f32__neon : bnn_pack_threshold_range_f32)(x, C, HW, 0, HW, thr, dir, bits);
    } else if (!strcmp(kernel, "affine")) {
        (neon ? bnn_affine_pack_range_f32__neon : bnn_affine_pack_range_f32)(C, HW, 0, HW, x, scale, bias, r, y, thr,
                                                                           dir, bits);
    } else if (!strcmp(kernel, "binarize")) {
        (neon ? bnn_binarize_f32__neon : bnn_binarize_f32)(x, C, HW, thr, dir, y);
    } else if (!strcmp(kernel, "pool")) {
        const bnn_pool_params p = {C, H, W, (H - 1) / 2 + 1, (W - 1) / 2 + 1, 3, 3, 2, 2, 1, 1, 1, 1};
        (neon ? bnn_bmaxpool_rows__neon : bnn_bmaxpool_rows)(&p, bits, 0, p.OH, (bnn_word *)y);
    } else {
        return 2;
    }
    printf("%u %u\n", (unsigned)bits[HW / 2], (unsigned)(y[1] > 0.0f));
    return 0;
}
