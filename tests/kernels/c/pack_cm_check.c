/* Check of the Cortex-M packing kernels (pack_cm.c) against the portable ones (pack.c), bit for bit,
 * built as firmware for an MPS2 board and run on qemu-system-arm by test_pack_cm.py.
 *
 * Semihosting command line: CASES, a host file with one case per line,
 *   C HW p_begin p_end dirs affine residual bits alias seed
 * dirs: 0 mixed, 1 all > 0, 2 all <= 0 (the kernel's three loops; the values of dir vary: 1, 127, 0,
 * -1, -128); affine 0: bnn_pack_threshold_range, 1: bnn_affine_pack_range with or without a residual
 * and bits, y aliasing nothing (alias 0), x (1) or the residual (2). Values: +-0, NaNs of both signs,
 * +-inf, subnormals, +-FLT_MIN, values equal to their channel's threshold, small integers, random
 * floats, and affine results that land on subnormals or cancel. Outputs start from garbage for both
 * kernels (a stray write shows); floats are compared by bit pattern, except that a NaN y matches any
 * NaN (C leaves which operand's NaN x*s propagates to the compiler). On the console: one line per
 * mismatch (at most a few per case and check), then "cases N".
 */
#include <stdint.h>
#include <string.h>

#include "firmware_check.h"
#include "bnncc/pack.h"
#include "bnncc/pack_cm.h"

static float any_float(void)
{
    static const uint32_t special[] = {0x00000000u, 0x80000000u, 0x7fc00000u, 0xffc00000u, 0x7f800001u,
                                       0x7f800000u, 0xff800000u, 0x00000001u, 0x80000001u, 0x007fffffu,
                                       0x807fffffu, 0x00800000u, 0x80800000u, 0x00400000u, 0x80000abcu};
    switch (rnd_int(3)) {
    case 0: return bits_float(special[rnd_int((int)(sizeof special / sizeof *special))]);
    case 1: return (float)(rnd_int(9) - 4);
    default: return rnd_float(-8.0f, 8.0f);
    }
}

static int8_t any_dir(int dirs)
{
    static const int8_t up[] = {1, 127, 1, 1}, down[] = {0, -1, -128, -1};
    if (dirs == 0) dirs = 1 + rnd_int(2);
    return dirs == 1 ? up[rnd_int(4)] : down[rnd_int(4)];
}

static float *random_floats(size_t n)
{
    float *v = take(n * sizeof *v);
    size_t i;
    for (i = 0; i < n; i++) v[i] = any_float();
    return v;
}

/* y matches when bit for bit equal or both NaN. */
static void cmp_y(const float *got, const float *want, size_t n)
{
    size_t i;
    int shown = 0;
    for (i = 0; i < n && shown < 4; i++) {
        const uint32_t g = float_bits(got[i]), w = float_bits(want[i]);
        if (g != w && !(got[i] != got[i] && want[i] != want[i])) {
            report("y", i, g, w);
            shown++;
        }
    }
}

static void run_case(int C, int HW, int p0, int p1, int dirs, int affine, int has_r, int has_bits, int alias)
{
    const size_t n = (size_t)C * (size_t)HW, nb = (size_t)HW * (size_t)bnn_words(C);
    float *x = random_floats(n), *r = random_floats(n), *scale = random_floats((size_t)C);
    float *bias = random_floats((size_t)C), *thr = random_floats((size_t)C);
    float *x2 = take(n * sizeof *x2), *r2 = take(n * sizeof *r2), *y = take(n * sizeof *y), *y2 = take(n * sizeof *y2);
    int8_t *dir = take((size_t)C);
    bnn_word *want = take(nb * sizeof *want), *got = take(nb * sizeof *got);
    int c;
    size_t i;
    for (c = 0; c < C; c++) {
        dir[c] = any_dir(dirs);
        if (rnd_int(4) == 0) scale[c] = bits_float(0x0d800000u + (uint32_t)rnd_int(1 << 24));     /* ~1e-30 */
        for (i = 0; i < (size_t)HW; i++) {
            const size_t k = (size_t)c * (size_t)HW + i;
            if (rnd_int(5) == 0) x[k] = thr[c];      /* ties */
            if (rnd_int(4) == 0) {                   /* y lands next to 0: r = -(x*s + b) + tiny */
                float t = x[k] * scale[c];
                t = t + bias[c];
                r[k] = -t + bits_float(rnd_int(2) ? 0x00000003u : 0x80012345u);
            }
        }
    }
    fill_w(want, nb);
    fill_w(got, nb);
    if (!affine) {
        bnn_pack_threshold_range_f32(x, C, HW, p0, p1, thr, dir, want);
        bnn_pack_threshold_range_f32__cm(x, C, HW, p0, p1, thr, dir, got);
        cmp_words("pack", got, want, nb);
        return;
    }
    memcpy(x2, x, n * sizeof *x), memcpy(r2, r, n * sizeof *r);
    fill_f(y, n);
    fill_f(y2, n);
    {
        float *yw = alias == 1 ? x : alias == 2 && has_r ? r : y, *yg = alias == 1 ? x2 : alias == 2 && has_r ? r2 : y2;
        bnn_affine_pack_range_f32(C, HW, p0, p1, x, scale, bias, has_r ? r : NULL, yw, thr, dir, has_bits ? want : NULL);
        bnn_affine_pack_range_f32__cm(C, HW, p0, p1, x2, scale, bias, has_r ? r2 : NULL, yg, thr, dir,
                                      has_bits ? got : NULL);
        cmp_y(yg, yw, n);
        cmp_words("affine_pack", got, want, nb);
    }
}

int main(void)
{
    const char *cursor = read_case_file();
    unsigned char *case_ram = free_ram;
    if (!cursor) return 4;
    for (;;) {
        long v[10];
        int k;
        for (k = 0; k < 10 && next_int(&cursor, &v[k]); k++) continue;
        if (k < 10) break;
        rng_state = (uint64_t)v[9];
        case_no++;
        free_ram = case_ram;
        run_case((int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5], (int)v[6], (int)v[7], (int)v[8]);
    }
    print_case_count();
    return 0;
}
