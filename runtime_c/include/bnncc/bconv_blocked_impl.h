/* bnncc runtime, private: the ISA-independent part of the SIMD binary convolution kernels
 * (bconv_avx512.c, bconv_avx2.c; contract and layouts in bconv_blocked.h): packed sizes, the weight
 * packer, the per-call constants (interior geometry), and the row / block driver around the
 * tile. Not a public header: it is pulled in by bconv_blocked.h only when BNN_BCONV_BLOCKED_IMPL is
 * defined, once per ISA source, which must first define (all compile-time constants):
 *   VW             channels per vector
 *   NV             vectors per channel block
 *   BLK            channels per block (NV * VW, divides 64)
 *   TP             pixels per tile
 *   ZW             words of zeros that out-of-bounds taps read
 *   SINK_W         entries of each per-block table of the sink (>= BLK)
 *   ALWAYS_INLINE  static inline __attribute__((always_inline))
 *   UNROLL         _Pragma("GCC unroll 8")
 *   ISA_ENTRY(n)   n##__ISA, the public name of an entry point
 * and the type `struct sink` (the output side of a tile), with at least the members
 *   float *f; bnn_word *b; const float *res; float scale[SINK_W], bias[SINK_W];
 *   uint32_t vmask (bit k = block channel k is < M);
 * and afterwards define the ISA hooks declared below. Apart from the entry points of bconv_blocked.h
 * (at the end), everything here is static: each source gets its own copy, compiled with its own
 * flags.
 */
#ifndef BNNCC_BCONV_BLOCKED_IMPL_H
#define BNNCC_BCONV_BLOCKED_IMPL_H

#if !defined(VW) || !defined(NV) || !defined(BLK) || !defined(TP) || !defined(ZW) || !defined(SINK_W) || \
    !defined(ALWAYS_INLINE) || !defined(UNROLL) || !defined(ISA_ENTRY)
#error "bconv_blocked_impl.h: define the ISA parameters first (see the top of this file)"
#endif

typedef struct sink sink;

/* Per-call constants. */
typedef struct {
    const bnn_bconv_params *p;
    const bnn_word *in;
    const int32_t *aux;
    size_t nw;
    int T, Mp, KC;
    int oyi0, oyi1, oxi0, oxi1; /* output pixels whose taps are all in bounds */
} ctx;

/* ---- ISA hooks (defined by the including source) */

/* One tile: np pixels q0.. (np <= TP, compile-time), nv vectors (compile-time) of the block
 * whose (tap, word) rows start at wb with row stride ws words; channel m0 = block channel v0*VW.
 * interior: all np pixels in one row and all their taps in bounds. aff: f32 output through the
 * sink's scale/bias/residual (bnn_bconv_affine_f32__X); pk (with aff): that output also packed
 * into the sink's bits (bnn_bconv_affine_pack__X). */
ALWAYS_INLINE void tile(const ctx *c, const sink *s, int q0, const int np, const int nv, const int interior,
                        const int aff, const int pk, const bnn_word *wb, size_t ws, int m0, int vblk);
/* The sink's bits-side tables for the block of bw channels at b0 (only called with bits output):
 * thr (int32, !pk) or pthr (float, pk) with dir, channels >= M masked off. */
static void sink_bits_block(sink *s, const bnn_bconv_params *p, int b0, int bw, int pk, const int32_t *thr,
                            const int8_t *dir, const float *pthr);
#ifdef BCONV_RUN_HOOK
/* Optional (define BCONV_RUN_HOOK): a faster run() of the f32 kernels (fout, and scale..dir as
 * run() takes them) for the shapes it handles; returns 0, having written nothing, for the others. */
static int run_hook(const ctx *c, const bnn_word *w, const float *scale, const float *bias, const float *res,
                    const float *pthr, const int8_t *dir, int q_begin, int q_end, float *fout, bnn_word *bout);
#endif

/* ---- shared code */

static const bnn_word zero_words[ZW] = {0};

static int round_up(int x, int m) { return (x + m - 1) / m * m; }

static size_t bconv_weights_size(const bnn_bconv_params *p)
{
    return (size_t)round_up(p->M, VW) * (size_t)p->KH * (size_t)p->KW * (size_t)bnn_words(p->C);
}

static size_t bconv_aux_size(const bnn_bconv_params *p)
{
    return (size_t)round_up(p->M, VW) * (size_t)p->KH * (size_t)p->KW;
}

static void bconv_pack_weights(const bnn_bconv_params *p, const bnn_word *w_portable, bnn_word *w_out,
                               int32_t *aux)
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

/* For the np output pixels q0.. (flattened, consecutive): first input row/col and whether all
 * their taps are in bounds. One division: the later pixels step along the row, wrapping. */
ALWAYS_INLINE void tile_pixels(const ctx *c, int q0, const int np, int *iy0, int *ix0, int *full)
{
    const bnn_bconv_params *p = c->p;
    int oy = q0 / p->OW, ox = q0 - oy * p->OW, j;
    UNROLL for (j = 0; j < np; j++) {
        iy0[j] = oy * p->SH - p->PT;
        ix0[j] = ox * p->SW - p->PL;
        full[j] = oy >= c->oyi0 && oy < c->oyi1 && ox >= c->oxi0 && ox < c->oxi1;
        if (++ox == p->OW) {
            ox = 0;
            oy++;
        }
    }
}

/* x[j], j < np: where the words i0.. of tap (kh, kw) of pixel j (first input iy0[j], ix0[j]) are,
 * zero_words when the tap is out of bounds. */
ALWAYS_INLINE void tap_rows(const ctx *c, const int np, const int *iy0, const int *ix0, int kh, int kw, size_t i0,
                            const bnn_word **x)
{
    const bnn_bconv_params *p = c->p;
    int j;
    UNROLL for (j = 0; j < np; j++) {
        const int iy = iy0[j] + kh * p->DH, ix = ix0[j] + kw * p->DW;
        x[j] = (unsigned)iy < (unsigned)p->H && (unsigned)ix < (unsigned)p->W
                   ? c->in + ((size_t)iy * (size_t)p->W + (size_t)ix) * c->nw + i0
                   : zero_words;
    }
}

/* corr[k], k < n: the padding correction of channel m0 + k for the pixel whose first input is
 * (iy0, ix0): the sum of the aux rows of its out-of-bounds taps, doubled for pad_bit 1. */
ALWAYS_INLINE void pad_corr(const ctx *c, int iy0, int ix0, int m0, const int n, int32_t *corr)
{
    const bnn_bconv_params *p = c->p;
    int kh, kw, k;
    UNROLL for (k = 0; k < n; k++) corr[k] = 0;
    for (kh = 0; kh < p->KH; kh++) {
        const int iy = iy0 + kh * p->DH;
        for (kw = 0; kw < p->KW; kw++) {
            const int ix = ix0 + kw * p->DW;
            if ((unsigned)iy >= (unsigned)p->H || (unsigned)ix >= (unsigned)p->W) {
                const int32_t *a = c->aux + (size_t)(kh * p->KW + kw) * (size_t)c->Mp + (size_t)m0;
                UNROLL for (k = 0; k < n; k++) corr[k] += a[k];
            }
        }
    }
    if (p->pad_bit == 1) UNROLL for (k = 0; k < n; k++) corr[k] += corr[k];
}

/* The thresholded bits of channels m0.. (at most the rest of their word) of output pixel q into
 * the sink's bits: the chunk that starts a word writes all of it, the others OR into it. */
ALWAYS_INLINE void put_bits(const ctx *c, const sink *s, int q, int m0, bnn_word bits)
{
    const size_t nwm = (size_t)bnn_words(c->p->M);
    const int sh = m0 % BNN_WORD_BITS;
    bnn_word *o = s->b + (size_t)q * nwm + (size_t)(m0 / BNN_WORD_BITS);
    if (sh == 0)
        *o = bits;
    else
        *o |= bits << sh;
}

/* The accumulation loop of tile(): STEP(X) once per (tap, word) of the np pixels, in the order
 * of the block's weights, X the input word of pixel j; STEP reads the weights at wr and advances
 * wr by ws. Interior tiles read the input in place (with DW == 1 the taps of one kernel row read
 * KW*nw consecutive words, as do the weights); the others go through tap_rows, ZW words at a
 * time. Names tile()'s c, p, nw, np, interior, iy0, ix0, wb and ws. */
#define BCONV_TAPS(STEP)                                                                              \
    do {                                                                                              \
        int kh_, kw_;                                                                                 \
        size_t i_;                                                                                    \
        if (interior) {                                                                               \
            const size_t pstep = (size_t)p->SW * nw;                                                  \
            const bnn_word *base = c->in + ((size_t)iy0[0] * (size_t)p->W + (size_t)ix0[0]) * nw;     \
            const bnn_word *wr = wb;                                                                  \
            const size_t seg = p->DW == 1 ? (size_t)p->KW * nw : nw;                                  \
            const int nseg = p->DW == 1 ? 1 : p->KW;                                                  \
            for (kh_ = 0; kh_ < p->KH; kh_++) {                                                       \
                const bnn_word *xr = base + (size_t)kh_ * (size_t)p->DH * (size_t)p->W * nw;          \
                for (kw_ = 0; kw_ < nseg; kw_++) {                                                    \
                    const bnn_word *x = xr + (size_t)kw_ * (size_t)p->DW * nw;                        \
                    for (i_ = 0; i_ < seg; i_++) STEP(x[(size_t)j * pstep + i_]);                     \
                }                                                                                     \
            }                                                                                         \
        } else {                                                                                      \
            size_t i0_;                                                                               \
            for (i0_ = 0; i0_ < nw; i0_ += ZW) {                                                      \
                const size_t n_ = nw - i0_ < ZW ? nw - i0_ : ZW;                                      \
                for (kh_ = 0; kh_ < p->KH; kh_++) {                                                   \
                    for (kw_ = 0; kw_ < p->KW; kw_++) {                                               \
                        const bnn_word *x[TP];                                                        \
                        const bnn_word *wr =                                                          \
                            wb + (((size_t)kh_ * (size_t)p->KW + (size_t)kw_) * nw + i0_) * ws;       \
                        tap_rows(c, np, iy0, ix0, kh_, kw_, i0_, x);                                  \
                        for (i_ = 0; i_ < n_; i_++) STEP(x[j][i_]);                                   \
                    }                                                                                 \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    } while (0)

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
 * packed output (pthr float). Output channels [m_begin, m_end) only: m_begin a multiple of 64
 * (so of BLK), m_end one too or >= M. */
static void run(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, const int32_t *aux,
                const int32_t *thr, const int8_t *dir, const float *scale, const float *bias, const float *res,
                const float *pthr, int oy_begin, int oy_end, int m_begin, int m_end, float *fout, bnn_word *bout)
{
    ctx c;
    sink s;
    int b0, b_end, lo, hi;
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
    if (m_begin < 0) m_begin = 0;
    b_end = m_end >= p->M ? c.Mp : m_end;
#ifdef BCONV_RUN_HOOK
    if (m_begin == 0 && b_end == c.Mp && fout && run_hook(&c, w, scale, bias, res, pthr, dir, q_begin, q_end, fout, bout))
        return;
#endif

    s.f = fout;
    s.b = bout;
    s.res = scale ? res : NULL;
    s.vmask = 0;

    for (b0 = m_begin; b0 < b_end; b0 += BLK) {
        const int bw = c.Mp - b0 < BLK ? c.Mp - b0 : BLK;
        const bnn_word *wb = w + (size_t)b0 * (size_t)c.T * c.nw;
        if (bout) sink_bits_block(&s, p, b0, bw, pk, thr, dir, pthr);
        if (scale) {
            int k;
            for (k = 0; k < SINK_W; k++) {
                const int m = b0 + k;
                s.scale[k] = k < bw && m < p->M ? scale[m] : 0.0f;
                s.bias[k] = k < bw && m < p->M ? bias[m] : 0.0f;
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

/* ---- entry points (bconv_blocked.h), named for the including source's ISA */

size_t ISA_ENTRY(bnn_bconv_weights_size)(const bnn_bconv_params *p) { return bconv_weights_size(p); }

size_t ISA_ENTRY(bnn_bconv_aux_size)(const bnn_bconv_params *p) { return bconv_aux_size(p); }

void ISA_ENTRY(bnn_bconv_pack_weights)(const bnn_bconv_params *p, const bnn_word *w_portable, bnn_word *w_out,
                                       int32_t *aux)
{
    bconv_pack_weights(p, w_portable, w_out, aux);
}

void ISA_ENTRY(bnn_bconv_f32)(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, const int32_t *aux,
                              int oy_begin, int oy_end, float *out)
{
    run(p, in, w, aux, NULL, NULL, NULL, NULL, NULL, NULL, oy_begin, oy_end, 0, p->M, out, NULL);
}

void ISA_ENTRY(bnn_bconv_affine_f32)(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                     const int32_t *aux, const float *scale, const float *bias,
                                     const float *residual, int oy_begin, int oy_end, float *out)
{
    run(p, in, w, aux, NULL, NULL, scale, bias, residual, NULL, oy_begin, oy_end, 0, p->M, out, NULL);
}

void ISA_ENTRY(bnn_bconv_bits)(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, const int32_t *aux,
                               const int32_t *thr, const int8_t *dir, int oy_begin, int oy_end, bnn_word *out)
{
    run(p, in, w, aux, thr, dir, NULL, NULL, NULL, NULL, oy_begin, oy_end, 0, p->M, NULL, out);
}

void ISA_ENTRY(bnn_bconv_affine_pack)(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                      const int32_t *aux, const float *scale, const float *bias,
                                      const float *residual, const float *thr, const int8_t *dir, int oy_begin,
                                      int oy_end, float *out, bnn_word *bits)
{
    run(p, in, w, aux, NULL, dir, scale, bias, residual, thr, oy_begin, oy_end, 0, p->M, out, bits);
}

void ISA_ENTRY(bnn_bconv_affine_f32_channels)(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                              const int32_t *aux, const float *scale, const float *bias,
                                              const float *residual, int m_begin, int m_end, float *out)
{
    run(p, in, w, aux, NULL, NULL, scale, bias, residual, NULL, 0, p->OH, m_begin, m_end, out, NULL);
}

void ISA_ENTRY(bnn_bconv_affine_pack_channels)(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                               const int32_t *aux, const float *scale, const float *bias,
                                               const float *residual, const float *thr, const int8_t *dir,
                                               int m_begin, int m_end, float *out, bnn_word *bits)
{
    run(p, in, w, aux, NULL, dir, scale, bias, residual, thr, 0, p->OH, m_begin, m_end, out, bits);
}

#endif /* BNNCC_BCONV_BLOCKED_IMPL_H */
