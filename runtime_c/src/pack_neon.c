/* NEON packing kernels of pack.h (aarch64 and armv7, one source), bit for bit with pack.c.
 *
 * Word assembly. x is [C][HW] but a word holds 64 channels of ONE pixel, so the kernels take a
 * group of pixels (4 per vector) and the channels of one word. A channel's decision mask d (all
 * ones: +1) enters a 32-bit accumulator lane with a shift-right-insert,
 *     acc = (acc >> 1) | (d & 0x80000000),
 * so after the k channels of a 32-channel half, channel j sits at bit 31 - (k-1-j); then
 * (~acc) >> (32-k) has it at bit j, is NOT(decision) (bit 1 = -1, NaN included) and has zero tail
 * bits. Zipping the two halves' lanes gives each pixel's 64-bit word (little-endian).
 *
 * Exact compares. On aarch64, NEON float compares are IEEE (FPCR.FZ = 0). armv7 NEON flushes
 * subnormal operands to zero (x = -1e-40 would pass x >= 0), so there the compare is on integer
 * keys of the float bits instead (chan_test below).
 *
 * Affine arithmetic x*scale + bias (+ residual), each step rounded: NEON vmul/vadd on aarch64;
 * armv7 NEON would also flush subnormal operands and results, so there it stays scalar VFP (IEEE;
 * compilers do not vectorize float arithmetic for armv7 NEON without fast-math) and only the
 * compares and the bit assembly use NEON.
 */
#include <arm_neon.h>
#include <string.h>

#include "bnncc/common.h"
#include "bnncc/pack_neon.h"

#if defined(__aarch64__)
#define PIX_VECS 4      /* 32 vector registers: 16 pixels per step */
#else
#define PIX_VECS 2      /* 16 on armv7: 8 pixels per step, without spills */
#endif
#define GROUP (4 * PIX_VECS)

#if defined(__aarch64__)
/* dir <= 0 asks x <= t, that is -x >= -t: flipping both sign bits makes every test a >= (exact;
 * NaN stays NaN, so it still fails). */
typedef struct {
    uint32x4_t flip;
    float32x4_t t;
} chan_test;

static inline chan_test chan_prepare(float t, int8_t dir)
{
    chan_test k;
    k.flip = vdupq_n_u32(dir > 0 ? 0u : 0x80000000u);
    k.t = vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(vdupq_n_f32(t)), k.flip));
    return k;
}

static inline uint32x4_t chan_decide(const chan_test *k, float32x4_t x)
{
    return vcgeq_f32(vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(x), k->flip)), k->t);
}
#else
/* key(f) = bits ^ (sign ? 0x7fffffff : 0), read as int32: +|bits| for f >= 0, -1-|bits| below.
 * It orders non-NaN floats as their values, except that -0 (key -1) sits just below +0 (key 0);
 * NaN keys lie outside [key(-inf), key(+inf)]. So
 *     x >= t  <=>  key(x) in [key(t), key(+inf)]   (t = +-0: from key(-0))
 *     x <= t  <=>  key(x) in [key(-inf), key(t)]   (t = +-0: up to key(+0))
 * and key(x) in [lo, lo + n) is one unsigned compare, key(x) - lo < n (mod 2^32); a NaN t gets
 * n = 0: no x passes. */
typedef struct {
    uint32x4_t lo, n;
} chan_test;

static inline uint32_t float_key(uint32_t bits) { return bits & 0x80000000u ? bits ^ 0x7fffffffu : bits; }

static inline chan_test chan_prepare(float t, int8_t dir)
{
    const uint32_t key_inf = 0x7f800000u, key_ninf = 0x807fffffu;
    uint32_t bits, lo, hi;
    chan_test k;
    memcpy(&bits, &t, sizeof bits);
    if (dir > 0) {
        lo = (bits & 0x7fffffffu) == 0 ? 0xffffffffu : float_key(bits);
        hi = key_inf;
    } else {
        lo = key_ninf;
        hi = (bits & 0x7fffffffu) == 0 ? 0u : float_key(bits);
    }
    k.lo = vdupq_n_u32(lo);
    k.n = vdupq_n_u32((bits & 0x7fffffffu) > key_inf ? 0u : hi - lo + 1u);
    return k;
}

static inline uint32x4_t chan_decide(const chan_test *k, float32x4_t x)
{
    const uint32x4_t u = vreinterpretq_u32_f32(x);
    const uint32x4_t sign = vreinterpretq_u32_s32(vshrq_n_s32(vreinterpretq_s32_f32(x), 31));
    const uint32x4_t key = veorq_u32(u, vshrq_n_u32(sign, 1));
    return vcltq_u32(vsubq_u32(key, k->lo), k->n);
}
#endif

/* np <= 4*nv pixels of a row as nv vectors: straight from the row when they fill them, else from
 * a zero-padded copy (never reading past the row). */
static inline void load_pixels(const float *row, int np, int nv, float32x4_t v[PIX_VECS])
{
    float pad[GROUP];
    int i;
    if (np < 4 * nv) {
        memset(pad, 0, sizeof pad);
        memcpy(pad, row, (size_t)np * sizeof *row);
        row = pad;
    }
    for (i = 0; i < nv; i++) v[i] = vld1q_f32(row + 4 * i);
}

/* y[i] = (x[i]*s + b) (+ r[i]) for n pixels, each step rounded on its own (no FMA). Element-wise,
 * so y may alias x or r. armv7 keeps the scalar loop: IEEE VFP, where NEON would flush
 * subnormals (compilers do not vectorize float arithmetic for armv7 NEON without fast-math). */
static void affine_row(const float *x, float s, float b, const float *r, float *y, int n)
{
    int i = 0;
#if defined(__aarch64__)
    const float32x4_t vs = vdupq_n_f32(s), vb = vdupq_n_f32(b);
    for (; i + 4 <= n; i += 4) {
        float32x4_t t = vaddq_f32(vmulq_f32(vld1q_f32(x + i), vs), vb);
        if (r) t = vaddq_f32(t, vld1q_f32(r + i));
        vst1q_f32(y + i, t);
    }
#endif
    for (; i < n; i++) {
        float t = x[i] * s;
        t = t + b;
        y[i] = r ? t + r[i] : t;
    }
}

/* Channels [c0, c0+k), k <= 32, of x (pixel p at x[c*HW]) at np <= 4*nv pixels: one 32-bit lane
 * per pixel, channel c0+j at bit j, bit 1 = NOT(decision), zero above (see the top comment). */
static inline void pack_half(const float *x, size_t HW, const chan_test *tests, int c0, int k, int np, int nv,
                             uint32x4_t acc[PIX_VECS])
{
    const int32x4_t shift = vdupq_n_s32(k - 32);
    int c, i;
    for (i = 0; i < nv; i++) acc[i] = vdupq_n_u32(0);
    if (k <= 0) return;
    for (c = 0; c < k; c++) {
        float32x4_t v[PIX_VECS];
        load_pixels(x + (size_t)(c0 + c) * HW, np, nv, v);
        for (i = 0; i < nv; i++) acc[i] = vsriq_n_u32(chan_decide(&tests[c], v[i]), acc[i], 1);
    }
    for (i = 0; i < nv; i++) acc[i] = vshlq_u32(vmvnq_u32(acc[i]), shift);
}

/* Word wi of pixels [p, p+np), np <= 4*nv, from values v [C][HW]. */
static inline void pack_pixels(const float *v, int C, size_t HW, const chan_test *tests, int wi, int p, int np,
                               int nv, bnn_word *out)
{
    const int c0 = wi * BNN_WORD_BITS, nw = bnn_words(C);
    const float *x = v + p;
    uint32x4_t lo[PIX_VECS], hi[PIX_VECS];
    bnn_word words[GROUP];
    int i;
    pack_half(x, HW, tests, c0, C - c0 < 32 ? C - c0 : 32, np, nv, lo);
    pack_half(x, HW, tests + 32, c0 + 32, C - c0 - 32 < 32 ? C - c0 - 32 : 32, np, nv, hi);
    for (i = 0; i < nv; i++) {
        const uint32x4x2_t z = vzipq_u32(lo[i], hi[i]);
        vst1q_u64(words + 4 * i, vreinterpretq_u64_u32(z.val[0]));
        vst1q_u64(words + 4 * i + 2, vreinterpretq_u64_u32(z.val[1]));
    }
    for (i = 0; i < np; i++) out[(size_t)(p + i) * (size_t)nw + (size_t)wi] = words[i];
}

/* Operands of an affine pack (pack_range's values are then y, computed step by step). */
typedef struct {
    const float *x, *scale, *bias, *residual;
    float *y;
} affine_args;

/* The affine transform of word wi's channels at pixels [p, p+np). */
static void affine_step(const affine_args *a, int C, size_t HW, int wi, int p, int np)
{
    const int c0 = wi * BNN_WORD_BITS, c1 = C - c0 < BNN_WORD_BITS ? C : c0 + BNN_WORD_BITS;
    int c;
    for (c = c0; c < c1; c++) {
        const size_t row = (size_t)c * HW + (size_t)p;
        affine_row(a->x + row, a->scale[c], a->bias[c], a->residual ? a->residual + row : NULL, a->y + row, np);
    }
}

/* Both packing entries: word by word (its channels' tests prepared once), then the pixels in
 * groups of GROUP and the rest a vector at a time; with `a`, each step computes its values first. */
static void pack_range(const float *v, int C, int HW, int p_begin, int p_end, const affine_args *a,
                       const float *thr, const int8_t *dir, bnn_word *out)
{
    chan_test tests[BNN_WORD_BITS];
    int wi, c, p;
    for (wi = 0; wi < bnn_words(C); wi++) {
        const int c0 = wi * BNN_WORD_BITS, k = C - c0 < BNN_WORD_BITS ? C - c0 : BNN_WORD_BITS;
        for (c = 0; c < k; c++) tests[c] = chan_prepare(thr[c0 + c], dir[c0 + c]);
        for (p = p_begin; p + GROUP <= p_end; p += GROUP) {
            if (a) affine_step(a, C, (size_t)HW, wi, p, GROUP);
            pack_pixels(v, C, (size_t)HW, tests, wi, p, GROUP, PIX_VECS, out);
        }
        for (; p < p_end; p += 4) {
            const int np = p_end - p < 4 ? p_end - p : 4;
            if (a) affine_step(a, C, (size_t)HW, wi, p, np);
            pack_pixels(v, C, (size_t)HW, tests, wi, p, np, 1, out);
        }
    }
}

void bnn_pack_threshold_range_f32__neon(const float *x, int C, int HW, int p_begin, int p_end, const float *thr,
                                        const int8_t *dir, bnn_word *out)
{
    pack_range(x, C, HW, p_begin, p_end, NULL, thr, dir, out);
}

void bnn_affine_pack_range_f32__neon(int C, int HW, int p_begin, int p_end, const float *x, const float *scale,
                                     const float *bias, const float *residual, float *y, const float *thr,
                                     const int8_t *dir, bnn_word *bits)
{
    const affine_args a = {x, scale, bias, residual, y};
    int c;
    if (bits) {
        pack_range(y, C, HW, p_begin, p_end, &a, thr, dir, bits);
        return;
    }
    for (c = 0; c < C; c++) {
        const size_t row = (size_t)c * (size_t)HW + (size_t)p_begin;
        affine_row(x + row, scale[c], bias[c], residual ? residual + row : NULL, y + row, p_end - p_begin);
    }
}

void bnn_binarize_f32__neon(const float *x, int C, int HW, const float *thr, const int8_t *dir, float *out)
{
    const float32x4_t plus = vdupq_n_f32(1.0f), minus = vdupq_n_f32(-1.0f);
    int c, p, i;
    for (c = 0; c < C; c++) {
        const chan_test k = chan_prepare(thr[c], dir[c]);
        const float *xr = x + (size_t)c * (size_t)HW;
        float *o = out + (size_t)c * (size_t)HW;
        for (p = 0; p < HW; p += GROUP) {
            const int np = HW - p < GROUP ? HW - p : GROUP;
            float32x4_t v[PIX_VECS];
            float res[GROUP];
            load_pixels(xr + p, np, PIX_VECS, v);
            for (i = 0; i < PIX_VECS; i++)
                vst1q_f32(np == GROUP ? o + p + 4 * i : res + 4 * i, vbslq_f32(chan_decide(&k, v[i]), plus, minus));
            if (np < GROUP) memcpy(o + p, res, (size_t)np * sizeof *res);
        }
    }
}
