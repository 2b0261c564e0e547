/* Benchmark of the binary convolution kernels on the Bi-Real-Net-18 3x3 layers (224x224, batch 1,
 * one thread), against the register-only xor+popcount+add peak of the machine.
 *
 * Build (from the repository root; the bench itself needs no ISA flags, it checks CPUID; keep
 * -ffp-contract=off as the library does, so no build fuses the affine into FMAs):
 *   cc -O2 -ffp-contract=off -Iruntime_c/include -c runtime_c/src/bconv.c -o /tmp/bconv.o
 *   cc -O2 -ffp-contract=off -Iruntime_c/include -mavx512f -mavx512bw -mavx512vpopcntdq -mavx2 -mfma \
 *      -mpopcnt -c runtime_c/src/bconv_avx512.c -o /tmp/bconv_avx512.o
 *   cc -O2 -ffp-contract=off -Iruntime_c/include -mavx2 -mfma -mpopcnt -c runtime_c/src/bconv_avx2.c \
 *      -o /tmp/bconv_avx2.o
 *   cc -O2 -ffp-contract=off -Iruntime_c/include -c runtime_c/src/pack.c -o /tmp/pack.o
 *   cc -O3 -ffp-contract=off -Iruntime_c/include runtime_c/bench/bconv_bench.c /tmp/bconv.o \
 *      /tmp/bconv_avx512.o /tmp/bconv_avx2.o /tmp/pack.o -o /tmp/bconv_bench && /tmp/bconv_bench [runs [layer index (-1: all) [impl: 0 portable, 1 avx512, 2 avx2]]]
 *
 * MACs count every tap of every output (OH*OW*M*KH*KW*C), padding included. Peak: 512 binary
 * MACs per zmm xor+vpopcntq+vpaddq; 256 per ymm xor+vpshufb-popcount+byte add (AVX2). Reported
 * times are medians over `runs` runs (default 9); each run repeats a kernel for >= 20 ms.
 *
 * Second table, Bi-Real-Net's conv -> BatchNormalization -> residual Add: "conv+pass" is the f32
 * kernel followed by a separate pass y = (acc * scale[m] + bias[m]) + residual (a plain C loop,
 * `affine_pass`, built for the kernel's ISA), "fused" the bnn_bconv_affine_f32 kernel writing y
 * directly (with residual; "no-res": residual NULL); the four are timed in turn within each run.
 *
 * Third table, the same followed by the next layer's input packing (thresholds, as Bi-Real-Net's
 * binarizer): "fused+pack pass" is the fused kernel then bnn_pack_threshold_range_f32 (pack.h) over y,
 * "fused pack" bnn_bconv_affine_pack_* writing y and its bits in one pass (both with residual; timed
 * in turn with the four above).
 */
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bnncc/bconv.h"
#include "bnncc/bconv_blocked.h"
#include "bnncc/pack.h"

#include "bench_clock.h"

/* ---------------------------------------------------------------- register-only peaks */

#define PEAK_ACC 12

__attribute__((target("avx512f,avx512bw,avx512vpopcntdq"), noinline)) static uint64_t peak_avx512(long iters,
                                                                                              uint64_t seed)
{
    __m512i a[PEAK_ACC], x[PEAK_ACC], s;
    __m512i w = _mm512_set1_epi64((long long)seed);
    int i;
    long k;
    for (i = 0; i < PEAK_ACC; i++) {
        a[i] = _mm512_setzero_si512();
        x[i] = _mm512_set1_epi64((long long)(seed * 7 + (uint64_t)i));
    }
    for (k = 0; k < iters; k++) {
        _Pragma("GCC unroll 16") for (i = 0; i < PEAK_ACC; i++)
            a[i] = _mm512_add_epi64(a[i], _mm512_popcnt_epi64(_mm512_xor_si512(x[i], w)));
        __asm__ volatile("" : "+v"(w)); /* keeps the xors in the loop */
    }
    s = a[0];
    for (i = 1; i < PEAK_ACC; i++) s = _mm512_add_epi64(s, a[i]);
    return (uint64_t)_mm512_reduce_add_epi64(s);
}

#define PEAK2_ACC 8
__attribute__((target("avx2"), noinline)) static uint64_t peak_avx2(long iters, uint64_t seed)
{
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    __m256i a[PEAK2_ACC], b[PEAK2_ACC], s;
    __m256i w = _mm256_set1_epi64x((long long)seed);
    uint64_t out[4];
    int i, t;
    long k;
    for (i = 0; i < PEAK2_ACC; i++) a[i] = _mm256_setzero_si256();
    for (k = 0; k < iters; k++) { /* 31 steps into byte counters, then one vpsadbw flush */
        for (i = 0; i < PEAK2_ACC; i++) b[i] = _mm256_setzero_si256();
        for (t = 0; t < 31; t++) {
            _Pragma("GCC unroll 16") for (i = 0; i < PEAK2_ACC; i++) {
                const __m256i y = _mm256_xor_si256(w, _mm256_set1_epi64x((long long)i));
                b[i] = _mm256_add_epi8(b[i], _mm256_shuffle_epi8(lut, _mm256_and_si256(y, low4)));
                b[i] = _mm256_add_epi8(b[i], _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(y, 4), low4)));
            }
            __asm__ volatile("" : "+x"(w));
        }
        _Pragma("GCC unroll 16") for (i = 0; i < PEAK2_ACC; i++)
            a[i] = _mm256_add_epi64(a[i], _mm256_sad_epu8(b[i], _mm256_setzero_si256()));
    }
    s = a[0];
    for (i = 1; i < PEAK2_ACC; i++) s = _mm256_add_epi64(s, a[i]);
    _mm256_storeu_si256((__m256i *)out, s);
    return out[0] + out[1] + out[2] + out[3];
}

static volatile uint64_t sink;

static double measure_peak(int avx512, int runs)
{
    double t[64];
    int r;
    const long iters = avx512 ? 4000000 : 200000;
    const double macs = avx512 ? (double)iters * PEAK_ACC * 512.0 : (double)iters * 31.0 * PEAK2_ACC * 256.0;
    for (r = 0; r < runs; r++) {
        double t0 = now();
        sink = avx512 ? peak_avx512(iters, (uint64_t)r) : peak_avx2(iters, (uint64_t)r);
        t[r] = macs / (now() - t0);
    }
    return median(t, runs);
}

/* ---------------------------------------------------------------- layers */

typedef struct {
    const char *name;
    int C, H, W, M, S;
} layer;

static const layer LAYERS[] = {
    {"56x56x64->64    s1", 64, 56, 56, 64, 1},    {"56x56x64->128   s2", 64, 56, 56, 128, 2},
    {"28x28x128->128  s1", 128, 28, 28, 128, 1},  {"28x28x128->256  s2", 128, 28, 28, 256, 2},
    {"14x14x256->256  s1", 256, 14, 14, 256, 1},  {"14x14x256->512  s2", 256, 14, 14, 512, 2},
    {"7x7x512->512    s1", 512, 7, 7, 512, 1},
};

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

enum { PORTABLE, AVX512, AVX2, N_IMPL };
static const char *IMPL_NAME[N_IMPL] = {"portable", "avx512", "avx2"};

/* what a job runs: f32 kernel, bits kernel, f32 kernel + separate affine/residual pass, fused kernel */
enum { MODE_F32, MODE_BITS, MODE_F32_PASS, MODE_FUSED, MODE_FUSED_PACK_PASS, MODE_FUSED_PACK };
#define N_FUSE 6 /* jobs of the fusion tables: MODE_F32, MODE_F32_PASS, fused, fused no-res, the two packs */

typedef struct {
    const bnn_bconv_params *p;
    const bnn_word *in, *w, *wp;
    const int32_t *aux, *thr;
    const int8_t *dir;
    const float *scale, *bias, *res, *fthr;
    float *fout, *yout;
    bnn_word *bout, *pout;
    int impl, mode;
} job;

/* The unfused BatchNormalization + residual Add: y = (acc * scale[m] + bias[m]) + residual, one
 * rounding per step, as the runtime's separate pass; one copy per ISA (vectorized at -O3, as the
 * x86 targets build the runtime), used with the kernel of that ISA. */
#define AFFINE_PASS(name, attrs)                                                                        \
    attrs static void name(int M, size_t HW, const float *acc, const float *scale, const float *bias,    \
                           const float *res, float *y)                                                  \
    {                                                                                                   \
        int m;                                                                                          \
        size_t i;                                                                                       \
        for (m = 0; m < M; m++) {                                                                       \
            const float s = scale[m], b = bias[m];                                                      \
            const float *a = acc + (size_t)m * HW, *r = res + (size_t)m * HW;                           \
            float *o = y + (size_t)m * HW;                                                              \
            for (i = 0; i < HW; i++) {                                                                  \
                float t = a[i] * s;                                                                     \
                t = t + b;                                                                              \
                o[i] = t + r[i];                                                                        \
            }                                                                                           \
        }                                                                                               \
    }
AFFINE_PASS(affine_pass, __attribute__((noinline)))
AFFINE_PASS(affine_pass_avx2, __attribute__((noinline, target("avx2,fma"))))
AFFINE_PASS(affine_pass_avx512, __attribute__((noinline, target("avx512f,avx512bw,avx2,fma"))))

static void call(const job *j)
{
    const bnn_bconv_params *p = j->p;
    const int bits = j->mode == MODE_BITS;
    const bnn_affine_stage st = {j->scale, j->bias, j->res, NULL, NULL, NULL};
    if (j->mode == MODE_FUSED_PACK) {
        switch (j->impl) {
        case PORTABLE:
            bnn_bconv_affine_pack_rows(p, j->in, j->w, &st, j->fthr, j->dir, 0, p->OH, j->yout,
                                       j->pout);
            break;
        case AVX512:
            bnn_bconv_affine_pack__avx512(p, j->in, j->wp, j->aux, &st, j->fthr, j->dir, 0, p->OH,
                                          j->yout, j->pout);
            break;
        default:
            bnn_bconv_affine_pack__avx2(p, j->in, j->wp, j->aux, &st, j->fthr, j->dir, 0, p->OH,
                                        j->yout, j->pout);
            break;
        }
        return;
    }
    if (j->mode == MODE_FUSED || j->mode == MODE_FUSED_PACK_PASS) {
        switch (j->impl) {
        case PORTABLE: bnn_bconv_affine_f32_rows(p, j->in, j->w, &st, 0, p->OH, j->yout); break;
        case AVX512:
            bnn_bconv_affine_f32__avx512(p, j->in, j->wp, j->aux, &st, 0, p->OH, j->yout);
            break;
        default: bnn_bconv_affine_f32__avx2(p, j->in, j->wp, j->aux, &st, 0, p->OH, j->yout); break;
        }
        if (j->mode == MODE_FUSED_PACK_PASS)
            bnn_pack_threshold_range_f32(j->yout, p->M, p->OH * p->OW, 0, p->OH * p->OW, j->fthr, j->dir, j->pout);
        return;
    }
    switch (j->impl) {
    case PORTABLE:
        if (bits) bnn_bconv_bits(p, j->in, j->w, j->thr, j->dir, j->bout);
        else bnn_bconv_f32(p, j->in, j->w, j->fout);
        break;
    case AVX512:
        if (bits) bnn_bconv_bits__avx512(p, j->in, j->wp, j->aux, j->thr, j->dir, 0, p->OH, j->bout);
        else bnn_bconv_f32__avx512(p, j->in, j->wp, j->aux, 0, p->OH, j->fout);
        break;
    default:
        if (bits) bnn_bconv_bits__avx2(p, j->in, j->wp, j->aux, j->thr, j->dir, 0, p->OH, j->bout);
        else bnn_bconv_f32__avx2(p, j->in, j->wp, j->aux, 0, p->OH, j->fout);
        break;
    }
    if (j->mode == MODE_F32_PASS) {
        const size_t hw = (size_t)p->OH * (size_t)p->OW;
        if (j->impl == AVX512) affine_pass_avx512(p->M, hw, j->fout, j->scale, j->bias, j->res, j->yout);
        else if (j->impl == AVX2) affine_pass_avx2(p->M, hw, j->fout, j->scale, j->bias, j->res, j->yout);
        else affine_pass(p->M, hw, j->fout, j->scale, j->bias, j->res, j->yout);
    }
}

/* median seconds per call of each of the n jobs, timed in turn within each run (so that drift of
 * the machine hits all of them alike) */
static void time_jobs(const job *j, int n, int runs, double *med)
{
    double t[8][64], t0, dt;
    int reps[8], r, k, i;
    for (i = 0; i < n && i < 8; i++) {
        call(&j[i]); /* warm up */
        t0 = now();
        call(&j[i]);
        dt = now() - t0;
        for (reps[i] = 1; dt * reps[i] < 0.02;) reps[i] *= 2;
    }
    for (r = 0; r < runs; r++) {
        for (i = 0; i < n && i < 8; i++) {
            t0 = now();
            for (k = 0; k < reps[i]; k++) call(&j[i]);
            t[i][r] = (now() - t0) / reps[i];
        }
    }
    for (i = 0; i < n && i < 8; i++) med[i] = median(t[i], runs);
}

static double time_job(const job *j, int runs)
{
    double med;
    time_jobs(j, 1, runs, &med);
    return med;
}

int main(int argc, char **argv)
{
    const int runs = argc > 1 ? atoi(argv[1]) : 9;
    const int only = argc > 2 ? atoi(argv[2]) : -1;
    const int only_impl = argc > 3 ? atoi(argv[3]) : -1; /* 0 portable, 1 avx512, 2 avx2 */
    int has[N_IMPL];
    double peak512 = 0, peak2 = 0, peak_of[N_IMPL];
    double fuse_t[sizeof LAYERS / sizeof LAYERS[0]][N_IMPL][N_FUSE]; /* f32, f32+pass, fused, fused w/o residual,
                                                                      fused + pack pass, fused pack */
    size_t li;

    if (runs < 1 || runs > 64) return 2;
    __builtin_cpu_init();
    has[PORTABLE] = 1;
    has[AVX512] = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512vpopcntdq") && __builtin_cpu_supports("avx2");
    has[AVX2] = __builtin_cpu_supports("avx2");

    if (has[AVX512]) peak512 = measure_peak(1, runs);
    if (has[AVX2]) peak2 = measure_peak(0, runs);
    printf("register-only peak, one core: avx512 xor+vpopcntq+add %.3g MAC/s, avx2 xor+vpshufb-popcount %.3g MAC/s\n",
           peak512, peak2);
    /* the portable kernel is rated against the best peak of the machine */
    peak_of[AVX512] = peak512;
    peak_of[AVX2] = peak2;
    peak_of[PORTABLE] = peak512 > 0 ? peak512 : peak2;
    for (li = 0; li < N_IMPL; li++)
        if (only_impl >= 0 && (size_t)only_impl != li) has[li] = 0;

    printf("%-20s %-9s %10s %9s %8s %10s %8s\n", "layer", "impl", "f32 us", "GMAC/s", "%peak", "bits us",
           "%peak");
    for (li = 0; li < sizeof LAYERS / sizeof LAYERS[0]; li++) {
        const layer *L = &LAYERS[li];
        bnn_bconv_params p = {0};
        size_t nw, n_in, n_w, i;
        bnn_word *in, *w, *wp, *bout;
        int32_t *aux, *thr;
        int8_t *dir;
        float *fout, *yout, *res, *scale, *bias, *fthr;
        bnn_word *pout;
        size_t ny;
        double macs;
        int impl;

        if (only >= 0 && (size_t)only != li) continue;
        memset(&p, 0, sizeof p);
        p.C = L->C;
        p.H = L->H;
        p.W = L->W;
        p.M = L->M;
        p.KH = p.KW = 3;
        p.SH = p.SW = L->S;
        p.DH = p.DW = 1;
        p.PT = p.PL = 1;
        p.OH = (L->H + 2 - 3) / L->S + 1;
        p.OW = (L->W + 2 - 3) / L->S + 1;
        p.pad_bit = BNN_PAD_ZERO;
        nw = (size_t)bnn_words(p.C);
        n_in = (size_t)p.H * (size_t)p.W * nw;
        n_w = (size_t)p.M * 9 * nw;
        in = malloc(n_in * sizeof *in);
        w = malloc(n_w * sizeof *w);
        wp = malloc((n_w + 64 * 9 * nw) * sizeof *wp);
        aux = malloc(((size_t)p.M + 64) * 9 * sizeof *aux);
        thr = malloc((size_t)p.M * sizeof *thr);
        dir = malloc((size_t)p.M);
        fout = malloc((size_t)p.M * (size_t)p.OH * (size_t)p.OW * sizeof *fout);
        bout = malloc((size_t)p.OH * (size_t)p.OW * (size_t)bnn_words(p.M) * sizeof *bout);
        ny = (size_t)p.M * (size_t)p.OH * (size_t)p.OW;
        yout = malloc(ny * sizeof *yout);
        res = malloc(ny * sizeof *res);
        scale = malloc((size_t)p.M * sizeof *scale);
        bias = malloc((size_t)p.M * sizeof *bias);
        fthr = malloc((size_t)p.M * sizeof *fthr);
        pout = malloc((size_t)p.OH * (size_t)p.OW * (size_t)bnn_words(p.M) * sizeof *pout);
        if (!in || !w || !wp || !aux || !thr || !dir || !fout || !bout || !yout || !res || !scale || !bias || !fthr ||
            !pout)
            return 1;
        for (i = 0; i < ny; i++) res[i] = (float)(rnd() % 2001) * 0.01f - 10.0f;
        for (i = 0; i < (size_t)p.M; i++) {
            scale[i] = (float)(rnd() % 1000 + 1) * 0.001f;
            bias[i] = (float)(rnd() % 2001) * 0.01f - 10.0f;
            fthr[i] = (float)(rnd() % 2001) * 0.01f - 10.0f;
        }
        for (i = 0; i < n_in; i++) in[i] = rnd();
        for (i = 0; i < n_w; i++) w[i] = rnd();
        for (i = 0; i < (size_t)p.M; i++) {
            thr[i] = (int32_t)(rnd() % 64) - 32;
            dir[i] = (int8_t)(rnd() % 2 ? 1 : -1);
        }
        macs = (double)p.OH * p.OW * p.M * 9.0 * p.C;

        for (impl = 0; impl < N_IMPL; impl++) {
            job j;
            double tf, tb;
            if (!has[impl]) continue;
            if (impl == AVX512) bnn_bconv_pack_weights__avx512(&p, w, wp, aux);
            if (impl == AVX2) bnn_bconv_pack_weights__avx2(&p, w, wp, aux);
            j.p = &p;
            j.in = in;
            j.w = w;
            j.wp = wp;
            j.aux = aux;
            j.thr = thr;
            j.dir = dir;
            j.scale = scale;
            j.bias = bias;
            j.res = res;
            j.fthr = fthr;
            j.pout = pout;
            j.fout = fout;
            j.yout = yout;
            j.bout = bout;
            j.impl = impl;
            j.mode = MODE_BITS;
            tb = time_job(&j, runs);
            {
                job trio[N_FUSE];
                trio[0] = trio[1] = trio[2] = trio[3] = trio[4] = trio[5] = j;
                trio[0].mode = MODE_F32;
                trio[1].mode = MODE_F32_PASS;
                trio[2].mode = trio[3].mode = MODE_FUSED;
                trio[3].res = NULL;
                trio[4].mode = MODE_FUSED_PACK_PASS;
                trio[5].mode = MODE_FUSED_PACK;
                time_jobs(trio, N_FUSE, runs, fuse_t[li][impl]);
                tf = fuse_t[li][impl][0];
            }
            printf("%-20s %-9s %10.1f %9.1f %7.1f%% %10.1f %7.1f%%\n", L->name, IMPL_NAME[impl], tf * 1e6,
                   macs / tf * 1e-9, 100.0 * macs / tf / peak_of[impl], tb * 1e6, 100.0 * macs / tb / peak_of[impl]);
            fflush(stdout);
        }
        free(in);
        free(w);
        free(wp);
        free(aux);
        free(thr);
        free(dir);
        free(fout);
        free(bout);
        free(yout);
        free(res);
        free(scale);
        free(bias);
        free(fthr);
        free(pout);
    }

    printf("\nconv -> BatchNormalization -> residual Add (f32 output, medians)\n");
    printf("%-20s %-9s %10s %10s %10s %10s %8s %12s\n", "layer", "impl", "f32 us", "+pass us", "conv+pass",
           "fused us", "saved", "fused no-res");
    for (li = 0; li < sizeof LAYERS / sizeof LAYERS[0]; li++) {
        int impl;
        if (only >= 0 && (size_t)only != li) continue;
        for (impl = 0; impl < N_IMPL; impl++) {
            const double *t = fuse_t[li][impl];
            if (!has[impl]) continue;
            printf("%-20s %-9s %10.1f %10.1f %10.1f %10.1f %7.1f%% %12.1f\n", LAYERS[li].name, IMPL_NAME[impl],
                   t[0] * 1e6, (t[1] - t[0]) * 1e6, t[1] * 1e6, t[2] * 1e6, 100.0 * (t[1] - t[2]) / t[1], t[3] * 1e6);
        }
    }

    printf("\nconv -> BatchNormalization -> residual Add -> next layer's input packing (medians)\n");
    printf("%-20s %-9s %10s %10s %16s %12s %8s\n", "layer", "impl", "fused us", "pack us", "fused+pack pass",
           "fused pack", "saved");
    for (li = 0; li < sizeof LAYERS / sizeof LAYERS[0]; li++) {
        int impl;
        if (only >= 0 && (size_t)only != li) continue;
        for (impl = 0; impl < N_IMPL; impl++) {
            const double *t = fuse_t[li][impl];
            if (!has[impl]) continue;
            printf("%-20s %-9s %10.1f %10.1f %16.1f %12.1f %7.1f%%\n", LAYERS[li].name, IMPL_NAME[impl], t[2] * 1e6,
                   (t[4] - t[2]) * 1e6, t[4] * 1e6, t[5] * 1e6, 100.0 * (t[4] - t[5]) / t[4]);
        }
    }
    return 0;
}
