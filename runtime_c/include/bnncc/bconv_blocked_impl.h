/* bnncc runtime, private: the ISA-independent part of the SIMD binary convolution kernels
 * (bconv_avx512.c, bconv_avx2.c, bconv_neon.c; contract and layouts in bconv_blocked.h): packed
 * sizes, the weight packer, the per-call constants (interior geometry), the row / block driver
 * around the tile, and (BCONV_SEGMENTS) the segmented K loop of popcounts summed in narrow lanes.
 * Not a public header: it is pulled in by bconv_blocked.h only when BNN_BCONV_BLOCKED_IMPL is
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
 *   float *f; bnn_word *b; const float *res, *res2;
 *   float scale[SINK_W], bias[SINK_W], scale2[SINK_W], bias2[SINK_W];
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
    size_t nw, ps;              /* words(C); words from one input pixel to the next (bnn_in_stride) */
    int row_run;                /* DW == 1 on a dense map (ps == nw): a kernel row's taps are KW*nw
                                 * consecutive words, one segment of the K loop */
    int T, Mp, KC;
    int oyi0, oyi1, oxi0, oxi1; /* output pixels whose taps are all in bounds */
    uint32_t ow_inv;            /* ceil(2^32 / OW) where row_of() may use it, else 0 */
} ctx;

/* ---- ISA hooks (defined by the including source) */

/* One tile: np pixels q0.. (np <= TP, compile-time), nv vectors (compile-time) of the block
 * whose (tap, word) rows start at wb with row stride ws words; channel m0 = block channel v0*VW.
 * interior: all np pixels in one row and all their taps in bounds. aff: f32 output through the
 * sink's affine stage (bnn_bconv_affine_f32__X; bnn_affine_stage): 1: scale, bias, res; 2: then
 * also scale2, bias2, res2. pk (with aff): that output also packed into the sink's bits
 * (bnn_bconv_affine_pack__X). */
ALWAYS_INLINE void tile(const ctx *c, const sink *s, int q0, const int np, const int nv, const int interior,
                        const int aff, const int pk, const bnn_word *wb, size_t ws, int m0, int vblk);
/* The sink's bits-side tables for the block of bw channels at b0 (only called with bits output):
 * thr (int32, !pk) or pthr (float, pk) with dir, channels >= M masked off. */
static void sink_bits_block(sink *s, const bnn_bconv_params *p, int b0, int bw, int pk, const int32_t *thr,
                            const int8_t *dir, const float *pthr);
#ifdef BCONV_SEGMENTS
/* Optional (define BCONV_SEGMENTS, with FLUSH, ROWW, NACC and the types vacc, vsum): the K loop
 * below (accumulate) for ISAs whose popcounts add into narrow lanes, vacc (bytes, or 16-bit lanes
 * fed by pairwise adds), which overflow after FLUSH steps, and are flushed into wider lane sums,
 * vsum. A pixel of a tile of nv vectors has NACC(nv) accumulators (one per vector, or one for the
 * whole tile), at most ACCS = NACC(NV); their order and lanes are the ISA's (its output stage reads
 * them). The hooks: */
#define ACCS NACC(NV)
ALWAYS_INLINE vacc vacc_zero(void);
ALWAYS_INLINE vsum vsum_zero(void);
ALWAYS_INLINE vsum widen_add(vsum a, vacc b); /* a + the wide lane sums of b */
/* n (tap, word) steps: word i of pixel j is xp[j][i], its weight row w + i*ws (nv vectors). */
ALWAYS_INLINE void steps(vacc accb[TP][ACCS], const int np, const int nv, const bnn_word *const *xp,
                         const bnn_word *w, size_t ws, const size_t n);
#endif
#ifdef BCONV_RUN_HOOK
/* Optional (define BCONV_RUN_HOOK): a faster run() of the f32 kernels (fout, and st..dir as
 * run() takes them) for the shapes it handles; returns 0, having written nothing, for the others. */
static int run_hook(const ctx *c, const bnn_word *w, const bnn_affine_stage *st, const float *pthr,
                    const int8_t *dir, int q_begin, int q_end, float *fout, bnn_word *bout);
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

/* The output row of flattened pixel q, q / OW, without a division (armv7 has none: a library call
 * per tile) where ow_inv is set: with ow_inv = 2^32/OW + e (0 <= e < 1), q*ow_inv / 2^32 = q/OW +
 * q*e/2^32, and q*e/2^32 < q/2^32 < 1/OW (q*OW < 2^32 for every q < OH*OW) cannot reach the next
 * multiple of 1/OW above q/OW, so the floor is q / OW. */
ALWAYS_INLINE int row_of(const ctx *c, int q)
{
    return c->ow_inv ? (int)(((uint64_t)(uint32_t)q * c->ow_inv) >> 32) : q / c->p->OW;
}

/* For the np output pixels q0.. (flattened, consecutive): first input row/col and whether all
 * their taps are in bounds. One division: the later pixels step along the row, wrapping. */
ALWAYS_INLINE void tile_pixels(const ctx *c, int q0, const int np, int *iy0, int *ix0, int *full)
{
    const bnn_bconv_params *p = c->p;
    int oy = row_of(c, q0), ox = q0 - oy * p->OW, j;
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
                   ? c->in + ((size_t)iy * (size_t)p->W + (size_t)ix) * c->ps + i0
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
    const int sh = m0 % BNN_WORD_BITS;
    bnn_word *o = s->b + (size_t)q * bnn_out_stride(c->p) + (size_t)(m0 / BNN_WORD_BITS);
    if (sh == 0)
        *o = bits;
    else
        *o |= bits << sh;
}

/* The accumulation loop of tile(): STEP(X) once per (tap, word) of the np pixels, in the order
 * of the block's weights, X the input word of pixel j; STEP reads the weights at wr and advances
 * wr by ws. Interior tiles read the input in place (with DW == 1 on a dense map the taps of one
 * kernel row read KW*nw consecutive words, as do the weights); the others go through tap_rows, ZW
 * words at a time. Names tile()'s c, p, nw, np, interior, iy0, ix0, wb and ws. */
#define BCONV_TAPS(STEP)                                                                              \
    do {                                                                                              \
        int kh_, kw_;                                                                                 \
        size_t i_;                                                                                    \
        if (interior) {                                                                               \
            const size_t ps_ = c->ps, pstep = (size_t)p->SW * ps_;                                    \
            const bnn_word *base = c->in + ((size_t)iy0[0] * (size_t)p->W + (size_t)ix0[0]) * ps_;    \
            const bnn_word *wr = wb;                                                                  \
            const size_t seg = c->row_run ? (size_t)p->KW * nw : nw;                                  \
            const int nseg = c->row_run ? 1 : p->KW;                                                  \
            for (kh_ = 0; kh_ < p->KH; kh_++) {                                                       \
                const bnn_word *xr = base + (size_t)kh_ * (size_t)p->DH * (size_t)p->W * ps_;         \
                for (kw_ = 0; kw_ < nseg; kw_++) {                                                    \
                    const bnn_word *x = xr + (size_t)kw_ * (size_t)p->DW * ps_;                       \
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

#ifdef BCONV_SEGMENTS
/* ---- the segmented K loop (BCONV_SEGMENTS) */

/* acc += the wide lane sums of the narrow accumulators, which restart at 0. */
ALWAYS_INLINE void flush(vsum acc[TP][ACCS], vacc accb[TP][ACCS], const int np, const int nv)
{
    int j, v;
    UNROLL for (j = 0; j < np; j++) UNROLL for (v = 0; v < NACC(nv); v++) {
        acc[j][v] = widen_add(acc[j][v], accb[j][v]);
        accb[j][v] = vacc_zero();
    }
}

/* Where the L = KW*nw words of kernel row kh of the pixel with first input (iy0, ix0) are (row_run,
 * L <= ROWW): in place when the row and all its taps are in bounds, zero_words when the row is out
 * of bounds, else a copy in buf with zero words for the out-of-bounds taps. */
ALWAYS_INLINE const bnn_word *row_words(const ctx *c, int iy0, int ix0, int kh, const int KW, const size_t nw,
                                        bnn_word *buf)
{
    const bnn_bconv_params *p = c->p;
    const int iy = iy0 + kh * p->DH;
    const bnn_word *x;
    int kw;
    size_t i;
    if ((unsigned)iy >= (unsigned)p->H) return zero_words;
    x = c->in + (size_t)iy * (size_t)p->W * nw;
    if (ix0 >= 0 && ix0 + KW <= p->W) return x + (size_t)ix0 * nw;
    for (kw = 0; kw < KW; kw++) {
        const int ix = ix0 + kw;
        const int in = (unsigned)ix < (unsigned)p->W;
        for (i = 0; i < nw; i++) buf[(size_t)kw * nw + i] = in ? x[(size_t)ix * nw + i] : 0;
    }
    return buf;
}

/* rowp[j*KH + kh], j < np: row_words() of kernel row kh of pixel j (DW == 1), its copies in
 * buf[j*KH + kh] (L = KW*nw words each). (For interior tiles, loading such pointers costs more than
 * computing them, in the loops of both NEON archs.) */
ALWAYS_INLINE void tile_rows(const ctx *c, const int np, const int *iy0, const int *ix0, const int KH, const int KW,
                             const size_t L, bnn_word *buf, const bnn_word **rowp)
{
    int j, kh;
    UNROLL for (j = 0; j < np; j++) for (kh = 0; kh < KH; kh++) {
        const size_t r = (size_t)j * (size_t)KH + (size_t)kh;
        rowp[r] = row_words(c, iy0[j], ix0[j], kh, KW, L / (size_t)KW, buf + r * L);
    }
}

/* sum[j][a] (the wide lanes of accumulator a < NACC(nv), summed per channel by the ISA's output
 * stage) = popcount(x XOR w) over every (tap, word) of pixel j, out-of-bounds taps reading zero
 * words. The K loop runs in segments of L words that are contiguous in the input (or its copy) and
 * in the weights: a whole kernel row when `rows` (DW == 1; row_words() for tiles that are not
 * interior), else one tap. The narrow accumulators take FLUSH steps; they are flushed only between
 * segments (every FLUSH / L of them), or after every FLUSH words when L > FLUSH, so that most
 * layers (K <= FLUSH words, e.g. 3x3 with C <= 192 for FLUSH = 31) never flush before the end. KH,
 * KW and L may be compile-time constants (the instances below). rowp (rows, not interior; else
 * NULL): the tile's kernel rows from tile_rows(), set up once for all the blocks of a tile; NULL:
 * found here, per call. */
ALWAYS_INLINE void accumulate(const ctx *c, const int np, const int nv, const int interior, const int rows,
                              const int *iy0, const int *ix0, const bnn_word *wb, size_t ws, const int KH,
                              const int KW, const size_t L, const bnn_word *const *rowp, vsum sum[TP][ACCS])
{
    const bnn_bconv_params *p = c->p;
    const size_t nw = rows ? L / (size_t)KW : L, ps = rows ? nw : c->ps; /* rows: row_run, a dense map */
    const int nkw = rows ? 1 : KW;
    const int flushing = (size_t)KH * (size_t)nkw * L > FLUSH;
    const size_t per = L <= FLUSH ? FLUSH / L : 1; /* segments per flush */
    vacc accb[TP][ACCS];
    vsum acc[TP][ACCS];
    bnn_word buf[TP][ROWW];
    const bnn_word *base[TP], *w = wb;
    size_t since = 0, i0;
    int kh, kw, j, v;

    if (nv == NV) ws = BLK; /* whole blocks (run()): the weight stride at compile time */
    UNROLL for (j = 0; j < np; j++) {
        UNROLL for (v = 0; v < NACC(nv); v++) {
            acc[j][v] = vsum_zero();
            accb[j][v] = vacc_zero();
        }
        base[j] = interior ? c->in + ((size_t)iy0[0] * (size_t)p->W + (size_t)ix0[j]) * ps : NULL;
    }
    for (kh = 0; kh < KH; kh++) {
        for (kw = 0; kw < nkw; kw++, w += L * ws) {
            const bnn_word *xp[TP];
            if (interior) {
                const size_t off = ((size_t)kh * (size_t)p->DH * (size_t)p->W + (size_t)kw * (size_t)p->DW) * ps;
                UNROLL for (j = 0; j < np; j++) xp[j] = base[j] + off;
            } else if (rows && rowp) {
                UNROLL for (j = 0; j < np; j++) xp[j] = rowp[(size_t)j * (size_t)KH + (size_t)kh];
            } else if (rows) {
                UNROLL for (j = 0; j < np; j++) xp[j] = row_words(c, iy0[j], ix0[j], kh, KW, nw, buf[j]);
            } else if (L <= FLUSH) {
                tap_rows(c, np, iy0, ix0, kh, kw, 0, xp);
            }
            if (L <= FLUSH) {
                if (flushing && since == per) {
                    flush(acc, accb, np, nv);
                    since = 0;
                }
                steps(accb, np, nv, xp, w, ws, L);
                since++;
            } else {
                for (i0 = 0; i0 < L; i0 += FLUSH) {
                    const bnn_word *xq[TP];
                    if (interior || rows) UNROLL for (j = 0; j < np; j++) xq[j] = xp[j] + i0;
                    else tap_rows(c, np, iy0, ix0, kh, kw, i0, xq);
                    steps(accb, np, nv, xq, w + i0 * ws, ws, L - i0 < FLUSH ? L - i0 : FLUSH);
                    flush(acc, accb, np, nv);
                }
            }
        }
    }
    UNROLL for (j = 0; j < np; j++) UNROLL for (v = 0; v < NACC(nv); v++)
        sum[j][v] = widen_add(flushing ? acc[j][v] : vsum_zero(), accb[j][v]);
}

/* Out-of-line instances of accumulate (keeps the per-variant tile code small): full tiles of 3x3
 * kernels with words(C) = 1, 2, 4, 8 (KH, KW and the segment length L at compile time), the rest
 * generic. */
#define ACC_FN(name, np_, nv_, interior_, rows_, KH_, KW_, L_)                                         \
    static __attribute__((noinline)) void name(const ctx *c, const int *iy0, const int *ix0,          \
                                               const bnn_word *wb, size_t ws, size_t L,              \
                                               vsum sum[TP][ACCS])                                   \
    {                                                                                                 \
        (void)L;                                                                                      \
        accumulate(c, np_, nv_, interior_, rows_, iy0, ix0, wb, ws, KH_, KW_, L_, NULL, sum);         \
    }
#define KH_ c->p->KH
#define KW_ c->p->KW
ACC_FN(acc_row3, TP, NV, 1, 1, 3, 3, 3)
ACC_FN(acc_row6, TP, NV, 1, 1, 3, 3, 6)
ACC_FN(acc_row12, TP, NV, 1, 1, 3, 3, 12)
ACC_FN(acc_row24, TP, NV, 1, 1, 3, 3, 24)
ACC_FN(acc_rows, TP, NV, 1, 1, KH_, KW_, L)
ACC_FN(acc_brow3, TP, NV, 0, 1, 3, 3, 3)
ACC_FN(acc_brow6, TP, NV, 0, 1, 3, 3, 6)
ACC_FN(acc_brow12, TP, NV, 0, 1, 3, 3, 12)
ACC_FN(acc_brow24, TP, NV, 0, 1, 3, 3, 24)
ACC_FN(acc_brows, TP, NV, 0, 1, KH_, KW_, L)
ACC_FN(acc_in_taps, TP, NV, 1, 0, KH_, KW_, L)
ACC_FN(acc_taps, TP, NV, 0, 0, KH_, KW_, L)
ACC_FN(acc_1v_rows, TP, 1, 1, 1, KH_, KW_, L)
ACC_FN(acc_1v_in_taps, TP, 1, 1, 0, KH_, KW_, L)
ACC_FN(acc_1v, TP, 1, 0, 0, KH_, KW_, L)
ACC_FN(acc_1p, 1, NV, 0, 1, KH_, KW_, L)
ACC_FN(acc_1p_taps, 1, NV, 0, 0, KH_, KW_, L)
ACC_FN(acc_1p1v, 1, 1, 0, 0, KH_, KW_, L)
#undef KH_
#undef KW_
#undef ACC_FN

typedef void (*acc_fn)(const ctx *c, const int *iy0, const int *ix0, const bnn_word *wb, size_t ws, size_t L,
                       vsum sum[TP][ACCS]);

/* The kernel-row instance of full tiles for segments of length k3 (0: none specialized). (A switch,
 * not a table: a table of pointers would be relocated data.) */
static acc_fn row_instance(int interior, size_t k3)
{
    switch (k3) {
    case 3: return interior ? acc_row3 : acc_brow3;
    case 6: return interior ? acc_row6 : acc_brow6;
    case 12: return interior ? acc_row12 : acc_brow12;
    case 24: return interior ? acc_row24 : acc_brow24;
    default: return interior ? acc_rows : acc_brows;
    }
}

/* accumulate() for one tile through the instance that fits it: kernel-row segments when row_run
 * (and, for tiles that are not interior, the row fits ROWW), else taps. (A strided map,
 * a word-aligned channel range of a wider one, runs on taps: measured as fast on x86-avx512 for the
 * grouped layers of docs/bench/grouped_conv.py.) */
ALWAYS_INLINE void acc_tile(const ctx *c, const int np, const int nv, const int interior, const int *iy0,
                            const int *ix0, const bnn_word *wb, size_t ws, vsum sum[TP][ACCS])
{
    const bnn_bconv_params *p = c->p;
    const size_t R = (size_t)p->KW * c->nw;
    const int rows = c->row_run && (interior || R <= ROWW);
    const size_t L = rows ? R : c->nw;
    const size_t k3 = p->KH == 3 && p->KW == 3 ? L : 0; /* L of a specialized instance, or 0 */
    if (np == TP && nv == NV && rows) {
        row_instance(interior, k3)(c, iy0, ix0, wb, ws, L, sum);
    } else if (np == TP && nv == NV) {
        if (interior) acc_in_taps(c, iy0, ix0, wb, ws, L, sum);
        else acc_taps(c, iy0, ix0, wb, ws, L, sum);
    } else if (np == TP) {
        if (rows && interior) acc_1v_rows(c, iy0, ix0, wb, ws, L, sum);
        else if (interior) acc_1v_in_taps(c, iy0, ix0, wb, ws, L, sum);
        else acc_1v(c, iy0, ix0, wb, ws, c->nw, sum);
    } else if (nv == NV) {
        if (rows) acc_1p(c, iy0, ix0, wb, ws, L, sum);
        else acc_1p_taps(c, iy0, ix0, wb, ws, L, sum);
    } else {
        acc_1p1v(c, iy0, ix0, wb, ws, c->nw, sum);
    }
}

/* The first half of a tile hook: the popcount sums of the np pixels q0.. (acc_tile), and for
 * pad_bit 0 / 1 the padding corrections corr[j][k] (pad_corr, block channels m0 + k, k < nv*VW) of
 * the pixels with out-of-bounds taps; returns whether there are any (corr is left unset if not). */
ALWAYS_INLINE int tile_sums(const ctx *c, int q0, const int np, const int nv, const int interior,
                            const bnn_word *wb, size_t ws, int m0, vsum sum[TP][ACCS], int32_t corr[TP][BLK])
{
    int iy0[TP], ix0[TP], full[TP];
    int j, k, border = 0;
    tile_pixels(c, q0, np, iy0, ix0, full);
    acc_tile(c, np, nv, interior, iy0, ix0, wb, ws, sum);
    if (c->p->pad_bit != 0 && !interior) {
        UNROLL for (j = 0; j < np; j++) {
            if (full[j]) {
                UNROLL for (k = 0; k < BLK; k++) corr[j][k] = 0;
            } else {
                pad_corr(c, iy0[j], ix0[j], m0, nv * VW, corr[j]);
                border = 1;
            }
        }
    }
    return border;
}
#endif /* BCONV_SEGMENTS */

/* Whether the TP pixels from q are an interior tile: in one output row, all their taps in bounds. */
ALWAYS_INLINE int tile_interior(const ctx *c, int q)
{
    const bnn_bconv_params *p = c->p;
    const int oy = row_of(c, q), ox = q - oy * p->OW;
    return ox + TP <= p->OW && oy >= c->oyi0 && oy < c->oyi1 && ox >= c->oxi0 && ox + TP <= c->oxi1;
}

/* The sink's affine tables for the block of bw channels at b0: scale and bias (and scale2, bias2
 * with a second stage), 0 for channels >= M. */
static void sink_affine_block(sink *s, const bnn_bconv_params *p, int b0, int bw, const bnn_affine_stage *st)
{
    int k;
    for (k = 0; k < SINK_W; k++) {
        const int m = b0 + k, ok = k < bw && m < p->M;
        s->scale[k] = ok ? st->scale[m] : 0.0f;
        s->bias[k] = ok ? st->bias[m] : 0.0f;
        s->scale2[k] = ok && st->scale2 ? st->scale2[m] : 0.0f;
        s->bias2[k] = ok && st->scale2 ? st->bias2[m] : 0.0f;
    }
}

/* The second stage (aff 2) on one value y of block channel k, for the scalar tails of the ISAs'
 * output stages: y * scale2 + bias2, then + *r2 unless r2 is NULL, each step rounded on its own. */
ALWAYS_INLINE float sink_stage2(const sink *s, int k, float y, const float *r2)
{
    y = y * s->scale2[k];
    y = y + s->bias2[k];
    return r2 ? y + *r2 : y;
}

/* All pixels of [q_begin, q_end) for nv vectors of one block. */
ALWAYS_INLINE void block(const ctx *c, const sink *s, int q_begin, int q_end, const int nv, const int aff,
                         const int pk, const bnn_word *wb, size_t ws, int m0, int vblk)
{
    int q = q_begin;
    for (; q + TP <= q_end; q += TP) {
        if (tile_interior(c, q))
            tile(c, s, q, TP, nv, 1, aff, pk, wb, ws, m0, vblk);
        else
            tile(c, s, q, TP, nv, 0, aff, pk, wb, ws, m0, vblk);
    }
    for (; q < q_end; q++) tile(c, s, q, 1, nv, 0, aff, pk, wb, ws, m0, vblk);
}

/* fout only: f32; bout only: bits (thr int32); st: the affine stage on fout, and with bout too its
 * packed output (pthr float). Output channels [m_begin, m_end) only: m_begin a multiple of 64
 * (so of BLK), m_end one too or >= M. */
static void run(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, const int32_t *aux,
                const int32_t *thr, const int8_t *dir, const bnn_affine_stage *st, const float *pthr,
                int oy_begin, int oy_end, int m_begin, int m_end, float *fout, bnn_word *bout)
{
    ctx c;
    sink s = {0}; /* (every member is set before use; this keeps -Wmaybe-uninitialized quiet) */
    int b0, b_end, lo, hi;
    const int pk = st && bout, aff = !st ? 0 : st->scale2 ? 2 : 1;
    const int q_begin = (oy_begin < 0 ? 0 : oy_begin) * p->OW;
    const int q_end = (oy_end > p->OH ? p->OH : oy_end) * p->OW;
    if (q_begin >= q_end) return;

    c.p = p;
    c.in = in;
    c.aux = aux;
    c.nw = (size_t)bnn_words(p->C);
    c.ps = bnn_in_stride(p);
    c.row_run = p->DW == 1 && c.ps == c.nw;
    c.T = p->KH * p->KW;
    c.Mp = round_up(p->M, VW);
    c.KC = c.T * p->C;
    c.ow_inv = (uint64_t)p->OH * (uint64_t)p->OW * (uint64_t)p->OW < ((uint64_t)1 << 32)
                   ? (uint32_t)((((uint64_t)1 << 32) + (uint64_t)p->OW - 1) / (uint64_t)p->OW)
                   : 0;
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
    if (m_begin == 0 && b_end == c.Mp && fout && run_hook(&c, w, st, pthr, dir, q_begin, q_end, fout, bout))
        return;
#endif

    s.f = fout;
    s.b = bout;
    s.res = st ? st->residual : NULL;
    s.res2 = aff == 2 ? st->residual2 : NULL;
    s.vmask = 0;

    for (b0 = m_begin; b0 < b_end; b0 += BLK) {
        const int bw = c.Mp - b0 < BLK ? c.Mp - b0 : BLK;
        const bnn_word *wb = w + (size_t)b0 * (size_t)c.T * c.nw;
        if (bout) sink_bits_block(&s, p, b0, bw, pk, thr, dir, pthr);
        if (st) sink_affine_block(&s, p, b0, bw, st);
        /* the affine output stages (and their packing) are compile-time variants: the other kernels
         * keep their code */
        if (bw == BLK && aff == 2) {
            if (pk) block(&c, &s, q_begin, q_end, NV, 2, 1, wb, BLK, b0, 0);
            else block(&c, &s, q_begin, q_end, NV, 2, 0, wb, BLK, b0, 0);
        } else if (bw == BLK && pk) {
            block(&c, &s, q_begin, q_end, NV, 1, 1, wb, BLK, b0, 0);
        } else if (bw == BLK && aff) {
            block(&c, &s, q_begin, q_end, NV, 1, 0, wb, BLK, b0, 0);
        } else if (bw == BLK) {
            block(&c, &s, q_begin, q_end, NV, 0, 0, wb, BLK, b0, 0);
        } else {
            int v;
            for (v = 0; v < bw / VW; v++)
                block(&c, &s, q_begin, q_end, 1, aff, pk, wb + v * VW, (size_t)bw, b0 + v * VW, v);
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
    run(p, in, w, aux, NULL, NULL, NULL, NULL, oy_begin, oy_end, 0, p->M, out, NULL);
}

void ISA_ENTRY(bnn_bconv_affine_f32)(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                     const int32_t *aux, const bnn_affine_stage *st, int oy_begin, int oy_end, float *out)
{
    run(p, in, w, aux, NULL, NULL, st, NULL, oy_begin, oy_end, 0, p->M, out, NULL);
}

void ISA_ENTRY(bnn_bconv_bits)(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, const int32_t *aux,
                               const int32_t *thr, const int8_t *dir, int oy_begin, int oy_end, bnn_word *out)
{
    run(p, in, w, aux, thr, dir, NULL, NULL, oy_begin, oy_end, 0, p->M, NULL, out);
}

void ISA_ENTRY(bnn_bconv_affine_pack)(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                      const int32_t *aux, const bnn_affine_stage *st, const float *thr, const int8_t *dir, int oy_begin,
                                      int oy_end, float *out, bnn_word *bits)
{
    run(p, in, w, aux, NULL, dir, st, thr, oy_begin, oy_end, 0, p->M, out, bits);
}

void ISA_ENTRY(bnn_bconv_affine_f32_channels)(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                              const int32_t *aux, const bnn_affine_stage *st, int m_begin, int m_end, float *out)
{
    run(p, in, w, aux, NULL, NULL, st, NULL, 0, p->OH, m_begin, m_end, out, NULL);
}

void ISA_ENTRY(bnn_bconv_affine_pack_channels)(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                               const int32_t *aux, const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                               int m_begin, int m_end, float *out, bnn_word *bits)
{
    run(p, in, w, aux, NULL, dir, st, thr, 0, p->OH, m_begin, m_end, out, bits);
}

#endif /* BNNCC_BCONV_BLOCKED_IMPL_H */
