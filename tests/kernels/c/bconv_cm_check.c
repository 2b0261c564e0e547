/* Check of the Cortex-M binary convolution kernels (bconv_cm.c) against the portable ones (bconv.c),
 * bit for bit, built as firmware for an MPS2 board and run on qemu-system-arm by test_bconv_cm.py.
 *
 * Semihosting command line: CASES, a host file with one case per line,
 *   C H W M OH OW KH KW SH SW DH DW PT PL pad_bit in_pad out_pad oy_begin oy_end seed opposite
 * Inputs, weights, scale / bias / residual and thresholds come from a fixed PRNG (splitmix64) seeded by
 * `seed`; with opposite = 1, every input bit is 1 and every weight bit 0 (all products -1: the largest
 * popcounts the kernel's counters must hold). The __cm kernels read their input and write their packed
 * output as word ranges of wider maps with in_pad / out_pad extra words per pixel (strided_maps.h;
 * 0: dense maps); the portable references run on dense ones. Every __cm entry point runs on rows [oy_begin, oy_end) into outputs prefilled with garbage and
 * is compared with the portable kernel on the same rows over the whole output: floats by bit pattern,
 * packed words exactly (tail bits included), garbage outside the rows. On the console: one line per
 * mismatch (at most a few per case and check), then "cases N". No C library beyond memset/memcpy: memory
 * comes from the free RAM of board.ld, released after each case (helpers: firmware_check.h).
 */
#include <stdint.h>
#include <string.h>

#include "firmware_check.h"
#include "bnncc/bconv.h"
#include "affine_stages.h"
#include "strided_maps.h"
#include "bnncc/bconv_cm.h"

/* The strided output got (out_stride words per pixel, the range at lead) against the dense want. */
static void cmp_bits(const char *what, const bnn_word *got, const bnn_word *want, const bnn_bconv_params *q,
                     size_t lead, bnn_word *scratch)
{
    cmp_words(what, got, scratch, strided_output(want, q, lead, FILL_W, scratch));
}

/* p: dense maps (the portable references); the __cm kernels run on q, p with the strides. */
static void run_case(const bnn_bconv_params *p, int in_pad, int out_pad, int oy0, int oy1, int opposite)
{
    const size_t hw = (size_t)p->OH * (size_t)p->OW;
    const size_t nf = (size_t)p->M * hw, nb = hw * (size_t)bnn_words(p->M);
    const size_t T = (size_t)p->KH * (size_t)p->KW;
    bnn_word *x = random_packed((size_t)p->H * (size_t)p->W, p->C);
    bnn_word *w = random_packed((size_t)p->M * T, p->C);
    float *scale = take((size_t)p->M * sizeof(float)), *bias = take((size_t)p->M * sizeof(float));
    float *scale2 = take((size_t)p->M * sizeof(float)), *bias2 = take((size_t)p->M * sizeof(float));
    float *res = take(nf * sizeof(float)), *res2 = take(nf * sizeof(float)), *full = take(nf * sizeof(float));
    float *want = take(nf * sizeof(float)), *got = take(nf * sizeof(float));
    float *fthr = take((size_t)p->M * sizeof(float));
    int32_t *thr = take((size_t)p->M * sizeof(int32_t));
    int8_t *dir = take((size_t)p->M);
    bnn_word *bwant = take(nb * sizeof *bwant);
    const size_t npix = (size_t)p->H * (size_t)p->W, out_lead = lead_of(out_pad);
    bnn_bconv_params q = *p;
    bnn_word *xs, *bs, *bcmp;
    int m, i_st;
    size_t i, nbs;

    if (opposite) {
        const size_t nw = (size_t)bnn_words(p->C);
        for (i = 0; i < (size_t)p->H * (size_t)p->W * nw; i++) x[i] = i % nw == nw - 1 ? bnn_tail_mask(p->C) : ~0ull;
        memset(w, 0, (size_t)p->M * T * nw * sizeof *w);
    }
    for (m = 0; m < p->M; m++) {
        scale[m] = rnd_int(16) == 0 ? 0.0f : rnd_float(-2.0f, 2.0f);
        bias[m] = rnd_float(-8.0f, 8.0f);
        if (rnd_int(64) == 0) scale[m] = bits_float(0x7FC00000u);   /* NaN */
        scale2[m] = rnd_int(16) == 0 ? 0.0f : rnd_float(-3.0f, 3.0f);
        bias2[m] = rnd_float(-5.0f, 5.0f);
        dir[m] = (int8_t)(rnd_int(3) - 1);
    }
    for (i = 0; i < nf; i++) res[i] = rnd_float(-4.0f, 4.0f), res2[i] = rnd_float(-6.0f, 6.0f);
    q.in_stride = stride_of(bnn_words(p->C), in_pad);
    q.out_stride = stride_of(bnn_words(p->M), out_pad);
    xs = take(npix * bnn_in_stride(&q) * sizeof *xs);
    for (i = 0; i < npix * bnn_in_stride(&q); i++) xs[i] = rnd();
    place_words(x, npix, (size_t)bnn_words(p->C), xs, (size_t)q.in_stride, lead_of(in_pad));
    xs += lead_of(in_pad);
    nbs = hw * bnn_out_stride(&q);
    bs = take(nbs * sizeof *bs);
    bcmp = take(nbs * sizeof *bcmp);

    /* f32 */
    bnn_bconv_f32_rows(p, x, w, 0, p->OH, full);
    fill_f(want, nf);
    bnn_bconv_f32_rows(p, x, w, oy0, oy1, want);
    fill_f(got, nf);
    bnn_bconv_f32_rows__cm(&q, xs, w, oy0, oy1, got);
    cmp_f32("f32", got, want, nf);

    /* bits: integer thresholds at, next to or away from values acc takes */
    for (m = 0; m < p->M; m++) thr[m] = (int32_t)full[(size_t)m * hw + (size_t)rnd_int((int)hw)] + rnd_int(5) - 2;
    fill_w(bwant, nb);
    bnn_bconv_bits_rows(p, x, w, thr, dir, oy0, oy1, bwant);
    fill_w(bs, nbs);
    bnn_bconv_bits_rows__cm(&q, xs, w, thr, dir, oy0, oy1, bs + out_lead);
    cmp_bits("bits", bs, bwant, &q, out_lead, bcmp);

    for (i_st = 0; i_st < STAGES_PER_CASE; i_st++) {
        const int r = stage_of(case_no, i_st);
        const bnn_affine_stage stage = stage_variant(r, scale, bias, res, scale2, bias2, res2), *st = &stage;
        bnn_bconv_affine_f32_rows(p, x, w, st, 0, p->OH, full);
        fill_f(want, nf);
        bnn_bconv_affine_f32_rows(p, x, w, st, oy0, oy1, want);
        fill_f(got, nf);
        bnn_bconv_affine_f32_rows__cm(&q, xs, w, st, oy0, oy1, got);
        cmp_f32(stage_name("affine_f32", r), got, want, nf);

        /* float thresholds at values y takes (ties), one ulp off, or random */
        for (m = 0; m < p->M; m++) {
            const float y = full[(size_t)m * hw + (size_t)rnd_int((int)hw)];
            const int k = rnd_int(4);
            fthr[m] = k == 3 || y != y ? rnd_float(-10.0f, 10.0f) : bits_float(float_bits(y) + (uint32_t)k - 1u);
        }
        fill_f(want, nf);
        fill_w(bwant, nb);
        bnn_bconv_affine_pack_rows(p, x, w, st, fthr, dir, oy0, oy1, want, bwant);
        fill_f(got, nf);
        fill_w(bs, nbs);
        bnn_bconv_affine_pack_rows__cm(&q, xs, w, st, fthr, dir, oy0, oy1, got, bs + out_lead);
        cmp_f32(stage_name("affine_pack.y", r), got, want, nf);
        cmp_bits(stage_name("affine_pack.bits", r), bs, bwant, &q, out_lead, bcmp);
    }
}

int main(void)
{
    const char *cursor = read_case_file();
    unsigned char *case_ram = free_ram;
    if (!cursor) return 4;
    for (;;) {
        long v[21];
        int k;
        bnn_bconv_params p = {0};
        for (k = 0; k < 21 && next_int(&cursor, &v[k]); k++) continue;
        if (k < 21) break;
        p.C = (int)v[0], p.H = (int)v[1], p.W = (int)v[2], p.M = (int)v[3], p.OH = (int)v[4], p.OW = (int)v[5];
        p.KH = (int)v[6], p.KW = (int)v[7], p.SH = (int)v[8], p.SW = (int)v[9], p.DH = (int)v[10], p.DW = (int)v[11];
        p.PT = (int)v[12], p.PL = (int)v[13], p.pad_bit = (int)v[14];
        rng_state = (uint64_t)v[19];
        case_no++;
        free_ram = case_ram;
        run_case(&p, (int)v[15], (int)v[16], (int)v[17], (int)v[18], (int)v[20]);
    }
    print_case_count();
    return 0;
}
