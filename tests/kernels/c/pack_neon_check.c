/* NEON packing and binary max-pool kernels vs the portable ones, bit for bit.
 *
 * One case per stdin line (tests/kernels/test_pack_neon.py writes them from the kernels' vector
 * and word geometry):
 *   pack     C HW p_begin p_end seed
 *   affine   C HW p_begin p_end residual bits alias seed    (alias 0: none, 1: y is x, 2: y is residual)
 *   binarize C HW seed
 *   pool     C H W OH OW KH KW SH SW DH DW PT PL oy_begin oy_end seed
 * Data come from a fixed PRNG with special values mixed in: +-0, NaN (both signs), +-inf,
 * subnormals, +-FLT_MIN, values equal to the channel's threshold, products and sums that land on
 * subnormals. Outputs start from the same sentinel for both kernels, so a stray write shows too.
Every output is compared bit for bit, except that the affine's y may hold a different NaN where
the portable one holds a NaN (see compare).
 * Prints "mismatch <case> <what> <index> <portable bits> <neon bits>" (at most 20 per case), then
 * "cases <n> mismatches <m>".
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnncc/bpool.h"
#include "bnncc/bpool_neon.h"
#include "bnncc/pack.h"
#include "bnncc/pack_neon.h"

static uint64_t rng;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

static float from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* A float: special values a third of the time, small integers (ties with thresholds), or any
 * finite float of moderate size. */
static float any_float(void)
{
    static const uint32_t special[] = {0x00000000u, 0x80000000u, 0x7fc00000u, 0xffc00000u, 0x7f800001u,
                                       0x7f800000u, 0xff800000u, 0x00000001u, 0x80000001u, 0x007fffffu,
                                       0x807fffffu, 0x00800000u, 0x80800000u, 0x00400000u, 0x80000abcu};
    const uint32_t r = next() % 3;
    if (r == 0) return from_bits(special[next() % (sizeof special / sizeof *special)]);
    if (r == 1) return (float)((int)(next() % 9) - 4);
    return from_bits((next() & 0x80000000u) | ((next() % 60u + 97u) << 23) | (next() & 0x7fffffu));
}

static int8_t any_dir(void)
{
    static const int8_t dirs[] = {1, -1, 0, 127, -128};
    return dirs[next() % 5];
}

static void fill_floats(float *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) v[i] = any_float();
}

/* Thresholds and dirs; then some x equal to their channel's threshold. */
static void fill_channels(float *x, int C, int HW, float *thr, int8_t *dir)
{
    int c, i;
    for (c = 0; c < C; c++) {
        thr[c] = any_float();
        dir[c] = any_dir();
        for (i = 0; i < HW; i++)
            if (next() % 5 == 0) x[(size_t)c * (size_t)HW + (size_t)i] = thr[c];
    }
}

static int mismatches;

static int is_nan(uint64_t bits) { return (bits & 0x7fffffffu) > 0x7f800000u; }

/* Items of `item` bytes, bit for bit; with floats_nan, two NaNs match whatever their sign and
 * payload (C leaves the NaN that x*s and s*x propagate to the compiler, which may swap them). */
static void compare(int id, const char *what, const void *a, const void *b, size_t bytes, size_t item, int floats_nan)
{
    const unsigned char *pa = a, *pb = b;
    size_t i;
    int shown = 0;
    for (i = 0; i < bytes; i += item) {
        uint64_t va = 0, vb = 0;
        memcpy(&va, pa + i, item);
        memcpy(&vb, pb + i, item);
        if (va != vb && !(floats_nan && is_nan(va) && is_nan(vb))) {
            mismatches++;
            if (shown++ < 20)
                printf("mismatch %d %s %zu %#llx %#llx\n", id, what, i / item, (unsigned long long)va,
                       (unsigned long long)vb);
        }
    }
}

static void *alloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) exit(3);
    memset(p, 0xa5, bytes);     /* the sentinel */
    return p;
}

static void check_pack(int id, int C, int HW, int p0, int p1)
{
    const size_t n = (size_t)C * (size_t)HW, nb = (size_t)HW * (size_t)bnn_words(C) * sizeof(bnn_word);
    float *x = alloc(n * sizeof *x), *thr = alloc((size_t)C * sizeof *thr);
    int8_t *dir = alloc((size_t)C);
    bnn_word *a = alloc(nb), *b = alloc(nb);
    fill_floats(x, n);
    fill_channels(x, C, HW, thr, dir);
    bnn_pack_threshold_range_f32(x, C, HW, p0, p1, thr, dir, a);
    bnn_pack_threshold_range_f32__neon(x, C, HW, p0, p1, thr, dir, b);
    compare(id, "bits", a, b, nb, sizeof *a, 0);
    free(x), free(thr), free(dir), free(a), free(b);
}

/* y = x*s + b + r that lands on a subnormal or cancels: r = -(x*s + b) + tiny. */
static void fill_affine(const float *x, float *s, float *b, float *r, int C, int HW)
{
    int c, i;
    for (c = 0; c < C; c++) {
        s[c] = next() % 4 ? any_float() : from_bits(0x0d800000u + (next() & 0xffffffu));  /* ~1e-30 */
        b[c] = next() % 4 ? any_float() : from_bits(next() % 2 ? 0x00000005u : 0x80700000u);
        for (i = 0; r && i < HW; i++) {
            const size_t k = (size_t)c * (size_t)HW + (size_t)i;
            if (next() % 4 == 0) {
                float t = x[k] * s[c];
                t = t + b[c];
                r[k] = -t + from_bits(next() % 2 ? 0x00000003u : 0x80012345u);
            }
        }
    }
}

static void check_affine(int id, int C, int HW, int p0, int p1, int has_r, int has_bits, int alias)
{
    const size_t n = (size_t)C * (size_t)HW, nf = n * sizeof(float);
    const size_t nb = (size_t)HW * (size_t)bnn_words(C) * sizeof(bnn_word);
    float *x = alloc(nf), *r = alloc(nf), *s = alloc((size_t)C * 4), *bias = alloc((size_t)C * 4);
    float *thr = alloc((size_t)C * 4), *y1 = alloc(nf), *y2 = alloc(nf), *ya = y1, *yb = y2, *xa, *xb, *ra, *rb;
    float *x2 = alloc(nf), *r2 = alloc(nf);
    int8_t *dir = alloc((size_t)C);
    bnn_word *ba = alloc(nb), *bb = alloc(nb);
    fill_floats(x, n);
    fill_floats(r, n);
    fill_affine(x, s, bias, r, C, HW);
    fill_channels(r, C, HW, thr, dir);          /* ties of y with thr come from r = thr, x*s+b = 0 */
    memcpy(x2, x, nf), memcpy(r2, r, nf);
    xa = x, xb = x2, ra = has_r ? r : NULL, rb = has_r ? r2 : NULL;
    if (alias == 1) ya = xa, yb = xb;
    if (alias == 2 && has_r) ya = ra, yb = rb;
    bnn_affine_pack_range_f32(C, HW, p0, p1, xa, s, bias, ra, ya, thr, dir, has_bits ? ba : NULL);
    bnn_affine_pack_range_f32__neon(C, HW, p0, p1, xb, s, bias, rb, yb, thr, dir, has_bits ? bb : NULL);
    compare(id, "y", ya, yb, nf, sizeof(float), 1);
    compare(id, "bits", ba, bb, nb, sizeof *ba, 0);
    free(y1), free(y2), free(x), free(x2), free(r), free(r2), free(s), free(bias), free(thr), free(dir), free(ba), free(bb);
}

static void check_binarize(int id, int C, int HW)
{
    const size_t n = (size_t)C * (size_t)HW;
    float *x = alloc(n * 4), *thr = alloc((size_t)C * 4), *a = alloc(n * 4), *b = alloc(n * 4);
    int8_t *dir = alloc((size_t)C);
    fill_floats(x, n);
    fill_channels(x, C, HW, thr, dir);
    bnn_binarize_f32(x, C, HW, thr, dir, a);
    bnn_binarize_f32__neon(x, C, HW, thr, dir, b);
    compare(id, "out", a, b, n * 4, 4, 0);
    free(x), free(thr), free(a), free(b), free(dir);
}

static void check_pool(int id, const bnn_pool_params *p, int oy0, int oy1)
{
    const size_t nw = (size_t)bnn_words(p->C), nin = (size_t)p->H * (size_t)p->W * nw;
    const size_t nout = (size_t)p->OH * (size_t)p->OW * nw * sizeof(bnn_word);
    bnn_word *in = alloc(nin * sizeof *in), *a = alloc(nout), *b = alloc(nout);
    size_t i;
    for (i = 0; i < nin; i++) {     /* mostly -1 bits, so ANDs keep some; tail bits set now and then */
        in[i] = ((uint64_t)next() << 32 | next()) | ((uint64_t)next() << 32 | next());
        if ((i + 1) % nw == 0 && next() % 8) in[i] &= bnn_tail_mask(p->C);
    }
    bnn_bmaxpool_rows(p, in, oy0, oy1, a);
    bnn_bmaxpool_rows__neon(p, in, oy0, oy1, b);
    compare(id, "pool", a, b, nout, sizeof *a, 0);
    free(in), free(a), free(b);
}

int main(void)
{
    char kind[16];
    int cases = 0;
    while (scanf("%15s", kind) == 1) {
        int C, HW, p0, p1, has_r, has_bits, alias, oy0, oy1;
        unsigned long long seed;
        bnn_pool_params q;
        if (!strcmp(kind, "pack") && scanf("%d %d %d %d %llu", &C, &HW, &p0, &p1, &seed) == 5) {
            rng = seed | 1;
            check_pack(cases, C, HW, p0, p1);
        } else if (!strcmp(kind, "affine") && scanf("%d %d %d %d %d %d %d %llu", &C, &HW, &p0, &p1, &has_r, &has_bits,
                                                    &alias, &seed) == 8) {
            rng = seed | 1;
            check_affine(cases, C, HW, p0, p1, has_r, has_bits, alias);
        } else if (!strcmp(kind, "binarize") && scanf("%d %d %llu", &C, &HW, &seed) == 3) {
            rng = seed | 1;
            check_binarize(cases, C, HW);
        } else if (!strcmp(kind, "pool") && scanf("%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %llu", &q.C, &q.H, &q.W,
                                                  &q.OH, &q.OW, &q.KH, &q.KW, &q.SH, &q.SW, &q.DH, &q.DW, &q.PT, &q.PL,
                                                  &oy0, &oy1, &seed) == 16) {
            rng = seed | 1;
            check_pool(cases, &q, oy0, oy1);
        } else {
            printf("bad case %d: %s\n", cases, kind);
            return 2;
        }
        cases++;
    }
    printf("cases %d mismatches %d\n", cases, mismatches);
    return 0;
}
