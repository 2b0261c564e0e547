/* bnncc runtime: binary convolution for AVX-512 F/BW/VPOPCNTDQ (layout: bconv_blocked.h).
 * Build flags: -mavx512f -mavx512bw -mavx512vpopcntdq -mavx2 -mfma -mpopcnt
 *
 * Two schemes, the same xor + popcount + add per 512 binary MACs in the inner loop.
 *
 * Channel tiles (any shape): vectorized along output channels: one zmm holds the weight words of
 * 8 output channels for one (tap, input word); an input word is broadcast and xor-popcount-added
 * into a register tile of TP output pixels x NV channel vectors (4 x 4 = 16 zmm accumulators).
 * Output channels are the outer loop (a block's weights stay in L1), pixels of [oy_begin, oy_end)
 * the inner one, taken TP at a time in row-major order (a tile may span two rows). Out-of-bounds
 * taps read zero words; the aux table corrects them for BNN_PAD_ZERO / pad_bit 1.
 *
 * Pixel tiles (run_hook: the f32 kernels, 3x3 kernels without dilation, rows of >= 16 outputs,
 * even C, whole blocks of channels; Bi-Real-18's 56x56 and 28x28 layers): with 1 or 2 words per
 * input pixel (K = 576 or 1152 bits per output) the channel tiles' output stage (qword -> int32
 * packing, 4x4 transposes, residual loads and stores of 4 floats per channel) costs as much as a
 * third of the popcounts. Here one zmm holds the int32 counts of 16 consecutive output pixels
 * (row-major, a tile may span two rows) of one channel: the input words are split into their 32-bit
 * halves, and vpopcntd of (16 pixels' low halves) xor (channel's low half, broadcast), plus the same
 * for the high halves, adds one word's count into each pixel's lane. The output stage then works in
 * the output's own layout: per channel one cvt, the affine, one 16-float residual load and store,
 * and the packed bits from one compare. Input rows are copied into a ring, zero-padded (or with the
 * pad pixel of pad_bit 0 / 1: no correction), split into halves and stride phases, so that a tap of
 * a tile is one contiguous load (two for a tile that spans two rows). BNN_PAD_ZERO border taps are
 * masked out of the sums per lane, and the count of in-bounds taps replaces K.
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
#define ISA_ENTRY(name) name##__avx512 /* public names: name__avx512 */

/* Output side of a tile: f32 (optionally with the affine) or thresholded bits. */
struct sink {
    float *f;          /* f32 output (or NULL) */
    bnn_word *b;       /* bits output */
    int32_t thr[SINK_W]; /* per block: thresholds of its channels (zero-padded to BLK + 16) */
    uint32_t dmask, vmask; /* per block: bit k = channel b0+k has dir > 0 / is < M */
    float scale[SINK_W], bias[SINK_W]; /* per block, zero-padded (read only by the affine variants) */
    float scale2[SINK_W], bias2[SINK_W]; /* the same for the second stage (bnn_affine_stage) */
    const float *res, *res2; /* residual and second residual [M][OH][OW] (or NULL) */
    /* packed output of the affine's y (bnn_bconv_affine_pack__X), per block, zero-padded to BLK + 16:
     * pass = (y ^ sgn) >= thr' with sgn the sign bit where dir <= 0 and thr' = sgn ? -thr : thr
     * (negation is exact, so this is y <= thr there; NaN fails). pthr/psgn: channel k at k;
     * uthr[c]/usgn[c]: the 4x4-transposed layout of the f32 store (element i = channel 4*(i/4) + c). */
    float pthr[SINK_W];
    float uthr[4][SINK_W];
    int32_t psgn[SINK_W];
    int32_t usgn[4][SINK_W];
};

/* the public declarations, then the ISA-independent code (bconv_blocked_impl.h) over the
 * parameters and the sink above; it calls the hooks defined below (tile, sink_bits_block) */
#define BNN_BCONV_BLOCKED_IMPL
#define BCONV_RUN_HOOK
#include "bnncc/bconv_blocked.h"

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

/* The second affine stage (bnn_affine_stage) on u of add_res's layout: u * scale2 + bias2 of the
 * block channels vb + c + 4L in lane L, each rounded, then + the second residual (r2, or NULL). */
ALWAYS_INLINE __m512 stage2_u(const sink *s, __m512 u, const float *r2, size_t ohw, int vb, int c, int n)
{
    const __m512i ch = _mm512_add_epi32(_mm512_set1_epi32(c), _mm512_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12));
    u = _mm512_mul_ps(u, _mm512_permutexvar_ps(ch, _mm512_loadu_ps(s->scale2 + vb)));
    u = _mm512_add_ps(u, _mm512_permutexvar_ps(ch, _mm512_loadu_ps(s->bias2 + vb)));
    return r2 ? add_res(u, r2, ohw, c, n) : u;
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

/* The tile hook (contract: bconv_blocked_impl.h): vpopcntq into 64-bit accumulators. */
ALWAYS_INLINE void tile(const ctx *c, const sink *s, int q0, const int np, const int nv, const int interior,
                        const int aff, const int pk, const bnn_word *wb, size_t ws, int m0, int vblk)
{
    const bnn_bconv_params *p = c->p;
    const size_t nw = c->nw;
    __m512i acc[TP][NV];
    int iy0[TP], ix0[TP], full[TP];
    int j, v;

    /* Prefetch of the next block's weights: a block's weights stay in L1 after its first tile, but
     * in a whole network they come cold from L3 (the model's constants outgrow L2), and the first
     * tile of each block waited for them (Bi-Real-18's 7x7 layers: 288 KiB of weights per layer).
     * Each step of a tile touches one line of the next block at the same (tap, word), vector
     * (tile index) % NV, so the first NV tiles of a block request all of it, a block ahead. Into
     * L2 (T1), not L1, which holds the current block: T0 measured the same, and with large C the
     * two blocks would not fit L1. pf: the byte offset from wr (full blocks; a partial next block
     * is laid out narrower and only partly covered), 0 (a line in L1, and no branch in the loop)
     * when there is no next block. Integer arithmetic: the address may lie past the array. */
    const uintptr_t pf = nv == NV && m0 + BLK < c->Mp
        ? ((uintptr_t)c->T * nw * ws + (uintptr_t)(q0 / TP % NV * VW)) * sizeof(bnn_word) : 0;

    tile_pixels(c, q0, np, iy0, ix0, full);
    UNROLL for (j = 0; j < np; j++) UNROLL for (v = 0; v < nv; v++) acc[j][v] = _mm512_setzero_si512();

/* one (tap, word) step: weights at wr, input word of pixel j is X(j) */
#define STEP(X)                                                                                       \
    do {                                                                                              \
        __m512i w_[NV];                                                                               \
        _mm_prefetch((const char *)((uintptr_t)wr + pf), _MM_HINT_T1);                                \
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
                const float *rg2 = aff == 2 && s->res2 ? s->res2 + off + (size_t)(16 * g) * ohw : NULL;
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
                            if (aff == 2) u[k] = stage2_u(s, u[k], rg2, ohw, vb, k, 16);
                            store_u(og, ohw, u[k], k, 16);
                        }
                    } else {
                        UNROLL for (k = 0; k < 4; k++) {
                            if (rg) u[k] = add_res(u[k], rg, ohw, k, nm);
                            if (aff == 2) u[k] = stage2_u(s, u[k], rg2, ohw, vb, k, nm);
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
                            if (aff == 2) y = sink_stage2(s, vb + k, y, rg2 ? rg2 + (size_t)k * ohw + (size_t)j : NULL);
                            og[(size_t)k * ohw + (size_t)j] = y;
                            t[k] = y;
                        }
                        if (pk) fails[j] |= fail16(_mm512_loadu_ps(t), s->pthr + vb, s->psgn + vb) << (16 * g);
                    }
                }
            }
            if (pk) {
                const size_t os = bnn_out_stride(p);
                const uint32_t ok = (s->vmask >> (vblk * VW)) & (nv == NV ? 0xFFFFFFFFu : (1u << VW) - 1);
                if (np == 4) { /* lane 4L + j << 4L, then OR the 4 lanes L: pixel j in lane j */
                    fv = _mm512_sllv_epi32(fv, _mm512_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12));
                    fv = _mm512_or_si512(fv, _mm512_shuffle_i32x4(fv, fv, _MM_SHUFFLE(1, 0, 3, 2)));
                    fv = _mm512_or_si512(fv, _mm512_shuffle_i32x4(fv, fv, _MM_SHUFFLE(2, 3, 0, 1)));
                    _mm_storeu_si128((__m128i *)fails, _mm512_castsi512_si128(fv));
                }
                UNROLL for (j = 0; j < np; j++)
                    store_chunk(s->b + (size_t)(q0 + j) * os, m0, fails[j] & ok, nv == NV ? BLK : VW);
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

/* ---- pixel tiles (run_hook; see the top of the file) */

#define PX 16      /* pixels per tile: the int32 lanes of a zmm */
#define NR 8       /* input rows in the ring (a power of two, >= SH + 3) */
#define RING 4096  /* dwords of the ring */
#define MPV 512    /* most output channels (the packing's per-channel tables are on the stack) */
#define UNROLL16 _Pragma("GCC unroll 16")

/* The input rows that tiles read, padded (input column ix at padded column ix + PL; out-of-bounds
 * columns and rows hold the pad pixel: pad_bit 0: +1s, 1: -1s, BNN_PAD_ZERO: any), each word split
 * into its 32-bit halves, each half row into its SW stride phases. Ring row slot(iy) holds, for
 * word i and half hf, the run of `len` dwords from dword (2 * i + hf) * len: a PX margin (the second
 * segment's loads of a tile that spans two rows start up to PX - 1 entries early), then phase ph's
 * L entries from PX + ph * L, entry k being padded column k * SW + ph. So the words of tap (kh, kw)
 * of PX consecutive output pixels of a row are PX consecutive dwords, from entry ox + kw / SW of
 * phase kw % SW. */
typedef struct {
    uint32_t h[RING];
    int L, len, row;   /* entries per phase (OW + PX), dwords per half row, per ring row */
    int next;          /* first input row not yet copied */
} ring;

/* The output side: y (with the affine when scale, and the residual res) and, with b, its packing
 * with the thresholds thr / sign flips sgn of the sink's pthr / psgn, per channel. */
typedef struct {
    float *f;
    const float *scale, *bias, *res;
    const float *scale2, *bias2, *res2; /* the second stage (aff == 2) */
    bnn_word *b;
    float thr[MPV];
    int32_t sgn[MPV];
} pvout;

/* The ring row of input row iy */
static int slot(int iy) { return (int)((unsigned)iy & (NR - 1)); }

/* The ring geometry for p, and whether pixel tiles apply: 3x3 kernel, no dilation, rows of >= PX
 * outputs, even C (see out_pv), whole blocks of output channels. */
static int ring_geometry(const ctx *c, ring *rg)
{
    const bnn_bconv_params *p = c->p;
    if (c->nw > RING / (2 * NR * PX) || p->OW > RING) return 0;
    rg->L = p->OW + PX;
    rg->len = PX + p->SW * rg->L;
    rg->row = 2 * (int)c->nw * rg->len;
    return p->C % 2 == 0 && p->KH == 3 && p->KW == 3 && p->DH == 1 && p->DW == 1 && p->SW >= 1 && p->SW <= 2 &&
           p->SH >= 1 && p->SH + 3 <= NR && p->OW >= PX && p->M % BLK == 0 && p->M <= MPV && NR * rg->row <= RING;
}

/* Copy input row iy into the ring (sw: SW, compile-time). */
ALWAYS_INLINE void ring_row(const ctx *c, ring *rg, int iy, const int sw)
{
    const bnn_bconv_params *p = c->p;
    const int nw = (int)c->nw, inb = iy >= 0 && iy < p->H;
    const bnn_word *row = inb ? c->in + (size_t)iy * (size_t)p->W * c->ps : c->in;
    int i, ph;
    for (i = 0; i < nw; i++)
        for (ph = 0; ph < sw; ph++) {
            /* the pad pixel's word i: -1s are the C bits of the pixel (tail bits 0) */
            const int nb = i + 1 < nw || p->C % BNN_WORD_BITS == 0 ? BNN_WORD_BITS : p->C % BNN_WORD_BITS;
            const bnn_word pad = p->pad_bit != 1 ? 0 : nb == BNN_WORD_BITS ? ~(bnn_word)0 : ((bnn_word)1 << nb) - 1;
            const uint32_t plo = (uint32_t)pad, phi = (uint32_t)(pad >> 32);
            uint32_t *lo = rg->h + slot(iy) * rg->row + 2 * i * rg->len + PX + ph * rg->L, *hi = lo + rg->len;
            /* entries [k0, k1) hold input columns k * sw + ph - PL in [0, W) */
            int k0 = 0, k1 = 0, k;
            if (inb) {
                k0 = (p->PL - ph + sw - 1) / sw;
                k1 = (p->W + p->PL - ph + sw - 1) / sw;
                k0 = k0 < 0 ? 0 : k0 > rg->L ? rg->L : k0;
                k1 = k1 < k0 ? k0 : k1 > rg->L ? rg->L : k1;
            }
            for (k = 0; k < k0; k++) lo[k] = plo, hi[k] = phi;
            for (k = k0; k < k1; k++) {
                const bnn_word w = row[(size_t)(k * sw + ph - p->PL) * c->ps + (size_t)i];
                lo[k] = (uint32_t)w;
                hi[k] = (uint32_t)(w >> 32);
            }
            for (k = k1; k < rg->L; k++) lo[k] = plo, hi[k] = phi;
        }
}

/* lanes [a, b) of a tile (empty when b <= a) */
static __mmask16 lanes(int a, int b) { return b > a ? (__mmask16)((1u << b) - (1u << a)) : 0; }

/* acc[k] = half - (sum over the taps and words of popcount(input word ^ weight word of channel k)),
 * per lane (pixel), for the 16 channels whose weight words start at w16 (rows of BLK words, per
 * tap and word). xa[t]: ring offset of lane 0 of tap t (word 0, low halves); kb: the lanes that
 * come from the next output row (from ring offset xb[t] + lane), 0 when the tile is within one
 * row. masked: only lanes of km[t] count tap t. */
ALWAYS_INLINE void acc_pv(const ring *rg, int nw, const int *xa, const int *xb, __mmask16 kb, const int masked,
                          const __mmask16 *km, const bnn_word *w16, __m512i half, __m512i acc[16])
{
    const unsigned char *wt = (const unsigned char *)w16;
    int t, i, k;
    UNROLL16 for (k = 0; k < 16; k++) acc[k] = half;
    _Pragma("GCC unroll 1") for (t = 0; t < 9; t++) {
        _Pragma("GCC unroll 1") for (i = 0; i < nw; i++, wt += BLK * sizeof(bnn_word)) {
            const uint32_t *pa = rg->h + xa[t] + 2 * i * rg->len;
            __m512i xl = _mm512_loadu_si512((const void *)pa), xh = _mm512_loadu_si512((const void *)(pa + rg->len));
            if (kb) {
                const uint32_t *pb = rg->h + xb[t] + 2 * i * rg->len;
                xl = _mm512_mask_loadu_epi32(xl, kb, (const void *)pb);
                xh = _mm512_mask_loadu_epi32(xh, kb, (const void *)(pb + rg->len));
            }
            UNROLL16 for (k = 0; k < 16; k++) {
                int32_t wl, wh;
                __m512i n;
                __builtin_memcpy(&wl, wt + 8 * k, 4); /* the low and high halves of channel k's word */
                __builtin_memcpy(&wh, wt + 8 * k + 4, 4);
                n = _mm512_add_epi32(_mm512_popcnt_epi32(_mm512_xor_si512(xl, _mm512_set1_epi32(wl))),
                                     _mm512_popcnt_epi32(_mm512_xor_si512(xh, _mm512_set1_epi32(wh))));
                acc[k] = masked ? _mm512_mask_sub_epi32(acc[k], km[t], acc[k], n) : _mm512_sub_epi32(acc[k], n);
            }
        }
    }
}

/* Prefetch a channel's floats two tiles ahead (x + 2 * PX; one tile ahead measured slower): a tile
 * reads and writes one line in each of M planes, more streams than the hardware prefetchers follow.
 * Integer arithmetic: the address may lie past the end of the array. (Inline: as a function gcc
 * finds it free of side effects and drops the calls.) */
ALWAYS_INLINE void prefetch_ahead(const float *x)
{
    _mm_prefetch((const char *)((uintptr_t)x + 2 * PX * sizeof(float)), _MM_HINT_T0);
}

/* The output stage of the 16 channels m.. of a tile of np pixels from q0, acc from acc_pv with
 * half = kc / 2 (kc is even: C is): r = kc - 2*P = 2*acc, y (affine, residual) in place; returns fv
 * with, for pk, the NOT pass bits of channel m + k in bit b + k of lane j (pixel). full: np == PX. */
ALWAYS_INLINE __m512i out_pv(const ctx *c, const pvout *o, int q0, int np, int m, int b, const int full,
                             const int aff, const int pk, const __m512i *acc, __m512i fv)
{
    const bnn_bconv_params *p = c->p;
    const size_t ohw = (size_t)p->OH * (size_t)p->OW;
    const __mmask16 kl = lanes(0, np);
    int k;
    UNROLL16 for (k = 0; k < 16; k++) {
        const size_t off = (size_t)(m + k) * ohw + (size_t)q0;
        __m512 y = _mm512_cvtepi32_ps(_mm512_add_epi32(acc[k], acc[k]));
        if (aff) {
            y = _mm512_mul_ps(y, _mm512_set1_ps(o->scale[m + k]));
            y = _mm512_add_ps(y, _mm512_set1_ps(o->bias[m + k]));
            if (o->res) {
                y = _mm512_add_ps(y, full ? _mm512_loadu_ps(o->res + off) : _mm512_maskz_loadu_ps(kl, o->res + off));
                prefetch_ahead(o->res + off);
            }
        }
        if (aff == 2) {
            y = _mm512_mul_ps(y, _mm512_set1_ps(o->scale2[m + k]));
            y = _mm512_add_ps(y, _mm512_set1_ps(o->bias2[m + k]));
            if (o->res2) {
                y = _mm512_add_ps(y, full ? _mm512_loadu_ps(o->res2 + off) : _mm512_maskz_loadu_ps(kl, o->res2 + off));
                prefetch_ahead(o->res2 + off);
            }
        }
        prefetch_ahead(o->f + off);
        if (full) _mm512_storeu_ps(o->f + off, y);
        else _mm512_mask_storeu_ps(o->f + off, kl, y);
        if (pk) {
            const __m512i sg = _mm512_set1_epi32(o->sgn[m + k]);
            const __m512 ys = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(y), sg));
            const __mmask16 fail = _mm512_cmp_ps_mask(ys, _mm512_set1_ps(o->thr[m + k]), _CMP_NGE_UQ);
            fv = _mm512_mask_or_epi32(fv, fail, fv, _mm512_set1_epi32((int)(1u << (b + k))));
        }
    }
    return fv;
}

/* The packed bits fv (lane j: channels m0..m0+31 of pixel q0 + j) of np pixels. */
ALWAYS_INLINE void bits_pv(const ctx *c, const pvout *o, int q0, int np, int m0, __m512i fv)
{
    const size_t os = bnn_out_stride(c->p);
    if (os == 1) { /* pixels' words are consecutive: zero-extend, or into their high halves */
        const __m512i w0 = _mm512_cvtepu32_epi64(_mm512_castsi512_si256(fv));
        const __m512i w1 = _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(fv, 1));
        const int n0 = np < 8 ? np : 8, n1 = np - n0;
        if (m0 == 0) {
            _mm512_mask_storeu_epi64(o->b + q0, (__mmask8)lanes(0, n0), w0);
            _mm512_mask_storeu_epi64(o->b + q0 + 8, (__mmask8)lanes(0, n1), w1);
        } else { /* m0 == 32: the odd dwords */
            _mm512_mask_storeu_epi32(o->b + q0, lanes(0, 2 * n0) & 0xAAAA, _mm512_slli_epi64(w0, 32));
            _mm512_mask_storeu_epi32(o->b + q0 + 8, lanes(0, 2 * n1) & 0xAAAA, _mm512_slli_epi64(w1, 32));
        }
    } else {
        uint32_t f[PX];
        int j;
        _mm512_storeu_si512((void *)f, fv);
        for (j = 0; j < np; j++) store_chunk(o->b + (size_t)(q0 + j) * os, m0, f[j], BLK);
    }
}

/* One tile: the np pixels from q0 (from column ox of output row oy, continuing at column 0 of row
 * oy + 1), all channels (weights w). full: np == PX. */
ALWAYS_INLINE void tile_pv(const ctx *c, const pvout *o, ring *rg, const bnn_word *w, int q0, int np, int oy, int ox,
                           const int full, const int aff, const int pk)
{
    const bnn_bconv_params *p = c->p;
    const int sw = p->SW, nw = (int)c->nw, na = np < p->OW - ox ? np : p->OW - ox; /* lanes in row oy */
    const __mmask16 kb = lanes(na, np);
    const int iya = oy * p->SH - p->PT, iyb = iya + p->SH;
    int xa[9], xb[9], kh, kw, m0;
    __mmask16 km[9];
    __m512i kc = _mm512_set1_epi32(c->KC), half;
    int masked = 0;

    while (rg->next <= (kb ? iyb : iya) + 2) {
        if (sw == 1) ring_row(c, rg, rg->next, 1);
        else ring_row(c, rg, rg->next, 2);
        rg->next++;
    }
    for (kh = 0; kh < 3; kh++)
        for (kw = 0; kw < 3; kw++) {
            const int e = PX + (sw == 1 ? kw : (kw & 1) * rg->L + (kw >> 1)); /* SW <= 2 */
            xa[kh * 3 + kw] = slot(iya + kh) * rg->row + e + ox;
            xb[kh * 3 + kw] = slot(iyb + kh) * rg->row + e - na;
        }
    if (p->pad_bit == BNN_PAD_ZERO &&
        !(oy >= c->oyi0 && oy < c->oyi1 && ox >= c->oxi0 && ox + na <= c->oxi1 &&
          (!kb || (oy + 1 < c->oyi1 && c->oxi0 == 0 && np - na <= c->oxi1)))) {
        /* border taps count nothing: lane masks per tap, and kc = C * (in-bounds taps) per lane */
        const __m512i cw = _mm512_set1_epi32(p->C);
        masked = 1;
        kc = _mm512_setzero_si512();
        for (kw = 0; kw < 3; kw++) {
            int lo, hi;
            __mmask16 ca, cb;
            bnn_tap_range(kw - p->PL, sw, p->W, p->OW, &lo, &hi);
            ca = lanes((lo > ox ? lo : ox) - ox, (hi < ox + na ? hi : ox + na) - ox);
            cb = kb ? lanes(na + lo, na + (hi < np - na ? hi : np - na)) : 0;
            for (kh = 0; kh < 3; kh++) {
                const int ra = (unsigned)(iya + kh) < (unsigned)p->H, rb = (unsigned)(iyb + kh) < (unsigned)p->H;
                km[kh * 3 + kw] = (__mmask16)((ra ? ca : 0) | (rb ? cb : 0));
                kc = _mm512_mask_add_epi32(kc, km[kh * 3 + kw], kc, cw);
            }
        }
    }
    half = _mm512_srli_epi32(kc, 1);
    for (m0 = 0; m0 < p->M; m0 += BLK) {
        const bnn_word *wb = w + (size_t)m0 * 9 * (size_t)nw;
        __m512i fv = _mm512_setzero_si512();
        int g;
        UNROLL for (g = 0; g < 2; g++) {
            __m512i acc[16];
            if (masked) acc_pv(rg, nw, xa, xb, kb, 1, km, wb + 16 * g, half, acc);
            else acc_pv(rg, nw, xa, xb, kb, 0, km, wb + 16 * g, half, acc);
            fv = out_pv(c, o, q0, np, m0 + 16 * g, 16 * g, full, aff, pk, acc, fv);
        }
        if (pk) bits_pv(c, o, q0, np, m0, fv);
    }
}

/* The tiles of output pixels [q_begin, q_end) (whole rows). */
ALWAYS_INLINE void tiles_pv(const ctx *c, const pvout *o, ring *rg, const bnn_word *w, int q_begin, int q_end,
                            const int aff, const int pk)
{
    const bnn_bconv_params *p = c->p;
    int q = q_begin, oy = q_begin / p->OW, ox = 0;
    for (; q + PX <= q_end; q += PX) {
        tile_pv(c, o, rg, w, q, PX, oy, ox, 1, aff, pk);
        ox += PX;
        if (ox >= p->OW) ox -= p->OW, oy++;
    }
    if (q < q_end) tile_pv(c, o, rg, w, q, q_end - q, oy, ox, 0, aff, pk);
}

/* The run hook: pixel tiles when ring_geometry allows. */
static int run_hook(const ctx *c, const bnn_word *w, const bnn_affine_stage *st, const float *pthr,
                    const int8_t *dir, int q_begin, int q_end, float *fout, bnn_word *bout)
{
    const bnn_bconv_params *p = c->p;
    const int two = st && st->scale2;
    pvout o;
    ring rg;
    int m;
    if (!ring_geometry(c, &rg)) return 0;
    rg.next = q_begin / p->OW * p->SH - p->PT;
    o.f = fout;
    o.scale = st ? st->scale : NULL;
    o.bias = st ? st->bias : NULL;
    o.res = st ? st->residual : NULL;
    o.scale2 = two ? st->scale2 : NULL;
    o.bias2 = two ? st->bias2 : NULL;
    o.res2 = two ? st->residual2 : NULL;
    o.b = bout;
    if (st && bout) {
        for (m = 0; m < p->M; m++) { /* as the sink's psgn / pthr */
            o.sgn[m] = dir[m] <= 0 ? INT32_MIN : 0;
            o.thr[m] = o.sgn[m] ? -pthr[m] : pthr[m];
        }
        if (two) tiles_pv(c, &o, &rg, w, q_begin, q_end, 2, 1);
        else tiles_pv(c, &o, &rg, w, q_begin, q_end, 1, 1);
    } else if (two) {
        tiles_pv(c, &o, &rg, w, q_begin, q_end, 2, 0);
    } else if (st) {
        tiles_pv(c, &o, &rg, w, q_begin, q_end, 1, 0);
    } else {
        tiles_pv(c, &o, &rg, w, q_begin, q_end, 0, 0);
    }
    return 1;
}
