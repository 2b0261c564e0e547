/* bnncc runtime: binary convolution for AVX-512 F/BW/VPOPCNTDQ (layout: bconv_x86.h).
 * Build flags: -mavx512f -mavx512bw -mavx512vpopcntdq -mavx2 -mfma -mpopcnt
 *
 * Vectorized along output channels: one zmm holds the weight words of 8 output channels for one
 * (tap, input word); an input word is broadcast and xor-popcount-added into a register tile of
 * TP output pixels x NV channel vectors (4 x 4 = 16 zmm accumulators). Output channels are the
 * outer loop (a block's weights stay in L1), pixels of [oy_begin, oy_end) the inner one, taken
 * TP at a time in row-major order (a tile may span two rows). Out-of-bounds taps read zero words;
 * the aux table corrects them for BNN_PAD_ZERO / pad_bit 1.
 */
#include "bnncc/common.h"
#include "bnncc/bconv.h"

#include <immintrin.h>

#define VW 8           /* channels per vector */
#define NV 4           /* vectors per channel block */
#define BLK (NV * VW)  /* channels per block (divides 64) */
#define TP 4           /* pixels per tile */
#define ZW 512         /* words of zeros that out-of-bounds taps read */
#define SINK_W (BLK + 16) /* entries of each per-block table of the sink */

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")

/* Output side of a tile: f32 (optionally with the affine) or thresholded bits. */
struct sink {
    float *f;          /* f32 output (or NULL) */
    bnn_word *b;       /* bits output */
    int32_t thr[SINK_W]; /* per block: thresholds of its channels (zero-padded to BLK + 16) */
    uint32_t dmask, vmask; /* per block: bit k = channel b0+k has dir > 0 / is < M */
    float scale[SINK_W], bias[SINK_W]; /* per block, zero-padded (read only by the affine variants) */
    const float *res;  /* residual [M][OH][OW] (or NULL) */
    /* packed output of the affine's y (bnn_bconv_affine_pack__X), per block, zero-padded to BLK + 16:
     * pass = (y ^ sgn) >= thr' with sgn the sign bit where dir <= 0 and thr' = sgn ? -thr : thr
     * (negation is exact, so this is y <= thr there; NaN fails). pthr/psgn: channel k at k;
     * uthr[c]/usgn[c]: the 4x4-transposed layout of the f32 store (element i = channel 4*(i/4) + c). */
    float pthr[SINK_W];
    float uthr[4][SINK_W];
    int32_t psgn[SINK_W];
    int32_t usgn[4][SINK_W];
};

/* the public declarations, then the ISA-independent code (bconv_x86_common.h) over the
 * parameters and the sink above; it calls the hooks defined below (tile, sink_bits_block) */
#define BNN_BCONV_X86_IMPL
#include "bnncc/bconv_x86.h"

size_t bnn_bconv_weights_size__avx512(const bnn_bconv_params *p) { return bconv_weights_size(p); }

size_t bnn_bconv_aux_size__avx512(const bnn_bconv_params *p) { return bconv_aux_size(p); }

void bnn_bconv_pack_weights__avx512(const bnn_bconv_params *p, const bnn_word *w_portable,
                                    bnn_word *w_out, int32_t *aux)
{
    bconv_pack_weights(p, w_portable, w_out, aux);
}

static void sink_bits_block(sink *s, const bnn_bconv_params *p, int b0, int bw, int pk, const int32_t *thr,
                            const int8_t *dir, const float *pthr)
{
    int k;
    s->dmask = s->vmask = 0;
    for (k = 0; k < SINK_W; k++) {
        const int m = b0 + k, ok = k < bw && m < p->M;
        s->thr[k] = ok && !pk ? thr[m] : 0;
        s->psgn[k] = ok && pk && dir[m] <= 0 ? INT32_MIN : 0;
        s->pthr[k] = ok && pk ? (s->psgn[k] ? -pthr[m] : pthr[m]) : 0.0f;
        if (ok) {
            s->vmask |= (uint32_t)1 << k;
            if (dir[m] > 0) s->dmask |= (uint32_t)1 << k;
        }
    }
    for (k = 0; k < SINK_W; k++) {
        int cc;
        for (cc = 0; cc < 4; cc++) {
            const int i = k / 4 * 4 + cc;
            s->uthr[cc][k] = i < SINK_W ? s->pthr[i] : 0.0f;
            s->usgn[cc][k] = i < SINK_W ? s->psgn[i] : 0;
        }
    }
}

/* Float output of one pixel's 16 channels (block channels vb..vb+15): (float)r, then
 * * scale + bias when the sink has them, each rounded on its own (no FMA: -ffp-contract=off). */
ALWAYS_INLINE __m512 out_f32(const sink *s, const int aff, __m512i r, int vb)
{
    __m512 a = _mm512_cvtepi32_ps(r);
    if (aff) {
        a = _mm512_mul_ps(a, _mm512_loadu_ps(s->scale + vb));
        a = _mm512_add_ps(a, _mm512_loadu_ps(s->bias + vb));
    }
    return a;
}

/* u: 4 channels (c, c+4, c+8, c+12 in its 128-bit lanes) x 4 pixels; only channels < n exist.
 * add_res: u + the residual at the same places (rows o + k*ohw); store_u: u to those rows. */
ALWAYS_INLINE __m512 add_res(__m512 u, const float *o, size_t ohw, int c, int n)
{
    __m512 r = c < n ? _mm512_zextps128_ps512(_mm_loadu_ps(o + (size_t)c * ohw)) : _mm512_setzero_ps();
    if (c + 4 < n) r = _mm512_insertf32x4(r, _mm_loadu_ps(o + (size_t)(c + 4) * ohw), 1);
    if (c + 8 < n) r = _mm512_insertf32x4(r, _mm_loadu_ps(o + (size_t)(c + 8) * ohw), 2);
    if (c + 12 < n) r = _mm512_insertf32x4(r, _mm_loadu_ps(o + (size_t)(c + 12) * ohw), 3);
    return _mm512_add_ps(u, r);
}

ALWAYS_INLINE void store_u(float *o, size_t ohw, __m512 u, int c, int n)
{
    if (c < n) _mm_storeu_ps(o + (size_t)c * ohw, _mm512_castps512_ps128(u));
    if (c + 4 < n) _mm_storeu_ps(o + (size_t)(c + 4) * ohw, _mm512_extractf32x4_ps(u, 1));
    if (c + 8 < n) _mm_storeu_ps(o + (size_t)(c + 8) * ohw, _mm512_extractf32x4_ps(u, 2));
    if (c + 12 < n) _mm_storeu_ps(o + (size_t)(c + 12) * ohw, _mm512_extractf32x4_ps(u, 3));
}

/* 16 bits, bit = NOT pass for the 16 values y against thresholds thr' / sign flips sgn (see sink). */
ALWAYS_INLINE unsigned fail16(__m512 y, const float *thr, const int32_t *sgn)
{
    const __m512 ys = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(y), _mm512_loadu_si512((const void *)sgn)));
    return (unsigned)(__mmask16)~_mm512_cmp_ps_mask(ys, _mm512_loadu_ps(thr), _CMP_GE_OQ);
}

/* The 4x4-transposed layout of the f32 store: u (channels c, c+4, c+8, c+12 x pixels 0..3) failing
 * its thresholds sets bit b (b = 16g + c: block channel 16g + 4L + c sits at bit 16g + 4L + c once
 * lane 4L + j is shifted by 4L) in lane 4L + j of f. */
ALWAYS_INLINE __m512i fail_u(__m512i f, __m512 u, const float *thr, const int32_t *sgn, int b)
{
    const __m512 us = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(u), _mm512_loadu_si512((const void *)sgn)));
    const __mmask16 fail = _mm512_cmp_ps_mask(us, _mm512_loadu_ps(thr), _CMP_NGE_UQ);
    return _mm512_mask_or_epi32(f, fail, f, _mm512_set1_epi32(1 << b));
}

/* Store the chunk of nb packed channels (nb = 8 or 32) starting at channel m0 (a multiple of nb)
 * of one pixel whose words start at o: the chunk that starts a word writes all of it (zeros above
 * the chunk, so tail bits end 0), the others only their bytes. */
ALWAYS_INLINE void store_chunk(bnn_word *o, int m0, uint32_t bits, const int nb)
{
    const int sh = m0 % BNN_WORD_BITS;
    bnn_word *wd = o + m0 / BNN_WORD_BITS;
    if (sh == 0) {
        *wd = bits;
    } else if (nb == 32) {
        __builtin_memcpy((unsigned char *)wd + sh / 8, &bits, 4);
    } else {
        const unsigned char b = (unsigned char)bits;
        __builtin_memcpy((unsigned char *)wd + sh / 8, &b, 1);
    }
}

/* The tile hook (contract: bconv_x86_common.h): vpopcntq into 64-bit accumulators. */
ALWAYS_INLINE void tile(const ctx *c, const sink *s, int q0, const int np, const int nv, const int interior,
                        const int aff, const int pk, const bnn_word *wb, size_t ws, int m0, int vblk)
{
    const bnn_bconv_params *p = c->p;
    const size_t nw = c->nw;
    __m512i acc[TP][NV];
    int iy0[TP], ix0[TP], full[TP];
    int j, v;

    UNROLL for (j = 0; j < np; j++) {
        UNROLL for (v = 0; v < nv; v++) acc[j][v] = _mm512_setzero_si512();
        pix(c, q0 + j, &iy0[j], &ix0[j], &full[j]);
    }

/* one (tap, word) step: weights at wr, input word of pixel j is X(j) */
#define STEP(X)                                                                                       \
    do {                                                                                              \
        __m512i w_[NV];                                                                               \
        UNROLL for (v = 0; v < nv; v++) w_[v] = _mm512_loadu_si512((const void *)(wr + v * VW));      \
        UNROLL for (j = 0; j < np; j++) {                                                             \
            const __m512i xb_ = _mm512_set1_epi64((long long)(X));                                    \
            UNROLL for (v = 0; v < nv; v++)                                                           \
                acc[j][v] = _mm512_add_epi64(acc[j][v], _mm512_popcnt_epi64(_mm512_xor_si512(xb_, w_[v]))); \
        }                                                                                             \
        wr += ws;                                                                                     \
    } while (0)

    BCONV_TAPS(STEP);
#undef STEP

    {
        /* Pairs of 8-channel vectors are packed into 16 int32 lanes (group g: block channels
         * 16g..16g+15), r = T*C - 2*P (pad_bit 0 semantics), then the padding correction. */
        enum { NG = (NV + 1) / 2 };
        const int ng = (nv + 1) / 2;
        __m512i r[TP][NG];
        const __m512i kc = _mm512_set1_epi32(c->KC);
        const __m512i pack = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        int g;
        UNROLL for (j = 0; j < np; j++) {
            UNROLL for (g = 0; g < ng; g++) {
                const __m512i pc = _mm512_permutex2var_epi32(acc[j][2 * g], pack, acc[j][2 * g + 1 < nv ? 2 * g + 1 : 2 * g]);
                r[j][g] = _mm512_sub_epi32(kc, _mm512_add_epi32(pc, pc));
            }
            if (p->pad_bit != 0 && !full[j]) {
                int32_t corr[BLK];
                pad_corr(c, iy0[j], ix0[j], m0, nv * VW, corr);
                UNROLL for (g = 0; g < ng; g++) {
                    const __m512i cv = 2 * g + 1 < nv ? _mm512_loadu_si512((const void *)(corr + 16 * g))
                        : _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(corr + 16 * g)));
                    r[j][g] = _mm512_sub_epi32(r[j][g], cv);
                }
            }
        }

        if (s->f) {
            const size_t ohw = (size_t)p->OH * (size_t)p->OW;
            const size_t off = (size_t)m0 * ohw + (size_t)q0;
            uint32_t fails[TP]; /* pk: NOT pass of the block's channels, per pixel */
            __m512i fv = _mm512_setzero_si512(); /* the same for np == 4, in the transposed layout (fail_u) */
            UNROLL for (j = 0; j < np; j++) fails[j] = 0;
            UNROLL for (g = 0; g < ng; g++) {
                const int nm0 = p->M - (m0 + 16 * g), lanes = 2 * g + 1 < nv ? 16 : 8;
                const int nm = nm0 < lanes ? nm0 : lanes;
                const int vb = vblk * VW + 16 * g;
                float *og = s->f + off + (size_t)(16 * g) * ohw;
                const float *rg = aff && s->res ? s->res + off + (size_t)(16 * g) * ohw : NULL;
                if (np == 4) {
                    /* 4 pixels x 16 channels -> 16 channels x 4 pixels: u[c] lane k = channel 4k + c */
                    const __m512 a0 = out_f32(s, aff, r[0][g], vb), a1 = out_f32(s, aff, r[1 % np][g], vb);
                    const __m512 a2 = out_f32(s, aff, r[2 % np][g], vb), a3 = out_f32(s, aff, r[3 % np][g], vb);
                    const __m512 t0 = _mm512_unpacklo_ps(a0, a1), t1 = _mm512_unpackhi_ps(a0, a1);
                    const __m512 t2 = _mm512_unpacklo_ps(a2, a3), t3 = _mm512_unpackhi_ps(a2, a3);
                    __m512 u[4];
                    int k;
                    u[0] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
                    u[1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
                    u[2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
                    u[3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
                    if (nm == 16) {
                        UNROLL for (k = 0; k < 4; k++) {
                            if (rg) u[k] = add_res(u[k], rg, ohw, k, 16);
                            store_u(og, ohw, u[k], k, 16);
                        }
                    } else {
                        UNROLL for (k = 0; k < 4; k++) {
                            if (rg) u[k] = add_res(u[k], rg, ohw, k, nm);
                            store_u(og, ohw, u[k], k, nm);
                        }
                    }
                    if (pk) UNROLL for (k = 0; k < 4; k++) fv = fail_u(fv, u[k], s->uthr[k] + vb, s->usgn[k] + vb, 16 * g + k);
                } else {
                    UNROLL for (j = 0; j < np; j++) {
                        float t[16];
                        int k;
                        _mm512_storeu_ps(t, out_f32(s, aff, r[j][g], vb));
                        for (k = 0; k < nm; k++) {
                            float y = t[k];
                            if (rg) y = y + rg[(size_t)k * ohw + (size_t)j];
                            og[(size_t)k * ohw + (size_t)j] = y;
                            t[k] = y;
                        }
                        if (pk) fails[j] |= fail16(_mm512_loadu_ps(t), s->pthr + vb, s->psgn + vb) << (16 * g);
                    }
                }
            }
            if (pk) {
                const size_t nwm = (size_t)bnn_words(p->M);
                const uint32_t ok = (s->vmask >> (vblk * VW)) & (nv == NV ? 0xFFFFFFFFu : (1u << VW) - 1);
                if (np == 4) { /* lane 4L + j << 4L, then OR the 4 lanes L: pixel j in lane j */
                    fv = _mm512_sllv_epi32(fv, _mm512_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12));
                    fv = _mm512_or_si512(fv, _mm512_shuffle_i32x4(fv, fv, _MM_SHUFFLE(1, 0, 3, 2)));
                    fv = _mm512_or_si512(fv, _mm512_shuffle_i32x4(fv, fv, _MM_SHUFFLE(2, 3, 0, 1)));
                    _mm_storeu_si128((__m128i *)fails, _mm512_castsi512_si128(fv));
                }
                UNROLL for (j = 0; j < np; j++)
                    store_chunk(s->b + (size_t)(q0 + j) * nwm, m0, fails[j] & ok, nv == NV ? BLK : VW);
            }
        } else {
            UNROLL for (j = 0; j < np; j++) {
                bnn_word bits = 0;
                UNROLL for (g = 0; g < ng; g++) {
                    const int vb = vblk * VW + 16 * g;
                    const __m512i thr = _mm512_loadu_si512((const void *)(s->thr + vb));
                    const __mmask16 dp = (__mmask16)(s->dmask >> vb), ok = (__mmask16)(s->vmask >> vb);
                    const __mmask16 lt = _mm512_mask_cmplt_epi32_mask(dp, r[j][g], thr);
                    const __mmask16 gt = _mm512_mask_cmpgt_epi32_mask((__mmask16)(ok & ~dp), r[j][g], thr);
                    bits |= (bnn_word)(unsigned)(((lt | gt) & ok) & (2 * g + 1 < nv ? 0xFFFFu : 0xFFu)) << (16 * g);
                }
                put_bits(c, s, q0 + j, m0, bits);
            }
        }
    }
}

void bnn_bconv_f32__avx512(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                           const int32_t *aux, int oy_begin, int oy_end, float *out)
{
    run(p, in, w, aux, NULL, NULL, NULL, NULL, NULL, NULL, oy_begin, oy_end, out, NULL);
}

void bnn_bconv_affine_f32__avx512(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                  const int32_t *aux, const float *scale, const float *bias,
                                  const float *residual, int oy_begin, int oy_end, float *out)
{
    run(p, in, w, aux, NULL, NULL, scale, bias, residual, NULL, oy_begin, oy_end, out, NULL);
}

void bnn_bconv_bits__avx512(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                            const int32_t *aux, const int32_t *thr, const int8_t *dir,
                            int oy_begin, int oy_end, bnn_word *out)
{
    run(p, in, w, aux, thr, dir, NULL, NULL, NULL, NULL, oy_begin, oy_end, NULL, out);
}

void bnn_bconv_affine_pack__avx512(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                   const int32_t *aux, const float *scale, const float *bias,
                                   const float *residual, const float *thr, const int8_t *dir,
                                   int oy_begin, int oy_end, float *out, bnn_word *bits)
{
    run(p, in, w, aux, NULL, dir, scale, bias, residual, thr, oy_begin, oy_end, out, bits);
}
