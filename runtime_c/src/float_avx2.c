/* bnncc runtime: AVX2+FMA float Conv / MatMul (see bnncc/float_x86.h for the contract and layouts).
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
#include "bnncc/float_x86.h"

#define VL 8                          /* floats per vector */
#define CMR BNN_F32_CONV_MR__avx2     /* conv: output channels per panel (tile rows) */
#define CNV 3                         /* conv: vectors per tile (24 pixels) */
#define CNR (CNV * VL)
#define CKC 256                       /* conv: k block */
#define CNB (16 * CNR)                /* conv: pixel block (384) */
#define GMR 2                         /* matmul: tile rows */
#define GNR BNN_F32_MATMUL_NR__avx2   /* matmul: panel width (32 = 4 vectors) */
#define GNV (GNR / VL)

#define BNN_INLINE static inline __attribute__((always_inline))

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

/* ------------------------------------------------------------------------------ convolution */

static int conv_groups(const bnn_conv_params *p) { return p->G > 0 ? p->G : 1; }

static size_t conv_k(const bnn_conv_params *p)
{
    return (size_t)(p->C / conv_groups(p)) * (size_t)p->KH * (size_t)p->KW;
}

/* How a convolution runs (G == 1 unless GROUPED):
 *  DIRECT   1x1, stride 1, no padding, OH == H, OW == W: B is the input itself ([C][OH*OW]).
 *  INDIRECT OW >= 6: the input is copied once into scratch, zero-padded and split into SW column
 *           phases, so that tap (c, kh, kw) of 8 consecutive outputs of a row is 8 consecutive
 *           floats; tiles run along output rows and row k of B is at a per-k offset (koff).
 *  IM2COL   small outputs: blocks of <= 256 taps x <= 384 pixels (across rows) copied to scratch. */
enum { GROUPED, DIRECT, INDIRECT, IM2COL };

static int conv_mode(const bnn_conv_params *p)
{
    if (conv_groups(p) > 1) return GROUPED;
    if (p->KH == 1 && p->KW == 1 && p->SH == 1 && p->SW == 1 && p->PT == 0 && p->PL == 0 &&
        p->OH == p->H && p->OW == p->W)
        return DIRECT;
    return p->OW >= 6 ? INDIRECT : IM2COL;
}

/* INDIRECT scratch: [C][SW][Hp][Wph], phase f row y column j = padded input (y, j*SW + f), where
 * the padded input (y, x) = in[c][y - PT][x - PL] (0 outside). Hp, Wph cover every tap read. */
static void padded_geom(const bnn_conv_params *p, int *Hp, int *Wph)
{
    *Hp = (p->OH - 1) * p->SH + (p->KH - 1) * p->DH + 1;
    *Wph = ((p->OW - 1) * p->SW + (p->KW - 1) * p->DW + 1 + p->SW - 1) / p->SW;
}

size_t bnn_conv2d_weights_size__avx2(const bnn_conv_params *p)
{
    return (size_t)((p->M + CMR - 1) / CMR) * CMR * conv_k(p);
}

size_t bnn_conv2d_scratch_size__avx2(const bnn_conv_params *p)
{
    const size_t K = conv_k(p), P = (size_t)p->OH * (size_t)p->OW;
    const size_t kc = K < CKC ? K : CKC, nb = P < CNB ? P : CNB;
    int Hp, Wph;
    switch (conv_mode(p)) {
    case INDIRECT:
        padded_geom(p, &Hp, &Wph);
        return (size_t)p->C * (size_t)p->SW * (size_t)Hp * (size_t)Wph;
    case IM2COL:
        return kc * ((nb + VL - 1) / VL * VL);
    default:
        return 0;
    }
}

void bnn_conv2d_pack_weights__avx2(const bnn_conv_params *p, const float *w, float *packed)
{
    const size_t K = conv_k(p), Mp = (size_t)((p->M + CMR - 1) / CMR) * CMR;
    size_t m, k;
    for (m = 0; m < Mp; m++)
        for (k = 0; k < K; k++)
            packed[(m / CMR) * K * CMR + k * CMR + m % CMR] = m < (size_t)p->M ? w[m * K + k] : 0.0f;
}

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

/* im2col of reduction rows [k0, k0+kn) and output pixels [p0, p0+pn) (G == 1):
 * dst[kk*ldd + q] = in[c][iy][ix] of row k0+kk and pixel p0+q (0 when padding), q < ldd
 * (pixels q >= pn are zero). */
static void im2col(const bnn_conv_params *p, const float *in, int k0, int kn, int p0, int pn,
                   float *dst, int ldd)
{
    const int khw = p->KH * p->KW;
    int kk;
    for (kk = 0; kk < kn; kk++) {
        const int k = k0 + kk, c = k / khw, kh = (k % khw) / p->KW, kw = k % p->KW;
        const int xoff = kw * p->DW - p->PL, yoff = kh * p->DH - p->PT;
        const float *plane = in + (size_t)c * (size_t)p->H * (size_t)p->W;
        float *d = dst + (size_t)kk * (size_t)ldd;
        int vx0, vx1, q = 0, oy = p0 / p->OW, ox = p0 % p->OW;
        bnn_tap_range(xoff, p->SW, p->W, p->OW, &vx0, &vx1);
        while (q < pn) {
            const int seg = p->OW - ox < pn - q ? p->OW - ox : pn - q;
            const int iy = oy * p->SH + yoff;
            if (iy < 0 || iy >= p->H) {
                zero_row(d + q, seg);
            } else {
                const int a = ox > vx0 ? ox : vx0, e = ox + seg < vx1 ? ox + seg : vx1;
                const float *row = plane + (size_t)iy * (size_t)p->W;
                if (a >= e) {
                    zero_row(d + q, seg);
                } else {
                    zero_row(d + q, a - ox);
                    gather_row(d + q + (a - ox), row + a * p->SW + xoff, e - a, p->SW);
                    zero_row(d + q + (e - ox), ox + seg - e);
                }
            }
            q += seg;
            oy++;
            ox = 0;
        }
        zero_row(d + pn, ldd - pn);
    }
}

/* The INDIRECT copy of the input (see padded_geom). */
static void pad_input(const bnn_conv_params *p, const float *in, float *dst, int Hp, int Wph)
{
    int c, f, y;
    for (c = 0; c < p->C; c++)
        for (f = 0; f < p->SW; f++) {
            int j0, j1;
            bnn_tap_range(f - p->PL, p->SW, p->W, Wph, &j0, &j1);
            for (y = 0; y < Hp; y++) {
                float *d = dst + (((size_t)c * (size_t)p->SW + (size_t)f) * (size_t)Hp + (size_t)y) * (size_t)Wph;
                const int iy = y - p->PT;
                if (iy < 0 || iy >= p->H || j0 >= j1) {
                    zero_row(d, Wph);
                } else {
                    zero_row(d, j0);
                    gather_row(d + j0, in + ((size_t)c * (size_t)p->H + (size_t)iy) * (size_t)p->W + (j0 * p->SW + f - p->PL),
                               j1 - j0, p->SW);
                    zero_row(d + j1, Wph - j1);
                }
            }
        }
}

/* Grouped convolution: a direct loop (correct, not tuned), weights read from the packed layout. */
static void conv_grouped(const bnn_conv_params *p, const float *in, const float *packed,
                         const float *bias, int m0, int m1, float *out)
{
    const int G = conv_groups(p), Cg = p->C / G, Mg = p->M / G;
    const size_t K = conv_k(p), ohw = (size_t)p->OH * (size_t)p->OW, hw = (size_t)p->H * (size_t)p->W;
    int m, c, kh, kw, oy, ox;
    for (m = m0; m < m1; m++) {
        const int g = m / Mg;
        const float *wm = packed + (size_t)(m / CMR) * K * CMR + (size_t)(m % CMR);
        float *o = out + (size_t)m * ohw;
        size_t i;
        for (i = 0; i < ohw; i++) o[i] = 0.0f;
        for (c = 0; c < Cg; c++) {
            const float *x = in + (size_t)(g * Cg + c) * hw;
            for (kh = 0; kh < p->KH; kh++) {
                int oy0, oy1;
                bnn_tap_range(kh * p->DH - p->PT, p->SH, p->H, p->OH, &oy0, &oy1);
                for (kw = 0; kw < p->KW; kw++) {
                    const float wv = wm[(((size_t)c * (size_t)p->KH + (size_t)kh) * (size_t)p->KW + (size_t)kw) * CMR];
                    const int xoff = kw * p->DW - p->PL;
                    int ox0, ox1;
                    bnn_tap_range(xoff, p->SW, p->W, p->OW, &ox0, &ox1);
                    for (oy = oy0; oy < oy1; oy++) {
                        const float *xr = x + (size_t)(oy * p->SH - p->PT + kh * p->DH) * (size_t)p->W;
                        float *orow = o + (size_t)oy * (size_t)p->OW;
                        for (ox = ox0; ox < ox1; ox++) orow[ox] += wv * xr[ox * p->SW + xoff];
                    }
                }
            }
        }
        if (bias)
            for (i = 0; i < ohw; i++) o[i] += bias[m];
    }
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

void bnn_conv2d_f32__avx2(const bnn_conv_params *p, const float *in, const float *packed_w,
                          const float *bias, float *scratch, int m_begin, int m_end, float *out)
{
    const int K = (int)conv_k(p), P = p->OH * p->OW, mode = conv_mode(p);
    int p0, k0, panel, n;
    if (m_begin < 0) m_begin = 0;
    if (m_end > p->M) m_end = p->M;
    if (m_begin >= m_end || P <= 0) return;
    if (mode == GROUPED) {
        conv_grouped(p, in, packed_w, bias, m_begin, m_end, out);
        return;
    }
    if (mode == INDIRECT) {
        const int khw = p->KH * p->KW, rows = p->OW >= CNB ? 1 : CNB / p->OW;
        int Hp, Wph, oy0, oy;
        padded_geom(p, &Hp, &Wph);
        pad_input(p, in, scratch, Hp, Wph);
        for (k0 = 0; k0 < K; k0 += CKC) {
            const int kn = K - k0 < CKC ? K - k0 : CKC, last = k0 + kn == K;
            int koff[CKC], kk;
            for (kk = 0; kk < kn; kk++) {
                const int k = k0 + kk, c = k / khw, kh = (k % khw) / p->KW, kw = k % p->KW;
                koff[kk] = ((c * p->SW + (kw * p->DW) % p->SW) * Hp + kh * p->DH) * Wph + (kw * p->DW) / p->SW;
            }
            for (oy0 = 0; oy0 < p->OH; oy0 += rows) {
                const int oy1 = p->OH - oy0 < rows ? p->OH : oy0 + rows;
                for (panel = m_begin / CMR; panel * CMR < m_end; panel++) {
                    const int mb = panel * CMR;
                    const int r0 = m_begin > mb ? m_begin - mb : 0, r1 = m_end - mb < CMR ? m_end - mb : CMR;
                    const float *a = packed_w + (size_t)mb * (size_t)K + (size_t)k0 * CMR;
                    const float *brow = bias && last ? bias + mb : NULL;
                    for (oy = oy0; oy < oy1; oy++) {
                        const float *b = scratch + (size_t)oy * (size_t)p->SH * (size_t)Wph;
                        float *c = out + (size_t)mb * (size_t)P + (size_t)oy * (size_t)p->OW;
                        for (n = 0; n < p->OW; n += CNR) {
                            const int rem = p->OW - n, nv = rem >= CNR ? CNV : (rem + VL - 1) / VL;
                            conv_tile(1, nv, rem - (nv - 1) * VL, kn, a, b + n, 0, koff, c + n, (size_t)P, r0, r1,
                                      k0 > 0, brow, 1);
                        }
                    }
                }
            }
        }
        return;
    }
    for (p0 = 0; p0 < P; p0 += CNB) {
        const int pn = P - p0 < CNB ? P - p0 : CNB;
        for (k0 = 0; k0 < K; k0 += CKC) {
            const int kn = K - k0 < CKC ? K - k0 : CKC, last = k0 + kn == K;
            const float *b;
            size_t ldb;
            if (mode == DIRECT) {
                b = in + (size_t)k0 * (size_t)P + (size_t)p0;
                ldb = (size_t)P;
            } else {
                const int ldd = (pn + VL - 1) / VL * VL;
                im2col(p, in, k0, kn, p0, pn, scratch, ldd);
                b = scratch;
                ldb = (size_t)ldd;
            }
            for (panel = m_begin / CMR; panel * CMR < m_end; panel++) {
                const int mb = panel * CMR;
                const int r0 = m_begin > mb ? m_begin - mb : 0, r1 = m_end - mb < CMR ? m_end - mb : CMR;
                const float *a = packed_w + (size_t)mb * (size_t)K + (size_t)k0 * CMR;
                float *c = out + (size_t)mb * (size_t)P + (size_t)p0;
                const float *brow = bias && last ? bias + mb : NULL;
                for (n = 0; n < pn; n += CNR) {
                    const int rem = pn - n, nv = rem >= CNR ? CNV : (rem + VL - 1) / VL;
                    conv_tile(0, nv, rem - (nv - 1) * VL, kn, a, b + n, ldb, NULL, c + n, (size_t)P, r0, r1, k0 > 0,
                              brow, mode == DIRECT);
                }
            }
        }
    }
}

/* ------------------------------------------------------------------------------ matmul */

size_t bnn_matmul_weights_size__avx2(int K, int N)
{
    return (size_t)K * (size_t)((N + GNR - 1) / GNR) * GNR;
}

void bnn_matmul_pack_weights__avx2(int K, int N, const float *B, float *packed)
{
    const size_t Np = (size_t)((N + GNR - 1) / GNR) * GNR;
    size_t j, k;
    for (j = 0; j < Np; j++)
        for (k = 0; k < (size_t)K; k++)
            packed[(j / GNR) * (size_t)K * GNR + k * GNR + j % GNR] = j < (size_t)N ? B[k * (size_t)N + j] : 0.0f;
}

void bnn_matmul_f32__avx2(int M, int K, int N, const float *A, const float *packed_B,
                          const float *bias, int n_begin, int n_end, float *C)
{
    int panel, i0, i, j;
    if (n_begin < 0) n_begin = 0;
    if (n_end > N) n_end = N;
    if (n_begin >= n_end || M <= 0) return;
    if (K <= 0) {
        for (i = 0; i < M; i++)
            for (j = n_begin; j < n_end; j++) C[(size_t)i * (size_t)N + (size_t)j] = bias ? bias[j] : 0.0f;
        return;
    }
    for (panel = n_begin / GNR; panel * GNR < n_end; panel++) {
        const int j0 = panel * GNR;
        const int hi = n_end - j0 < GNR ? n_end - j0 : GNR, nv = (hi + VL - 1) / VL;
        const int full = hi == GNR && n_begin <= j0;
        const float *bp = packed_B + (size_t)panel * (size_t)K * GNR;
        const float *bc = bias ? bias + j0 : NULL;
        __m256i sm[4];
        int v;
        for (v = 0; v < 4; v++) {
            /* lanes l of vector v with n_begin <= j0 + v*8 + l < n_end */
            sm[v] = _mm256_andnot_si256(lanes(n_begin - j0 - v * VL), lanes(n_end - j0 - v * VL));
        }
        for (i0 = 0; i0 < M; i0 += GMR) {
            const int mr = M - i0 < GMR ? M - i0 : GMR;
            const float *a = A + (size_t)i0 * (size_t)K;
            float *c = C + (size_t)i0 * (size_t)N + (size_t)j0;
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
    }
}
