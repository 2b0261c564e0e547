/* Check of the NEON binary convolution kernels (bconv_neon.c) against the portable ones (bconv.c),
 * bit for bit, built for an ARM target and run under qemu-user by test_bconv_neon.py.
 *
 * stdin: one case per line,
 *   C H W M OH OW KH KW SH SW DH DW PT PL pad_bit in_pad out_pad oy_begin oy_end m_begin m_end seed
 * The __neon kernels read their input and write their packed output as word ranges of wider maps
 * with in_pad / out_pad extra words per pixel (strided_maps.h; 0: dense maps); the portable
 * references run on dense ones.
 * Inputs, weights, scale / bias / residual and thresholds come from a fixed PRNG (splitmix64) seeded
 * by `seed`. Every __neon entry point runs on rows [oy_begin, oy_end) (the _channels ones on
 * channels [m_begin, m_end)) into outputs prefilled with garbage, and is compared with the portable
 * kernel over the whole output: floats by bit pattern, packed words exactly (tail bits included),
 * and whatever lies outside the range must still be the garbage. One line per mismatch (at most a
 * few per case and check), then "cases N".
 * With the argument --dump, one case only: prints the portable weights ("w ..."), the packed words
 * ("p ...") and the aux table ("a ..."), for the test's numpy re-derivation of the layout.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnncc/common.h"
#include "bnncc/bconv.h"
#include "affine_stages.h"
#include "strided_maps.h"
#include "bnncc/bconv_blocked.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int rnd_int(int n) { return (int)(rnd() % (uint64_t)n); }

/* uniform in [lo, hi), with a short mantissa now and then (exact products: ties downstream) */
static float rnd_float(float lo, float hi)
{
    float u = (float)(rnd() >> 40) / (float)(1 << 24);
    if (rnd_int(4) == 0) u = (float)rnd_int(16) / 16.0f;
    return lo + (hi - lo) * u;
}

static void *xalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* packed [n][words(C)] with tail bits 0 */
static bnn_word *random_packed(size_t n, int C)
{
    const size_t nw = (size_t)bnn_words(C);
    bnn_word *x = xalloc(n * nw * sizeof *x);
    size_t i;
    for (i = 0; i < n * nw; i++) x[i] = rnd() & (i % nw == nw - 1 ? bnn_tail_mask(C) : ~(bnn_word)0);
    return x;
}

static int mismatches, case_no;

static void report(const char *what, size_t i, uint64_t got, uint64_t want)
{
    if (++mismatches <= 2000)
        printf("case %d %s index %zu got %016llx want %016llx\n", case_no, what, i, (unsigned long long)got,
               (unsigned long long)want);
}

static void cmp_f32(const char *what, const float *got, const float *want, size_t n)
{
    size_t i;
    int shown = 0;
    for (i = 0; i < n && shown < 4; i++) {
        uint32_t g, w;
        memcpy(&g, got + i, 4);
        memcpy(&w, want + i, 4);
        if (g != w) {
            report(what, i, g, w);
            shown++;
        }
    }
}

static void cmp_words(const char *what, const bnn_word *got, const bnn_word *want, size_t n)
{
    size_t i;
    int shown = 0;
    for (i = 0; i < n && shown < 4; i++)
        if (got[i] != want[i]) {
            report(what, i, got[i], want[i]);
            shown++;
        }
}

#define FILL_F 0x7FC0DEADu /* a NaN that no kernel writes */
#define FILL_W 0xA5A5A5A5A5A5A5A5ull

static void fill_f(float *x, size_t n)
{
    const uint32_t f = FILL_F;
    size_t i;
    for (i = 0; i < n; i++) memcpy(x + i, &f, 4);
}

static void fill_w(bnn_word *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = FILL_W;
}

/* The expected output of a range call: the full-output reference inside the range, fill outside.
 * f32: [M][OH*OW], rows [oy0, oy1) and channels [m0, m1); bits: [OH*OW][nwm], the rows' pixels
 * and the words of channels [m0, m1) (m0 a multiple of 64). */
static void expect_f32(const bnn_bconv_params *p, const float *full, int oy0, int oy1, int m0, int m1, float *e)
{
    const size_t hw = (size_t)p->OH * (size_t)p->OW;
    size_t i;
    fill_f(e, (size_t)p->M * hw);
    for (i = 0; i < (size_t)p->M * hw; i++) {
        const int m = (int)(i / hw), oy = (int)(i % hw) / p->OW;
        if (m >= m0 && m < m1 && oy >= oy0 && oy < oy1) e[i] = full[i];
    }
}

static void expect_bits(const bnn_bconv_params *p, const bnn_word *full, int oy0, int oy1, int m0, int m1,
                        bnn_word *e)
{
    const size_t hw = (size_t)p->OH * (size_t)p->OW, nwm = (size_t)bnn_words(p->M);
    size_t i;
    fill_w(e, hw * nwm);
    for (i = 0; i < hw * nwm; i++) {
        const int oy = (int)(i / nwm) / p->OW, wd = (int)(i % nwm);
        if (oy >= oy0 && oy < oy1 && wd * 64 >= m0 && wd * 64 < m1) e[i] = full[i];
    }
}

/* The strided output got (out_stride words per pixel, the range at lead) against the dense want. */
static void cmp_bits(const char *what, const bnn_word *got, const bnn_word *want, const bnn_bconv_params *q,
                     size_t lead, bnn_word *scratch)
{
    cmp_words(what, got, scratch, strided_output(want, q, lead, FILL_W, scratch));
}

/* p: dense maps (the portable references); the __neon kernels run on q, p with the strides. */
static void run_case(const bnn_bconv_params *p, int in_pad, int out_pad, int oy0, int oy1, int m0, int m1)
{
    const size_t hw = (size_t)p->OH * (size_t)p->OW;
    const size_t nwm = (size_t)bnn_words(p->M), nf = (size_t)p->M * hw, nb = hw * nwm;
    const size_t T = (size_t)p->KH * (size_t)p->KW, nw = (size_t)bnn_words(p->C), npix = (size_t)p->H * (size_t)p->W;
    bnn_bconv_params q = *p;
    const size_t out_lead = lead_of(out_pad);
    bnn_word *x = random_packed(npix, p->C), *xs, *bs, *bcmp;
    bnn_word *w = random_packed((size_t)p->M * T, p->C);
    bnn_word *wp = xalloc(bnn_bconv_weights_size__neon(p) * sizeof *wp);
    int32_t *aux = xalloc(bnn_bconv_aux_size__neon(p) * sizeof *aux);
    float *scale = xalloc((size_t)p->M * sizeof(float)), *bias = xalloc((size_t)p->M * sizeof(float));
    float *scale2 = xalloc((size_t)p->M * sizeof(float)), *bias2 = xalloc((size_t)p->M * sizeof(float));
    float *res = xalloc(nf * sizeof(float)), *res2 = xalloc(nf * sizeof(float)), *ref = xalloc(nf * sizeof(float));
    float *want = xalloc(nf * sizeof(float)), *got = xalloc(nf * sizeof(float));
    float *fthr = xalloc((size_t)p->M * sizeof(float));
    float *yfull = xalloc(nf * sizeof(float)), *ypart = xalloc(nf * sizeof(float));
    int32_t *thr = xalloc((size_t)p->M * sizeof(int32_t));
    int8_t *dir = xalloc((size_t)p->M);
    bnn_word *bref = xalloc(nb * sizeof *bref), *bwant = xalloc(nb * sizeof *bwant);
    int m, i_st;
    size_t i, nbs;

    q.in_stride = stride_of((int)nw, in_pad);
    q.out_stride = stride_of((int)nwm, out_pad);
    nbs = hw * bnn_out_stride(&q);
    xs = xalloc(npix * bnn_in_stride(&q) * sizeof *xs);
    for (i = 0; i < npix * bnn_in_stride(&q); i++) xs[i] = rnd();
    place_words(x, npix, nw, xs, (size_t)q.in_stride, lead_of(in_pad));
    xs += lead_of(in_pad);
    bs = xalloc(nbs * sizeof *bs);
    bcmp = xalloc(nbs * sizeof *bcmp);
    bnn_bconv_pack_weights__neon(p, w, wp, aux);
    for (m = 0; m < p->M; m++) {
        scale[m] = rnd_int(16) == 0 ? 0.0f : rnd_float(-2.0f, 2.0f);
        bias[m] = rnd_float(-8.0f, 8.0f);
        if (rnd_int(64) == 0) scale[m] = NAN;
        scale2[m] = rnd_int(16) == 0 ? 0.0f : rnd_float(-3.0f, 3.0f);
        bias2[m] = rnd_float(-5.0f, 5.0f);
        dir[m] = (int8_t)(rnd_int(3) - 1);
    }
    for (i = 0; i < nf; i++) res[i] = rnd_float(-4.0f, 4.0f), res2[i] = rnd_float(-6.0f, 6.0f);
    if (nf > 3 && rnd_int(2)) res[rnd() % nf] = NAN;

    /* f32 */
    bnn_bconv_f32(p, x, w, ref);
    expect_f32(p, ref, oy0, oy1, 0, p->M, want);
    fill_f(got, nf);
    bnn_bconv_f32__neon(&q, xs, wp, aux, oy0, oy1, got);
    cmp_f32("f32", got, want, nf);

    /* bits: integer thresholds at, next to or away from values acc takes */
    for (m = 0; m < p->M; m++) {
        const float a = ref[(size_t)m * hw + (size_t)rnd_int((int)hw)];
        thr[m] = (int32_t)a + rnd_int(5) - 2;
    }
    bnn_bconv_bits(p, x, w, thr, dir, bref);
    expect_bits(p, bref, oy0, oy1, 0, p->M, bwant);
    fill_w(bs, nbs);
    bnn_bconv_bits__neon(&q, xs, wp, aux, thr, dir, oy0, oy1, bs + out_lead);
    cmp_bits("bits", bs, bwant, &q, out_lead, bcmp);

    for (i_st = 0; i_st < STAGES_PER_CASE; i_st++) {
        const int r = stage_of(case_no, i_st);
        const bnn_affine_stage stage = stage_variant(r, scale, bias, res, scale2, bias2, res2), *st = &stage;
        /* affine f32, rows and channels */
        bnn_bconv_affine_f32_rows(p, x, w, st, 0, p->OH, yfull);
        fill_f(ypart, nf);
        bnn_bconv_affine_f32_rows(p, x, w, st, oy0, oy1, ypart);
        fill_f(got, nf);
        bnn_bconv_affine_f32__neon(&q, xs, wp, aux, st, oy0, oy1, got);
        cmp_f32(stage_name("affine_f32", r), got, ypart, nf);
        expect_f32(p, yfull, 0, p->OH, m0, m1, want);
        fill_f(got, nf);
        bnn_bconv_affine_f32_channels__neon(&q, xs, wp, aux, st, m0, m1, got);
        cmp_f32(stage_name("affine_f32_channels", r), got, want, nf);

        /* affine pack: float thresholds at values y takes (ties), one ulp off, or random */
        for (m = 0; m < p->M; m++) {
            const float y = yfull[(size_t)m * hw + (size_t)rnd_int((int)hw)];
            const int k = rnd_int(4);
            fthr[m] = k == 0 ? y : k == 1 ? nextafterf(y, INFINITY) : k == 2 ? nextafterf(y, -INFINITY)
                                                                           : rnd_float(-10.0f, 10.0f);
            if (isnan(fthr[m])) fthr[m] = rnd_float(-10.0f, 10.0f);
        }
        fill_f(ypart, nf);
        fill_w(bwant, nb);
        bnn_bconv_affine_pack_rows(p, x, w, st, fthr, dir, oy0, oy1, ypart, bwant);
        fill_f(got, nf);
        fill_w(bs, nbs);
        bnn_bconv_affine_pack__neon(&q, xs, wp, aux, st, fthr, dir, oy0, oy1, got, bs + out_lead);
        cmp_f32(stage_name("affine_pack.y", r), got, ypart, nf);
        cmp_bits(stage_name("affine_pack.bits", r), bs, bwant, &q, out_lead, bcmp);

        bnn_bconv_affine_pack_rows(p, x, w, st, fthr, dir, 0, p->OH, ypart, bref);
        expect_f32(p, ypart, 0, p->OH, m0, m1, want);
        expect_bits(p, bref, 0, p->OH, m0, m1, bwant);
        fill_f(got, nf);
        fill_w(bs, nbs);
        bnn_bconv_affine_pack_channels__neon(&q, xs, wp, aux, st, fthr, dir, m0, m1, got, bs + out_lead);
        cmp_f32(stage_name("affine_pack_channels.y", r), got, want, nf);
        cmp_bits(stage_name("affine_pack_channels.bits", r), bs, bwant, &q, out_lead, bcmp);
    }

    free(xs - lead_of(in_pad)); free(bs); free(bcmp);
    free(x); free(w); free(wp); free(aux); free(scale); free(bias); free(scale2); free(bias2); free(res); free(res2);
    free(ref); free(want); free(got);
    free(fthr); free(yfull); free(ypart); free(thr); free(dir); free(bref); free(bwant);
}

int main(int argc, char **argv)
{
    const int dump = argc > 1 && strcmp(argv[1], "--dump") == 0;
    bnn_bconv_params p = {0};
    int in_pad, out_pad, oy0, oy1, m0, m1;
    unsigned long long seed;
    while (scanf("%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %llu", &p.C, &p.H, &p.W, &p.M,
                 &p.OH, &p.OW, &p.KH, &p.KW, &p.SH, &p.SW, &p.DH, &p.DW, &p.PT, &p.PL, &p.pad_bit, &in_pad, &out_pad,
                 &oy0, &oy1, &m0, &m1, &seed) == 22) {
        rng_state = seed;
        case_no++;
        if (dump) {
            const size_t n = (size_t)p.M * (size_t)p.KH * (size_t)p.KW * (size_t)bnn_words(p.C);
            const size_t np_ = bnn_bconv_weights_size__neon(&p), na = bnn_bconv_aux_size__neon(&p);
            bnn_word *w = random_packed((size_t)p.M * (size_t)p.KH * (size_t)p.KW, p.C);
            bnn_word *wp = xalloc(np_ * sizeof *wp);
            int32_t *aux = xalloc(na * sizeof *aux);
            size_t i;
            bnn_bconv_pack_weights__neon(&p, w, wp, aux);
            printf("w");
            for (i = 0; i < n; i++) printf(" %llu", (unsigned long long)w[i]);
            printf("\np");
            for (i = 0; i < np_; i++) printf(" %llu", (unsigned long long)wp[i]);
            printf("\na");
            for (i = 0; i < na; i++) printf(" %d", (int)aux[i]);
            printf("\n");
            free(w); free(wp); free(aux);
            return 0;
        }
        run_case(&p, in_pad, out_pad, oy0, oy1, m0, m1);
    }
    printf("cases %d\n", case_no);
    return 0;
}
