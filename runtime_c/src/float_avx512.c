/* bnncc runtime: AVX-512 float Conv / MatMul (see bnncc/float_panels.h for the contract and layouts).
 * Build with: -mavx512f -mavx512bw -mavx2 -mfma
 *
 * Both operations are a GEMM  C[rows][cols] = A[rows][k] * B[k][cols]  computed by one register-
 * blocked microkernel (tile()): up to 8 rows x 4 vectors of 16 columns accumulate in zmm
 * registers while k runs; A is read as broadcast scalars, B as vectors of 16 consecutive columns.
 *  - Conv: rows = output channels (A = packed weights, panel [K][8]), cols = output pixels,
 *    tile 8 x 48, k blocked by 256. B is (conv_mode()): the input itself for 1x1 stride-1
 *    unpadded convs; for outputs >= 12 wide, a zero-padded column-phase-split copy of the input
 *    read in place through a per-tap offset table (indirect GEMM: tiles run along output rows, no
 *    im2col); else im2col blocks of 384 pixels in scratch. Panels of 8 channels run over blocks of
 *    ~384 pixels, so the A panel stays in L1 and the B block in L1/L2.
 *  - MatMul: rows = rows of A (read in place), cols = N (B packed in 64-column panels [K][64]),
 *    tile up to 6 x 64.
 */
#include <immintrin.h>

#include "bnncc/common.h"

#define VL 16                         /* floats per vector */
#define CMR BNN_F32_CONV_MR__avx512   /* conv: output channels per panel (tile rows) */
#define CNV 3                         /* conv: vectors per tile (48 pixels) */
#define CNR (CNV * VL)
#define CKC 256                       /* conv: k block */
#define CNB (8 * CNR)                 /* conv: pixel block (384) */
#define INDIRECT_MIN_OW 12            /* conv: INDIRECT for outputs at least this wide */
#define GMR 6                         /* matmul: tile rows */
#define GNR BNN_F32_MATMUL_NR__avx512 /* matmul: panel width (64 = 4 vectors) */
#define GNV (GNR / VL)
#define LANE_MASK __mmask16            /* lane mask */
#define ISA_ENTRY(name) name##__avx512 /* public names: name__avx512 */

#define BNN_INLINE static inline __attribute__((always_inline))

/* the public declarations, then the ISA-independent code (float_panels_impl.h) over the
 * parameters above; it calls the hooks defined below (gather_row, zero_row, conv_tile,
 * matmul_masks, matmul_tile) */
#define BNN_FLOAT_PANELS_IMPL
#include "bnncc/float_panels.h"

typedef char check_gnr[GNV == 4 && GNR == 4 * VL ? 1 : -1];
typedef char check_cmr[CMR <= 8 && CNV <= 4 ? 1 : -1];

/* lanes l < n set (n clamped to [0, 16]) */
static inline __mmask16 lanes(int n)
{
    return n >= VL ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

/* ------------------------------------------------------------------------------ microkernel
 * acc[r][v] = sum_{k<kc} a[r*a_rs + k*a_ks] * b[k*b_ks + v*16 + lane], r < MRC, v < NVC, then
 *   c[r*ldc + v*16 + lane] = (accumulate ? c[...] : 0) + acc + brow[r] + bcol[v*16 + lane]
 * for rows r0 <= r < r1 and the lanes of smask[v] (brow, bcol optional).
 * MRC, NVC, LMASK, IND are compile-time constants at every call (always_inline), so the unused
 * accumulators vanish; LMASK: load the last B vector under lmask (B is not padded there);
 * IND (indirect): row k of B is at b + koff[k] instead of b + k*b_ks. */
BNN_INLINE void tile(const int MRC, const int NVC, const int LMASK, const int IND, int kc,
                     const float *a, size_t a_rs, size_t a_ks, const float *b, size_t b_ks, const int *koff,
                     __mmask16 lmask,
                     float *c, size_t ldc, int r0, int r1, const __mmask16 *smask, int accumulate,
                     const float *brow, const float *bcol)
{
    const __m512 z = _mm512_setzero_ps();
    __m512 c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
    __m512 c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
    __m512 c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
    __m512 c60 = z, c61 = z, c62 = z, c63 = z, c70 = z, c71 = z, c72 = z, c73 = z;
    int k;
    for (k = 0; k < kc; k++) {
        const float *bk = IND ? b + koff[k] : b;
#define LD(v) (LMASK && NVC == (v) + 1 ? _mm512_maskz_loadu_ps(lmask, bk + (v) * VL) : _mm512_loadu_ps(bk + (v) * VL))
        const __m512 b0 = LD(0);
        const __m512 b1 = NVC > 1 ? LD(1) : z;
        const __m512 b2 = NVC > 2 ? LD(2) : z;
        const __m512 b3 = NVC > 3 ? LD(3) : z;
#undef LD
#define ROW(r)                                                                  \
        if (MRC > (r)) {                                                        \
            const __m512 ar = _mm512_set1_ps(a[(size_t)(r) * a_rs]);            \
            c##r##0 = _mm512_fmadd_ps(ar, b0, c##r##0);                         \
            if (NVC > 1) c##r##1 = _mm512_fmadd_ps(ar, b1, c##r##1);            \
            if (NVC > 2) c##r##2 = _mm512_fmadd_ps(ar, b2, c##r##2);            \
            if (NVC > 3) c##r##3 = _mm512_fmadd_ps(ar, b3, c##r##3);            \
        }
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
        a += a_ks;
        if (!IND) b += b_ks;
    }
#define ST(r, v)                                                                          \
    if (MRC > (r) && NVC > (v) && (r) >= r0 && (r) < r1) {                                \
        float *cp = c + (size_t)(r) * ldc + (v) * VL;                                     \
        __m512 x = c##r##v;                                                               \
        if (accumulate) x = _mm512_add_ps(_mm512_maskz_loadu_ps(smask[v], cp), x);        \
        if (brow) x = _mm512_add_ps(x, _mm512_set1_ps(brow[r]));                          \
        if (bcol) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(smask[v], bcol + (v) * VL)); \
        _mm512_mask_storeu_ps(cp, smask[v], x);                                           \
    }
#define STROW(r) ST(r, 0) ST(r, 1) ST(r, 2) ST(r, 3)
    STROW(0) STROW(1) STROW(2) STROW(3) STROW(4) STROW(5) STROW(6) STROW(7)
#undef STROW
#undef ST
}

/* ------------------------------------------------------------------------------ convolution hooks */

/* dst[i] = src[i*s], i < n (s >= 1), reading nothing beyond src[(n-1)*s]. */
static void gather_row(float *dst, const float *src, int n, int s)
{
    int i = 0;
    if (s == 1) {
        for (; i + VL <= n; i += VL) _mm512_storeu_ps(dst + i, _mm512_loadu_ps(src + i));
        if (i < n) _mm512_mask_storeu_ps(dst + i, lanes(n - i), _mm512_maskz_loadu_ps(lanes(n - i), src + i));
    } else if (s == 2) {
        const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        for (; i + VL <= n; i += VL) {
            /* needs src[2i .. 2i+30]: 31 floats; the 32nd is loaded only if it is needed ... */
            const int need = 2 * VL - 1;
            const __m512 lo = _mm512_loadu_ps(src + 2 * i);
            const __m512 hi = _mm512_maskz_loadu_ps(lanes(need - VL), src + 2 * i + VL);
            _mm512_storeu_ps(dst + i, _mm512_permutex2var_ps(lo, even, hi));
        }
        if (i < n) {
            const int need = 2 * (n - i) - 1; /* floats of src from 2i */
            const __m512 lo = _mm512_maskz_loadu_ps(lanes(need), src + 2 * i);
            const __m512 hi = need > VL ? _mm512_maskz_loadu_ps(lanes(need - VL), src + 2 * i + VL)
                                        : _mm512_setzero_ps();
            _mm512_mask_storeu_ps(dst + i, lanes(n - i), _mm512_permutex2var_ps(lo, even, hi));
        }
    } else {
        for (; i < n; i++) dst[i] = src[(size_t)i * (size_t)s];
    }
}

static void zero_row(float *dst, int n)
{
    int i = 0;
    for (; i + VL <= n; i += VL) _mm512_storeu_ps(dst + i, _mm512_setzero_ps());
    if (i < n) _mm512_mask_storeu_ps(dst + i, lanes(n - i), _mm512_setzero_ps());
}

/* One row tile: nv vectors (the last one ll lanes wide) of B at b (indirect: + koff[k]) to c. */
BNN_INLINE void conv_tile(const int IND, int nv, int ll, int kn, const float *a, const float *b, size_t ldb,
                          const int *koff, float *c, size_t ldc, int r0, int r1, int accumulate,
                          const float *brow, int must_mask)
{
    const __mmask16 lm = lanes(ll);
    const __mmask16 sm[3] = {nv == 1 ? lm : 0xFFFF, nv == 2 ? lm : 0xFFFF, lm};
    const int masked = must_mask && lm != 0xFFFF;
#define CALL(NVC, LM) tile(CMR, NVC, LM, IND, kn, a, 1, CMR, b, ldb, koff, lm, c, ldc, r0, r1, sm, accumulate, brow, NULL)
    if (nv == 3) { if (masked) CALL(3, 1); else CALL(3, 0); }
    else if (nv == 2) { if (masked) CALL(2, 1); else CALL(2, 0); }
    else { if (masked) CALL(1, 1); else CALL(1, 0); }
#undef CALL
}

/* ------------------------------------------------------------------------------ matmul hooks */

BNN_INLINE void matmul_masks(__mmask16 *sm, int lo, int hi)
{
    int v;
    for (v = 0; v < GNV; v++) {
        const int lo_l = lo - v * VL, hi_l = hi - v * VL;
        const __mmask16 below = lo_l <= 0 ? 0 : lanes(lo_l > VL ? VL : lo_l);
        const __mmask16 upto = hi_l <= 0 ? 0 : lanes(hi_l);
        sm[v] = (__mmask16)(upto & (__mmask16)~below);
    }
}

BNN_INLINE void matmul_tile(int mr, int nv, int full, const float *a, int K, const float *bp, const __mmask16 *sm,
                            float *c, int N, const float *bc)
{
    (void)full; /* masked stores cost nothing here */
#define CALL(MRC, NVC) tile(MRC, NVC, 0, 0, K, a, (size_t)K, 1, bp, GNR, NULL, 0xFFFF, c, (size_t)N, 0, MRC, sm, 0, NULL, bc)
#define CALLS(MRC)                                   \
    switch (nv) {                                    \
    case 1: CALL(MRC, 1); break;                     \
    case 2: CALL(MRC, 2); break;                     \
    case 3: CALL(MRC, 3); break;                     \
    default: CALL(MRC, 4); break;                    \
    }
    switch (mr) {
    case 1: CALLS(1) break;
    case 2: CALLS(2) break;
    case 3: CALLS(3) break;
    case 4: CALLS(4) break;
    case 5: CALLS(5) break;
    default: CALLS(6) break;
    }
#undef CALLS
#undef CALL
}

/* ------------------------------------------------------------------------------ pool hook
 * 3x3 windows, stride 2, pad 1 on the left, W == 2*OW, all 3 rows in bounds (the stems of
 * ResNet-like nets, every pool row but the first), with the affine: 16 outputs take two vectors of
 * column maxima of the 3 rows, kept in registers; their 3 columns are two permutes (even, odd
 * columns) and an align (odd columns one lane up, lane 0 from the previous vector's odd columns:
 * -inf left of column 0). The comparisons are fpool.c's in the same order (max_ps(a, b) =
 * a > b ? a : b), so NaN and signed zeros come out the same. */

/* -inf in every lane (its bit pattern: no math.h) */
static inline __m512 minus_inf(void) { return _mm512_castsi512_ps(_mm512_set1_epi32((int)0xFF800000u)); }

/* Column maxima of sg*x over the 3 rows, columns [16v, 16v + 16) (lanes past W: unused). */
static inline __m512 column_max3(const float *r0, const float *r1, const float *r2, int v, int W, __m512i sg)
{
    const __mmask16 m = lanes(W - v * VL);
#define LOAD(r) _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(_mm512_maskz_loadu_ps(m, (r) + v * VL)), sg))
    const __m512 a = LOAD(r0), b = LOAD(r1), d = LOAD(r2);
#undef LOAD
    return _mm512_max_ps(d, _mm512_max_ps(b, _mm512_max_ps(a, minus_inf())));
}

static int pool_rows_fast(const bnn_pool_params *q, int C, const float *const *rows, int nrows, size_t in_cs,
                          const float *scale, const float *bias, float *out, size_t out_cs)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const int nv = (q->W + VL - 1) / VL, no = (q->OW + VL - 1) / VL;
    int c, j;
    if (q->KH != 3 || q->KW != 3 || q->SH != 2 || q->SW != 2 || q->DH != 1 || q->DW != 1 || q->PL != 1 ||
        q->W != 2 * q->OW || nrows != 3 || !scale)
        return 0;
    for (c = 0; c < C; c++) {
        const float *r0 = rows[0] + (size_t)c * in_cs, *r1 = rows[1] + (size_t)c * in_cs;
        const float *r2 = rows[2] + (size_t)c * in_cs;
        const __m512i sg = _mm512_set1_epi32(scale[c] < 0 ? INT32_MIN : 0); /* sg*x: flip the sign bit */
        const __m512 sc = _mm512_set1_ps(scale[c]), b = _mm512_set1_ps(bias[c]);
        __m512 prev_odd = minus_inf();
        float *o = out + (size_t)c * out_cs;
        for (j = 0; j < no; j++) {   /* 2j < nv: W == 2*OW */
            const __m512 lo = column_max3(r0, r1, r2, 2 * j, q->W, sg);
            const __m512 hi = 2 * j + 1 < nv ? column_max3(r0, r1, r2, 2 * j + 1, q->W, sg) : _mm512_setzero_ps();
            const __m512 e = _mm512_permutex2var_ps(lo, even, hi), od = _mm512_permutex2var_ps(lo, odd, hi);
            const __m512 left = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(od),
                                                                        _mm512_castps_si512(prev_odd), 15));
            const __m512 h = _mm512_max_ps(od, _mm512_max_ps(e, left));
            const __m512 t = _mm512_mul_ps(_mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(h), sg)), sc);
            _mm512_mask_storeu_ps(o + j * VL, lanes(q->OW - j * VL), _mm512_add_ps(t, b));
            prev_odd = od;
        }
    }
    return 1;
}
