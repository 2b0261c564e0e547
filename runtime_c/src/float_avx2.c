/* bnncc runtime: AVX2+FMA float Conv / MatMul (see bnncc/float_panels.h for the contract and layouts).
 * Build with: -mavx2 -mfma
 *
 * Same structure as float_avx512.c with 8-float vectors and 16 registers: one register-blocked
 * microkernel (tile()) computes up to 6 rows x 4 vectors of 8 columns of C = A*B, A read as
 * broadcast scalars, B as vectors of consecutive columns.
 *  - Conv: rows = output channels (A = packed weights, panel [K][4]), cols = output pixels,
 *    tile 4 x 24 (12 accumulators + 3 B vectors + 1 broadcast = 16 registers). B as in
 *    float_avx512.c: the input in place (1x1), a padded phase-split copy read through per-tap
 *    offsets (outputs >= 6 wide), or im2col blocks.
 *  - MatMul: rows = rows of A (read in place), cols = N (B packed in 32-column panels [K][32]),
 *    tile up to 2 x 32.
 */
#include <immintrin.h>

#include "bnncc/common.h"

#define VL 8                          /* floats per vector */
#define CMR BNN_F32_CONV_MR__avx2     /* conv: output channels per panel (tile rows) */
#define CNV 3                         /* conv: vectors per tile (24 pixels) */
#define CNR (CNV * VL)
#define CKC 256                       /* conv: k block */
#define CNB (16 * CNR)                /* conv: pixel block (384) */
#define INDIRECT_MIN_OW 6             /* conv: INDIRECT for outputs at least this wide */
#define GMR 2                         /* matmul: tile rows */
#define GNR BNN_F32_MATMUL_NR__avx2   /* matmul: panel width (32 = 4 vectors) */
#define GNV (GNR / VL)
#define LANE_MASK __m256i              /* lane mask */
#define ISA_ENTRY(name) name##__avx2 /* public names: name__avx2 */

#define BNN_INLINE static inline __attribute__((always_inline))

/* the public declarations, then the ISA-independent code (float_panels_impl.h) over the
 * parameters above; it calls the hooks defined below (gather_row, zero_row, conv_tile,
 * matmul_masks, matmul_tile) */
#define BNN_FLOAT_PANELS_IMPL
#include "bnncc/float_panels.h"

typedef char check_gnr[GNV == 4 && GNR == 4 * VL ? 1 : -1];
typedef char check_cmr[CMR <= 6 && CNV <= 4 ? 1 : -1];

/* lanes l < n set (n clamped to [0, 8]) */
static inline __m256i lanes(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* ------------------------------------------------------------------------------ microkernel
 * acc[r][v] = sum_{k<kc} a[r*a_rs + k*a_ks] * b[k*b_ks + v*8 + lane], r < MRC, v < NVC, then
 *   c[r*ldc + v*8 + lane] = (accumulate ? c[...] : 0) + acc + brow[r] + bcol[v*8 + lane]
 * for rows r0 <= r < r1 and the lanes of smask[v] (brow, bcol optional). FULL: every smask is
 * all ones (plain stores). MRC, NVC, LMASK, FULL, IND are compile-time constants at every call
 * (always_inline); LMASK: load the last B vector under lmask (B is not padded there);
 * IND (indirect): row k of B is at b + koff[k] instead of b + k*b_ks. */
BNN_INLINE void tile(const int MRC, const int NVC, const int LMASK, const int FULL, const int IND, int kc,
                     const float *a, size_t a_rs, size_t a_ks, const float *b, size_t b_ks, const int *koff,
                     __m256i lmask,
                     float *c, size_t ldc, int r0, int r1, const __m256i *smask, int accumulate,
                     const float *brow, const float *bcol)
{
    const __m256 z = _mm256_setzero_ps();
    __m256 c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
    __m256 c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
    __m256 c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
    int k;
    for (k = 0; k < kc; k++) {
        const float *bk = IND ? b + koff[k] : b;
#define LD(v) (LMASK && NVC == (v) + 1 ? _mm256_maskload_ps(bk + (v) * VL, lmask) : _mm256_loadu_ps(bk + (v) * VL))
        const __m256 b0 = LD(0);
        const __m256 b1 = NVC > 1 ? LD(1) : z;
        const __m256 b2 = NVC > 2 ? LD(2) : z;
        const __m256 b3 = NVC > 3 ? LD(3) : z;
#undef LD
#define ROW(r)                                                                  \
        if (MRC > (r)) {                                                        \
            const __m256 ar = _mm256_broadcast_ss(a + (size_t)(r) * a_rs);      \
            c##r##0 = _mm256_fmadd_ps(ar, b0, c##r##0);                         \
            if (NVC > 1) c##r##1 = _mm256_fmadd_ps(ar, b1, c##r##1);            \
            if (NVC > 2) c##r##2 = _mm256_fmadd_ps(ar, b2, c##r##2);            \
            if (NVC > 3) c##r##3 = _mm256_fmadd_ps(ar, b3, c##r##3);            \
        }
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
        a += a_ks;
        if (!IND) b += b_ks;
    }
#define LDM(v, ptr) (FULL ? _mm256_loadu_ps(ptr) : _mm256_maskload_ps(ptr, smask[v]))
#define ST(r, v)                                                                          \
    if (MRC > (r) && NVC > (v) && (r) >= r0 && (r) < r1) {                                \
        float *cp = c + (size_t)(r) * ldc + (v) * VL;                                     \
        __m256 x = c##r##v;                                                               \
        if (accumulate) x = _mm256_add_ps(LDM(v, cp), x);                                 \
        if (brow) x = _mm256_add_ps(x, _mm256_broadcast_ss(brow + (r)));                  \
        if (bcol) x = _mm256_add_ps(x, LDM(v, bcol + (v) * VL));                          \
        if (FULL) _mm256_storeu_ps(cp, x);                                                \
        else _mm256_maskstore_ps(cp, smask[v], x);                                        \
    }
#define STROW(r) ST(r, 0) ST(r, 1) ST(r, 2) ST(r, 3)
    STROW(0) STROW(1) STROW(2) STROW(3) STROW(4) STROW(5)
#undef STROW
#undef ST
#undef LDM
}

/* ------------------------------------------------------------------------------ convolution hooks */

/* dst[i] = src[i*s], i < n (s >= 1), reading nothing beyond src[(n-1)*s]. */
static void gather_row(float *dst, const float *src, int n, int s)
{
    int i = 0;
    if (s == 1) {
        for (; i + VL <= n; i += VL) _mm256_storeu_ps(dst + i, _mm256_loadu_ps(src + i));
        if (i < n) _mm256_maskstore_ps(dst + i, lanes(n - i), _mm256_maskload_ps(src + i, lanes(n - i)));
    } else if (s == 2) {
        /* [x0..x7],[x8..x15] -> shuffle: [x0 x2 x8 x10 | x4 x6 x12 x14] -> 64-bit permute (0,2,1,3) */
        const __m256i last7 = lanes(VL - 1);
        for (; i + VL <= n; i += VL) {
            const __m256 lo = _mm256_loadu_ps(src + 2 * i);
            const __m256 hi = _mm256_maskload_ps(src + 2 * i + VL, last7); /* x8..x14 (x15 unneeded) */
            const __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
            _mm256_storeu_ps(dst + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
        }
        if (i < n) {
            const int need = 2 * (n - i) - 1; /* floats of src from 2i */
            const __m256 lo = _mm256_maskload_ps(src + 2 * i, lanes(need));
            const __m256 hi = _mm256_maskload_ps(src + 2 * i + VL, lanes(need - VL));
            const __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
            _mm256_maskstore_ps(dst + i, lanes(n - i), _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
        }
    } else {
        for (; i < n; i++) dst[i] = src[(size_t)i * (size_t)s];
    }
}

static void zero_row(float *dst, int n)
{
    int i = 0;
    for (; i + VL <= n; i += VL) _mm256_storeu_ps(dst + i, _mm256_setzero_ps());
    for (; i < n; i++) dst[i] = 0.0f;
}

/* One row tile: NVC vectors (the last one ll lanes wide) of B at b (indirect: + koff[k]) to c. */
BNN_INLINE void conv_tile(const int IND, int nv, int ll, int kn, const float *a, const float *b, size_t ldb,
                          const int *koff, float *c, size_t ldc, int r0, int r1, int accumulate,
                          const float *brow, int must_mask)
{
    const __m256i ones = _mm256_set1_epi32(-1), lm = lanes(ll);
    const __m256i sm[3] = {nv == 1 ? lm : ones, nv == 2 ? lm : ones, lm};
#define CALL(NVC, LM, FULL) tile(CMR, NVC, LM, FULL, IND, kn, a, 1, CMR, b, ldb, koff, lm, c, ldc, r0, r1, sm, accumulate, brow, NULL)
    if (ll == VL) {
        if (nv == 3) CALL(3, 0, 1);
        else if (nv == 2) CALL(2, 0, 1);
        else CALL(1, 0, 1);
    } else if (must_mask) {
        if (nv == 3) CALL(3, 1, 0);
        else if (nv == 2) CALL(2, 1, 0);
        else CALL(1, 1, 0);
    } else {
        if (nv == 3) CALL(3, 0, 0);
        else if (nv == 2) CALL(2, 0, 0);
        else CALL(1, 0, 0);
    }
#undef CALL
}

/* ------------------------------------------------------------------------------ matmul hooks */

BNN_INLINE void matmul_masks(__m256i *sm, int lo, int hi)
{
    int v;
    for (v = 0; v < GNV; v++) sm[v] = _mm256_andnot_si256(lanes(lo - v * VL), lanes(hi - v * VL));
}

BNN_INLINE void matmul_tile(int mr, int nv, int full, const float *a, int K, const float *bp, const __m256i *sm,
                            float *c, int N, const float *bc)
{
#define CALL(MRC, NVC, FULL) tile(MRC, NVC, 0, FULL, 0, K, a, (size_t)K, 1, bp, GNR, NULL, sm[0], c, (size_t)N, 0, MRC, sm, 0, NULL, bc)
    if (full) {
        if (mr == 1) CALL(1, 4, 1);
        else CALL(2, 4, 1);
    } else if (mr == 1) {
        switch (nv) {
        case 1: CALL(1, 1, 0); break;
        case 2: CALL(1, 2, 0); break;
        case 3: CALL(1, 3, 0); break;
        default: CALL(1, 4, 0); break;
        }
    } else {
        switch (nv) {
        case 1: CALL(2, 1, 0); break;
        case 2: CALL(2, 2, 0); break;
        case 3: CALL(2, 3, 0); break;
        default: CALL(2, 4, 0); break;
        }
    }
#undef CALL
}

/* ------------------------------------------------------------------------------ pool hook */

static int pool_rows_fast(const bnn_pool_params *q, int C, const float *const *rows, int nrows, size_t in_cs,
                          const float *scale, const float *bias, float *out, size_t out_cs)
{
    (void)q, (void)C, (void)rows, (void)nrows, (void)in_cs, (void)scale, (void)bias, (void)out, (void)out_cs;
    return 0; /* the portable rows (fpool.c) */
}
