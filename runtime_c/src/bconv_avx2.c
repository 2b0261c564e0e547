/* bnncc runtime: binary convolution for AVX2 (layout: bconv_x86.h).
 * Build flags: -mavx2 -mfma -mpopcnt
 *
 * Vectorized along output channels: one ymm holds the weight words of 4 output channels for one
 * (tap, input word); an input word is broadcast and xor-popcounted against them into a register
 * tile of TP output pixels x NV channel vectors. Popcount: vpshufb nibble table (Mula et al.),
 * summed in byte accumulators (<= 8 per step, flushed with vpsadbw every 31 steps). Output channels are the
 * outer loop (a block's weights stay in L1), pixels of [oy_begin, oy_end) the inner one, taken
 * TP at a time in row-major order (a tile may span two rows). Out-of-bounds taps read zero words;
 * the aux table corrects them for BNN_PAD_ZERO / pad_bit 1.
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
#define SINK_W BLK     /* entries of each per-block table of the sink */

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")

/* Output side of a tile: f32 (optionally with the affine) or thresholded bits. */
struct sink {
    float *f;          /* f32 output (or NULL) */
    bnn_word *b;       /* bits output */
    int32_t thr[BLK], dpos[BLK], valid[BLK]; /* per block: thresholds, dir>0 masks, m<M masks */
    float scale[BLK], bias[BLK]; /* per block, zero-padded (read only by the affine variants) */
    const float *res;  /* residual [M][OH][OW] (or NULL) */
    /* packed output of the affine's y (bnn_bconv_affine_pack__X), per block: pass =
     * (y ^ sgn) >= thr' with sgn the sign bit where dir <= 0 and thr' = sgn ? -thr : thr (negation
     * is exact, so this is y <= thr there; NaN fails) */
    float pthr[BLK];
    int32_t psgn[BLK];
    uint32_t vmask;    /* per block: bit k = channel b0+k is < M */
};

/* the public declarations, then the ISA-independent code (bconv_x86_common.h) over the
 * parameters and the sink above; it calls the hooks defined below (tile, sink_bits_block) */
#define BNN_BCONV_X86_IMPL
#include "bnncc/bconv_x86.h"

size_t bnn_bconv_weights_size__avx2(const bnn_bconv_params *p) { return bconv_weights_size(p); }

size_t bnn_bconv_aux_size__avx2(const bnn_bconv_params *p) { return bconv_aux_size(p); }

void bnn_bconv_pack_weights__avx2(const bnn_bconv_params *p, const bnn_word *w_portable,
                                  bnn_word *w_out, int32_t *aux)
{
    bconv_pack_weights(p, w_portable, w_out, aux);
}

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
}

/* Float output of one pixel's 4 channels (block channels vb..vb+3): (float)r, then * scale + bias
 * when the sink has them, each rounded on its own (no FMA: -ffp-contract=off). */
ALWAYS_INLINE __m128 out_f32(const sink *s, const int aff, __m128i r, int vb)
{
    __m128 a = _mm_cvtepi32_ps(r);
    if (aff) {
        a = _mm_mul_ps(a, _mm_loadu_ps(s->scale + vb));
        a = _mm_add_ps(a, _mm_loadu_ps(s->bias + vb));
    }
    return a;
}

/* Store 4 pixels of one channel, plus the residual's 4 pixels at the same offset when present;
 * returns what it stored. */
ALWAYS_INLINE __m128 store4(float *o, __m128 v, const float *res)
{
    if (res) v = _mm_add_ps(v, _mm_loadu_ps(res));
    _mm_storeu_ps(o, v);
    return v;
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

/* The tile hook (contract: bconv_x86_common.h): vpshufb popcount into byte accumulators. */
ALWAYS_INLINE void tile(const ctx *c, const sink *s, int q0, const int np, const int nv, const int interior,
                        const int aff, const int pk, const bnn_word *wb, size_t ws, int m0, int vblk)
{
    const bnn_bconv_params *p = c->p;
    const size_t nw = c->nw;
    __m256i acc[TP][NV], accb[TP][NV];
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    int iy0[TP], ix0[TP], full[TP];
    int j, v, steps = 0;

    UNROLL for (j = 0; j < np; j++) {
        UNROLL for (v = 0; v < nv; v++) acc[j][v] = accb[j][v] = _mm256_setzero_si256();
        pix(c, q0 + j, &iy0[j], &ix0[j], &full[j]);
    }

/* one (tap, word) step: weights at wr, input word of pixel j is X(j) */
#define STEP(X)                                                                                       \
    do {                                                                                              \
        __m256i w_[NV];                                                                               \
        UNROLL for (v = 0; v < nv; v++) w_[v] = _mm256_loadu_si256((const __m256i *)(wr + v * VW));   \
        UNROLL for (j = 0; j < np; j++) {                                                             \
            const __m256i xb_ = _mm256_set1_epi64x((long long)(X));                                   \
            UNROLL for (v = 0; v < nv; v++) {                                                         \
                const __m256i y_ = _mm256_xor_si256(xb_, w_[v]);                                      \
                const __m256i lo_ = _mm256_and_si256(y_, low4);                                       \
                const __m256i hi_ = _mm256_and_si256(_mm256_srli_epi16(y_, 4), low4);                 \
                accb[j][v] = _mm256_add_epi8(accb[j][v], _mm256_shuffle_epi8(lut, lo_));              \
                accb[j][v] = _mm256_add_epi8(accb[j][v], _mm256_shuffle_epi8(lut, hi_));              \
            }                                                                                         \
        }                                                                                             \
        wr += ws;                                                                                     \
        if (++steps == FLUSH) {                                                                       \
            UNROLL for (j = 0; j < np; j++) UNROLL for (v = 0; v < nv; v++) {                         \
                acc[j][v] = _mm256_add_epi64(acc[j][v], _mm256_sad_epu8(accb[j][v], _mm256_setzero_si256())); \
                accb[j][v] = _mm256_setzero_si256();                                                  \
            }                                                                                         \
            steps = 0;                                                                                \
        }                                                                                             \
    } while (0)

    BCONV_TAPS(STEP);
#undef STEP
    UNROLL for (j = 0; j < np; j++) UNROLL for (v = 0; v < nv; v++)
        acc[j][v] = _mm256_add_epi64(acc[j][v], _mm256_sad_epu8(accb[j][v], _mm256_setzero_si256()));

    {
        /* acc = T*C - 2*P (pad_bit 0 semantics), then the padding correction */
        __m128i r[TP][NV];
        const __m128i kc = _mm_set1_epi32(c->KC);
        const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
        UNROLL for (j = 0; j < np; j++) {
            UNROLL for (v = 0; v < nv; v++) {
                const __m128i pc = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(acc[j][v], even));
                r[j][v] = _mm_sub_epi32(kc, _mm_add_epi32(pc, pc));
            }
            if (p->pad_bit != 0 && !full[j]) {
                int32_t corr[BLK];
                pad_corr(c, iy0[j], ix0[j], m0, nv * VW, corr);
                UNROLL for (v = 0; v < nv; v++)
                    r[j][v] = _mm_sub_epi32(r[j][v], _mm_loadu_si128((const __m128i *)(corr + v * VW)));
            }
        }

        if (s->f) {
            const size_t ohw = (size_t)p->OH * (size_t)p->OW;
            const size_t off = (size_t)m0 * ohw + (size_t)q0;
            uint32_t fails[TP]; /* pk: NOT pass of the block's channels, per pixel */
            UNROLL for (j = 0; j < np; j++) fails[j] = 0;
            UNROLL for (v = 0; v < nv; v++) {
                const int nm = p->M - (m0 + v * VW), vb = (vblk + v) * VW;
                const size_t ov = off + (size_t)(v * VW) * ohw;
                float *o = s->f + ov;
                const float *rv = aff && s->res ? s->res + ov : NULL;
                if (np == 4) {
                    __m128 a0 = out_f32(s, aff, r[0][v], vb), a1 = out_f32(s, aff, r[1 % np][v], vb);
                    __m128 a2 = out_f32(s, aff, r[2 % np][v], vb), a3 = out_f32(s, aff, r[3 % np][v], vb);
                    _MM_TRANSPOSE4_PS(a0, a1, a2, a3);
                    a0 = store4(o, a0, rv);
                    if (nm > 1) a1 = store4(o + ohw, a1, rv ? rv + ohw : NULL);
                    if (nm > 2) a2 = store4(o + 2 * ohw, a2, rv ? rv + 2 * ohw : NULL);
                    if (nm > 3) a3 = store4(o + 3 * ohw, a3, rv ? rv + 3 * ohw : NULL);
                    if (pk) {
                        /* x bit 4c + j: channel c, pixel j -> bit 4j + c (swap index bits 0,1 with 2,3) */
                        const float *th = s->pthr + vb;
                        const int32_t *sg = s->psgn + vb;
                        unsigned x = fail4(a0, _mm_set1_ps(th[0]), _mm_set1_epi32(sg[0]));
                        unsigned t;
                        x |= fail4(a1, _mm_set1_ps(th[1]), _mm_set1_epi32(sg[1])) << 4;
                        x |= fail4(a2, _mm_set1_ps(th[2]), _mm_set1_epi32(sg[2])) << 8;
                        x |= fail4(a3, _mm_set1_ps(th[3]), _mm_set1_epi32(sg[3])) << 12;
                        t = ((x >> 3) ^ x) & 0x0A0Au;
                        x ^= t ^ (t << 3);
                        t = ((x >> 6) ^ x) & 0x00CCu;
                        x ^= t ^ (t << 6);
                        UNROLL for (j = 0; j < np; j++) fails[j] |= ((x >> (4 * j)) & 0xFu) << (v * VW);
                    }
                } else {
                    UNROLL for (j = 0; j < np; j++) {
                        float t[VW];
                        int k;
                        _mm_storeu_ps(t, out_f32(s, aff, r[j][v], vb));
                        for (k = 0; k < VW && k < nm; k++) {
                            float y = t[k];
                            if (rv) y = y + rv[(size_t)k * ohw + (size_t)j];
                            o[(size_t)k * ohw + (size_t)j] = y;
                            t[k] = y;
                        }
                        if (pk)
                            fails[j] |= fail4(_mm_loadu_ps(t), _mm_loadu_ps(s->pthr + vb),
                                              _mm_loadu_si128((const __m128i *)(s->psgn + vb))) << (v * VW);
                    }
                }
            }
            if (pk) {
                /* nv == 1 only for a last block of 4 channels: its chunk still starts at a multiple of 8 */
                const size_t nwm = (size_t)bnn_words(p->M);
                const uint32_t ok = (s->vmask >> (vblk * VW)) & ((1u << (nv * VW)) - 1);
                UNROLL for (j = 0; j < np; j++) store_chunk(s->b + (size_t)(q0 + j) * nwm, m0, fails[j] & ok);
            }
        } else {
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
    }
}

void bnn_bconv_f32__avx2(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                         const int32_t *aux, int oy_begin, int oy_end, float *out)
{
    run(p, in, w, aux, NULL, NULL, NULL, NULL, NULL, NULL, oy_begin, oy_end, out, NULL);
}

void bnn_bconv_affine_f32__avx2(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                const int32_t *aux, const float *scale, const float *bias,
                                const float *residual, int oy_begin, int oy_end, float *out)
{
    run(p, in, w, aux, NULL, NULL, scale, bias, residual, NULL, oy_begin, oy_end, out, NULL);
}

void bnn_bconv_bits__avx2(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                          const int32_t *aux, const int32_t *thr, const int8_t *dir,
                          int oy_begin, int oy_end, bnn_word *out)
{
    run(p, in, w, aux, thr, dir, NULL, NULL, NULL, NULL, oy_begin, oy_end, NULL, out);
}

void bnn_bconv_affine_pack__avx2(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                 const int32_t *aux, const float *scale, const float *bias,
                                 const float *residual, const float *thr, const int8_t *dir,
                                 int oy_begin, int oy_end, float *out, bnn_word *bits)
{
    run(p, in, w, aux, NULL, dir, scale, bias, residual, thr, oy_begin, oy_end, out, bits);
}
