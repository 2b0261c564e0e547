/* bnncc runtime: binary convolution for AVX2 (layout: bconv_blocked.h).
 * Build flags: -mavx2 -mfma -mpopcnt
 *
 * Vectorized along output channels: one ymm holds the weight words of 4 output channels for one
 * (tap, input word); an input word is broadcast and xor-popcounted against them into a register
 * tile of TP = 4 output pixels x NV = 2 channel vectors. Popcount: vpshufb nibble table (Mula et
 * al.), summed in byte accumulators (<= 8 per step, flushed with vpsadbw at most every 31 steps).
 * Output channels are the outer loop (a block's weights stay in L1), pixels of [oy_begin, oy_end)
 * the inner one, taken TP at a time in row-major order (a tile may span two rows).
 *
 * The K loop of a tile (accumulate) runs in segments that are contiguous in the input and in the
 * weights: with DW == 1 a whole kernel row (KW * words(C) words); tiles with out-of-bounds taps
 * read a zero-filled copy of their partial rows, so they run the same loop. Flushes happen only
 * between segments, and 3x3 kernels with words(C) = 1, 2, 4, 8 get instances with the segment
 * length at compile time (K = 9 or 18 words: no flush at all). Out-of-bounds taps read zero words; the aux
 * table corrects them for BNN_PAD_ZERO / pad_bit 1. The output stage (out_tile) merges pixel
 * pairs into 32-bit lanes, converts and applies the affine there, and unpacks them into rows of 4
 * consecutive pixels of one channel (stores, residual); the packed bits of the affine's output come
 * from the compare masks by byte packing and shuffles (pass_bits).
 */
#include "bnncc/common.h"
#include "bnncc/bconv.h"

#include <immintrin.h>

#define VW 4           /* channels per vector */
#define NV 2           /* vectors per channel block */
#define BLK (NV * VW)  /* channels per block (divides 64) */
#define TP 4           /* pixels per tile */
#define FLUSH 31       /* steps a byte accumulator can take (31 * 8 < 256) */
#define ZW 1024        /* words of zeros that out-of-bounds taps read */
#define ROWW 96        /* most words of a kernel row that border tiles copy (KW * words(C)) */
#define SINK_W BLK     /* entries of each per-block table of the sink */

typedef __m256i vacc;  /* byte accumulators */
#define NACC(nv) (nv) /* one per vector */
typedef __m256i vsum;  /* their sums: 64-bit lane k = channel k of the vector */

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")
#define ISA_ENTRY(name) name##__avx2 /* public names: name__avx2 */

/* Output side of a tile: f32 (optionally with the affine) or thresholded bits. */
struct sink {
    float *f;          /* f32 output (or NULL) */
    bnn_word *b;       /* bits output */
    int32_t thr[BLK], dpos[BLK], valid[BLK]; /* per block: thresholds, dir>0 masks, m<M masks */
    float scale[BLK], bias[BLK]; /* per block, zero-padded (read only by the affine variants) */
    float scale2[BLK], bias2[BLK]; /* the same for the second stage (bnn_affine_stage) */
    const float *res, *res2; /* residual and second residual [M][OH][OW] (or NULL) */
    /* packed output of the affine's y (bnn_bconv_affine_pack__X), per block: pass =
     * (y ^ sgn) >= thr' with sgn the sign bit where dir <= 0 and thr' = sgn ? -thr : thr (negation
     * is exact, so this is y <= thr there; NaN fails) */
    float pthr[BLK];
    int32_t psgn[BLK];
    /* the same in the row layout of out_tile(): element h*4 + j of row [v][r] is channel 4v + 2h + r */
    float prow[NV][2][8];
    int32_t srow[NV][2][8];
    uint32_t vmask;    /* per block: bit k = channel b0+k is < M */
};

/* the public declarations, then the ISA-independent code (bconv_blocked_impl.h) over the
 * parameters and the sink above; it calls the hooks defined below (tile, sink_bits_block, and the
 * segmented K loop's vacc_zero, vsum_zero, widen_add, steps) */
#define BNN_BCONV_BLOCKED_IMPL
#define BCONV_SEGMENTS
#include "bnncc/bconv_blocked.h"

static void sink_bits_block(sink *s, const bnn_bconv_params *p, int b0, int bw, int pk, const int32_t *thr,
                            const int8_t *dir, const float *pthr)
{
    int k;
    s->vmask = 0;
    for (k = 0; k < bw; k++) {
        const int m = b0 + k;
        s->thr[k] = m < p->M && !pk ? thr[m] : 0;
        s->dpos[k] = m < p->M && dir[m] > 0 ? -1 : 0;
        s->valid[k] = m < p->M ? -1 : 0;
        s->psgn[k] = m < p->M && pk && dir[m] <= 0 ? INT32_MIN : 0;
        s->pthr[k] = m < p->M && pk ? (s->psgn[k] ? -pthr[m] : pthr[m]) : 0.0f;
        if (m < p->M) s->vmask |= 1u << k;
    }
    for (k = 0; k < NV * 2 * 8; k++) {
        const int v = k / 16, r = k / 8 % 2, e = k % 8, ch = 4 * v + 2 * (e / 4) + r;
        s->prow[v][r][e] = ch < bw ? s->pthr[ch] : 0.0f;
        s->srow[v][r][e] = ch < bw ? s->psgn[ch] : 0;
    }
}

/* ---------------------------------------------------------------- accumulation */

/* acc += byte-wise popcount(y): two nibble lookups (Mula et al.), at most 8 per byte per call.
 * The empty asm keeps each accumulator one register chain: without it GCC reassociates the
 * unrolled byte adds into trees of pending lookups that outgrow the 16 ymm registers and spill. */
ALWAYS_INLINE void popc_add(__m256i *acc, __m256i y)
{
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(y, low4));
    const __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(y, 4), low4));
    *acc = _mm256_add_epi8(*acc, _mm256_add_epi8(lo, hi));
    __asm__("" : "+x"(*acc));
}

ALWAYS_INLINE vacc vacc_zero(void) { return _mm256_setzero_si256(); }
ALWAYS_INLINE vsum vsum_zero(void) { return _mm256_setzero_si256(); }
ALWAYS_INLINE vsum widen_add(vsum a, vacc b) { return _mm256_add_epi64(a, _mm256_sad_epu8(b, _mm256_setzero_si256())); }

/* The steps hook (bconv_blocked_impl.h). */
ALWAYS_INLINE void steps(__m256i accb[TP][NV], const int np, const int nv, const bnn_word *const *xp,
                         const bnn_word *w, size_t ws, const size_t n)
{
    size_t i;
    int j, v;
    _Pragma("GCC unroll 4") for (i = 0; i < n; i++) {
        __m256i wv[NV];
        UNROLL for (v = 0; v < nv; v++) wv[v] = _mm256_loadu_si256((const __m256i *)(w + i * ws + (size_t)v * VW));
        UNROLL for (j = 0; j < np; j++) {
            const __m256i xb = _mm256_set1_epi64x((long long)xp[j][i]);
            UNROLL for (v = 0; v < nv; v++) popc_add(&accb[j][v], _mm256_xor_si256(xb, wv[v]));
        }
    }
}

/* ---------------------------------------------------------------- output stage */

/* The pixel-pair layout of a per-channel table t (block channels vb..vb+3):
 * [t0 t0 t1 t1 | t2 t2 t3 t3] (t relative to vb), see out_tile(). */
ALWAYS_INLINE __m256 pair_table(const float *t, int vb)
{
    return _mm256_permutevar8x32_ps(_mm256_broadcast_ps((const __m128 *)(t + vb)),
                                    _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
}

/* 4 bits, bit = NOT pass for the 4 values y against thresholds thr' / sign flips sgn (see sink). */
ALWAYS_INLINE unsigned fail4(__m128 y, __m128 thr, __m128i sgn)
{
    const __m128 ys = _mm_castsi128_ps(_mm_xor_si128(_mm_castps_si128(y), sgn));
    return (unsigned)~_mm_movemask_ps(_mm_cmp_ps(ys, thr, _CMP_GE_OQ)) & 0xFu;
}

/* Store the chunk of <= 8 packed channels starting at channel m0 (a multiple of 8) of one pixel
 * whose words start at o: the chunk that starts a word writes all of it (zeros above the chunk, so
 * tail bits end 0), the others only their byte. */
ALWAYS_INLINE void store_chunk(bnn_word *o, int m0, uint32_t bits)
{
    const int sh = m0 % BNN_WORD_BITS;
    bnn_word *wd = o + m0 / BNN_WORD_BITS;
    const unsigned char b = (unsigned char)bits;
    if (sh == 0)
        *wd = bits;
    else
        __builtin_memcpy((unsigned char *)wd + sh / 8, &b, 1);
}

/* 32 bits, bit 8j + k = channel k of pixel j passes, from pass masks in the row layout of out_tile
 * (m[v][r], dword h*4 + j: channel 4v + 2h + r, pixel j): packing to bytes gives byte v*8 + r*4 + j
 * of lane h; a 4x4 byte transpose per lane, a qword permute that brings pixels 0,1 to lane 0 and
 * pixels 2,3 to lane 1, and a 16-bit interleave put byte (h, v, r, j) at 8j + 4v + 2h + r. */
ALWAYS_INLINE uint32_t pass_bits(__m256i m00, __m256i m01, __m256i m10, __m256i m11)
{
    const __m256i t4 = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                        0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m256i il = _mm256_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15,
                                        0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
    __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(m00, m01), _mm256_packs_epi32(m10, m11));
    b = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(b, t4), 0xD8);
    return (uint32_t)_mm256_movemask_epi8(_mm256_shuffle_epi8(b, il));
}

/* A residual for row r of out_tile: the 4 pixels of channel r at o0 and of channel r + 2 at o2,
 * zero for channels >= M (nm of the vector's channels are < M). */
ALWAYS_INLINE __m256 res_row(const float *res, size_t o0, size_t o2, int nm, int r)
{
    const __m128 lo = nm > r ? _mm_loadu_ps(res + o0) : _mm_setzero_ps();
    const __m128 hi = nm > r + 2 ? _mm_loadu_ps(res + o2) : _mm_setzero_ps();
    return _mm256_set_m128(hi, lo);
}

/* Float output of a full tile (TP = 4 pixels, NV vectors) from the popcounts sum[j][v] (64-bit
 * lanes) and, for tiles with padded taps, the corrections cp[v][pair] (pixel-pair layout):
 * pixel pairs (0,1), (2,3) are merged into 32-bit lanes [j0c0 j1c0 j0c1 j1c1 | j0c2 j1c2 j0c3 j1c3]
 * (c: vector channel), where acc = KC - 2*popcount - corr, the conversion and the affine run; a
 * 64-bit unpack of the two pairs then gives rows: row r holds channel r (pixels 0..3) and channel
 * r + 2 (pixels 0..3), each half 4 consecutive pixels of one output plane (residual, store). */
ALWAYS_INLINE void out_tile(const ctx *c, const sink *s, int q0, const int aff, const int pk, __m256i sum[TP][NV],
                            const int border, __m256i cp[NV][2], int m0)
{
    const bnn_bconv_params *p = c->p;
    const size_t ohw = (size_t)p->OH * (size_t)p->OW;
    const __m256i kc = _mm256_set1_epi32(c->KC);
    __m256i pass[NV][2];
    int v, r, j;
    UNROLL for (v = 0; v < NV; v++) {
        const int nm = p->M - (m0 + v * VW);
        __m256 y[2];
        UNROLL for (j = 0; j < 2; j++) {
            const __m256i pc = _mm256_blend_epi32(sum[2 * j][v], _mm256_slli_epi64(sum[2 * j + 1][v], 32), 0xAA);
            __m256i a = _mm256_sub_epi32(kc, _mm256_add_epi32(pc, pc));
            if (border) a = _mm256_sub_epi32(a, cp[v][j]);
            y[j] = _mm256_cvtepi32_ps(a);
            if (aff) {
                y[j] = _mm256_mul_ps(y[j], pair_table(s->scale, v * VW));
                y[j] = _mm256_add_ps(y[j], pair_table(s->bias, v * VW));
            }
        }
        UNROLL for (r = 0; r < 2; r++) {
            const size_t o0 = (size_t)(m0 + v * VW + r) * ohw + (size_t)q0, o2 = o0 + 2 * ohw;
            const __m256d y0 = _mm256_castps_pd(y[0]), y1 = _mm256_castps_pd(y[1]);
            __m256 row = _mm256_castpd_ps(r ? _mm256_unpackhi_pd(y0, y1) : _mm256_unpacklo_pd(y0, y1));
            if (aff && s->res) row = _mm256_add_ps(row, res_row(s->res, o0, o2, nm, r));
            if (aff == 2) {
                const int k = v * VW + r;
                row = _mm256_mul_ps(row, _mm256_set_m128(_mm_set1_ps(s->scale2[k + 2]), _mm_set1_ps(s->scale2[k])));
                row = _mm256_add_ps(row, _mm256_set_m128(_mm_set1_ps(s->bias2[k + 2]), _mm_set1_ps(s->bias2[k])));
                if (s->res2) row = _mm256_add_ps(row, res_row(s->res2, o0, o2, nm, r));
            }
            if (nm > r) _mm_storeu_ps(s->f + o0, _mm256_castps256_ps128(row));
            if (nm > r + 2) _mm_storeu_ps(s->f + o2, _mm256_extractf128_ps(row, 1));
            if (pk) {
                /* pass = (y ^ sgn) >= thr' (see sink) */
                const __m256 ys = _mm256_xor_ps(row, _mm256_loadu_ps((const float *)s->srow[v][r]));
                pass[v][r] = _mm256_castps_si256(_mm256_cmp_ps(ys, _mm256_loadu_ps(s->prow[v][r]), _CMP_GE_OQ));
            }
        }
    }
    if (pk) {
        const size_t os = bnn_out_stride(p);
        const uint32_t ok = (s->vmask & 0xFFu) * 0x01010101u;
        const uint32_t fails = ~pass_bits(pass[0][0], pass[0][1], pass[1][0], pass[1][1]) & ok;
        UNROLL for (j = 0; j < TP; j++) store_chunk(s->b + (size_t)(q0 + j) * os, m0, (fails >> (8 * j)) & 0xFFu);
    }
}

/* Float output of a partial tile (np < TP pixels), one pixel at a time; r[j][v]: acc of pixel
 * j, block channels (vblk + v)*VW.. */
ALWAYS_INLINE void out_pixels(const ctx *c, const sink *s, int q0, const int np, const int nv, const int aff,
                              const int pk, __m128i r[TP][NV], int m0, int vblk)
{
    const bnn_bconv_params *p = c->p;
    const size_t ohw = (size_t)p->OH * (size_t)p->OW;
    const size_t off = (size_t)m0 * ohw + (size_t)q0;
    uint32_t fails[TP]; /* pk: NOT pass of the block's channels, per pixel */
    int j, v;
    UNROLL for (j = 0; j < np; j++) fails[j] = 0;
    UNROLL for (v = 0; v < nv; v++) {
        const int nm = p->M - (m0 + v * VW), vb = (vblk + v) * VW;
        const size_t ov = off + (size_t)(v * VW) * ohw;
        float *o = s->f + ov;
        const float *rv = aff && s->res ? s->res + ov : NULL;
        const float *rv2 = aff == 2 && s->res2 ? s->res2 + ov : NULL;
        UNROLL for (j = 0; j < np; j++) {
            float t[VW];
            int k;
            __m128 a = _mm_cvtepi32_ps(r[j][v]);
            if (aff) {
                a = _mm_mul_ps(a, _mm_loadu_ps(s->scale + vb));
                a = _mm_add_ps(a, _mm_loadu_ps(s->bias + vb));
            }
            _mm_storeu_ps(t, a);
            for (k = 0; k < VW && k < nm; k++) {
                float y = t[k];
                if (rv) y = y + rv[(size_t)k * ohw + (size_t)j];
                if (aff == 2) y = sink_stage2(s, vb + k, y, rv2 ? rv2 + (size_t)k * ohw + (size_t)j : NULL);
                o[(size_t)k * ohw + (size_t)j] = y;
                t[k] = y;
            }
            if (pk)
                fails[j] |= fail4(_mm_loadu_ps(t), _mm_loadu_ps(s->pthr + vb),
                                  _mm_loadu_si128((const __m128i *)(s->psgn + vb))) << (v * VW);
        }
    }
    if (pk) {
        /* nv == 1 only for a last block of 4 channels: its chunk still starts at a multiple of 8 */
        const size_t os = bnn_out_stride(p);
        const uint32_t ok = (s->vmask >> (vblk * VW)) & ((1u << (nv * VW)) - 1);
        UNROLL for (j = 0; j < np; j++) store_chunk(s->b + (size_t)(q0 + j) * os, m0, fails[j] & ok);
    }
}

/* Thresholded bits output (bnn_bconv_bits__avx2), one pixel at a time. */
ALWAYS_INLINE void out_bits(const ctx *c, const sink *s, int q0, const int np, const int nv, __m128i r[TP][NV],
                            int m0, int vblk)
{
    int j, v;
    UNROLL for (j = 0; j < np; j++) {
        bnn_word bits = 0;
        UNROLL for (v = 0; v < nv; v++) {
            const int vb = (vblk + v) * VW;
            const __m128i thr = _mm_loadu_si128((const __m128i *)(s->thr + vb));
            const __m128i dp = _mm_loadu_si128((const __m128i *)(s->dpos + vb));
            const __m128i ok = _mm_loadu_si128((const __m128i *)(s->valid + vb));
            const __m128i lt = _mm_cmpgt_epi32(thr, r[j][v]), gt = _mm_cmpgt_epi32(r[j][v], thr);
            const __m128i b = _mm_and_si128(_mm_blendv_epi8(gt, lt, dp), ok);
            bits |= (bnn_word)(unsigned)_mm_movemask_ps(_mm_castsi128_ps(b)) << (v * VW);
        }
        put_bits(c, s, q0 + j, m0, bits);
    }
}

/* The tile hook (contract: bconv_blocked_impl.h): accumulate, then the padding correction of the
 * pixels with out-of-bounds taps (pad_bit 0 semantics corrected), then the output stage. */
ALWAYS_INLINE void tile(const ctx *c, const sink *s, int q0, const int np, const int nv, const int interior,
                        const int aff, const int pk, const bnn_word *wb, size_t ws, int m0, int vblk)
{
    __m256i sum[TP][NV];
    int32_t corr[TP][BLK];
    int j, v;
    const int border = tile_sums(c, q0, np, nv, interior, wb, ws, m0, sum, corr);

    if (s->f && np == TP && nv == NV) {
        __m256i cp[NV][2];
        if (border) {
            UNROLL for (v = 0; v < NV; v++) UNROLL for (j = 0; j < 2; j++) {
                const __m256i c0 = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(corr[2 * j] + v * VW)));
                const __m256i c1 = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(corr[2 * j + 1] + v * VW)));
                cp[v][j] = _mm256_blend_epi32(c0, _mm256_slli_epi64(c1, 32), 0xAA);
            }
        }
        out_tile(c, s, q0, aff, pk, sum, border, cp, m0);
    } else {
        /* acc = KC - (2*popcount + corr), taken from the even 32-bit lanes */
        const __m128i kc = _mm_set1_epi32(c->KC);
        const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
        __m128i r[TP][NV];
        UNROLL for (j = 0; j < np; j++) UNROLL for (v = 0; v < nv; v++) {
            __m256i d = _mm256_add_epi64(sum[j][v], sum[j][v]);
            if (border)
                d = _mm256_add_epi64(d, _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(corr[j] + v * VW))));
            r[j][v] = _mm_sub_epi32(kc, _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(d, even)));
        }
        if (s->f) out_pixels(c, s, q0, np, nv, aff, pk, r, m0, vblk);
        else out_bits(c, s, q0, np, nv, r, m0, vblk);
    }
}
