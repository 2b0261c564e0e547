/* NEON float kernels (float_neon.c) against the portable ones (fconv.c, fgemm.c, fpool.c), run under
 * qemu-user by tests/kernels/test_float_neon.py. One case per stdin line:
 *   conv C H W M KH KW SH SW DH DW PT PL PB PR bias seed
 *   pool C H W M KH KW SH SW DH DW PT PL PB PR qKH qKW qSH qSW qDH qDW qPT qPL qPB qPR bias affine special seed
 *   matmul M K N bias seed
 *   pack M C KH KW K N seed           (prints the inputs and the packed weights, as hex bits)
 * Data: uniform in [-1, 1) from a xorshift32 stream seeded by `seed` (special: 3 in 16 inputs are +inf,
 * -inf or NaN, so that the pool sees them). For each case it prints
 *   <kind> err=E range=R split=S scratch=F     (pool: pool=P in place of split=S)
 * E: max over outputs of |neon - portable| / (sum of |terms| + 0.1), the sum of |terms| being the
 *    portable kernel on |inputs| (so E <= 1e-5 means |d| <= 1e-5 * sum|terms| + 1e-6); 0 where both
 *    are the same infinity or both NaN, else inf for a NaN or infinity.
 * R: 1 when a call on the range [1, M-1) (conv: channels; matmul: [N/3, N-1) columns; pool: rows
 *    [1, OH-1)) writes exactly that range, equal bit for bit to the full call, nothing outside.
 * S: 1 when the range split into pieces (own scratch each, garbage on entry) equals one call bit for
 *    bit. P (pool): 1 when the fused conv + max-pool equals the NEON conv then the portable
 *    max-pool + affine bit for bit, for the ranges in order, in order resuming, and backwards.
 * F: bnn_conv2d_scratch_size__neon (pool: bnn_conv_maxpool_scratch_size__neon), in floats.
 * Exit status 0 unless the input is malformed. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnncc/fconv.h"
#include "bnncc/fgemm.h"
#include "bnncc/float_panels.h"
#include "bnncc/fpool.h"

static uint32_t rng_state;

static float uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)(rng_state >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

static float *alloc(size_t n) /* filled with a NaN sentinel (bit pattern 0x7FC0BEEF) */
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    const uint32_t bits = 0x7FC0BEEFu;
    size_t i;
    if (!p) exit(3);
    for (i = 0; i < n; i++) memcpy(p + i, &bits, sizeof bits);
    return p;
}

static float *random_array(size_t n)
{
    float *p = alloc(n);
    size_t i;
    for (i = 0; i < n; i++) p[i] = uniform();
    return p;
}

/* random_array with 3 in 16 values +inf, -inf or NaN */
static float *special_array(size_t n)
{
    float *p = random_array(n);
    size_t i;
    for (i = 0; i < n; i++) {
        const int pick = (int)(rng_state >> 4 & 15u);
        p[i] = pick == 0 ? INFINITY : pick == 1 ? -INFINITY : pick == 2 ? NAN : p[i];
        uniform();
    }
    return p;
}

static float *abs_copy(const float *x, size_t n)
{
    float *p = alloc(n);
    size_t i;
    for (i = 0; i < n; i++) p[i] = fabsf(x[i]);
    return p;
}

/* max |got - want| / (scale + 0.1) (inf for NaN) */
static double rel_error(const float *got, const float *want, const float *scale, size_t n)
{
    double worst = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        const int same = got[i] == want[i] || (isnan(got[i]) && isnan(want[i]));
        const double d = same ? 0 : fabs((double)got[i] - (double)want[i]) / ((double)scale[i] + 0.1);
        if (!(d <= worst)) worst = isfinite(d) ? d : INFINITY;
    }
    return worst;
}

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

/* every float of p[0..n) still holds alloc()'s sentinel */
static int untouched(const float *p, size_t n)
{
    const uint32_t bits = 0x7FC0BEEFu;
    size_t i;
    for (i = 0; i < n; i++)
        if (memcmp(p + i, &bits, sizeof bits)) return 0;
    return 1;
}

static int out_size(int n, int k, int s, int d, int pa, int pb) { return (n + pa + pb - (k - 1) * d - 1) / s + 1; }

static int read_ints(int *v, int n)
{
    int i;
    for (i = 0; i < n; i++)
        if (scanf("%d", &v[i]) != 1) return 0;
    return 1;
}

/* v[0..14): C H W M KH KW SH SW DH DW PT PL PB PR */
static bnn_conv_params conv_geometry(const int *v)
{
    bnn_conv_params p;
    p.C = v[0], p.H = v[1], p.W = v[2], p.M = v[3], p.KH = v[4], p.KW = v[5], p.SH = v[6], p.SW = v[7];
    p.DH = v[8], p.DW = v[9], p.PT = v[10], p.PL = v[11], p.G = 1;
    p.OH = out_size(p.H, p.KH, p.SH, p.DH, p.PT, v[12]);
    p.OW = out_size(p.W, p.KW, p.SW, p.DW, p.PL, v[13]);
    return p;
}

/* A conv's operands, its NEON output (one call, channels [0, M)) and its error against fconv.c. */
typedef struct {
    bnn_conv_params p;
    float *x, *w, *bias, *packed, *out;
    size_t nout;
    double err;
} conv_run;

static void neon_conv(const conv_run *r, int m_begin, int m_end, float *out)
{
    float *scratch = alloc(bnn_conv2d_scratch_size__neon(&r->p));
    bnn_conv2d_f32__neon(&r->p, r->x, r->packed, r->bias, scratch, m_begin, m_end, out);
    free(scratch);
}

static void conv_setup(conv_run *r, const int *v, int with_bias, int special)
{
    const bnn_conv_params *p = &r->p;
    size_t nx, nw;
    float *want, *scale, *ax, *aw, *ab;
    r->p = conv_geometry(v);
    nx = (size_t)p->C * p->H * p->W, nw = (size_t)p->M * p->C * p->KH * p->KW;
    r->nout = (size_t)p->M * p->OH * p->OW;
    r->x = special ? special_array(nx) : random_array(nx), r->w = random_array(nw), r->bias = with_bias ? random_array((size_t)p->M) : NULL;
    r->packed = alloc(bnn_conv2d_weights_size__neon(p));
    bnn_conv2d_pack_weights__neon(p, r->w, r->packed);
    r->out = alloc(r->nout);
    neon_conv(r, 0, p->M, r->out);
    want = alloc(r->nout), scale = alloc(r->nout);
    bnn_conv2d_f32(p, r->x, r->w, r->bias, want);
    ax = abs_copy(r->x, nx), aw = abs_copy(r->w, nw), ab = with_bias ? abs_copy(r->bias, (size_t)p->M) : NULL;
    bnn_conv2d_f32(p, ax, aw, ab, scale);
    r->err = rel_error(r->out, want, scale, r->nout);
    free(want), free(scale), free(ax), free(aw), free(ab);
}

static void conv_free(conv_run *r) { free(r->x), free(r->w), free(r->bias), free(r->packed), free(r->out); }

static void conv_case(const int *v)
{
    conv_run r;
    const int M = v[3];
    size_t plane;
    float *part, *split;
    int range = 1, i;
    const int bounds[4] = {0, M / 3, M / 2 + 1 < M ? M / 2 + 1 : M, M};
    conv_setup(&r, v, v[14], 0);
    plane = (size_t)r.p.OH * r.p.OW;
    if (M > 2) { /* channels [1, M-1) only */
        part = alloc(r.nout);
        neon_conv(&r, 1, M - 1, part);
        range = untouched(part, plane) && untouched(part + (M - 1) * plane, plane) &&
                same_bits(part + plane, r.out + plane, (M - 2) * plane);
        free(part);
    }
    split = alloc(r.nout);
    for (i = 0; i < 3; i++) neon_conv(&r, bounds[i], bounds[i + 1], split);
    printf("conv err=%.3g range=%d split=%d scratch=%zu\n", r.err, range, same_bits(split, r.out, r.nout),
           bnn_conv2d_scratch_size__neon(&r.p));
    free(split);
    conv_free(&r);
}

static void pool_case(const int *v)
{
    conv_run r;
    bnn_pool_params q;
    float *want, *got, *scratch, *scale = NULL, *shift = NULL;
    size_t nq, plane, size;
    int order, i, same = 1, range;
    int bounds[5];
    conv_setup(&r, v, v[24], v[26]);
    q.C = r.p.M, q.H = r.p.OH, q.W = r.p.OW, q.KH = v[14], q.KW = v[15], q.SH = v[16], q.SW = v[17];
    q.DH = v[18], q.DW = v[19], q.PT = v[20], q.PL = v[21];
    q.OH = out_size(q.H, q.KH, q.SH, q.DH, q.PT, v[22]), q.OW = out_size(q.W, q.KW, q.SW, q.DW, q.PL, v[23]);
    plane = (size_t)q.OH * q.OW, nq = (size_t)q.C * plane;
    if (v[25]) { /* scales of both signs */
        scale = random_array((size_t)q.C), shift = random_array((size_t)q.C);
    }
    want = alloc(nq);
    bnn_maxpool_affine_f32(&q, r.out, scale, shift, want);
    /* pool rows split at 1, 4, 5 (clamped) */
    bounds[0] = 0, bounds[1] = q.OH < 1 ? q.OH : 1, bounds[2] = q.OH < 4 ? q.OH : 4, bounds[3] = q.OH < 5 ? q.OH : 5;
    bounds[4] = q.OH;
    size = bnn_conv_maxpool_scratch_size__neon(&r.p, &q);
    for (order = 0; order < 3; order++) { /* in order; in order resuming; backwards (one scratch each) */
        scratch = alloc(size), got = alloc(nq);
        for (i = 0; i < 4; i++) {
            const int j = order == 2 ? 3 - i : i;
            if (bounds[j] < bounds[j + 1])
                bnn_conv_maxpool_affine_f32__neon(&r.p, &q, r.x, r.packed, r.bias, scale, shift, scratch, order == 1,
                                                  bounds[j], bounds[j + 1], got);
        }
        same = same && same_bits(got, want, nq);
        free(scratch), free(got);
    }
    range = 1;
    if (q.OH > 2) {
        scratch = alloc(size), got = alloc(nq);
        bnn_conv_maxpool_affine_f32__neon(&r.p, &q, r.x, r.packed, r.bias, scale, shift, scratch, 0, 1, q.OH - 1,
                                          got);
        for (i = 0; i < q.C; i++) {
            const float *c = got + (size_t)i * plane, *wc = want + (size_t)i * plane;
            range = range && untouched(c, (size_t)q.OW) && untouched(c + plane - q.OW, (size_t)q.OW) &&
                    same_bits(c + q.OW, wc + q.OW, plane - 2 * (size_t)q.OW);
        }
        free(scratch), free(got);
    }
    printf("pool err=%.3g range=%d pool=%d scratch=%zu\n", r.err, range, same, size);
    free(want), free(scale), free(shift);
    conv_free(&r);
}

static void matmul_case(const int *v)
{
    const int M = v[0], K = v[1], N = v[2];
    const size_t nc = (size_t)M * N;
    float *a = random_array((size_t)M * K), *b = random_array((size_t)K * N);
    float *bias = v[3] ? random_array((size_t)N) : NULL;
    float *packed = alloc(bnn_matmul_weights_size__neon(K, N));
    float *out = alloc(nc), *want = alloc(nc), *scale = alloc(nc), *part = alloc(nc), *split = alloc(nc);
    float *aa = abs_copy(a, (size_t)M * K), *ab = abs_copy(b, (size_t)K * N);
    float *abias = bias ? abs_copy(bias, (size_t)N) : NULL;
    const int bounds[5] = {0, N / 3, N / 3 + 17 < N ? N / 3 + 17 : N, N - 1 > N / 3 + 17 ? N - 1 : N, N};
    int range = 1, i, j;
    bnn_matmul_pack_weights__neon(K, N, b, packed);
    bnn_matmul_f32__neon(M, K, N, a, packed, bias, 0, N, out);
    bnn_matmul_f32(M, K, N, a, b, bias, want);
    bnn_matmul_f32(M, K, N, aa, ab, abias, scale);
    for (i = 0; i < 4; i++) bnn_matmul_f32__neon(M, K, N, a, packed, bias, bounds[i], bounds[i + 1], split);
    if (N > 2) { /* columns [N/3, N-1) only */
        bnn_matmul_f32__neon(M, K, N, a, packed, bias, N / 3, N - 1, part);
        for (i = 0; i < M; i++)
            for (j = 0; j < N; j++) {
                const size_t e = (size_t)i * N + j;
                range = range && (j >= N / 3 && j < N - 1 ? same_bits(part + e, out + e, 1) : untouched(part + e, 1));
            }
    }
    printf("matmul err=%.3g range=%d split=%d\n", rel_error(out, want, scale, nc), range, same_bits(split, out, nc));
    free(a), free(b), free(bias), free(packed), free(out), free(want), free(scale), free(part), free(split);
    free(aa), free(ab), free(abias);
}

static void print_bits(const char *name, const float *p, size_t n)
{
    size_t i;
    uint32_t u;
    printf("%s", name);
    for (i = 0; i < n; i++) {
        memcpy(&u, p + i, sizeof u);
        printf(" %08x", (unsigned)u);
    }
    printf("\n");
}

/* v: M C KH KW K N */
static void pack_case(const int *v)
{
    bnn_conv_params p;
    const size_t nw = (size_t)v[0] * v[1] * v[2] * v[3], nb = (size_t)v[4] * v[5];
    float *w = random_array(nw), *b = random_array(nb), *pw, *pb;
    memset(&p, 0, sizeof p);
    p.M = v[0], p.C = v[1], p.KH = v[2], p.KW = v[3], p.G = 1;
    pw = alloc(bnn_conv2d_weights_size__neon(&p)), pb = alloc(bnn_matmul_weights_size__neon(v[4], v[5]));
    bnn_conv2d_pack_weights__neon(&p, w, pw);
    bnn_matmul_pack_weights__neon(v[4], v[5], b, pb);
    print_bits("w", w, nw);
    print_bits("conv", pw, bnn_conv2d_weights_size__neon(&p));
    print_bits("b", b, nb);
    print_bits("matmul", pb, bnn_matmul_weights_size__neon(v[4], v[5]));
    free(w), free(b), free(pw), free(pb);
}

int main(void)
{
    char kind[16];
    int v[32];
    while (scanf("%15s", kind) == 1) {
        const int n = !strcmp(kind, "conv") ? 16 : !strcmp(kind, "pool") ? 28 : !strcmp(kind, "matmul") ? 5
                    : !strcmp(kind, "pack") ? 7 : 0;
        if (!n || !read_ints(v, n)) return 2;
        rng_state = (uint32_t)v[n - 1] * 2654435761u + 1u;
        if (!strcmp(kind, "conv")) conv_case(v);
        else if (!strcmp(kind, "pool")) pool_case(v);
        else if (!strcmp(kind, "matmul")) matmul_case(v);
        else pack_case(v);
        fflush(stdout);
    }
    return 0;
}
