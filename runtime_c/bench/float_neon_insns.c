/* Instructions per float multiply-add of the NEON float kernels (float_neon.c) against the portable
 * ones (fconv.c, fgemm.c), counted under qemu-user: on a machine without ARM hardware the honest
 * proxy for work (exact and repeatable; it does not model the pipeline).
 *
 *   float_neon_insns LAYER KERNEL   runs KERNEL once on LAYER's shape (Bi-Real-18, batch 1):
 *     LAYER  stem      Conv 3->64, 7x7 stride 2 pad 3, 224x224 -> 112x112
 *            shortcut  Conv 128->256, 1x1, 14x14 (the downsampling shortcut after its 2x2 avg-pool)
 *            stempool  the stem, then its 3x3 stride-2 pad-1 max-pool and per-channel affine
 *                      (portable: bnn_conv2d_f32 + bnn_maxpool_affine_f32; neon: the fused
 *                      bnn_conv_maxpool_affine_f32__neon)
 *            fc        MatMul 1x512 by 512x1000 (the head)
 *     KERNEL none (data and packing only), portable, neon
 * instructions per MAC = (insns(KERNEL) - insns(none)) / MACs (printed as "macs N").
 *
 * Build and count (from the repository root; armv7: arm-linux-gnueabihf-gcc with -march=armv7-a
 * -mfpu=neon -mfloat-abi=hard, and qemu-arm):
 *   cc -shared -fPIC -O2 -o /tmp/libinsncount.so ../shared/tools/qemu_insn_count.c
 *   aarch64-linux-gnu-gcc -O3 -march=armv8-a -std=c99 -Iruntime_c/include -static \
 *     runtime_c/bench/float_neon_insns.c runtime_c/src/{float_neon,fconv,fgemm,fpool}.c -lm -o /tmp/fni
 *   qemu-aarch64 -plugin /tmp/libinsncount.so -d plugin /tmp/fni stem neon
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnncc/fconv.h"
#include "bnncc/fgemm.h"
#include "bnncc/float_panels.h"
#include "bnncc/fpool.h"

static float *filled(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    size_t i;
    if (!p) exit(3);
    for (i = 0; i < n; i++) p[i] = (float)((i * 2654435761u) >> 12 & 0xFFFFF) / 524288.0f - 1.0f;
    return p;
}

/* q: the max-pool + affine after the conv (NULL: none) */
static int conv(const bnn_conv_params *p, const bnn_pool_params *q, const char *kernel)
{
    const size_t nw = (size_t)p->M * p->C * p->KH * p->KW;
    float *x = filled((size_t)p->C * p->H * p->W), *w = filled(nw), *bias = filled((size_t)p->M);
    float *packed = filled(bnn_conv2d_weights_size__neon(p)), *scratch = filled(bnn_conv2d_scratch_size__neon(p));
    float *out = filled((size_t)p->M * p->OH * p->OW);
    float *pooled = q ? filled((size_t)q->C * q->OH * q->OW) : NULL, *scale = filled((size_t)p->M);
    float *pool_scratch = q ? filled(bnn_conv_maxpool_scratch_size__neon(p, q)) : NULL;
    bnn_conv2d_pack_weights__neon(p, w, packed);
    if (!strcmp(kernel, "portable")) {
        bnn_conv2d_f32(p, x, w, bias, out);
        if (q) bnn_maxpool_affine_f32(q, out, scale, bias, pooled);
    } else if (!strcmp(kernel, "neon")) {
        if (q) bnn_conv_maxpool_affine_f32__neon(p, q, x, packed, NULL, scale, bias, pool_scratch, 0, 0, q->OH, pooled);
        else bnn_conv2d_f32__neon(p, x, packed, bias, scratch, 0, p->M, out);
    } else if (strcmp(kernel, "none")) {
        return 2;
    }
    printf("macs %zu checksum %g\n", nw * p->OH * p->OW, (double)out[p->M * p->OH * p->OW / 2]);
    return 0;
}

static int matmul(int M, int K, int N, const char *kernel)
{
    float *a = filled((size_t)M * K), *b = filled((size_t)K * N), *bias = filled((size_t)N);
    float *packed = filled(bnn_matmul_weights_size__neon(K, N)), *out = filled((size_t)M * N);
    bnn_matmul_pack_weights__neon(K, N, b, packed);
    if (!strcmp(kernel, "portable")) bnn_matmul_f32(M, K, N, a, b, bias, out);
    else if (!strcmp(kernel, "neon")) bnn_matmul_f32__neon(M, K, N, a, packed, bias, 0, N, out);
    else if (strcmp(kernel, "none")) return 2;
    printf("macs %zu checksum %g\n", (size_t)M * K * N, (double)out[M * N / 2]);
    return 0;
}

int main(int argc, char **argv)
{
    static const bnn_conv_params stem = {3, 224, 224, 64, 112, 112, 7, 7, 2, 2, 1, 1, 3, 3, 1};
    static const bnn_pool_params stem_pool = {64, 112, 112, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1};
    static const bnn_conv_params shortcut = {128, 14, 14, 256, 14, 14, 1, 1, 1, 1, 1, 1, 0, 0, 1};
    if (argc != 3) return 2;
    if (!strcmp(argv[1], "stem")) return conv(&stem, NULL, argv[2]);
    if (!strcmp(argv[1], "stempool")) return conv(&stem, &stem_pool, argv[2]);
    if (!strcmp(argv[1], "shortcut")) return conv(&shortcut, NULL, argv[2]);
    if (!strcmp(argv[1], "fc")) return matmul(1, 512, 1000, argv[2]);
    return 2;
}
