/* bnncc runtime, private: the ISA-independent part of the SIMD float Conv / MatMul kernels
 * (float_avx512.c, float_avx2.c, float_neon.c; contract and layouts in float_panels.h): convolution mode
 * selection, padded geometry, scratch / packed sizes, weight packing, im2col and padding copies,
 * and the blocking loops around the microkernel. Not a public header: it is
 * pulled in by float_panels.h only when BNN_FLOAT_PANELS_IMPL is defined, once per ISA source, which
 * must first define (all compile-time constants):
 *   VL              floats per vector
 *   CMR, CNV, CNR   conv: output channels per panel (tile rows), vectors per tile, CNV * VL
 *   CKC, CNB        conv: k block, pixel block
 *   INDIRECT_MIN_OW conv: the smallest OW run as INDIRECT (below: IM2COL)
 *   GMR, GNR, GNV   matmul: tile rows, panel width, GNR / VL
 *   LANE_MASK        the type of a lane mask
 *   BNN_INLINE      static inline __attribute__((always_inline))
 *   ISA_ENTRY(name) name##__ISA, the public name of an entry point
 * and afterwards define the ISA hooks declared below. Apart from the entry points of float_panels.h
 * (at the end), everything here is static: each source gets its own copy, compiled with its own
 * flags.
 */
#ifndef BNNCC_FLOAT_PANELS_IMPL_H
#define BNNCC_FLOAT_PANELS_IMPL_H

#if !defined(VL) || !defined(CMR) || !defined(CNV) || !defined(CNR) || !defined(CKC) || !defined(CNB) || \
    !defined(INDIRECT_MIN_OW) || !defined(GMR) || !defined(GNR) || !defined(GNV) || !defined(LANE_MASK) || \
    !defined(BNN_INLINE) || !defined(ISA_ENTRY)
#error "float_panels_impl.h: define the ISA parameters first (see the top of this file)"
#endif

/* ---- ISA hooks (defined by the including source) */

/* dst[i] = 0, i < n (n may be <= 0). */
static void zero_row(float *dst, int n);
/* dst[i] = src[i*s], i < n (s >= 1), reading nothing beyond src[(n-1)*s]. */
static void gather_row(float *dst, const float *src, int n, int s);
/* One conv row tile: rows [r0, r1) of the CMR-row panel a ([kn][CMR]) times nv vectors of B (the
 * last one ll lanes wide, 1 <= ll <= VL) at b (row k at b + k*ldb, or, IND, at b + koff[k]), to
 * c (row r at c + r*ldc), added to c when accumulate, plus brow[r] when brow. must_mask: B may
 * not be read beyond the ll lanes of the last vector. IND is a compile-time constant. */
BNN_INLINE void conv_tile(const int IND, int nv, int ll, int kn, const float *a, const float *b, size_t ldb,
                          const int *koff, float *c, size_t ldc, int r0, int r1, int accumulate,
                          const float *brow, int must_mask);
/* sm[v], v < GNV: the lanes l of vector v with lo <= v*VL + l < hi. */
BNN_INLINE void matmul_masks(LANE_MASK *sm, int lo, int hi);
/* bnn_maxpool_affine_rows_f32 (fpool.h) with the same arguments, bit for bit, for the shapes the
 * ISA has a faster version of (returns 1), else nothing written (returns 0). */
static int pool_rows_fast(const bnn_pool_params *q, int C, const float *const *rows, int nrows, size_t in_cs,
                          const float *scale, const float *bias, float *out, size_t out_cs);
/* C tile c[i*N + j] = sum_k a[i*K + k] * bp[k*GNR + j] + bc[j] (bc optional), i < mr (<= GMR),
 * j < nv*VL, stored under the lanes of sm; full: every lane of the GNV vectors is stored. */
BNN_INLINE void matmul_tile(int mr, int nv, int full, const float *a, int K, const float *bp,
                            const LANE_MASK *sm, float *c, int N, const float *bc);

/* ------------------------------------------------------------------------------ convolution */

static size_t conv_k(const bnn_conv_params *p) { return (size_t)p->C * (size_t)p->KH * (size_t)p->KW; }

/* How a convolution runs (ungrouped: G is 1; grouped convolutions run fconv.h's kernel):
 *  DIRECT   1x1, stride 1, no padding, OH == H, OW == W: B is the input itself ([C][OH*OW]).
 *  INDIRECT OW >= INDIRECT_MIN_OW: the input is copied once into scratch, zero-padded and split
 *           into SW column phases, so that tap (c, kh, kw) of VL consecutive outputs of a row is VL
 *           consecutive floats; tiles run along output rows and row k of B is at a per-k offset
 *           (koff).
 *  IM2COL   small outputs: blocks of <= CKC taps x <= CNB pixels (across rows) copied to scratch. */
enum { DIRECT, INDIRECT, IM2COL };

static int conv_mode(const bnn_conv_params *p)
{
    if (p->KH == 1 && p->KW == 1 && p->SH == 1 && p->SW == 1 && p->PT == 0 && p->PL == 0 &&
        p->OH == p->H && p->OW == p->W)
        return DIRECT;
    return p->OW >= INDIRECT_MIN_OW ? INDIRECT : IM2COL;
}

/* INDIRECT scratch: [C][SW][Hp][Wph], phase f row y column j = padded input (y, j*SW + f), where
 * the padded input (y, x) = in[c][y - PT][x - PL] (0 outside). Hp, Wph cover every tap read. */
static void padded_geom(const bnn_conv_params *p, int *Hp, int *Wph)
{
    *Hp = (p->OH - 1) * p->SH + (p->KH - 1) * p->DH + 1;
    *Wph = ((p->OW - 1) * p->SW + (p->KW - 1) * p->DW + 1 + p->SW - 1) / p->SW;
}

/* Floats of the INDIRECT copy. */
static size_t padded_size(const bnn_conv_params *p)
{
    int Hp, Wph;
    padded_geom(p, &Hp, &Wph);
    return (size_t)p->C * (size_t)p->SW * (size_t)Hp * (size_t)Wph;
}

static size_t conv_weights_size(const bnn_conv_params *p)
{
    return (size_t)((p->M + CMR - 1) / CMR) * CMR * conv_k(p);
}

static size_t conv_scratch_size(const bnn_conv_params *p)
{
    const size_t K = conv_k(p), P = (size_t)p->OH * (size_t)p->OW;
    const size_t kc = K < CKC ? K : CKC, nb = P < CNB ? P : CNB;
    switch (conv_mode(p)) {
    case INDIRECT:
        return padded_size(p);
    case IM2COL:
        return kc * ((nb + VL - 1) / VL * VL);
    default:
        return 0;
    }
}

static void conv_pack_weights(const bnn_conv_params *p, const float *w, float *packed)
{
    const size_t K = conv_k(p), Mp = (size_t)((p->M + CMR - 1) / CMR) * CMR;
    size_t m, k;
    for (m = 0; m < Mp; m++)
        for (k = 0; k < K; k++)
            packed[(m / CMR) * K * CMR + k * CMR + m % CMR] = m < (size_t)p->M ? w[m * K + k] : 0.0f;
}

/* im2col of reduction rows [k0, k0+kn) and output pixels [p0, p0+pn):
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

/* Rows [y0, y1) (of Hp) of the INDIRECT copy of the input (see padded_geom). */
static void pad_input(const bnn_conv_params *p, const float *in, float *dst, int Hp, int Wph, int y0, int y1)
{
    int c, f, y;
    for (c = 0; c < p->C; c++)
        for (f = 0; f < p->SW; f++) {
            int j0, j1;
            bnn_tap_range(f - p->PL, p->SW, p->W, Wph, &j0, &j1);
            for (y = y0; y < y1; y++) {
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

/* koff[kk] = where tap k0 + kk (c, kh, kw) of output (0, 0) sits in the INDIRECT copy, kk < kn;
 * the tap indices are stepped, not divided out (this runs once per call and k block). */
static void tap_offsets(const bnn_conv_params *p, int Hp, int Wph, int k0, int kn, int *koff)
{
    const int khw = p->KH * p->KW;
    int c = k0 / khw, kh = (k0 % khw) / p->KW, kw = k0 % p->KW, kk;
    for (kk = 0; kk < kn; kk++) {
        const int x = kw * p->DW;
        koff[kk] = ((c * p->SW + x % p->SW) * Hp + kh * p->DH) * Wph + x / p->SW;
        if (++kw == p->KW) {
            kw = 0;
            if (++kh == p->KH) {
                kh = 0;
                c++;
            }
        }
    }
}

/* INDIRECT convolution of output rows [oy_begin, oy_end), channels [m_begin, m_end) (clamped),
 * from the padded copy `pad` (pad_input; only the rows these outputs read need to be there).
 * Output (m, oy, x) goes to out[m*cs + (oy % R)*rs + x] (R > oy: rows in place; smaller R: a
 * ring of R rows). */
static void conv_indirect_rows(const bnn_conv_params *p, const float *pad, const float *packed_w,
                               const float *bias, int m_begin, int m_end, int oy_begin, int oy_end, float *out,
                               size_t cs, size_t rs, int R)
{
    const int K = (int)conv_k(p), rows = p->OW >= CNB ? 1 : CNB / p->OW;
    int Hp, Wph, oy0, oy, k0, panel, n;
    padded_geom(p, &Hp, &Wph);
    for (k0 = 0; k0 < K; k0 += CKC) {
        const int kn = K - k0 < CKC ? K - k0 : CKC, last = k0 + kn == K;
        int koff[CKC];
        tap_offsets(p, Hp, Wph, k0, kn, koff);
        for (oy0 = oy_begin; oy0 < oy_end; oy0 += rows) {
            const int oy1 = oy_end - oy0 < rows ? oy_end : oy0 + rows;
            for (panel = m_begin / CMR; panel * CMR < m_end; panel++) {
                const int mb = panel * CMR;
                const int r0 = m_begin > mb ? m_begin - mb : 0, r1 = m_end - mb < CMR ? m_end - mb : CMR;
                const float *a = packed_w + (size_t)mb * (size_t)K + (size_t)k0 * CMR;
                const float *brow = bias && last ? bias + mb : NULL;
                for (oy = oy0; oy < oy1; oy++) {
                    const float *b = pad + (size_t)oy * (size_t)p->SH * (size_t)Wph;
                    float *c = out + (size_t)mb * cs + (size_t)(oy % R) * rs;
                    for (n = 0; n < p->OW; n += CNR) {
                        const int rem = p->OW - n, nv = rem >= CNR ? CNV : (rem + VL - 1) / VL;
                        conv_tile(1, nv, rem - (nv - 1) * VL, kn, a, b + n, 0, koff, c + n, cs, r0, r1, k0 > 0,
                                  brow, 1);
                    }
                }
            }
        }
    }
}

/* bnn_conv2d_f32__ISA (float_panels.h). */
static void conv2d_f32(const bnn_conv_params *p, const float *in, const float *packed_w,
                       const float *bias, float *scratch, int m_begin, int m_end, float *out)
{
    const int K = (int)conv_k(p), P = p->OH * p->OW, mode = conv_mode(p);
    int p0, k0, panel, n;
    if (m_begin < 0) m_begin = 0;
    if (m_end > p->M) m_end = p->M;
    if (m_begin >= m_end || P <= 0) return;
    if (mode == INDIRECT) {
        int Hp, Wph;
        padded_geom(p, &Hp, &Wph);
        pad_input(p, in, scratch, Hp, Wph, 0, Hp);
        conv_indirect_rows(p, scratch, packed_w, bias, m_begin, m_end, 0, p->OH, out, (size_t)P, (size_t)p->OW,
                           p->OH);
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

/* ------------------------------------------------------------------------------ conv -> max-pool */

/* Conv rows a max-pool window spans: the ring of conv_maxpool_affine holds this many rows. */
static int pool_window_rows(const bnn_pool_params *q) { return (q->KH - 1) * q->DH + 1; }

static size_t conv_pool_scratch_size(const bnn_conv_params *p, const bnn_pool_params *q)
{
    return padded_size(p) + (size_t)pool_window_rows(q) * (size_t)p->M * (size_t)p->OW + BNN_MAXPOOL_WORK(q);
}

/* One past the last conv row that pool row y reads (its window rows clipped to the map), or 0 when
 * it reads none (then neither does any row before it). */
static int pool_rows_end(const bnn_pool_params *q, int y)
{
    int kh0, kh1;
    bnn_tap_range(y * q->SH - q->PT, q->DH, q->H, q->KH, &kh0, &kh1);
    return kh1 > kh0 ? y * q->SH - q->PT + (kh1 - 1) * q->DH + 1 : 0;
}

/* One past the last padded input row that conv rows [0, cy_end) read. */
static int conv_input_end(const bnn_conv_params *p, int cy_end)
{
    return cy_end > 0 ? (cy_end - 1) * p->SH + (p->KH - 1) * p->DH + 1 : 0;
}

/* bnn_conv_maxpool_affine_f32__ISA (float_panels.h): pool rows [y_begin, y_end). Conv rows are
 * computed once each, in order, into a ring of pool_window_rows(q) rows (each [M][OW]); conv row
 * iy sits in slot iy % R. Pool row y reads conv rows y*SH - PT + kh*DH, the last of which is
 * computed just before; the row it overwrites, iy - R, is below y*SH - PT, the first one read.
 * Scratch: the padded input copy, the ring, the pool's work area. resume: the previous call on
 * this scratch ended at pool row y_begin, so the ring and the padded rows it left are reused, and
 * the calls compute what one call over both ranges would.
 * Any ungrouped convolution works this way (INDIRECT reads, whatever conv_mode would pick). */
static void conv_maxpool_affine(const bnn_conv_params *p, const bnn_pool_params *q, const float *in,
                                const float *packed_w, const float *bias, const float *scale, const float *shift,
                                float *scratch, int resume, int y_begin, int y_end, float *out)
{
    const int R = pool_window_rows(q);
    const size_t slot = (size_t)p->M * (size_t)p->OW, plane = (size_t)q->OH * (size_t)q->OW;
    float *ring = scratch + padded_size(p), *work = ring + (size_t)R * slot;
    const float *rows[R];
    int Hp, Wph, y, kh, kh0, kh1, next, padded, cy_end;
    if (y_begin < 0) y_begin = 0;
    if (y_end > q->OH) y_end = q->OH;
    if (y_begin >= y_end) return;
    /* conv rows computed (next) and input rows padded before pool row y_begin */
    if (resume && y_begin > 0) {
        next = pool_rows_end(q, y_begin - 1);
        padded = conv_input_end(p, next);
    } else {
        bnn_tap_range(y_begin * q->SH - q->PT, q->DH, q->H, q->KH, &kh0, &kh1);
        next = y_begin * q->SH - q->PT + kh0 * q->DH;
        padded = next * p->SH;
    }
    padded_geom(p, &Hp, &Wph);
    cy_end = pool_rows_end(q, y_end - 1);
    if (conv_input_end(p, cy_end) > padded) pad_input(p, in, scratch, Hp, Wph, padded, conv_input_end(p, cy_end));
    for (y = y_begin; y < y_end; y++) {
        const int iy0 = y * q->SH - q->PT, upto = pool_rows_end(q, y);
        bnn_tap_range(iy0, q->DH, q->H, q->KH, &kh0, &kh1);
        if (upto > next) {
            conv_indirect_rows(p, scratch, packed_w, bias, 0, p->M, next, upto, ring, (size_t)p->OW, slot, R);
            next = upto;
        }
        for (kh = kh0; kh < kh1; kh++) rows[kh - kh0] = ring + (size_t)((iy0 + kh * q->DH) % R) * slot;
        if (!pool_rows_fast(q, p->M, rows, kh1 - kh0, (size_t)p->OW, scale, shift, out + (size_t)y * (size_t)q->OW,
                            plane))
            bnn_maxpool_affine_rows_f32(q, p->M, rows, kh1 > kh0 ? kh1 - kh0 : 0, (size_t)p->OW, scale, shift, work,
                                        out + (size_t)y * (size_t)q->OW, plane);
    }
}

/* ------------------------------------------------------------------------------ matmul */

static size_t matmul_weights_size(int K, int N)
{
    return (size_t)K * (size_t)((N + GNR - 1) / GNR) * GNR;
}

static void matmul_pack_weights(int K, int N, const float *B, float *packed)
{
    const size_t Np = (size_t)((N + GNR - 1) / GNR) * GNR;
    size_t j, k;
    for (j = 0; j < Np; j++)
        for (k = 0; k < (size_t)K; k++)
            packed[(j / GNR) * (size_t)K * GNR + k * GNR + j % GNR] = j < (size_t)N ? B[k * (size_t)N + j] : 0.0f;
}

/* bnn_matmul_f32__ISA (float_panels.h): panels of GNR columns, tiles of GMR rows. */
static void matmul_f32(int M, int K, int N, const float *A, const float *packed_B,
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
        LANE_MASK sm[GNV];
        matmul_masks(sm, n_begin - j0, n_end - j0);
        for (i0 = 0; i0 < M; i0 += GMR) {
            const int mr = M - i0 < GMR ? M - i0 : GMR;
            matmul_tile(mr, nv, full, A + (size_t)i0 * (size_t)K, K, bp, sm, C + (size_t)i0 * (size_t)N + (size_t)j0,
                        N, bc);
        }
    }
}

/* ------------------------------------------------------------------------------ entry points
 * (float_panels.h), named for the including source's ISA */

size_t ISA_ENTRY(bnn_conv2d_weights_size)(const bnn_conv_params *p) { return conv_weights_size(p); }
size_t ISA_ENTRY(bnn_conv2d_scratch_size)(const bnn_conv_params *p) { return conv_scratch_size(p); }

void ISA_ENTRY(bnn_conv2d_pack_weights)(const bnn_conv_params *p, const float *w, float *packed)
{
    conv_pack_weights(p, w, packed);
}

void ISA_ENTRY(bnn_conv2d_f32)(const bnn_conv_params *p, const float *in, const float *packed_w, const float *bias,
                               float *scratch, int m_begin, int m_end, float *out)
{
    conv2d_f32(p, in, packed_w, bias, scratch, m_begin, m_end, out);
}

size_t ISA_ENTRY(bnn_conv_maxpool_scratch_size)(const bnn_conv_params *p, const bnn_pool_params *q)
{
    return conv_pool_scratch_size(p, q);
}

void ISA_ENTRY(bnn_conv_maxpool_affine_f32)(const bnn_conv_params *p, const bnn_pool_params *q, const float *in,
                                            const float *packed_w, const float *bias, const float *scale,
                                            const float *shift, float *scratch, int resume, int y_begin, int y_end,
                                            float *out)
{
    conv_maxpool_affine(p, q, in, packed_w, bias, scale, shift, scratch, resume, y_begin, y_end, out);
}

size_t ISA_ENTRY(bnn_matmul_weights_size)(int K, int N) { return matmul_weights_size(K, N); }

void ISA_ENTRY(bnn_matmul_pack_weights)(int K, int N, const float *B, float *packed)
{
    matmul_pack_weights(K, N, B, packed);
}

void ISA_ENTRY(bnn_matmul_f32)(int M, int K, int N, const float *A, const float *packed_B, const float *bias,
                               int n_begin, int n_end, float *C)
{
    matmul_f32(M, K, N, A, packed_B, bias, n_begin, n_end, C);
}

#endif /* BNNCC_FLOAT_PANELS_IMPL_H */
