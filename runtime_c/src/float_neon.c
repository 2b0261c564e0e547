/* bnncc runtime: ARM NEON float Conv / MatMul (see bnncc/float_panels.h for the contract and layouts).
 * One source for both ARM targets:
 *   aarch64 (ARMv8-A and up)                          32 q registers, fused vfmaq
 *   armv7-A with -mfpu=neon -mfloat-abi=hard          16 q registers, vmlaq: the product is rounded,
 *                                                     then added; NEON flushes subnormals to zero
 *
 * The same GEMM structure as float_avx2.c with 4-float vectors. The packed layouts (CMR = 8 output
 * channels per conv panel, GNR = 16 columns per matmul panel) are the same on both archs; only the
 * register tiles differ:
 *  - Conv: rows = output channels, the panel's 8 weights of tap k are two vectors, each
 *    multiplied lane by lane (multiply-by-lane: no broadcasts); cols = output pixels, 3 vectors.
 *    aarch64: 8 x 12 tile (24 accumulators + 2 A + 3 B = 29 registers).
 *    armv7:   the panel in two passes of 4 x 12 (12 accumulators + 1 A + 3 B = 16 registers).
 *  - MatMul: rows = rows of A read in place, 4 consecutive k at a time as one vector (k by lane);
 *    cols = a 16-column panel (4 vectors). aarch64: 4 x 16 tile (16 + 4 A + 4 B = 24 registers);
 *    armv7: 2 x 16 (8 + 2 + 4 = 14).
 * Summation order per output: k ascending (conv: within blocks of CKC taps, the blocks added to the
 * output in order), then the bias, as on x86.
 */
#include <arm_neon.h>

#include "bnncc/common.h"

#define VL 4                          /* floats per vector */
#define CMR BNN_F32_CONV_MR__neon     /* conv: output channels per panel (8) */
#define CNV 3                         /* conv: vectors per tile (12 pixels) */
#define CNR (CNV * VL)
#define CKC 256                       /* conv: k block */
#define CNB (32 * CNR)                /* conv: pixel block (384) */
#define INDIRECT_MIN_OW 8             /* conv: INDIRECT for outputs at least this wide */
#define GNR BNN_F32_MATMUL_NR__neon   /* matmul: panel width (16 = 4 vectors) */
#define GNV (GNR / VL)
#define LANE_MASK unsigned            /* lane mask: bit l = lane l */
#define ISA_ENTRY(name) name##__neon  /* public names: name__neon */

#if defined(__aarch64__)
#define CPASS 8                       /* conv: panel rows per register tile */
#define GMR 4                         /* matmul: tile rows */
/* acc + x*y (fused); acc + x*v[l] */
#define MLA(acc, x, y) vfmaq_f32(acc, x, y)
#define MLA_LANE(acc, x, v, l) vfmaq_laneq_f32(acc, x, v, l)
#else
#define CPASS 4
#define GMR 2
/* acc + round(x*y); acc + round(x*v[l]) (armv7 NEON has no fused multiply-add) */
#define MLA(acc, x, y) vmlaq_f32(acc, x, y)
#define MLA_LANE(acc, x, v, l) vmlaq_lane_f32(acc, x, (l) < 2 ? vget_low_f32(v) : vget_high_f32(v), (l) & 1)
#endif

#define BNN_INLINE static inline __attribute__((always_inline))

/* the public declarations, then the ISA-independent code (float_panels_impl.h) over the
 * parameters above; it calls the hooks defined below (gather_row, zero_row, conv_tile,
 * matmul_masks, pool_rows_fast, matmul_tile) */
#define BNN_FLOAT_PANELS_IMPL
#include "bnncc/float_panels.h"

typedef char check_geometry[CMR == 8 && CMR % CPASS == 0 && GNV == 4 && CNV == 3 ? 1 : -1];

/* ------------------------------------------------------------------------------ lanes */

/* p[l] for l < n (1 <= n <= 4), 0 in the other lanes; reads p[0..n) (the conv's k loop: no array) */
BNN_INLINE float32x4_t load_first(const float *p, int n)
{
    const float32x4_t z = vdupq_n_f32(0.0f);
    if (n >= 4) return vld1q_f32(p);
    if (n == 3) return vld1q_lane_f32(p + 2, vcombine_f32(vld1_f32(p), vget_low_f32(z)), 2);
    if (n == 2) return vcombine_f32(vld1_f32(p), vget_low_f32(z));
    return vld1q_lane_f32(p, z, 0);
}

/* p[0..12) as 3 vectors (aarch64: one 3-register load) */
BNN_INLINE float32x4x3_t load3(const float *p)
{
#if defined(__aarch64__)
    return vld1q_f32_x3(p);
#else
    const float32x4x3_t v = {{vld1q_f32(p), vld1q_f32(p + VL), vld1q_f32(p + 2 * VL)}};
    return v;
#endif
}

/* the lanes of mask m of p (others 0) / stored to p; reads and writes only those lanes (epilogues) */
static inline float32x4_t load_masked(const float *p, unsigned m)
{
    float t[VL] = {0.0f, 0.0f, 0.0f, 0.0f};
    int l;
    if (m == 0xFu) return vld1q_f32(p);
    for (l = 0; l < VL; l++)
        if (m >> l & 1u) t[l] = p[l];
    return vld1q_f32(t);
}

static inline void store_masked(float *p, float32x4_t x, unsigned m)
{
    float t[VL];
    int l;
    if (m == 0xFu) {
        vst1q_f32(p, x);
        return;
    }
    vst1q_f32(t, x);
    for (l = 0; l < VL; l++)
        if (m >> l & 1u) p[l] = t[l];
}

/* The conv tile's epilogue (one copy, out of the k loop's variants): for rows r0 <= r < r1 and
 * vectors v < nv (the last one ll lanes wide)
 *   c[r*ldc + v*4 + lane] = (accumulate ? c[...] : 0) + t[r][v] + brow[r]    (brow optional) */
static void conv_store(float32x4_t t[8][CNV], int nv, int ll, float *c, size_t ldc, int r0, int r1, int accumulate,
                       const float *brow)
{
    int r, v;
    for (r = r0; r < r1; r++)
        for (v = 0; v < nv; v++) {
            float *cp = c + (size_t)r * ldc + v * VL;
            const unsigned m = v == nv - 1 ? (1u << ll) - 1u : 0xFu;
            float32x4_t x = t[r][v];
            if (accumulate) x = vaddq_f32(load_masked(cp, m), x);
            if (brow) x = vaddq_f32(x, vdupq_n_f32(brow[r]));
            store_masked(cp, x, m);
        }
}

/* ------------------------------------------------------------------------------ conv microkernel
 * acc[r][v] = sum_{k<kn} a[k*CMR + r] * b_k[v*4 + lane], r < MRC (4 or 8), v < NVC, with
 * b_k = b + k*ldb (IND: b + koff[k]); PART: only the first ll lanes of the last vector are read
 * (the rest are 0). Then
 *   c[r*ldc + v*4 + lane] = (accumulate ? c[...] : 0) + acc + brow[r]
 * for rows r0 <= r < r1 and lanes v*4 + lane < (NVC-1)*4 + ll. MRC, NVC, PART, IND are
 * compile-time constants at every call (always_inline), so the unused accumulators vanish. */
BNN_INLINE void conv_kernel(const int MRC, const int NVC, const int PART, const int IND, int kn, const float *a,
                            const float *b, size_t ldb, const int *koff, int ll, float *c, size_t ldc, int r0,
                            int r1, int accumulate, const float *brow)
{
    const float32x4_t z = vdupq_n_f32(0.0f);
    float32x4_t c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z;
    float32x4_t c30 = z, c31 = z, c32 = z, c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z;
    float32x4_t c60 = z, c61 = z, c62 = z, c70 = z, c71 = z, c72 = z;
    const int B3 = NVC == 3 && !PART;
    const int *ko = koff;
    const float *const a_pairs = a + (size_t)(kn & ~1) * CMR; /* a after the pairs of taps */
/* TAP: B's vectors at bp (the last one ll lanes wide when PART; a full tile: load3), then the
 * panel's weights ak[0..8) (this order: fewer armv7 instructions), and rows r < MRC += lane r % 4
 * of ak[0..4) (r < 4) / ak[4..8) times them. BK(j): B of the j-th next tap. */
#define BK(j) (IND ? b + ko[j] : b + (j) * ldb)
#define LD(v) (PART && NVC == (v) + 1 ? load_first(bk + (v) * VL, ll) : vld1q_f32(bk + (v) * VL))
#define ROW(r, av, l)                                            \
        if (MRC > (r)) {                                         \
            c##r##0 = MLA_LANE(c##r##0, b0, av, l);              \
            if (NVC > 1) c##r##1 = MLA_LANE(c##r##1, b1, av, l); \
            if (NVC > 2) c##r##2 = MLA_LANE(c##r##2, b2, av, l); \
        }
#define TAP(bp, ak)                                                                   \
    {                                                                                 \
        const float *bk = (bp);                                                       \
        float32x4_t b0, b1, b2;                                                       \
        if (B3) {                                                                     \
            const float32x4x3_t bv = load3(bk);                                      \
            b0 = bv.val[0], b1 = bv.val[1], b2 = bv.val[2];                           \
        } else {                                                                      \
            b0 = LD(0), b1 = NVC > 1 ? LD(1) : z, b2 = NVC > 2 ? LD(2) : z;           \
        }                                                                             \
        const float32x4_t av0 = vld1q_f32(ak), av1 = MRC > 4 ? vld1q_f32((ak) + 4) : z; \
        ROW(0, av0, 0) ROW(1, av0, 1) ROW(2, av0, 2) ROW(3, av0, 3)                   \
        ROW(4, av1, 0) ROW(5, av1, 1) ROW(6, av1, 2) ROW(7, av1, 3)                   \
    }
#if defined(__aarch64__)
    if (MRC == 8 && B3 && IND && kn >= 4) {
        /* Whole tiles of the padded-copy path (every tile of the stem): the first 4*n4 taps in
         * assembly, 4 taps an iteration: 2 LDPSW of their offsets, 4 ADDs of their addresses, 2 LD1
         * of the 32 weights, 4 LD1 of the 12 inputs, 96 FMLA, SUBS + B.NE: 14 instructions around
         * 96 FMAs (gcc's code of the loop below: 12 around 48). Accumulator (r, v) is v(3r + v),
         * the weights v24-v27, the inputs v28-v30; the same FMLAs, in the same tap order, as
         * MLA_LANE (so the results are the C loop's bit for bit); then spilled to t, and the C
         * loop goes on from there. */
        float t[8 * CNV * VL], *tp = t;
        size_t n4 = (size_t)kn / 4;
#define ASM_TAP(boff, a0, a1)                                                                 \
        "ld1 {v28.4s-v30.4s}, [" boff "]\n\t"                                                \
        "fmla v0.4s, v28.4s, " a0 ".s[0]\n\t" "fmla v1.4s, v29.4s, " a0 ".s[0]\n\t"           \
        "fmla v2.4s, v30.4s, " a0 ".s[0]\n\t" "fmla v3.4s, v28.4s, " a0 ".s[1]\n\t"           \
        "fmla v4.4s, v29.4s, " a0 ".s[1]\n\t" "fmla v5.4s, v30.4s, " a0 ".s[1]\n\t"           \
        "fmla v6.4s, v28.4s, " a0 ".s[2]\n\t" "fmla v7.4s, v29.4s, " a0 ".s[2]\n\t"           \
        "fmla v8.4s, v30.4s, " a0 ".s[2]\n\t" "fmla v9.4s, v28.4s, " a0 ".s[3]\n\t"           \
        "fmla v10.4s, v29.4s, " a0 ".s[3]\n\t" "fmla v11.4s, v30.4s, " a0 ".s[3]\n\t"         \
        "fmla v12.4s, v28.4s, " a1 ".s[0]\n\t" "fmla v13.4s, v29.4s, " a1 ".s[0]\n\t"         \
        "fmla v14.4s, v30.4s, " a1 ".s[0]\n\t" "fmla v15.4s, v28.4s, " a1 ".s[1]\n\t"         \
        "fmla v16.4s, v29.4s, " a1 ".s[1]\n\t" "fmla v17.4s, v30.4s, " a1 ".s[1]\n\t"         \
        "fmla v18.4s, v28.4s, " a1 ".s[2]\n\t" "fmla v19.4s, v29.4s, " a1 ".s[2]\n\t"         \
        "fmla v20.4s, v30.4s, " a1 ".s[2]\n\t" "fmla v21.4s, v28.4s, " a1 ".s[3]\n\t"         \
        "fmla v22.4s, v29.4s, " a1 ".s[3]\n\t" "fmla v23.4s, v30.4s, " a1 ".s[3]\n\t"
#define ZERO4(x, y, z, w) "movi v" #x ".4s, #0\n\tmovi v" #y ".4s, #0\n\tmovi v" #z ".4s, #0\n\tmovi v" #w ".4s, #0\n\t"
        __asm__(ZERO4(0, 1, 2, 3) ZERO4(4, 5, 6, 7) ZERO4(8, 9, 10, 11) ZERO4(12, 13, 14, 15)
                ZERO4(16, 17, 18, 19) ZERO4(20, 21, 22, 23)
                "1:\n\t"
                "ldpsw x9, x10, [%[ko]], #8\n\t"
                "ldpsw x11, x12, [%[ko]], #8\n\t"
                "add x9, %[b], x9, lsl #2\n\t"
                "add x10, %[b], x10, lsl #2\n\t"
                "add x11, %[b], x11, lsl #2\n\t"
                "add x12, %[b], x12, lsl #2\n\t"
                "ld1 {v24.4s-v27.4s}, [%[a]], #64\n\t"
                ASM_TAP("x9", "v24", "v25")
                ASM_TAP("x10", "v26", "v27")
                "ld1 {v24.4s-v27.4s}, [%[a]], #64\n\t"
                ASM_TAP("x11", "v24", "v25")
                ASM_TAP("x12", "v26", "v27")
                "subs %[n], %[n], #1\n\t"
                "b.ne 1b\n\t"
                "st1 {v0.4s-v3.4s}, [%[t]], #64\n\t"
                "st1 {v4.4s-v7.4s}, [%[t]], #64\n\t"
                "st1 {v8.4s-v11.4s}, [%[t]], #64\n\t"
                "st1 {v12.4s-v15.4s}, [%[t]], #64\n\t"
                "st1 {v16.4s-v19.4s}, [%[t]], #64\n\t"
                "st1 {v20.4s-v23.4s}, [%[t]]"
                : [a] "+r"(a), [ko] "+r"(ko), [n] "+r"(n4), [t] "+r"(tp), "=m"(t)
                : [b] "r"(b)
                : "x9", "x10", "x11", "x12", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9",
                  "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22",
                  "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "memory", "cc");
#undef ZERO4
#undef ASM_TAP
#define GET(r) c##r##0 = vld1q_f32(t + (3 * (r)) * VL), c##r##1 = vld1q_f32(t + (3 * (r) + 1) * VL), \
               c##r##2 = vld1q_f32(t + (3 * (r) + 2) * VL);
        GET(0) GET(1) GET(2) GET(3) GET(4) GET(5) GET(6) GET(7)
#undef GET
    }
#elif defined(__OPTIMIZE__) /* gcc -O0 (Thumb) finds no registers for it: the C loop there */
    if (MRC == 4 && B3 && IND && kn >= 4) {
        /* The same on armv7 for a pass of 4 rows: per tap an ADD of its address, VLD1 of the 12
         * inputs (2 instructions), VLD1 of the 4 weights (post-indexed by the panel's 32 bytes), 12
         * VMLA by scalar; per 4 taps an LDM of their offsets, SUBS + BNE: 16.75 instructions a tap
         * (gcc's loop below: 21). Accumulator (r, v) is q(4 + 3r + v), the weights q0 (d0, d1:
         * scalars come from d0-d15), the inputs q1-q3, the offsets r4-r6, r8 (LDM's ascending list). */
        float t[4 * CNV * VL], *tp = t;
        size_t n4 = (size_t)kn / 4;
        const size_t stride = CMR * sizeof(float);
#define ASM_TAP(off)                                                                         \
        "add " off ", %[b], " off ", lsl #2\n\t"                                             \
        "vld1.32 {d2-d5}, [" off "]!\n\t"                                                    \
        "vld1.32 {d6-d7}, [" off "]\n\t"                                                     \
        "vld1.32 {d0-d1}, [%[a]], %[stride]\n\t"                                             \
        "vmla.f32 q4, q1, d0[0]\n\t" "vmla.f32 q5, q2, d0[0]\n\t" "vmla.f32 q6, q3, d0[0]\n\t"    \
        "vmla.f32 q7, q1, d0[1]\n\t" "vmla.f32 q8, q2, d0[1]\n\t" "vmla.f32 q9, q3, d0[1]\n\t"    \
        "vmla.f32 q10, q1, d1[0]\n\t" "vmla.f32 q11, q2, d1[0]\n\t" "vmla.f32 q12, q3, d1[0]\n\t" \
        "vmla.f32 q13, q1, d1[1]\n\t" "vmla.f32 q14, q2, d1[1]\n\t" "vmla.f32 q15, q3, d1[1]\n\t"
        __asm__("vmov.i32 q4, #0\n\tvmov.i32 q5, #0\n\tvmov.i32 q6, #0\n\tvmov.i32 q7, #0\n\t"
                "vmov.i32 q8, #0\n\tvmov.i32 q9, #0\n\tvmov.i32 q10, #0\n\tvmov.i32 q11, #0\n\t"
                "vmov.i32 q12, #0\n\tvmov.i32 q13, #0\n\tvmov.i32 q14, #0\n\tvmov.i32 q15, #0\n\t"
                "1:\n\t"
                "ldmia %[ko]!, {r4, r5, r6, r8}\n\t"
                ASM_TAP("r4") ASM_TAP("r5") ASM_TAP("r6") ASM_TAP("r8")
                "subs %[n], %[n], #1\n\t"
                "bne 1b\n\t"
                "vst1.32 {d8-d11}, [%[t]]!\n\t"
                "vst1.32 {d12-d15}, [%[t]]!\n\t"
                "vst1.32 {d16-d19}, [%[t]]!\n\t"
                "vst1.32 {d20-d23}, [%[t]]!\n\t"
                "vst1.32 {d24-d27}, [%[t]]!\n\t"
                "vst1.32 {d28-d31}, [%[t]]"
                : [a] "+r"(a), [ko] "+r"(ko), [n] "+r"(n4), [t] "+r"(tp), "=m"(t)
                : [b] "r"(b), [stride] "r"(stride)
                : "r4", "r5", "r6", "r8", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10",
                  "q11", "q12", "q13", "q14", "q15", "memory", "cc");
#undef ASM_TAP
#define GET(r) c##r##0 = vld1q_f32(t + (3 * (r)) * VL), c##r##1 = vld1q_f32(t + (3 * (r) + 1) * VL), \
               c##r##2 = vld1q_f32(t + (3 * (r) + 2) * VL);
        GET(0) GET(1) GET(2) GET(3)
#undef GET
    }
#endif
    /* two taps per iteration, the loop on a: half the loop control (and, armv7, of the reloads of
     * spilled invariants; there unrolled once more, measured: -3.7%; aarch64 +2.8%) */
#if !defined(__aarch64__)
#pragma GCC unroll 2
#endif
    for (; a != a_pairs; a += 2 * CMR) {
        TAP(BK(0), a)
        TAP(BK(1), a + CMR)
        if (IND) ko += 2;
        else b += 2 * ldb;
    }
    if (kn & 1) TAP(BK(0), a)
#undef TAP
#undef ROW
#undef LD
#undef BK
    if (NVC == CNV && ll == VL && !accumulate && r0 <= 0 && r1 >= MRC) {
        /* the whole tile, nothing to add but the bias (the last k block of a convolution with
         * K <= CKC, as the stem's): straight from the accumulators (conv_store works on a spilled
         * copy, for partial tiles and k blocks) */
#define ADDB(x, r) (brow ? vaddq_f32(x, vdupq_n_f32(brow[r])) : (x)) /* no +0 added: -0 stays */
#define PUT(r)                                                     \
        if (MRC > (r)) {                                           \
            vst1q_f32(c + (r) * ldc, ADDB(c##r##0, r));            \
            vst1q_f32(c + (r) * ldc + VL, ADDB(c##r##1, r));       \
            vst1q_f32(c + (r) * ldc + 2 * VL, ADDB(c##r##2, r));   \
        }
        PUT(0) PUT(1) PUT(2) PUT(3) PUT(4) PUT(5) PUT(6) PUT(7)
#undef PUT
#undef ADDB
    } else {
        float32x4_t t[8][CNV];
#define KEEP(r)                                                    \
        if (MRC > (r)) {                                           \
            t[r][0] = c##r##0;                                     \
            if (NVC > 1) t[r][1] = c##r##1;                        \
            if (NVC > 2) t[r][2] = c##r##2;                        \
        }
        KEEP(0) KEEP(1) KEEP(2) KEEP(3) KEEP(4) KEEP(5) KEEP(6) KEEP(7)
#undef KEEP
        conv_store(t, NVC, ll, c, ldc, r0 > 0 ? r0 : 0, r1 < MRC ? r1 : MRC, accumulate, brow);
    }
}

/* ------------------------------------------------------------------------------ convolution hooks */

/* dst[i] = src[i*s], i < n (s >= 1), reading nothing beyond src[(n-1)*s]. */
static void gather_row(float *dst, const float *src, int n, int s)
{
    int i = 0;
    if (s == 1) {
        for (; i + VL <= n; i += VL) vst1q_f32(dst + i, vld1q_f32(src + i));
    } else if (s == 2) {
        /* vld2q reads src[2i .. 2i+7] and splits even / odd: src[2i+7] is in bounds while i+4 < n */
        for (; i + VL < n; i += VL) vst1q_f32(dst + i, vld2q_f32(src + 2 * i).val[0]);
    }
    for (; i < n; i++) dst[i] = src[(size_t)i * (size_t)s];
}

static void zero_row(float *dst, int n)
{
    int i = 0;
    for (; i + VL <= n; i += VL) vst1q_f32(dst + i, vdupq_n_f32(0.0f));
    for (; i < n; i++) dst[i] = 0.0f;
}

/* The panel's rows [R0, R0 + CPASS): nv vectors, the last one ll lanes wide (read only those when
 * must_mask). */
BNN_INLINE void conv_pass(int R0, const int IND, int nv, int ll, int kn, const float *a, const float *b,
                          size_t ldb, const int *koff, float *c, size_t ldc, int r0, int r1, int accumulate,
                          const float *brow, int must_mask)
{
    const int part = must_mask && ll < VL;
#define CALL(NVC, PART) conv_kernel(CPASS, NVC, PART, IND, kn, a + R0, b, ldb, koff, ll, c + (size_t)R0 * ldc, \
                                    ldc, r0 - R0, r1 - R0, accumulate, brow ? brow + R0 : NULL)
    if (r1 <= R0 || r0 >= R0 + CPASS) return; /* no rows of this pass in [r0, r1) */
    if (nv == 3) { if (part) CALL(3, 1); else CALL(3, 0); }
    else if (nv == 2) { if (part) CALL(2, 1); else CALL(2, 0); }
    else { if (part) CALL(1, 1); else CALL(1, 0); }
#undef CALL
}

BNN_INLINE void conv_tile(const int IND, int nv, int ll, int kn, const float *a, const float *b, size_t ldb,
                          const int *koff, float *c, size_t ldc, int r0, int r1, int accumulate,
                          const float *brow, int must_mask)
{
    int R0;
    if (ll > VL) ll = VL; /* a full tile: the driver passes the pixels left */
    for (R0 = 0; R0 < CMR; R0 += CPASS)
        conv_pass(R0, IND, nv, ll, kn, a, b, ldb, koff, c, ldc, r0, r1, accumulate, brow, must_mask);
}

/* ------------------------------------------------------------------------------ matmul hooks */

BNN_INLINE void matmul_masks(unsigned *sm, int lo, int hi)
{
    int v, l;
    for (v = 0; v < GNV; v++) {
        sm[v] = 0;
        for (l = 0; l < VL; l++)
            if (lo <= v * VL + l && v * VL + l < hi) sm[v] |= 1u << l;
    }
}

/* acc[i][v] = sum_{k<K} a[i*K + k] * bp[k*GNR + v*4 + lane], i < MRC, v < 4 (the whole panel:
 * it is zero-padded, and a partial panel is at most one per row of tiles); k runs 4 at a time
 * (a's 4 values one vector, multiplied by lane), then one at a time; then
 *   c[i*N + v*4 + lane] = acc + bc[v*4 + lane] under the lanes of sm[v] (FULL: all lanes).
 * MRC and FULL are compile-time constants at every call (always_inline). */
BNN_INLINE void matmul_kernel(const int MRC, const int FULL, const float *a, int K, const float *bp,
                              const unsigned *sm, float *c, int N, const float *bc)
{
    const float32x4_t z = vdupq_n_f32(0.0f);
    float32x4_t c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
    float32x4_t c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
    int k = 0;
#define STEP(MUL, av0, av1, av2, av3, l)                                                            \
    {                                                                                               \
        const float32x4_t b0 = vld1q_f32(bp), b1 = vld1q_f32(bp + VL);                              \
        const float32x4_t b2 = vld1q_f32(bp + 2 * VL), b3 = vld1q_f32(bp + 3 * VL);                 \
        ROW(MUL, 0, av0, l) ROW(MUL, 1, av1, l) ROW(MUL, 2, av2, l) ROW(MUL, 3, av3, l)             \
        bp += GNR;                                                                                  \
    }
#define ROW(MUL, i, av, l)                                                                           \
    if (MRC > (i)) {                                                                                \
        c##i##0 = MUL(c##i##0, b0, av, l), c##i##1 = MUL(c##i##1, b1, av, l);                       \
        c##i##2 = MUL(c##i##2, b2, av, l), c##i##3 = MUL(c##i##3, b3, av, l);                       \
    }
#define ROW_LANE(acc, x, av, l) MLA_LANE(acc, x, av, l)
#define ROW_DUP(acc, x, av, l) MLA(acc, x, av)
#define A(i, LOAD) (MRC > (i) ? LOAD(a + (i) * (size_t)K + k) : z)
    for (; k + VL <= K; k += VL) {
        const float32x4_t a0 = A(0, vld1q_f32), a1 = A(1, vld1q_f32), a2 = A(2, vld1q_f32), a3 = A(3, vld1q_f32);
        STEP(ROW_LANE, a0, a1, a2, a3, 0) STEP(ROW_LANE, a0, a1, a2, a3, 1)
        STEP(ROW_LANE, a0, a1, a2, a3, 2) STEP(ROW_LANE, a0, a1, a2, a3, 3)
    }
    for (; k < K; k++) {
        const float32x4_t a0 = A(0, vld1q_dup_f32), a1 = A(1, vld1q_dup_f32);
        const float32x4_t a2 = A(2, vld1q_dup_f32), a3 = A(3, vld1q_dup_f32);
        STEP(ROW_DUP, a0, a1, a2, a3, 0)
    }
#undef A
#undef ROW_DUP
#undef ROW_LANE
#undef ROW
#undef STEP
#define ST(i, v)                                                                                     \
    if (MRC > (i)) {                                                                                \
        float *cp = c + (size_t)(i) * (size_t)N + (v) * VL;                                         \
        float32x4_t x = c##i##v;                                                                    \
        if (bc) x = vaddq_f32(x, FULL ? vld1q_f32(bc + (v) * VL) : load_masked(bc + (v) * VL, sm[v])); \
        if (FULL) vst1q_f32(cp, x);                                                                 \
        else store_masked(cp, x, sm[v]);                                                            \
    }
#define STROW(i) ST(i, 0) ST(i, 1) ST(i, 2) ST(i, 3)
    STROW(0) STROW(1) STROW(2) STROW(3)
#undef STROW
#undef ST
}

BNN_INLINE void matmul_tile(int mr, int nv, int full, const float *a, int K, const float *bp, const unsigned *sm,
                            float *c, int N, const float *bc)
{
    (void)nv; /* all 4 vectors of the panel are computed, the stores masked */
#define CALLS(MRC) \
    if (full) matmul_kernel(MRC, 1, a, K, bp, sm, c, N, bc); \
    else matmul_kernel(MRC, 0, a, K, bp, sm, c, N, bc);
    switch (mr) {
    case 1: CALLS(1) break;
#if GMR > 2
    case 2: CALLS(2) break;
    case 3: CALLS(3) break;
#endif
    default: CALLS(GMR) break;
    }
#undef CALLS
}

/* ------------------------------------------------------------------------------ pool hook
 * 3x3 windows, stride 2, pad 1 on the left, W == 2*OW, all 3 rows in bounds (the stems of
 * ResNet-like nets, every pool row but the first), with the affine, run as float_avx512.c's: 4
 * outputs from two vectors of column extrema of the 3 rows; their 3 columns are the even and odd
 * columns (vuzpq) and the odd ones one lane up (vextq, lane 0 from the previous vector: padding left
 * of column 0). fpool.c takes the maximum of sg*x (sg = -1 for a negative scale) by the chains
 * m = v > m ? v : m from -inf, window rows then columns; negation being exact, that is the minimum
 * of x by v < m ? v : m from +inf for a negative scale (no sign flips; MIN below). The affine runs as
 * fpool.c's scalar C (the same rounding, whatever the compiler contracts).
 * Bit for bit equal to fpool.c:
 *  aarch64: EXT is the comparison and a select, fpool.c's chain step itself (NaN never wins, ties
 *    keep m: signed zeros too); the rows' first value is chained with the identity (-inf / +inf).
 *  armv7: NEON comparisons flush subnormals, and gcc compiles fpool.c to scalar VFP code (0.12
 *    instructions per conv MAC). EXT is VMAX / VMIN after NaN is replaced by the identity (one VCEQ,
 *    x == x false for NaN only, and a VBSL a vector; NaN never wins fpool.c's comparisons). That is
 *    the chain on the rows this file's conv writes: no subnormals (every value is a NEON result,
 *    flushed to zero) and no -0 (sums start at +0), so a channel holds one zero only. */
#if defined(__aarch64__)
/* fpool.c's chain step v > m ? v : m (MIN: v < m ? v : m) */
#define EXT(MIN, v, m) vbslq_f32((MIN) ? vcltq_f32(v, m) : vcgtq_f32(v, m), v, m)
#define FIRST(MIN, x, id) EXT(MIN, x, id) /* a window row's first value, chained with the identity */
#define NEXT(x, id) (x)
#else
#define EXT(MIN, v, m) ((MIN) ? vminq_f32(v, m) : vmaxq_f32(v, m))
#define FIRST(MIN, x, id) no_nan(x, id)
#define NEXT(x, id) no_nan(x, id)

/* x with NaN replaced by id */
static inline float32x4_t no_nan(float32x4_t x, float32x4_t id) { return vbslq_f32(vceqq_f32(x, x), x, id); }
#endif

/* Column extrema of the 3 rows, columns [4v, 4v + 4) (n = W - 4v; lanes past W: unused). */
BNN_INLINE float32x4_t column_ext3(const int MIN, const float *r0, const float *r1, const float *r2, int v, int n,
                                   float32x4_t id)
{
    const float32x4_t a = FIRST(MIN, load_first(r0 + v * VL, n), id), b = NEXT(load_first(r1 + v * VL, n), id);
    return EXT(MIN, NEXT(load_first(r2 + v * VL, n), id), EXT(MIN, b, a));
}

/* Outputs [4j, 4j + 4) of a channel's row (FULL: all 4 below OW; W == 2*OW), o[x] = ext(window
 * x) * sc + sh; *prev_odd: the odd columns' extrema of the 4 outputs before (in: left of column
 * 8j, the previous vector's lane 3; out: this block's). */
BNN_INLINE void pool4(const int MIN, const int FULL, const float *r0, const float *r1, const float *r2, int j,
                      int OW, float sc, float sh, float32x4_t id, float32x4_t *prev_odd, float *o)
{
    const int W = 2 * OW, nv = (W + VL - 1) / VL;
    const float32x4_t lo = column_ext3(MIN, r0, r1, r2, 2 * j, FULL ? VL : W - 2 * j * VL, id);
    const float32x4_t hi = FULL || 2 * j + 1 < nv ? column_ext3(MIN, r0, r1, r2, 2 * j + 1, FULL ? VL : W - (2 * j + 1) * VL, id) : lo;
    const float32x4x2_t eo = vuzpq_f32(lo, hi);                    /* columns 8j + 2l, 8j + 2l + 1 */
    const float32x4_t left = vextq_f32(*prev_odd, eo.val[1], 3); /* columns 8j + 2l - 1 */
    float h[VL];
    int l;
    vst1q_f32(h, EXT(MIN, eo.val[1], EXT(MIN, eo.val[0], left)));
    for (l = 0; l < (FULL ? VL : OW - j * VL); l++) {
        const float t = h[l] * sc;
        o[j * VL + l] = t + sh;
    }
    *prev_odd = eo.val[1];
}

/* One channel's output row: o[x] = ext(window x) * sc + sh, x < OW. */
BNN_INLINE void pool_channel(const int MIN, const float *r0, const float *r1, const float *r2, int OW, float sc,
                             float sh, float *o)
{
    const float32x4_t id = vdupq_n_f32(MIN ? __builtin_inff() : -__builtin_inff());
    float32x4_t prev_odd = id; /* left of column 0: padding */
    int j;
    for (j = 0; 4 * j + 4 <= OW; j++) pool4(MIN, 1, r0, r1, r2, j, OW, sc, sh, id, &prev_odd, o);
    if (4 * j < OW) pool4(MIN, 0, r0, r1, r2, j, OW, sc, sh, id, &prev_odd, o);
}
#undef EXT
#undef FIRST
#undef NEXT

static int pool_rows_fast(const bnn_pool_params *q, int C, const float *const *rows, int nrows, size_t in_cs,
                          const float *scale, const float *bias, float *out, size_t out_cs)
{
    int c;
    if (q->KH != 3 || q->KW != 3 || q->SH != 2 || q->SW != 2 || q->DH != 1 || q->DW != 1 || q->PL != 1 ||
        q->W != 2 * q->OW || nrows != 3 || !scale)
        return 0;
    for (c = 0; c < C; c++) {
        const float *r0 = rows[0] + (size_t)c * in_cs, *r1 = rows[1] + (size_t)c * in_cs;
        const float *r2 = rows[2] + (size_t)c * in_cs;
        float *o = out + (size_t)c * out_cs;
        if (scale[c] < 0) pool_channel(1, r0, r1, r2, q->OW, scale[c], bias[c], o);
        else pool_channel(0, r0, r1, r2, q->OW, scale[c], bias[c], o);
    }
    return 1;
}
