/* bnncc runtime: binary convolution for ARM NEON, aarch64 and armv7 (layout: bconv_blocked.h).
 * Build flags: aarch64 -march=armv8-a; armv7 -march=armv7-a -mfpu=neon -mfloat-abi=hard.
 *
 * Vectorized along output channels: one q register holds the weight words of VW = 2 output
 * channels for one (tap, input word); a pixel's input word sits in both 64-bit lanes of a register
 * and is xor-popcounted (EOR, CNT) against the NV weight vectors of a block, for the TP pixels of
 * a tile. Per (tap, word) step: NV weight loads, TP input loads, TP*NV x (EOR, CNT) and the adds.
 *
 * aarch64 (32 q registers): blocks of B = 8 channels (NV = 4), TP = 4 pixels, as Larq Compute
 * Engine's 8x4x2 kernel: the input word is loaded into both lanes by two single-lane LD1s (load
 * pipe only), and per pixel an ADDP tree sums its 4 CNT vectors into 2 bytes per channel, which one
 * UADALP adds into the pixel's 16-bit accumulator (lane k: channel k): 16 EOR + 16 CNT + 12 ADDP +
 * 4 UADALP per step of 2048 binary MACs, 3 ASIMD instructions per 128 MACs, 4 accumulators a tile.
 * A lane gains at most 64 per step: FLUSH = 1023 steps (K up to 65472 bits) before the segmented
 * K loop of bconv_blocked_impl.h widens them into 32-bit lanes (UADDW, UADDW2; vsum: channels 0-3,
 * 4-7), which the output stage transposes into channel rows (TRN1/TRN2, .4s then .2d).
 * armv7 (16 q registers): B = 4 (NV = 2), TP = 2; the word is broadcast (LD1R) and each CNT added
 * into a byte accumulator per (pixel, vector) (ADD.16B): bytes count at most 8 per step, FLUSH = 31,
 * flushed into 32-bit lanes with UADDLP + UADALP; a channel's count is the sum of its two 32-bit
 * lanes (rows by VPADD).
 *
 * Output stage, in rows: the tile's sums become one row per block channel (a q register of the
 * TP = 4 pixels on aarch64, a d register of 2 on armv7), which is where the pixels sit
 * in the f32 output [M][OH*OW] (consecutive q, even across output rows): acc = KC - 2*popcount -
 * corr (MLS), (float)acc, * scale[m], + bias[m], + residual, each rounded on its own (no FMA; build
 * with -ffp-contract=off), stored per channel as one vector. Thresholds are compared per row and the
 * pass masks merged by shift-right-inserts. The affine_pack kernel (what Bi-Real-18 runs) has its own
 * word-major driver (run_hook): a tile runs all the blocks of a 64-channel output word and keeps the
 * word's pass masks in two registers, storing each pixel's word once; the other kernels run the
 * block-major driver of bconv_blocked_impl.h (B bits per pixel and block into its word, put_bits;
 * the vectors of a block narrower than B one at a time).
 */
#include "bnncc/common.h"
#include "bnncc/bconv.h"

#include <arm_neon.h>

#define VW 2           /* channels per vector */
#define ZW 1024        /* words of zeros that out-of-bounds taps read */
#define ROWW 96        /* most words of a kernel row that border tiles copy (KW * words(C)) */
#define WORD_L_MAX 24  /* longest kernel row (words) of the word-major driver's inline instances */

/* A row: one channel's values for the TP pixels of a tile, one register (lane j: pixel j). */
#if defined(__aarch64__)
#define NV 4           /* vectors per channel block */
#define TP 4           /* pixels per tile: a row is a q register */
#define FLUSH 1023     /* steps a 16-bit accumulator can take (1023 * 64 < 65536) */
#define NACC(nv) ((nv) > 0) /* one accumulator per pixel, whatever nv */
#define RV(op, rest) op##q_##rest
typedef struct {
    uint16x8_t n;  /* a pixel's accumulator: lane k = block channel k */
    uint64x2_t x;  /* its input word in both lanes (load_word), carried through the K loop */
} vacc;
typedef uint32x4x2_t vsum; /* its sums: val[h] lane k = block channel 4h + k */
typedef uint32x4_t urow;
typedef int32x4_t irow;
#else
#define NV 2
#define TP 2           /* a row is a d register */
#define FLUSH 31       /* steps a byte accumulator can take (31 * 8 < 256) */
#define NACC(nv) (nv)  /* one per vector */
#define RV(op, rest) op##_##rest
typedef uint8x16_t vacc;   /* byte accumulators */
typedef uint32x4_t vsum;   /* their sums: 32-bit lanes 2k, 2k+1 = the halves of channel k's words */
typedef uint32x2_t urow;
typedef int32x2_t irow;
#endif
#define BLK (NV * VW)  /* channels per block (divides 64) */
/* entries of each per-block table of the sink: a block narrower than BLK has at most BLK/VW - 1
 * vectors, and vector v reads BLK entries from v*VW on (armv7: BLK) */
#define SINK_W (2 * (BLK - VW))

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")
#define ISA_ENTRY(name) name##__neon /* public names: name__neon */

/* Output side of a tile: f32 (optionally with the affine) or thresholded bits. Tables per block,
 * zero-padded (entry k: block channel k). */
struct sink {
    float *f;          /* f32 output (or NULL) */
    bnn_word *b;       /* bits output */
    const float *res, *res2; /* residual and second residual [M][OH][OW] (or NULL) */
    float scale[SINK_W], bias[SINK_W]; /* read only by the affine variants */
    float scale2[SINK_W], bias2[SINK_W]; /* the same for the second stage (bnn_affine_stage) */
    int32_t thr[SINK_W];   /* integer thresholds (bits output) */
    uint32_t dpos[SINK_W]; /* all ones where dir > 0 */
    /* packed output of the affine's y (bnn_bconv_affine_pack__X): pass = (y ^ sgn) >= thr' with
     * sgn the sign bit where dir <= 0 and thr' = sgn ? -thr : thr (negation is exact, so this is
     * y <= thr there; NaN fails) */
    float pthr[SINK_W];
    uint32_t psgn[SINK_W];
    uint32_t vmask;    /* bit k = channel b0+k is < M */
};

/* the public declarations, then the ISA-independent code (bconv_blocked_impl.h) over the
 * parameters and the sink above; it calls the hooks defined below (tile, sink_bits_block, run_hook,
 * and the segmented K loop's vacc_zero, vsum_zero, widen_add, steps) */
#define BNN_BCONV_BLOCKED_IMPL
#define BCONV_SEGMENTS
#define BCONV_RUN_HOOK
#include "bnncc/bconv_blocked.h"

static void sink_bits_block(sink *s, const bnn_bconv_params *p, int b0, int bw, int pk, const int32_t *thr,
                            const int8_t *dir, const float *pthr)
{
    int k;
    s->vmask = 0;
    for (k = 0; k < SINK_W; k++) {
        const int m = b0 + k, ok = k < bw && m < p->M;
        s->thr[k] = ok && !pk ? thr[m] : 0;
        s->dpos[k] = ok && dir[m] > 0 ? 0xFFFFFFFFu : 0;
        s->psgn[k] = ok && pk && dir[m] <= 0 ? 0x80000000u : 0;
        s->pthr[k] = ok && pk ? (s->psgn[k] ? -pthr[m] : pthr[m]) : 0.0f;
        if (ok) s->vmask |= 1u << k;
    }
}

/* ---------------------------------------------------------------- accumulation (hooks) */

ALWAYS_INLINE vsum vsum_zero(void)
{
#if defined(__aarch64__)
    const vsum z = {{vdupq_n_u32(0), vdupq_n_u32(0)}};
    return z;
#else
    return vdupq_n_u32(0);
#endif
}

#if defined(__aarch64__)
ALWAYS_INLINE vacc vacc_zero(void)
{
    const vacc z = {vdupq_n_u16(0), vdupq_n_u64(0)};
    return z;
}
/* UADDW, UADDW2: the 16-bit lanes of channels 0-3 and 4-7 added into 32-bit lanes */
ALWAYS_INLINE vsum widen_add(vsum a, vacc b)
{
    a.val[0] = vaddw_u16(a.val[0], vget_low_u16(b.n));
    a.val[1] = vaddw_high_u16(a.val[1], b.n);
    return a;
}

/* A pixel's input word *x in both 64-bit lanes, and x advanced: two single-lane LD1s (lane 0, then
 * lane 1 with post-increment) into the pixel's register acc->x, which use only the load pipe, where
 * an LD1R of 64-bit elements also takes an ASIMD pipe (Cortex-A57/A72; LCE's PR #521). Inline asm:
 * GCC turns two lane loads of one address into LDR + DUP. acc->x is read and written (+w) and
 * lives with the accumulator through the whole K loop, so that the lane-0 load (a partial write)
 * waits only for that register's previous load. That chain of two loads a step is longer than a
 * step of a tile of one pixel or one vector (np * nv CNTs), which takes LD1R instead. */
ALWAYS_INLINE uint8x16_t load_word(vacc *acc, const bnn_word **x, const int np, const int nv)
{
    if (np == 1 || nv == 1)
        __asm__("ld1r {%0.2d}, [%1], #8" : "=w"(acc->x), "+r"(*x) : "m"(**x));
    else
        __asm__("ld1 {%0.d}[0], [%1]\n\tld1 {%0.d}[1], [%1], #8" : "+w"(acc->x), "+r"(*x) : "m"(**x));
    return vreinterpretq_u8_u64(acc->x);
}

/* Pixel j's accumulator += the popcounts c[v] = CNT(EOR(xb, wv[v])), v < nv (the others zero):
 * an ADDP tree sums each channel's 8 byte counts into 2 bytes (c0 + c1: [ch0 x4, ch1 x4, ch2 x4,
 * ch3 x4], likewise c2 + c3, then [ch0 x2, ..., ch7 x2]), and UADALP adds the pairs into the
 * 16-bit lanes: lane k += channel k's popcount (<= 64). 3 ADDP + 1 UADALP for 16 CNTs of the
 * tile, as in LCE's 8x4x2 kernel. A tile of one vector skips the tree: lanes 4c..4c+3 += the four
 * byte pairs of channel c (<= 16); channel_rows sums them. */
ALWAYS_INLINE void add_counts(vacc accb[TP][ACCS], int j, uint8x16_t xb, const uint8x16_t wv[NV], const int nv)
{
    uint8x16_t c[NV];
    int v;
    UNROLL for (v = 0; v < NV; v++) c[v] = v < nv ? vcntq_u8(veorq_u8(xb, wv[v])) : vdupq_n_u8(0);
    if (nv == 1)
        accb[j][0].n = vpadalq_u8(accb[j][0].n, c[0]);
    else
        accb[j][0].n = vpadalq_u8(accb[j][0].n, vpaddq_u8(vpaddq_u8(c[0], c[1]), vpaddq_u8(c[2], c[3])));
}

/* The end of a step: a scheduling barrier, without which GCC's scheduler hoists the next steps'
 * loads and EORs, runs out of the 32 q registers and spills. */
#define STEP_END() __asm__ volatile("")
#else
ALWAYS_INLINE vacc vacc_zero(void) { return vdupq_n_u8(0); }
/* UADDLP (bytes -> 16-bit pairs), UADALP (16-bit pairs added into 32-bit lanes) */
ALWAYS_INLINE vsum widen_add(vsum a, vacc b) { return vpadalq_u16(a, vpaddlq_u8(b)); }

/* A pixel's input word *x broadcast (LD1R with post-increment), x advanced. The empty asm keeps
 * each pixel's input pointer its own induction variable (merged into one, the pointers become
 * offsets, which LD1R cannot take: LDR + DUP). */
ALWAYS_INLINE uint8x16_t load_word(vacc *acc, const bnn_word **x, const int np, const int nv)
{
    const uint8x16_t xb = vreinterpretq_u8_u64(vld1q_dup_u64((*x)++));
    (void)acc;
    (void)np;
    (void)nv;
    __asm__("" : "+r"(*x));
    return xb;
}

/* Pixel j's accb[j][v] += CNT(EOR(xb, wv[v])), v < nv: byte adds. The empty asm keeps each byte
 * accumulator one register chain (as in bconv_avx2.c: the adds would otherwise be reassociated into
 * trees). (accb and j, not the row accb[j]: through a row pointer GCC allocates word_row3's
 * registers worse, with spills.) */
ALWAYS_INLINE void add_counts(vacc accb[TP][ACCS], int j, uint8x16_t xb, const uint8x16_t wv[NV], const int nv)
{
    int v;
    UNROLL for (v = 0; v < nv; v++) {
        accb[j][v] = vaddq_u8(accb[j][v], vcntq_u8(veorq_u8(xb, wv[v])));
        __asm__("" : "+w"(accb[j][v]));
    }
}

#define STEP_END() ((void)0)
#endif

/* One (tap, word) step: the weights at w (nv vectors of VW channels), pixel j's input word at x[j]
 * (which advances) in both lanes, and per pixel nv x (EOR, CNT) into its accumulators: 3 ASIMD
 * instructions per 128 binary MACs, plus the loads. */
ALWAYS_INLINE void step(vacc accb[TP][ACCS], const int np, const int nv, const bnn_word **x, const bnn_word *w)
{
    uint8x16_t wv[NV];
    int j, v;
    UNROLL for (v = 0; v < nv; v++) wv[v] = vreinterpretq_u8_u64(vld1q_u64(w + (size_t)v * VW));
    UNROLL for (j = 0; j < np; j++) add_counts(accb, j, load_word(&accb[j][0], &x[j], np, nv), wv, nv);
    STEP_END();
}

/* The steps hook (bconv_blocked_impl.h), unrolled by hand (GCC does not unroll it). */
ALWAYS_INLINE void steps(vacc accb[TP][ACCS], const int np, const int nv, const bnn_word *const *xp,
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

/* f(v, k) with the lane k (0..3) as a literal: clang requires an integer constant expression for
 * lane arguments, and k is one only after unrolling (which GCC sees, clang's front end does not);
 * the other branches fold away. */
#define LANE4(f, v, k) ((k) == 0 ? f(v, 0) : (k) == 1 ? f(v, 1) : (k) == 2 ? f(v, 2) : f(v, 3))

/* The popcounts of the block channels k < nv*VW as rows pc[k] (lane j: pixel j). */
ALWAYS_INLINE void channel_rows(vsum sum[TP][ACCS], const int nv, urow pc[BLK])
{
#if defined(__aarch64__)
    /* per half h (channels 4h..4h+3) a 4x4 transpose of the pixels' sums: TRN1 / TRN2 .4s of pixels
     * 0, 1 and of 2, 3 ([p0c0 p1c0 p0c2 p1c2], [p0c1 p1c1 p0c3 p1c3], ...), then TRN1 / TRN2 .2d */
    int h;
    if (nv == 1) { /* channel h: the 4 lanes of val[h] (add_counts), summed by two levels of ADDP */
        UNROLL for (h = 0; h < 2; h++)
            pc[h] = vpaddq_u32(vpaddq_u32(sum[0][0].val[h], sum[1][0].val[h]),
                               vpaddq_u32(sum[2][0].val[h], sum[3][0].val[h]));
        return;
    }
    UNROLL for (h = 0; h < (nv * VW + 3) / 4; h++) {
        const uint64x2_t t0 = vreinterpretq_u64_u32(vtrn1q_u32(sum[0][0].val[h], sum[1][0].val[h]));
        const uint64x2_t t1 = vreinterpretq_u64_u32(vtrn2q_u32(sum[0][0].val[h], sum[1][0].val[h]));
        const uint64x2_t t2 = vreinterpretq_u64_u32(vtrn1q_u32(sum[2][0].val[h], sum[3][0].val[h]));
        const uint64x2_t t3 = vreinterpretq_u64_u32(vtrn2q_u32(sum[2][0].val[h], sum[3][0].val[h]));
        pc[4 * h] = vreinterpretq_u32_u64(vtrn1q_u64(t0, t2));
        pc[4 * h + 1] = vreinterpretq_u32_u64(vtrn1q_u64(t1, t3));
        pc[4 * h + 2] = vreinterpretq_u32_u64(vtrn2q_u64(t0, t2));
        pc[4 * h + 3] = vreinterpretq_u32_u64(vtrn2q_u64(t1, t3));
    }
#else
    /* vector v's channels 2v, 2v + 1: each the sum of the channel's two 32-bit lanes (VPADD) */
    int v;
    UNROLL for (v = 0; v < nv; v++) {
        pc[2 * v] = vpadd_u32(vget_low_u32(sum[0][v]), vget_low_u32(sum[1][v]));
        pc[2 * v + 1] = vpadd_u32(vget_high_u32(sum[0][v]), vget_high_u32(sum[1][v]));
    }
#endif
}

#if defined(__aarch64__)
/* The TP floats at o (pixels consecutive in the output), only the first np of them. */
ALWAYS_INLINE float32x4_t load_row(const float *o, const int np)
{
    float t[TP];
    int j;
    if (np == TP) return vld1q_f32(o);
    UNROLL for (j = 0; j < TP; j++) t[j] = j < np ? o[j] : 0.0f;
    return vld1q_f32(t);
}

ALWAYS_INLINE void store_row(float *o, float32x4_t y, const int np)
{
    float t[TP];
    int j;
    if (np == TP) {
        vst1q_f32(o, y);
        return;
    }
    vst1q_f32(t, y);
    UNROLL for (j = 0; j < np; j++) o[j] = t[j];
}
#endif

/* The sink's per-block tables of the f32 output stage in registers (lane k % 4 of vector k / 4:
 * block channel vb + k, k < BLK), loaded once per tile: the stores into the output could alias the
 * sink, which GCC would otherwise reload. */
typedef struct {
    float32x4_t scale[BLK / 4], bias[BLK / 4], scale2[BLK / 4], bias2[BLK / 4], pthr[BLK / 4];
    uint32x4_t psgn[BLK / 4];
} lanes;

ALWAYS_INLINE lanes load_lanes(const sink *s, int vb)
{
    lanes l;
    int i;
    UNROLL for (i = 0; i < BLK / 4; i++) {
        l.scale[i] = vld1q_f32(s->scale + vb + 4 * i);
        l.bias[i] = vld1q_f32(s->bias + vb + 4 * i);
        l.scale2[i] = vld1q_f32(s->scale2 + vb + 4 * i);
        l.bias2[i] = vld1q_f32(s->bias2 + vb + 4 * i);
        l.pthr[i] = vld1q_f32(s->pthr + vb + 4 * i);
        l.psgn[i] = vld1q_u32(s->psgn + vb + 4 * i);
    }
    return l;
}

/* The f32 output of block channel k for the np pixels of row a: (float)a [* scale + bias
 * [+ residual r] [(aff 2) * scale2 + bias2 [+ residual r2]]], each step rounded on its own, stored
 * at o; returns the pixels' pass masks of the packed output (see sink), read only by the
 * affine_pack kernels. */
ALWAYS_INLINE urow f32_row(const lanes *l, const int k, const int aff, irow a, const float *r, const float *r2,
                           float *o, const int np)
{
#if defined(__aarch64__)
    float32x4_t y = vcvtq_f32_s32(a);
    if (aff) {
        y = vmulq_f32(y, LANE4(vdupq_laneq_f32, l->scale[k / 4], k % 4));
        y = vaddq_f32(y, LANE4(vdupq_laneq_f32, l->bias[k / 4], k % 4));
        if (r) y = vaddq_f32(y, load_row(r, np));
    }
    if (aff == 2) {
        y = vmulq_f32(y, LANE4(vdupq_laneq_f32, l->scale2[k / 4], k % 4));
        y = vaddq_f32(y, LANE4(vdupq_laneq_f32, l->bias2[k / 4], k % 4));
        if (r2) y = vaddq_f32(y, load_row(r2, np));
    }
    store_row(o, y, np);
    /* (y ^ sgn) >= thr' */
    return vcgeq_f32(vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(y),
                                                     LANE4(vdupq_laneq_u32, l->psgn[k / 4], k % 4))),
                     LANE4(vdupq_laneq_f32, l->pthr[k / 4], k % 4));
#else
    /* armv7 NEON flushes subnormal inputs and results to zero: the float arithmetic and its
     * compares run on the (IEEE) VFP, per pixel (a lane of a q register is a VFP s register); the
     * conversion (integers, exact) stays NEON */
    const float sc = LANE4(vgetq_lane_f32, l->scale[k / 4], k % 4), bi = LANE4(vgetq_lane_f32, l->bias[k / 4], k % 4);
    const float sc2 = LANE4(vgetq_lane_f32, l->scale2[k / 4], k % 4), bi2 = LANE4(vgetq_lane_f32, l->bias2[k / 4], k % 4);
    const float th = LANE4(vgetq_lane_f32, l->pthr[k / 4], k % 4);
    const int neg = LANE4(vgetq_lane_u32, l->psgn[k / 4], k % 4) != 0;
    float y[TP];
    uint32_t pass[TP];
    int j;
    vst1_f32(y, vcvt_f32_s32(a));
    UNROLL for (j = 0; j < TP; j++) {
        float t = y[j];
        if (aff) {
            t = t * sc;
            t = t + bi;
            if (r && j < np) t = t + r[j];
        }
        if (aff == 2) {
            t = t * sc2;
            t = t + bi2;
            if (r2 && j < np) t = t + r2[j];
        }
        if (j < np) o[j] = t;
        pass[j] = (neg ? -t : t) >= th ? 0xFFFFFFFFu : 0;
    }
    return vld1_u32(pass);
#endif
}

/* The output stage of nv vectors of a block (from block channel vb) of a tile up to their pass
 * masks: from the popcount sums (and, if border, the padding corrections), per channel k < nk:
 * acc = KC - 2*popcount - corr (one MLS per row), then its f32 output at o + k*OH*OW (with the
 * affine, tables l; residuals at r, r2 likewise) or, without f32 output (o NULL), its threshold test
 * (the sink's thr, dpos at vb + k). pass[k]: the row's pass masks (all ones / zero per lane), zero
 * for k >= nk. */
ALWAYS_INLINE void block_pass(const ctx *c, const sink *s, const lanes *l, float *o, const float *r,
                              const float *r2, const int np,
                              const int nv, const int border, const int aff, int nk, int vb, vsum sum[TP][ACCS],
                              int32_t corr[TP][BLK], urow pass[BLK])
{
    const bnn_bconv_params *p = c->p;
    const size_t ohw = (size_t)p->OH * (size_t)p->OW;
    const urow kc = RV(vdup, n_u32)((uint32_t)c->KC);
    urow pc[BLK];
    int j, k, v;

    UNROLL for (j = np; j < TP; j++) UNROLL for (v = 0; v < NACC(nv); v++) sum[j][v] = vsum_zero();
    channel_rows(sum, nv, pc);
    UNROLL for (k = 0; k < BLK; k++) {
        irow a;
        pass[k] = RV(vdup, n_u32)(0);
        if (k >= nv * VW || k >= nk) continue;
        a = RV(vreinterpret, s32_u32)(RV(vmls, n_u32)(kc, pc[k], 2));
        if (border) {
            int32_t cr[TP];
            UNROLL for (j = 0; j < TP; j++) cr[j] = j < np ? corr[j][k] : 0;
            a = RV(vsub, s32)(a, RV(vld1, s32)(cr));
        }
        if (o) {
            pass[k] = f32_row(l, k, aff, a, r ? r + (size_t)k * ohw : NULL, r2 ? r2 + (size_t)k * ohw : NULL,
                              o + (size_t)k * ohw, np);
        } else {
            const irow t = RV(vdup, n_s32)(s->thr[vb + k]);
            pass[k] = RV(vbsl, u32)(RV(vdup, n_u32)(s->dpos[vb + k]), RV(vcge, s32)(a, t), RV(vcle, s32)(a, t));
        }
    }
}

/* x after n shift-right-inserts of the pass masks: SRI(pass[k], x, 1) keeps bit 31 of pass[k] and
 * shifts the bits so far one down, so after channels 0..n-1 (over any number of calls) bit
 * 32 - n + k holds channel k; x >> (32 - n) puts channel k at bit k. */
ALWAYS_INLINE urow insert_passes(urow x, const urow *pass, const int n)
{
    int k;
    UNROLL for (k = 0; k < n; k++) x = RV(vsri, n_u32)(pass[k], x, 1);
    return x;
}

/* The output stage of a tile (block-major driver, run()) of nv vectors from block channel vb
 * (channel m0): block_pass, and with bits output its nv*VW bits per pixel (insert_passes; bit 1
 * (-1) where a channel < M fails) into its word (put_bits). */
ALWAYS_INLINE void out_tile(const ctx *c, const sink *s, int q0, const int np, const int nv, const int border,
                            const int aff, const int pk, int m0, int vb, vsum sum[TP][ACCS], int32_t corr[TP][BLK])
{
    const bnn_bconv_params *p = c->p;
    const size_t ohw = (size_t)p->OH * (size_t)p->OW;
    const int nk = p->M - m0 < nv * VW ? p->M - m0 : nv * VW; /* channels < M */
    const uint32_t ok = (s->vmask >> vb) & ((1u << (nv * VW)) - 1);
    const lanes l = load_lanes(s, vb);
    float *o = s->f ? s->f + (size_t)m0 * ohw + (size_t)q0 : NULL;
    const float *r = aff && s->res ? s->res + (size_t)m0 * ohw + (size_t)q0 : NULL;
    const float *r2 = aff == 2 && s->res2 ? s->res2 + (size_t)m0 * ohw + (size_t)q0 : NULL;
    urow pass[BLK];
    uint32_t f[TP];
    int j;

    block_pass(c, s, &l, o, r, r2, np, nv, border, aff, nk, vb, sum, corr, pass);
    if (s->f && !pk) return;
    RV(vst1, u32)(f, RV(vbic, u32)(RV(vdup, n_u32)(ok),
                                   RV(vshr, n_u32)(insert_passes(RV(vdup, n_u32)(0), pass, BLK), 32 - BLK)));
    UNROLL for (j = 0; j < np; j++) put_bits(c, s, q0 + j, m0, f[j]);
}

/* Out-of-line instances of out_tile for full tiles (TP pixels, NV vectors), one per output variant:
 * their registers are then allocated apart from the driver's. */
#define OUT_FN(name, aff_, pk_)                                                                       \
    static __attribute__((noinline)) void name(const ctx *c, const sink *s, int q0, int border, int m0, \
                                               vsum sum[TP][ACCS], int32_t corr[TP][BLK])             \
    {                                                                                                 \
        out_tile(c, s, q0, TP, NV, border, aff_, pk_, m0, 0, sum, corr);                              \
    }
OUT_FN(out_plain, 0, 0)
OUT_FN(out_affine, 1, 0)
OUT_FN(out_affine_pack, 1, 1)
OUT_FN(out_affine2, 2, 0)
OUT_FN(out_affine2_pack, 2, 1)
#undef OUT_FN

/* The tile hook (contract: bconv_blocked_impl.h): accumulate (tile_sums), then the output stage. */
ALWAYS_INLINE void tile(const ctx *c, const sink *s, int q0, const int np, const int nv, const int interior,
                        const int aff, const int pk, const bnn_word *wb, size_t ws, int m0, int vblk)
{
    vsum sum[TP][ACCS];
    int32_t corr[TP][BLK] = {{0}}; /* dead unless border */
    const int border = tile_sums(c, q0, np, nv, interior, wb, ws, m0, sum, corr);

    if (np == TP && nv == NV)
        (aff == 2 ? (pk ? out_affine2_pack : out_affine2)
                  : pk ? out_affine_pack : aff ? out_affine : out_plain)(c, s, q0, border, m0, sum, corr);
    else
        out_tile(c, s, q0, np, nv, border, aff, pk, m0, vblk * VW, sum, corr);
}

/* ---------------------------------------------------------------- word-major driver (run_hook) */

/* bnn_bconv_affine_pack__neon over whole output words: for each word of 64 channels (a group of
 * up to 64 / BLK blocks), each tile runs all the group's blocks and keeps the word's pass masks in
 * registers, two rows of 32 channels continued block after block by insert_passes, so that each
 * pixel's word is stored once (the block-major driver reads, ORs and stores it per block). */
typedef struct {
    lanes l[BNN_WORD_BITS / BLK]; /* per block: the f32 output stage's tables */
    uint32_t vmask[2];            /* bit k of half h: channel 32h + k of the group is < M */
    int nb;                       /* blocks */
} group;

/* The words of the group at g0 (bits + g0 / 64) of the np pixels q0.. from their two halves lo, hi
 * (lane j: pixel j). */
ALWAYS_INLINE void store_words(const ctx *c, bnn_word *bits, int q0, const int np, urow lo, urow hi)
{
    const size_t os = bnn_out_stride(c->p);
    bnn_word t[TP], *o = bits + (size_t)q0 * os;
    int j;
#if defined(__aarch64__)
    /* ZIP1 / ZIP2: [lo0 hi0 lo1 hi1], [lo2 hi2 lo3 hi3], the 64-bit words of pixels 0, 1 and 2, 3 */
    const uint64x2_t w01 = vreinterpretq_u64_u32(vzip1q_u32(lo, hi)), w23 = vreinterpretq_u64_u32(vzip2q_u32(lo, hi));
    if (np == TP && os == 1) {
        vst1q_u64(o, w01);
        vst1q_u64(o + 2, w23);
        return;
    }
    vst1q_u64(t, w01);
    vst1q_u64(t + 2, w23);
#else
    const uint32x2x2_t z = vzip_u32(lo, hi);
    const uint64x2_t w01 = vcombine_u64(vreinterpret_u64_u32(z.val[0]), vreinterpret_u64_u32(z.val[1]));
    if (np == TP && os == 1) {
        vst1q_u64(o, w01);
        return;
    }
    vst1q_u64(t, w01);
#endif
    UNROLL for (j = 0; j < np; j++) o[(size_t)j * os] = t[j];
}

/* All blocks of group g (first channel g0, weights wg) for the np pixels q0..: per block the sums
 * (tile_sums; or, with L != 0, for tiles of 3x3 kernels with DW == 1 and kernel rows of L words,
 * accumulate() inline with L at compile time, so that the pixels' input pointers, and for tiles
 * that are not interior their kernel rows (tile_rows) and padding corrections, are set up once per
 * tile, not per block, and the sums stay in registers) and block_pass (f32 output with residual),
 * the pass masks inserted into the half of their channels; then per half of n channels,
 * channel k at bit k is (x >> (32 - n)) (a right shift by 32 - n: USHL by n - 32; 0 for n = 0), set
 * where the channel (< M) fails. */
ALWAYS_INLINE void word_tile(const ctx *c, const group *g, int g0, const bnn_word *wg, const float *res,
                             const float *res2, float *fout, bnn_word *bits, int q0, const int np, const int interior,
                             const size_t L, const int aff)
{
    const bnn_bconv_params *p = c->p;
    const size_t ohw = (size_t)p->OH * (size_t)p->OW, blkw = (size_t)BLK * (size_t)c->T * c->nw;
    const int half = 32 / BLK; /* blocks per half */
    int iy0[TP], ix0[TP], full[TP];
    bnn_word rbuf[TP * 3 * WORD_L_MAX];
    const bnn_word *rowp[TP * 3];
    int32_t gcorr[TP][BNN_WORD_BITS]; /* padding corrections of the group's channels */
    urow x[2];
    int h, b, j, k, border = 0;

    if (L) {
        tile_pixels(c, q0, np, iy0, ix0, full);
        if (!interior) tile_rows(c, np, iy0, ix0, 3, 3, L, rbuf, rowp);
    }
    if (L && !interior && p->pad_bit != 0) {
            UNROLL for (j = 0; j < np; j++) if (!full[j]) {
            pad_corr(c, iy0[j], ix0[j], g0, g->nb * BLK, gcorr[j]);
            border = 1;
        }
    }

    for (h = 0; h < 2; h++) {
        const int b1 = g->nb < (h + 1) * half ? g->nb : (h + 1) * half;
        x[h] = RV(vdup, n_u32)(0);
        for (b = h * half; b < b1; b++) {
            const int m0 = g0 + b * BLK, nk = p->M - m0 < BLK ? p->M - m0 : BLK;
            const size_t off = (size_t)m0 * ohw + (size_t)q0;
            vsum sum[TP][ACCS];
            int32_t corr[TP][BLK] = {{0}}; /* dead unless border */
            urow pass[BLK];
            if (L) {
                accumulate(c, np, NV, interior, 1, iy0, ix0, wg + (size_t)b * blkw, BLK, 3, 3, L,
                           interior ? NULL : rowp, sum);
                if (border)
                    UNROLL for (j = 0; j < np; j++) UNROLL for (k = 0; k < BLK; k++)
                        corr[j][k] = full[j] ? 0 : gcorr[j][b * BLK + k];
            } else {
                border = tile_sums(c, q0, np, NV, interior, wg + (size_t)b * blkw, BLK, m0, sum, corr);
            }
            block_pass(c, NULL, &g->l[b], fout + off, res ? res + off : NULL, res2 ? res2 + off : NULL, np, NV,
                       border, aff, nk, 0, sum, corr, pass);
            x[h] = insert_passes(x[h], pass, BLK);
        }
        x[h] = RV(vbic, u32)(RV(vdup, n_u32)(g->vmask[h]),
                             RV(vshl, u32)(x[h], RV(vdup, n_s32)((b1 > h * half ? b1 - h * half : 0) * BLK - 32)));
    }
    store_words(c, bits, q0, np, x[0], x[1]);
}

/* Each instance in two output variants: the affine stage (aff 1) and name##2 with its second stage
 * (aff 2). */
#define WORD_FN(name, np_, interior_, L_)                                                               \
    static __attribute__((noinline)) void name(const ctx *c, const group *g, int g0, const bnn_word *wg, \
                                               const float *res, const float *res2, float *fout,        \
                                               bnn_word *bits, int q0)                                  \
    {                                                                                                   \
        (void)res2;                                                                                     \
        word_tile(c, g, g0, wg, res, NULL, fout, bits, q0, np_, interior_, L_, 1);                      \
    }                                                                                                   \
    static __attribute__((noinline)) void name##2(const ctx *c, const group *g, int g0, const bnn_word *wg, \
                                                  const float *res, const float *res2, float *fout,     \
                                                  bnn_word *bits, int q0)                               \
    {                                                                                                   \
        word_tile(c, g, g0, wg, res, res2, fout, bits, q0, np_, interior_, L_, 2);                      \
    }
WORD_FN(word_row3, TP, 1, 3)
WORD_FN(word_row6, TP, 1, 6)
WORD_FN(word_row12, TP, 1, 12)
WORD_FN(word_row24, TP, 1, 24)
WORD_FN(word_brow3, TP, 0, 3)
WORD_FN(word_brow6, TP, 0, 6)
WORD_FN(word_brow12, TP, 0, 12)
WORD_FN(word_brow24, TP, 0, 24)
WORD_FN(word_interior, TP, 1, 0)
WORD_FN(word_border, TP, 0, 0)
WORD_FN(word_pixel, 1, 0, 0)
#undef WORD_FN

typedef void (*word_fn)(const ctx *c, const group *g, int g0, const bnn_word *wg, const float *res,
                        const float *res2, float *fout, bnn_word *bits, int q0);

/* The instance for interior tiles or the others: kernel rows of k3 words inline (3x3, DW == 1; 0:
 * none); two: with the second affine stage. (A switch, not a table: a table of pointers would be
 * relocated data.) */
static word_fn word_instance(int interior, size_t k3, int two)
{
#define PICK(a, b) (interior ? (two ? a##2 : a) : (two ? b##2 : b))
    switch (k3) {
    case 3: return PICK(word_row3, word_brow3);
    case 6: return PICK(word_row6, word_brow6);
    case 12: return PICK(word_row12, word_brow12);
    case 24: return PICK(word_row24, word_brow24);
    default: return PICK(word_interior, word_border);
    }
#undef PICK
}

/* The run hook (bconv_blocked_impl.h): the affine_pack kernel whose blocks are all full (Mp a
 * multiple of BLK) by the word-major driver, tiles as block() cuts them. */
static int run_hook(const ctx *c, const bnn_word *w, const bnn_affine_stage *st, const float *pthr,
                    const int8_t *dir, int q_begin, int q_end, float *fout, bnn_word *bout)
{
    const bnn_bconv_params *p = c->p;
    const size_t k3 = p->KH == 3 && p->KW == 3 && c->row_run ? 3 * c->nw : 0;
    const int two = st && st->scale2;
    const word_fn inner = word_instance(1, k3, two), outer = word_instance(0, k3, two);
    const word_fn pixel = two ? word_pixel2 : word_pixel;
    const float *res2 = two ? st->residual2 : NULL;
    int g0;
    if (!st || !bout || c->Mp % BLK) return 0;
    for (g0 = 0; g0 < c->Mp; g0 += BNN_WORD_BITS) {
        const bnn_word *wg = w + (size_t)g0 * (size_t)c->T * c->nw;
        bnn_word *bits = bout + g0 / BNN_WORD_BITS;
        group g;
        int b, q = q_begin;
        g.nb = (c->Mp - g0 < BNN_WORD_BITS ? c->Mp - g0 : BNN_WORD_BITS) / BLK;
        g.vmask[0] = g.vmask[1] = 0;
        for (b = 0; b < g.nb; b++) {
            sink s;
            sink_bits_block(&s, p, g0 + b * BLK, BLK, 1, NULL, dir, pthr);
            sink_affine_block(&s, p, g0 + b * BLK, BLK, st);
            g.l[b] = load_lanes(&s, 0);
            g.vmask[b * BLK / 32] |= s.vmask << (b * BLK % 32);
        }
        for (; q + TP <= q_end; q += TP)
            (tile_interior(c, q) ? inner : outer)(c, &g, g0, wg, st->residual, res2, fout, bits, q);
        for (; q < q_end; q++) pixel(c, &g, g0, wg, st->residual, res2, fout, bits, q);
    }
    return 1;
}
