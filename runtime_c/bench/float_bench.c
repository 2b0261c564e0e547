/* Benchmark of the float Conv / MatMul kernels on the real-valued layers of Bi-Real-Net-18 at
 * 224x224 (batch 1, one thread): portable (fconv.c / fgemm.c) vs AVX2+FMA vs AVX-512.
 *
 * Build (from the repository root; each ISA file keeps its own flags):
 *   cc -O2 -std=c99 -Iruntime_c/include -c runtime_c/src/fconv.c -o /tmp/fconv.o && \
 *   cc -O2 -std=c99 -Iruntime_c/include -c runtime_c/src/fgemm.c -o /tmp/fgemm.o && \
 *   cc -O3 -std=c99 -Iruntime_c/include -mavx2 -mfma -c runtime_c/src/fpool.c -o /tmp/fpool.o && \
 *   cc -O2 -std=c99 -Iruntime_c/include -mavx2 -mfma -c runtime_c/src/float_avx2.c -o /tmp/favx2.o && \
 *   cc -O2 -std=c99 -Iruntime_c/include -mavx512f -mavx512bw -mavx2 -mfma -c runtime_c/src/float_avx512.c -o /tmp/favx512.o && \
 *   cc -O2 -std=c99 -Iruntime_c/include runtime_c/bench/float_bench.c /tmp/fconv.o /tmp/fgemm.o /tmp/fpool.o /tmp/favx2.o /tmp/favx512.o -o /tmp/float_bench
 * Run: /tmp/float_bench [reps]   (taskset -c N to pin; the numbers are medians over reps runs)
 *
 * The peak is measured with 12 independent FMA chains per ISA (register operands only), best of 7
 * runs (a ceiling: other load on the machine only lowers it), reported as fp32 multiply-adds per
 * second; GFLOP/s counts 2 flops per multiply-add. The portable
 * kernels' "% of peak" is relative to the AVX-512 peak (the machine's), the SIMD kernels' to their
 * own ISA's peak. The CPU is checked at run time; a missing ISA is skipped.
 *
 * Last table: the stem conv followed by its 3x3/2 max-pool + per-channel affine, as two calls
 * (bnn_conv2d_f32__ISA, then bnn_maxpool_affine_f32 over the whole 112x112x64 output) and as one
 * (bnn_conv_maxpool_affine_f32__ISA, rows through a ring in cache), timed in turn in each run. The
 * pool (fpool.c) is built for AVX2 as the artifacts of both x86 targets build it (with the
 * target's flags), so the bench needs an AVX2 CPU.
 */
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bnncc/fconv.h"
#include "bnncc/fgemm.h"
#include "bnncc/float_panels.h"
#include "bnncc/fpool.h"

#include "bench_clock.h"

/* ------------------------------------------------------------------ FMA peak (12 chains) */
#define PEAK_ITERS 20000000L
#define CHAINS(T, SET) T a0 = SET(1e-3f), a1 = SET(2e-3f), a2 = SET(3e-3f), a3 = SET(4e-3f), a4 = SET(5e-3f), \
    a5 = SET(6e-3f), a6 = SET(7e-3f), a7 = SET(8e-3f), a8 = SET(9e-3f), a9 = SET(1e-2f), a10 = SET(2e-2f), a11 = SET(3e-2f)
#define STEP(F) a0 = F(a0, x, y); a1 = F(a1, x, y); a2 = F(a2, x, y); a3 = F(a3, x, y); a4 = F(a4, x, y); \
    a5 = F(a5, x, y); a6 = F(a6, x, y); a7 = F(a7, x, y); a8 = F(a8, x, y); a9 = F(a9, x, y); a10 = F(a10, x, y); a11 = F(a11, x, y)

__attribute__((target("avx512f,fma"))) static double peak_avx512(float *sink)
{
    CHAINS(__m512, _mm512_set1_ps);
    const __m512 x = _mm512_set1_ps(0.9999f), y = _mm512_set1_ps(1e-6f);
    long i;
    double t = now();
    for (i = 0; i < PEAK_ITERS; i++) { STEP(_mm512_fmadd_ps); }
    t = now() - t;
    a0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)), _mm512_add_ps(a4, a5));
    a6 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a6, a7), _mm512_add_ps(a8, a9)), _mm512_add_ps(a10, a11));
    *sink += _mm512_reduce_add_ps(_mm512_add_ps(a0, a6));
    return 12.0 * 16.0 * (double)PEAK_ITERS / t;
}

__attribute__((target("avx2,fma"))) static double peak_avx2(float *sink)
{
    CHAINS(__m256, _mm256_set1_ps);
    const __m256 x = _mm256_set1_ps(0.9999f), y = _mm256_set1_ps(1e-6f);
    float f[8];
    long i;
    double t = now();
    for (i = 0; i < PEAK_ITERS; i++) { STEP(_mm256_fmadd_ps); }
    t = now() - t;
    a0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)), _mm256_add_ps(a4, a5));
    a6 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a6, a7), _mm256_add_ps(a8, a9)), _mm256_add_ps(a10, a11));
    _mm256_storeu_ps(f, _mm256_add_ps(a0, a6));
    *sink += f[0] + f[7];
    return 12.0 * 8.0 * (double)PEAK_ITERS / t;
}

/* ------------------------------------------------------------------ layers */
enum { PORTABLE, AVX2, AVX512, NIMPL };
static const char *impl_name[NIMPL] = {"portable", "avx2", "avx512"};

typedef struct {
    const char *name;
    int is_gemm;
    bnn_conv_params p; /* conv */
    int M, K, N;       /* gemm */
} layer;

typedef struct {
    const layer *L;
    int impl;
    const float *in, *w, *bias;
    float *packed, *scratch, *out;
} job;

static void run(const job *j)
{
    const layer *L = j->L;
    if (L->is_gemm) {
        if (j->impl == PORTABLE) bnn_matmul_f32(L->M, L->K, L->N, j->in, j->w, j->bias, j->out);
        else if (j->impl == AVX2) bnn_matmul_f32__avx2(L->M, L->K, L->N, j->in, j->packed, j->bias, 0, L->N, j->out);
        else bnn_matmul_f32__avx512(L->M, L->K, L->N, j->in, j->packed, j->bias, 0, L->N, j->out);
    } else {
        if (j->impl == PORTABLE) bnn_conv2d_f32(&L->p, j->in, j->w, j->bias, j->out);
        else if (j->impl == AVX2) bnn_conv2d_f32__avx2(&L->p, j->in, j->packed, j->bias, j->scratch, 0, L->p.M, j->out);
        else bnn_conv2d_f32__avx512(&L->p, j->in, j->packed, j->bias, j->scratch, 0, L->p.M, j->out);
    }
}

static float *alloc_floats(size_t n)
{
    float *p = NULL;
    if (posix_memalign((void **)&p, 64, (n ? n : 1) * sizeof(float)) != 0) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static void fill(float *x, size_t n, unsigned *seed)
{
    size_t i;
    for (i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        x[i] = (float)((*seed >> 8) & 0xFFFF) / 32768.0f - 1.0f;
    }
}

static layer conv_layer(const char *name, int C, int H, int M, int k, int s, int pad)
{
    layer L;
    memset(&L, 0, sizeof L);
    L.name = name;
    L.p.C = C; L.p.H = H; L.p.W = H; L.p.M = M;
    L.p.KH = k; L.p.KW = k; L.p.SH = s; L.p.SW = s; L.p.DH = 1; L.p.DW = 1; L.p.PT = pad; L.p.PL = pad; L.p.G = 1;
    L.p.OH = (H + 2 * pad - k) / s + 1;
    L.p.OW = L.p.OH;
    return L;
}

/* The stem conv and its max-pool, separate and fused (see the header comment). */
static void stem_with_pool(const int *have, int reps)
{
    const layer L = conv_layer("stem", 3, 224, 64, 7, 2, 3);
    const bnn_conv_params *p = &L.p;
    bnn_pool_params q;
    size_t nin = (size_t)3 * 224 * 224, nw = (size_t)64 * 147, nconv = (size_t)64 * 112 * 112, npool = (size_t)64 * 56 * 56;
    float *in = alloc_floats(nin), *w = alloc_floats(nw), *scale = alloc_floats(64), *shift = alloc_floats(64);
    float *conv = alloc_floats(nconv), *sep = alloc_floats(npool), *fused = alloc_floats(npool);
    unsigned seed = 99u;
    double v[2][64];
    int impl, r;
    memset(&q, 0, sizeof q);
    q.C = 64; q.H = 112; q.W = 112; q.OH = 56; q.OW = 56; q.KH = 3; q.KW = 3; q.SH = 2; q.SW = 2; q.DH = 1; q.DW = 1;
    q.PT = 1; q.PL = 1;
    fill(in, nin, &seed); fill(w, nw, &seed); fill(scale, 64, &seed); fill(shift, 64, &seed);
    printf("\n%-28s %-9s %10s %10s %8s\n", "stem conv + maxpool 3x3/2", "impl", "2 calls us", "fused us", "same");
    for (impl = AVX2; impl < NIMPL; impl++) {
        const int avx512 = impl == AVX512;
        float *packed, *scratch;
        if (!have[impl]) continue;
        packed = alloc_floats(avx512 ? bnn_conv2d_weights_size__avx512(p) : bnn_conv2d_weights_size__avx2(p));
        scratch = alloc_floats(avx512 ? bnn_conv_maxpool_scratch_size__avx512(p, &q) : bnn_conv_maxpool_scratch_size__avx2(p, &q));
        if (avx512) bnn_conv2d_pack_weights__avx512(p, w, packed);
        else bnn_conv2d_pack_weights__avx2(p, w, packed);
        for (r = 0; r <= reps; r++) {     /* run 0 warms up */
            double t0 = now(), t1;
            if (avx512) bnn_conv2d_f32__avx512(p, in, packed, NULL, scratch, 0, 64, conv);
            else bnn_conv2d_f32__avx2(p, in, packed, NULL, scratch, 0, 64, conv);
            bnn_maxpool_affine_f32(&q, conv, scale, shift, sep);
            t1 = now();
            if (avx512) bnn_conv_maxpool_affine_f32__avx512(p, &q, in, packed, NULL, scale, shift, scratch, 0, 0, 56, fused);
            else bnn_conv_maxpool_affine_f32__avx2(p, &q, in, packed, NULL, scale, shift, scratch, 0, 0, 56, fused);
            if (r > 0) { v[0][r - 1] = t1 - t0; v[1][r - 1] = now() - t1; }
        }
        printf("%-28s %-9s %10.1f %10.1f %8s\n", "", impl_name[impl], 1e6 * median(v[0], reps), 1e6 * median(v[1], reps),
               memcmp(sep, fused, npool * sizeof(float)) == 0 ? "yes" : "NO");
        free(packed); free(scratch);
    }
    free(in); free(w); free(scale); free(shift); free(conv); free(sep); free(fused);
}

int main(int argc, char **argv)
{
    const int reps = argc > 1 ? atoi(argv[1]) : 15;
    layer layers[5];
    int have[NIMPL];
    double peak[NIMPL] = {0, 0, 0}, peak_median[NIMPL] = {0, 0, 0}, v[64], total_t[NIMPL] = {0, 0, 0};
    double total_macs = 0.0;
    float sink = 0.0f;
    int li, impl, r;

    __builtin_cpu_init();
    have[PORTABLE] = 1;
    have[AVX2] = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    have[AVX512] = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && have[AVX2];

    layers[0] = conv_layer("stem conv7x7/2 3->64 @224", 3, 224, 64, 7, 2, 3);
    layers[1] = conv_layer("conv1x1 64->128 @28", 64, 28, 128, 1, 1, 0);
    layers[2] = conv_layer("conv1x1 128->256 @14", 128, 14, 256, 1, 1, 0);
    layers[3] = conv_layer("conv1x1 256->512 @7", 256, 7, 512, 1, 1, 0);
    memset(&layers[4], 0, sizeof layers[4]);
    layers[4].name = "gemm 512->1000 (M=1)";
    layers[4].is_gemm = 1;
    layers[4].M = 1; layers[4].K = 512; layers[4].N = 1000;

    for (impl = AVX2; impl < NIMPL; impl++) {
        if (!have[impl]) continue;
        for (r = 0; r < 7; r++) v[r] = impl == AVX2 ? peak_avx2(&sink) : peak_avx512(&sink);
        peak[impl] = v[0];
        for (r = 1; r < 7; r++) peak[impl] = v[r] > peak[impl] ? v[r] : peak[impl];
        peak_median[impl] = median(v, 7);
    }
    peak[PORTABLE] = have[AVX512] ? peak[AVX512] : have[AVX2] ? peak[AVX2] : 0.0;
    printf("FMA register peak, one core (best of 7 runs of 12 independent chains; median in brackets):\n");
    if (have[AVX512])
        printf("  avx512: %.3g MAC/s = %.1f GFLOP/s (%.3g)\n", peak[AVX512], 2e-9 * peak[AVX512], peak_median[AVX512]);
    else printf("  avx512: not supported by this CPU\n");
    if (have[AVX2])
        printf("  avx2  : %.3g MAC/s = %.1f GFLOP/s (%.3g)\n", peak[AVX2], 2e-9 * peak[AVX2], peak_median[AVX2]);
    else printf("  avx2  : not supported by this CPU\n");
    printf("\n%-28s %-9s %10s %9s %8s %10s\n", "layer", "impl", "median us", "GFLOP/s", "%peak", "max err");

    for (li = 0; li < 5; li++) {
        const layer *L = &layers[li];
        size_t nin, nw, nout, nb;
        double macs;
        float *in, *w, *bias, *ref;
        unsigned seed = 12345u + (unsigned)li;
        if (L->is_gemm) {
            nin = (size_t)L->M * (size_t)L->K; nw = (size_t)L->K * (size_t)L->N;
            nout = (size_t)L->M * (size_t)L->N; nb = (size_t)L->N;
            macs = (double)L->M * L->K * L->N;
        } else {
            nin = (size_t)L->p.C * L->p.H * L->p.W; nw = (size_t)L->p.M * L->p.C * L->p.KH * L->p.KW;
            nout = (size_t)L->p.M * L->p.OH * L->p.OW; nb = (size_t)L->p.M;
            macs = (double)nout * L->p.C * L->p.KH * L->p.KW;
        }
        total_macs += macs;
        in = alloc_floats(nin); w = alloc_floats(nw); bias = alloc_floats(nb); ref = alloc_floats(nout);
        fill(in, nin, &seed); fill(w, nw, &seed); fill(bias, nb, &seed);
        for (impl = 0; impl < NIMPL; impl++) {
            job j;
            size_t np = 0, ns = 0, i;
            int calls = 1, c;
            double t, err = 0.0, scale = 0.0;
            if (!have[impl]) continue;
            memset(&j, 0, sizeof j);
            j.L = L; j.impl = impl; j.in = in; j.w = w; j.bias = bias;
            j.out = impl == PORTABLE ? ref : alloc_floats(nout);
            if (impl != PORTABLE) {
                if (L->is_gemm) np = impl == AVX2 ? bnn_matmul_weights_size__avx2(L->K, L->N) : bnn_matmul_weights_size__avx512(L->K, L->N);
                else {
                    np = impl == AVX2 ? bnn_conv2d_weights_size__avx2(&L->p) : bnn_conv2d_weights_size__avx512(&L->p);
                    ns = impl == AVX2 ? bnn_conv2d_scratch_size__avx2(&L->p) : bnn_conv2d_scratch_size__avx512(&L->p);
                }
                j.packed = alloc_floats(np);
                j.scratch = alloc_floats(ns);
                if (L->is_gemm) {
                    if (impl == AVX2) bnn_matmul_pack_weights__avx2(L->K, L->N, w, j.packed);
                    else bnn_matmul_pack_weights__avx512(L->K, L->N, w, j.packed);
                } else {
                    if (impl == AVX2) bnn_conv2d_pack_weights__avx2(&L->p, w, j.packed);
                    else bnn_conv2d_pack_weights__avx512(&L->p, w, j.packed);
                }
            }
            /* warm up, then size a timed batch to >= ~2 ms */
            t = now();
            run(&j);
            t = now() - t;
            while (calls * t < 2e-3 && calls < 100000) calls *= 2;
            for (r = 0; r < reps && r < 64; r++) {
                double t0 = now();
                for (c = 0; c < calls; c++) run(&j);
                v[r] = (now() - t0) / calls;
            }
            t = median(v, reps < 64 ? reps : 64);
            total_t[impl] += t;
            if (impl != PORTABLE) {
                for (i = 0; i < nout; i++) {
                    const double d = fabs((double)j.out[i] - (double)ref[i]);
                    if (d > err) err = d;
                    if (fabs((double)ref[i]) > scale) scale = fabs((double)ref[i]);
                }
                err /= scale > 0 ? scale : 1.0;
            }
            printf("%-28s %-9s %10.1f %9.1f %7.1f%% %10.2g\n", L->name, impl_name[impl], 1e6 * t, 2e-9 * macs / t,
                   peak[impl] > 0 ? 100.0 * macs / t / peak[impl] : 0.0, err);
            if (impl != PORTABLE) { free(j.out); free(j.packed); free(j.scratch); }
        }
        free(in); free(w); free(bias); free(ref);
    }
    printf("\n%-28s %-9s %10s %9s %8s\n", "all five layers", "impl", "sum us", "GFLOP/s", "%peak");
    for (impl = 0; impl < NIMPL; impl++)
        if (have[impl])
            printf("%-28s %-9s %10.1f %9.1f %7.1f%%\n", "", impl_name[impl], 1e6 * total_t[impl],
                   2e-9 * total_macs / total_t[impl], peak[impl] > 0 ? 100.0 * total_macs / total_t[impl] / peak[impl] : 0.0);
    printf("(max err: max |simd - portable| / max |portable| over the output; sink %g)\n", (double)sink);
    stem_with_pool(have, reps < 64 ? reps : 64);
    return 0;
}
