/* bnncc runtime: binary convolution for ARM NEON, aarch64 and armv7 (layout: bconv_blocked.h).
 * Build flags: aarch64 -march=armv8-a; armv7 -march=armv7-a -mfpu=neon -mfloat-abi=hard.
 *
 * Vectorized along output channels: one q register holds the weight words of VW = 2 output
 * channels for one (tap, input word); an input word is broadcast (ld1r) and xor-popcounted against
 * them into a register tile of TP pixels x NV = 2 channel vectors. Per (tap, word) step: NV weight
 * loads, TP broadcasts, then TP*NV x (EOR, CNT, ADD.16B): 3 instructions per 128 binary MACs plus
 * (NV + TP) / (TP*NV) loads. Byte lanes count at most 8 per step, so they take FLUSH = 31 steps;
 * between segments of the K loop (the segmented loop of bconv_blocked_impl.h, as AVX2) they are
 * flushed into 32-bit lanes with UADDLP + UADALP; a channel's count is the sum of its two 32-bit
 * lanes. Register budget: aarch64 has 32 q registers, TP = 4 (8 byte + 8 wide accumulators, 2 weight
 * vectors, a broadcast and temporaries); armv7 has 16, TP = 2. The layout (VW, B) = (2, 4) is the
 * same on both.
 *
 * Output stage, in rows: the tile's sums become rows of RP pixels per block channel (aarch64:
 * ADDP + UZP, a q register of 4 pixels; armv7: VPADD, a d register of 2), which is where the
 * pixels sit in the f32 output [M][OH*OW] (consecutive q, even across output rows): acc = KC -
 * 2*popcount - corr (MLS), (float)acc, * scale[m] (by lane), + bias[m], + residual, each rounded on
 * its own (no FMA; build with -ffp-contract=off), stored per channel as one vector. Full tiles run it
 * out of line (out_tile instances), apart from the driver's registers. Thresholds are compared per
 * row and the pass masks of the 4 channels are merged into a nibble per pixel by shift-right-inserts
 * (put_bits).
 */
#include "bnncc/common.h"
#include "bnncc/bconv.h"

#include <arm_neon.h>

#define VW 2           /* channels per vector */
#define NV 2           /* vectors per channel block */
#define BLK (NV * VW)  /* channels per block (divides 64) */
#define FLUSH 31       /* steps a byte accumulator can take (31 * 8 < 256) */
#define ZW 1024        /* words of zeros that out-of-bounds taps read */
#define ROWW 96        /* most words of a kernel row that border tiles copy (KW * words(C)) */
#define SINK_W BLK     /* entries of each per-block table of the sink */

#if defined(__aarch64__)
#define TP 4           /* pixels per tile */
#define RP 4           /* pixels per row: a q register */
#define RV(op, rest) op##q_##rest
typedef uint32x4_t urow;
typedef int32x4_t irow;
#else
#define TP 2
#define RP 2           /* a d register */
#define RV(op, rest) op##_##rest
typedef uint32x2_t urow;
typedef int32x2_t irow;
#endif
#define NR (TP / RP)   /* rows per channel of a tile */

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")
#define ISA_ENTRY(name) name##__neon /* public names: name__neon */

typedef uint8x16_t vbyte; /* byte accumulators */
typedef uint32x4_t vsum;  /* their sums: 32-bit lanes 2k, 2k+1 = the halves of channel k's words */

/* Output side of a tile: f32 (optionally with the affine) or thresholded bits. */
struct sink {
    float *f;          /* f32 output (or NULL) */
    bnn_word *b;       /* bits output */
    const float *res;  /* residual [M][OH][OW] (or NULL) */
    float scale[SINK_W], bias[SINK_W]; /* per block, zero-padded (read only by the affine variants) */
    int32_t thr[BLK];  /* per block: integer thresholds (bits output) */
    uint32_t dpos[BLK]; /* per block: all ones where dir > 0 */
    /* packed output of the affine's y (bnn_bconv_affine_pack__X), per block: pass = (y ^ sgn) >= thr'
     * with sgn the sign bit where dir <= 0 and thr' = sgn ? -thr : thr (negation is exact, so this is
     * y <= thr there; NaN fails) */
    float pthr[BLK];
    uint32_t psgn[BLK];
    uint32_t vmask;    /* per block: bit k = channel b0+k is < M */
};

/* the public declarations, then the ISA-independent code (bconv_blocked_impl.h) over the
 * parameters and the sink above; it calls the hooks defined below (tile, sink_bits_block, and the
 * segmented K loop's vbyte_zero, vsum_zero, widen_add, steps) */
#define BNN_BCONV_BLOCKED_IMPL
#define BCONV_SEGMENTS
#include "bnncc/bconv_blocked.h"

static void sink_bits_block(sink *s, const bnn_bconv_params *p, int b0, int bw, int pk, const int32_t *thr,
                            const int8_t *dir, const float *pthr)
{
    int k;
    s->vmask = 0;
    for (k = 0; k < BLK; k++) {
        const int m = b0 + k, ok = k < bw && m < p->M;
        s->thr[k] = ok && !pk ? thr[m] : 0;
        s->dpos[k] = ok && dir[m] > 0 ? 0xFFFFFFFFu : 0;
        s->psgn[k] = ok && pk && dir[m] <= 0 ? 0x80000000u : 0;
        s->pthr[k] = ok && pk ? (s->psgn[k] ? -pthr[m] : pthr[m]) : 0.0f;
        if (ok) s->vmask |= 1u << k;
    }
}

/* ---------------------------------------------------------------- accumulation (hooks) */

ALWAYS_INLINE vbyte vbyte_zero(void) { return vdupq_n_u8(0); }
ALWAYS_INLINE vsum vsum_zero(void) { return vdupq_n_u32(0); }
/* UADDLP (bytes -> 16-bit pairs), UADALP (16-bit pairs added into 32-bit lanes) */
ALWAYS_INLINE vsum widen_add(vsum a, vbyte b) { return vpadalq_u16(a, vpaddlq_u8(b)); }

/* One (tap, word) step: the weights at w, pixel j's input word at x[j] (which advances). The
 * empty asm keeps each byte accumulator one register chain (as in bconv_avx2.c: the adds would
 * otherwise be reassociated into trees), and each pixel's input pointer its own induction
 * variable, so that its broadcast is one LD1R with post-increment (merged into one, the pointers
 * become offsets, which LD1R cannot take: LDR + DUP). */
ALWAYS_INLINE void step(vbyte accb[TP][NV], const int np, const int nv, const bnn_word **x, const bnn_word *w)
{
    uint8x16_t wv[NV];
    int j, v;
    UNROLL for (v = 0; v < nv; v++) wv[v] = vreinterpretq_u8_u64(vld1q_u64(w + (size_t)v * VW));
    UNROLL for (j = 0; j < np; j++) {
        const uint8x16_t xb = vreinterpretq_u8_u64(vld1q_dup_u64(x[j]++));
        __asm__("" : "+r"(x[j]));
        UNROLL for (v = 0; v < nv; v++) {
            accb[j][v] = vaddq_u8(accb[j][v], vcntq_u8(veorq_u8(xb, wv[v])));
            __asm__("" : "+w"(accb[j][v]));
        }
    }
}

/* The steps hook (bconv_blocked_impl.h), unrolled by hand (GCC does not unroll it). */
ALWAYS_INLINE void steps(vbyte accb[TP][NV], const int np, const int nv, const bnn_word *const *xp,
                         const bnn_word *w, size_t ws, const size_t n)
{
    const bnn_word *x[TP];
    size_t i;
    int j;
    UNROLL for (j = 0; j < np; j++) x[j] = xp[j];
    for (i = 0; i + 2 <= n; i += 2) {
        step(accb, np, nv, x, w + i * ws);
        step(accb, np, nv, x, w + (i + 1) * ws);
    }
    if (i < n) step(accb, np, nv, x, w + i * ws);
}

/* ---------------------------------------------------------------- output stage */

/* The popcounts of vector v's channels 2v (*r0) and 2v + 1 (*r1) as rows of the RP pixels h*RP..
 * (lane j: pixel h*RP + j): each is the sum of the channel's two 32-bit lanes. */
ALWAYS_INLINE void channel_rows(vsum sum[TP][NV], int v, int h, urow *r0, urow *r1)
{
    const int j = h * RP;
#if defined(__aarch64__)
    /* ADDP: [p0c0 p0c1 p1c0 p1c1], [p2c0 p2c1 p3c0 p3c1]; UZP1 / UZP2 pick c0 / c1 */
    const uint32x4_t lo = vpaddq_u32(sum[j][v], sum[j + 1][v]), hi = vpaddq_u32(sum[j + 2][v], sum[j + 3][v]);
    *r0 = vuzp1q_u32(lo, hi);
    *r1 = vuzp2q_u32(lo, hi);
#else
    *r0 = vpadd_u32(vget_low_u32(sum[j][v]), vget_low_u32(sum[j + 1][v]));
    *r1 = vpadd_u32(vget_high_u32(sum[j][v]), vget_high_u32(sum[j + 1][v]));
#endif
}

#if defined(__aarch64__)
/* The RP floats at o (pixels consecutive in the output), only the first np of them. */
ALWAYS_INLINE float32x4_t load_row(const float *o, const int np)
{
    float t[RP];
    int j;
    if (np == RP) return vld1q_f32(o);
    UNROLL for (j = 0; j < RP; j++) t[j] = j < np ? o[j] : 0.0f;
    return vld1q_f32(t);
}

ALWAYS_INLINE void store_row(float *o, float32x4_t y, const int np)
{
    float t[RP];
    int j;
    if (np == RP) {
        vst1q_f32(o, y);
        return;
    }
    vst1q_f32(t, y);
    UNROLL for (j = 0; j < np; j++) o[j] = t[j];
}

#endif

/* The sink's per-block tables of the f32 output stage, loaded once per tile (lane k: block channel k;
 * BLK = 4 lanes): the stores into the output could alias the sink, which GCC would otherwise reload. */
typedef struct {
    float32x4_t scale, bias, pthr;
    uint32x4_t psgn;
} lanes;

ALWAYS_INLINE lanes load_lanes(const sink *s)
{
    lanes l;
    l.scale = vld1q_f32(s->scale);
    l.bias = vld1q_f32(s->bias);
    l.pthr = vld1q_f32(s->pthr);
    l.psgn = vld1q_u32(s->psgn);
    return l;
}

/* The f32 output of block channel k for the np pixels of row a: (float)a [* scale + bias
 * [+ residual r]], each step rounded on its own, stored at o; returns the pixels' pass masks of the
 * packed output (see sink), read only by the affine_pack kernels. */
ALWAYS_INLINE urow f32_row(const lanes *l, const int k, const int aff, irow a, const float *r, float *o, const int np)
{
#if defined(__aarch64__)
    float32x4_t y = vcvtq_f32_s32(a);
    if (aff) {
        y = vmulq_laneq_f32(y, l->scale, k);
        y = vaddq_f32(y, vdupq_laneq_f32(l->bias, k));
        if (r) y = vaddq_f32(y, load_row(r, np));
    }
    store_row(o, y, np);
    /* (y ^ sgn) >= thr' */
    return vcgeq_f32(vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(y), vdupq_laneq_u32(l->psgn, k))),
                     vdupq_laneq_f32(l->pthr, k));
#else
    /* armv7 NEON flushes subnormal inputs and results to zero: the float arithmetic and its
     * compares run on the (IEEE) VFP, per pixel (a lane of a q register is a VFP s register); the
     * conversion (integers, exact) stays NEON */
    const float sc = vgetq_lane_f32(l->scale, k), bi = vgetq_lane_f32(l->bias, k), th = vgetq_lane_f32(l->pthr, k);
    const int neg = vgetq_lane_u32(l->psgn, k) != 0;
    float y[RP];
    uint32_t pass[RP];
    int j;
    vst1_f32(y, vcvt_f32_s32(a));
    UNROLL for (j = 0; j < RP; j++) {
        float t = y[j];
        if (aff) {
            t = t * sc;
            t = t + bi;
            if (r && j < np) t = t + r[j];
        }
        if (j < np) o[j] = t;
        pass[j] = (neg ? -t : t) >= th ? 0xFFFFFFFFu : 0;
    }
    return vld1_u32(pass);
#endif
}

/* The output stage of a tile: from its popcount sums (and, if border, its padding corrections), per
 * block channel k and row h of RP pixels: acc = KC - 2*popcount - corr (one MLS), and its f32 output
 * (with the affine) or its threshold test. The tests' pass masks (all ones / zero per lane) become a
 * nibble per pixel by shift-right-inserts: SRI(p[k], x, 1) keeps bit 31 of p[k] and shifts the bits
 * so far one down, so after channels 0..BLK-1 bit 31 - (BLK-1-k) holds channel k, and x >> (32 - BLK)
 * puts channel k at bit k. */
ALWAYS_INLINE void out_tile(const ctx *c, const sink *s, int q0, const int np, const int nv, const int border,
                            const int aff, const int pk, int m0, vsum sum[TP][NV], int32_t corr[TP][BLK])
{
    const bnn_bconv_params *p = c->p;
    const size_t ohw = (size_t)p->OH * (size_t)p->OW;
    const int bits = !s->f || pk;
    const int nk = p->M - m0 < nv * VW ? p->M - m0 : nv * VW; /* channels < M */
    const int nh = (np + RP - 1) / RP;                       /* rows of the np pixels */
    const urow kc = RV(vdup, n_u32)((uint32_t)c->KC);
    const lanes l = load_lanes(s);
    float *o = s->f ? s->f + (size_t)m0 * ohw + (size_t)q0 : NULL;
    const float *r = aff && s->res ? s->res + (size_t)m0 * ohw + (size_t)q0 : NULL;
    urow pc[NR][BLK], pass[NR][BLK];
    uint32_t f[TP];
    int h, j, k, v;

    UNROLL for (j = np; j < TP; j++) UNROLL for (v = 0; v < nv; v++) sum[j][v] = vsum_zero();
    UNROLL for (h = 0; h < nh; h++)
        UNROLL for (v = 0; v < nv; v++) channel_rows(sum, v, h, &pc[h][2 * v], &pc[h][2 * v + 1]);
    UNROLL for (k = 0; k < BLK; k++) {
        const size_t off = (size_t)k * ohw;
        UNROLL for (h = 0; h < nh; h++) {
            const int nr = np - h * RP < RP ? np - h * RP : RP; /* pixels of the row */
            irow a;
            pass[h][k] = RV(vdup, n_u32)(0);
            if (k >= nv * VW || k >= nk) continue;
            a = RV(vreinterpret, s32_u32)(RV(vmls, n_u32)(kc, pc[h][k], 2));
            if (border) {
                int32_t cr[RP];
                UNROLL for (j = 0; j < RP; j++) cr[j] = j < nr ? corr[h * RP + j][k] : 0;
                a = RV(vsub, s32)(a, RV(vld1, s32)(cr));
            }
            if (o) {
                pass[h][k] = f32_row(&l, k, aff, a, r ? r + off + h * RP : NULL, o + off + h * RP, nr);
            } else {
                const irow t = RV(vdup, n_s32)(s->thr[k]);
                pass[h][k] = RV(vbsl, u32)(RV(vdup, n_u32)(s->dpos[k]), RV(vcge, s32)(a, t), RV(vcle, s32)(a, t));
            }
        }
    }
    if (!bits) return;
    /* bit 1 (-1) where a channel < M fails */
    UNROLL for (h = 0; h < nh; h++) {
        urow x = pass[h][0];
        UNROLL for (k = 1; k < BLK; k++) x = RV(vsri, n_u32)(pass[h][k], x, 1);
        RV(vst1, u32)(f + h * RP, RV(vbic, u32)(RV(vdup, n_u32)(s->vmask), RV(vshr, n_u32)(x, 32 - BLK)));
    }
    UNROLL for (j = 0; j < np; j++) put_bits(c, s, q0 + j, m0, f[j]);
}

/* Out-of-line instances of out_tile for full tiles (TP pixels, NV vectors), one per output variant:
 * their registers are then allocated apart from the driver's. */
#define OUT_FN(name, aff_, pk_)                                                                       \
    static __attribute__((noinline)) void name(const ctx *c, const sink *s, int q0, int border, int m0, \
                                               vsum sum[TP][NV], int32_t corr[TP][BLK])               \
    {                                                                                                 \
        out_tile(c, s, q0, TP, NV, border, aff_, pk_, m0, sum, corr);                                 \
    }
OUT_FN(out_plain, 0, 0)
OUT_FN(out_affine, 1, 0)
OUT_FN(out_affine_pack, 1, 1)
#undef OUT_FN

/* The tile hook (contract: bconv_blocked_impl.h): accumulate (tile_sums), then the output stage. A
 * block narrower than BLK is one vector (BLK = 2*VW), so vblk is always 0. */
ALWAYS_INLINE void tile(const ctx *c, const sink *s, int q0, const int np, const int nv, const int interior,
                        const int aff, const int pk, const bnn_word *wb, size_t ws, int m0, int vblk)
{
    vsum sum[TP][NV];
    int32_t corr[TP][BLK] = {{0}}; /* dead unless border */
    const int border = tile_sums(c, q0, np, nv, interior, wb, ws, m0, sum, corr);

    (void)vblk;
    if (np == TP && nv == NV)
        (pk ? out_affine_pack : aff ? out_affine : out_plain)(c, s, q0, border, m0, sum, corr);
    else
        out_tile(c, s, q0, np, nv, border, aff, pk, m0, sum, corr);
}
