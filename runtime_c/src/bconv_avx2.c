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
#include "bnncc/bconv_x86.h"

#include <immintrin.h>

#define VW 4           /* channels per vector */
#define NV 2           /* vectors per channel block */
#define BLK (NV * VW)  /* channels per block (divides 64) */
#define TP 4           /* pixels per tile */
#define FLUSH 31       /* steps a byte accumulator can take (31 * 8 < 256) */
#define ZW 1024        /* words of zeros that out-of-bounds taps read */

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 8")

static const bnn_word zero_words[ZW] = {0};

static int round_up(int x, int m) { return (x + m - 1) / m * m; }

size_t bnn_bconv_weights_size__avx2(const bnn_bconv_params *p)
{
    return (size_t)round_up(p->M, VW) * (size_t)p->KH * (size_t)p->KW * (size_t)bnn_words(p->C);
}

size_t bnn_bconv_aux_size__avx2(const bnn_bconv_params *p)
{
    return (size_t)round_up(p->M, VW) * (size_t)p->KH * (size_t)p->KW;
}

void bnn_bconv_pack_weights__avx2(const bnn_bconv_params *p, const bnn_word *w_portable,
                                    bnn_word *w_out, int32_t *aux)
{
    const size_t nw = (size_t)bnn_words(p->C), T = (size_t)p->KH * (size_t)p->KW;
    const int Mp = round_up(p->M, VW);
    int m;
    size_t t, i;
    for (m = 0; m < Mp; m++) {
        const int b0 = m / BLK * BLK;
        const int bw = Mp - b0 < BLK ? Mp - b0 : BLK;
        for (t = 0; t < T; t++) {
            int pc = 0;
            for (i = 0; i < nw; i++) {
                const bnn_word v = m < p->M ? w_portable[((size_t)m * T + t) * nw + i] : 0;
                w_out[(size_t)b0 * T * nw + (t * nw + i) * (size_t)bw + (size_t)(m - b0)] = v;
                pc += bnn_popcount(v);
            }
            aux[t * (size_t)Mp + (size_t)m] = m < p->M ? p->C - 2 * pc : 0;
        }
    }
}

/* Per-call constants. */
typedef struct {
    const bnn_bconv_params *p;
    const bnn_word *in;
    const int32_t *aux;
    size_t nw;
    int T, Mp, KC;
    int oyi0, oyi1, oxi0, oxi1; /* output pixels whose taps are all in bounds */
} ctx;

/* Output side of a tile: f32 (optionally with the affine) or thresholded bits. */
typedef struct {
    float *f;          /* f32 output (or NULL) */
    bnn_word *b;       /* bits output */
    const int32_t *thr, *dpos, *valid; /* per block: [NV*VW] thresholds, dir>0 masks, m<M masks */
    const float *scale, *bias; /* per block: [NV*VW], zero-padded (scale NULL: plain f32 output) */
    const float *res;  /* residual [M][OH][OW] (or NULL) */
    /* packed output of the affine's y (bnn_bconv_affine_pack__X), per block [NV*VW]: pass =
     * (y ^ sgn) >= thr' with sgn the sign bit where dir <= 0 and thr' = sgn ? -thr : thr (negation
     * is exact, so this is y <= thr there; NaN fails) */
    const float *pthr;
    const int32_t *psgn;
    uint32_t vmask;    /* per block: bit k = channel b0+k is < M */
} sink;

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

/* First input pixel row/col of output pixel q (flattened), and whether it is all in bounds. */
ALWAYS_INLINE void pix(const ctx *c, int q, int *iy0, int *ix0, int *full)
{
    const bnn_bconv_params *p = c->p;
    const int oy = q / p->OW, ox = q - oy * p->OW;
    *iy0 = oy * p->SH - p->PT;
    *ix0 = ox * p->SW - p->PL;
    *full = oy >= c->oyi0 && oy < c->oyi1 && ox >= c->oxi0 && ox < c->oxi1;
}

/* One tile: np pixels q0.. (np <= TP, compile-time), nv vectors (compile-time) of the block
 * whose (tap, word) rows start at wb with row stride ws words; channel m0 = block channel v0*VW.
 * interior: all np pixels in one row and all their taps in bounds. aff: f32 output through the
 * sink's scale/bias/residual (bnn_bconv_affine_f32__X); pk (with aff): that output also packed
 * into the sink's bits (bnn_bconv_affine_pack__X). */
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
    int j, v, kh, kw, steps = 0;
    size_t i0;

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

    if (interior) {
        const size_t pstep = (size_t)p->SW * nw;
        const bnn_word *base = c->in + ((size_t)iy0[0] * (size_t)p->W + (size_t)ix0[0]) * nw;
        const bnn_word *wr = wb;
        /* with DW == 1 the taps of one kernel row read KW*nw consecutive words (as do the weights) */
        const size_t seg = p->DW == 1 ? (size_t)p->KW * nw : nw;
        const int nseg = p->DW == 1 ? 1 : p->KW;
        for (kh = 0; kh < p->KH; kh++) {
            const bnn_word *xr = base + (size_t)kh * (size_t)p->DH * (size_t)p->W * nw;
            for (kw = 0; kw < nseg; kw++) {
                const bnn_word *x = xr + (size_t)kw * (size_t)p->DW * nw;
                size_t i;
                for (i = 0; i < seg; i++) STEP(x[(size_t)j * pstep + i]);
            }
        }
    } else {
        for (i0 = 0; i0 < nw; i0 += ZW) {
            const size_t n = nw - i0 < ZW ? nw - i0 : ZW;
            for (kh = 0; kh < p->KH; kh++) {
                for (kw = 0; kw < p->KW; kw++) {
                    const bnn_word *x[TP];
                    const bnn_word *wr = wb + (((size_t)kh * (size_t)p->KW + (size_t)kw) * nw + i0) * ws;
                    size_t i;
                    UNROLL for (j = 0; j < np; j++) {
                        const int iy = iy0[j] + kh * p->DH, ix = ix0[j] + kw * p->DW;
                        x[j] = (unsigned)iy < (unsigned)p->H && (unsigned)ix < (unsigned)p->W
                                   ? c->in + ((size_t)iy * (size_t)p->W + (size_t)ix) * nw + i0
                                   : zero_words;
                    }
                    for (i = 0; i < n; i++) STEP(x[j][i]);
                }
            }
        }
    }
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
                __m128i corr[NV];
                UNROLL for (v = 0; v < nv; v++) corr[v] = _mm_setzero_si128();
                for (kh = 0; kh < p->KH; kh++) {
                    const int iy = iy0[j] + kh * p->DH;
                    for (kw = 0; kw < p->KW; kw++) {
                        const int ix = ix0[j] + kw * p->DW;
                        if ((unsigned)iy >= (unsigned)p->H || (unsigned)ix >= (unsigned)p->W) {
                            const int32_t *a = c->aux + (size_t)(kh * p->KW + kw) * (size_t)c->Mp + (size_t)m0;
                            UNROLL for (v = 0; v < nv; v++)
                                corr[v] = _mm_add_epi32(corr[v], _mm_loadu_si128((const __m128i *)(a + v * VW)));
                        }
                    }
                }
                UNROLL for (v = 0; v < nv; v++) {
                    if (p->pad_bit == 1) corr[v] = _mm_add_epi32(corr[v], corr[v]);
                    r[j][v] = _mm_sub_epi32(r[j][v], corr[v]);
                }
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
            const size_t nwm = (size_t)bnn_words(p->M);
            const int sh = m0 % BNN_WORD_BITS;
            bnn_word *o = s->b + (size_t)q0 * nwm + (size_t)(m0 / BNN_WORD_BITS);
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
                if (sh == 0)
                    o[(size_t)j * nwm] = bits;
                else
                    o[(size_t)j * nwm] |= bits << sh;
            }
        }
    }
}

/* All pixels of [q_begin, q_end) for nv vectors of one block. */
ALWAYS_INLINE void block(const ctx *c, const sink *s, int q_begin, int q_end, const int nv, const int aff,
                         const int pk, const bnn_word *wb, size_t ws, int m0, int vblk)
{
    const bnn_bconv_params *p = c->p;
    int q = q_begin;
    for (; q + TP <= q_end; q += TP) {
        const int oy = q / p->OW, ox = q - oy * p->OW;
        if (ox + TP <= p->OW && oy >= c->oyi0 && oy < c->oyi1 && ox >= c->oxi0 && ox + TP <= c->oxi1)
            tile(c, s, q, TP, nv, 1, aff, pk, wb, ws, m0, vblk);
        else
            tile(c, s, q, TP, nv, 0, aff, pk, wb, ws, m0, vblk);
    }
    for (; q < q_end; q++) tile(c, s, q, 1, nv, 0, aff, pk, wb, ws, m0, vblk);
}

/* fout only: f32; bout only: bits (thr int32); scale: the affine on fout, and with bout too its
 * packed output (pthr float). */
static void run(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, const int32_t *aux,
                const int32_t *thr, const int8_t *dir, const float *scale, const float *bias, const float *res,
                const float *pthr, int oy_begin, int oy_end, float *fout, bnn_word *bout)
{
    ctx c;
    sink s;
    int b0, lo, hi;
    int32_t tthr[BLK], tdp[BLK], tok[BLK], fsgn[BLK];
    float tscale[BLK], tbias[BLK], fthr[BLK];
    const int pk = scale && bout;
    const int q_begin = (oy_begin < 0 ? 0 : oy_begin) * p->OW;
    const int q_end = (oy_end > p->OH ? p->OH : oy_end) * p->OW;
    if (q_begin >= q_end) return;

    c.p = p;
    c.in = in;
    c.aux = aux;
    c.nw = (size_t)bnn_words(p->C);
    c.T = p->KH * p->KW;
    c.Mp = round_up(p->M, VW);
    c.KC = c.T * p->C;
    /* output pixels with every tap in bounds: iy0 >= 0 and iy0 + (KH-1)*DH < H */
    bnn_tap_range(-p->PT, p->SH, p->H - (p->KH - 1) * p->DH, p->OH, &lo, &hi);
    c.oyi0 = lo;
    c.oyi1 = hi;
    bnn_tap_range(-p->PL, p->SW, p->W - (p->KW - 1) * p->DW, p->OW, &lo, &hi);
    c.oxi0 = lo;
    c.oxi1 = hi;
    if (p->H - (p->KH - 1) * p->DH <= 0) c.oyi0 = c.oyi1 = 0;
    if (p->W - (p->KW - 1) * p->DW <= 0) c.oxi0 = c.oxi1 = 0;

    s.f = fout;
    s.b = bout;
    s.thr = tthr;
    s.dpos = tdp;
    s.valid = tok;
    s.scale = scale ? tscale : NULL;
    s.bias = tbias;
    s.res = scale ? res : NULL;
    s.pthr = fthr;
    s.psgn = fsgn;
    s.vmask = 0;

    for (b0 = 0; b0 < c.Mp; b0 += BLK) {
        const int bw = c.Mp - b0 < BLK ? c.Mp - b0 : BLK;
        const bnn_word *wb = w + (size_t)b0 * (size_t)c.T * c.nw;
        if (bout) {
            int k;
            s.vmask = 0;
            for (k = 0; k < bw; k++) {
                const int m = b0 + k;
                tthr[k] = m < p->M && !pk ? thr[m] : 0;
                tdp[k] = m < p->M && dir[m] > 0 ? -1 : 0;
                tok[k] = m < p->M ? -1 : 0;
                fsgn[k] = m < p->M && pk && dir[m] <= 0 ? INT32_MIN : 0;
                fthr[k] = m < p->M && pk ? (fsgn[k] ? -pthr[m] : pthr[m]) : 0.0f;
                if (m < p->M) s.vmask |= 1u << k;
            }
        }
        if (scale) {
            int k;
            for (k = 0; k < bw; k++) {
                const int m = b0 + k;
                tscale[k] = m < p->M ? scale[m] : 0.0f;
                tbias[k] = m < p->M ? bias[m] : 0.0f;
            }
        }
        /* the affine output stage (and its packing) are compile-time variants: the other kernels
         * keep their code */
        if (bw == BLK && pk) {
            block(&c, &s, q_begin, q_end, NV, 1, 1, wb, BLK, b0, 0);
        } else if (bw == BLK && scale) {
            block(&c, &s, q_begin, q_end, NV, 1, 0, wb, BLK, b0, 0);
        } else if (bw == BLK) {
            block(&c, &s, q_begin, q_end, NV, 0, 0, wb, BLK, b0, 0);
        } else {
            int v;
            for (v = 0; v < bw / VW; v++)
                block(&c, &s, q_begin, q_end, 1, scale != NULL, pk, wb + v * VW, (size_t)bw, b0 + v * VW, v);
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
