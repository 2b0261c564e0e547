/* Binary convolution and dense layers for Cortex-M cores with the DSP extension (ARMv7E-M: M4, M7),
 * the row-range contracts of bconv.h (bconv_cm.h) on the portable packed layouts.
 *
 * The cores have 32-bit registers and no popcount instruction, so everything runs on 32-bit words:
 * a 64-bit packed word is two little-endian 32-bit words, channels 0..31 then 32..63. When one word
 * holds all the channels (C <= 32) its upper half is 0 in both operands and is skipped.
 *
 * Popcount (derivation). For v = x XOR w:
 *   v - ((v & 0xAA..) >> 1)                    2-bit fields hold the count of their 2 bits (<= 2);
 *   (v & 0x33..) + ((v & 0xCC..) >> 2)         4-bit fields hold the count of their 4 bits (<= 4);
 *   (n + (n >> 4)) & 0x0F..                    bytes hold the count of their 8 bits (<= 8: the low
 *                                              nibble's sum cannot carry into the high one).
 * The byte counts of the words of a run add up in a byte accumulator per channel for CHUNK = 31 words
 * (31 * 8 = 248 < 256); then the DSP instruction USADA8 (sum of the absolute differences of 4 bytes,
 * here from 0, plus an accumulator) adds the accumulator's 4 bytes to the channel's count. Per word
 * and output channel: a load, an XOR, 7 instructions to the byte counts and an add; the input word
 * loaded serves CM_MB = 4 output channels.
 * Measured on the emulated Cortex-M4 (README, "Microcontrollers"): adding the nibble counts of 3 words
 * before folding them to bytes (a fold per 3 words, but 3 input words live across 4 channels) counted
 * 3-4% more instructions in the binary layers than this; 4 channels per loaded word against 2 took
 * 4-10% off.
 *
 * Each output pixel's in-bounds taps become runs of words read at a fixed step (consecutive taps of
 * a kernel row, or the whole receptive field of a dense layer, are one run), computed once per pixel
 * for all of its output channels. Out-of-bounds taps add 0 (BNN_PAD_ZERO) or the popcounts of their
 * weights (pad_bit 0 / 1), as bconv.h derives.
 */
#include <arm_acle.h>

#include "bnncc/common.h"
#include "bnncc/bconv.h"
#include "bnncc/bconv_cm.h"

#if !defined(__ARM_FEATURE_SIMD32)
#error "bconv_cm.c needs the DSP extension of ARMv7E-M (-mcpu=cortex-m4 or cortex-m7)"
#endif

#define CM_MB 4     /* output channels counted together (count_run writes out up to 4) */
#define CHUNK 31    /* words one byte accumulator holds: 31 * 8 <= 255 */
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* The packed tensors read and written 32 bits at a time. */
typedef uint32_t __attribute__((may_alias)) word32;

/* The bit counts of each byte of v (<= 8), in 2 + 3 + 2 instructions: masks before shifts, as Thumb-2
 * ANDs with these constants as immediates and shifts the second operand of a SUB or ADD for free. gcc
 * would turn (v & 0xAA..) >> 1 back into (v >> 1) & 0x55.., a shift more: the empty asm hides what the
 * masked value is. */
#define OPAQUE(t) __asm__("" : "+r"(t))

ALWAYS_INLINE uint32_t byte_counts(uint32_t v)
{
    uint32_t odd = v & 0xAAAAAAAAu, high;
    OPAQUE(odd);
    v -= odd >> 1;                         /* 2-bit fields: count of their 2 bits */
    high = v & 0xCCCCCCCCu;
    OPAQUE(high);
    v = (v & 0x33333333u) + (high >> 2);   /* nibbles: count of their 4 bits, <= 4 */
    return (v + (v >> 4)) & 0x0F0F0F0Fu;   /* bytes: <= 8, no carry into the next nibble */
}

/* The in-bounds taps of one output pixel: rows x segs runs of len words; word i of a run is
 * x[i*xs] against w[i*ws] (ws: 1 on whole words, 2 on the lower halves only). */
typedef struct {
    const word32 *x;            /* input word of the first run */
    int woff;                   /* its weight word, from a channel's first */
    int rows, segs, len, xs, ws;
    int xrow, wrow, xseg, wseg; /* word offsets between rows, and between runs of a row */
    int n_in;                   /* in-bounds taps */
    int kh0, kh1, kw0, kw1;     /* they are kh in [kh0, kh1) x kw in [kw0, kw1) */
} pixel_runs;

static void pixel_runs_of(const bnn_bconv_params *p, const bnn_word *in, int oy, int ox, pixel_runs *r)
{
    const int w2 = 2 * bnn_words(p->C);                      /* 32-bit words per tap */
    const int ps2 = 2 * (int)bnn_in_stride(p);               /* 32-bit words from one input pixel to the next */
    const int half = w2 == 2 && p->C <= 32;
    const int iy0 = oy * p->SH - p->PT, ix0 = ox * p->SW - p->PL;
    bnn_tap_range(iy0, p->DH, p->H, p->KH, &r->kh0, &r->kh1);
    bnn_tap_range(ix0, p->DW, p->W, p->KW, &r->kw0, &r->kw1);
    r->n_in = (r->kh1 - r->kh0) * (r->kw1 - r->kw0);
    r->rows = r->n_in ? r->kh1 - r->kh0 : 0;
    r->segs = 0;
    if (!r->rows) return;                /* no runs (the pixel's taps are all padding) */
    r->x = (const word32 *)(in + ((size_t)(iy0 + r->kh0 * p->DH) * (size_t)p->W + (size_t)(ix0 + r->kw0 * p->DW)) *
                                     (size_t)(ps2 / 2));
    r->woff = (r->kh0 * p->KW + r->kw0) * w2;
    r->xrow = p->DH * p->W * ps2;
    r->wrow = p->KW * w2;
    r->segs = 1;
    r->xseg = r->wseg = 0;
    if (half) {                          /* one run per row, a word per tap */
        r->len = r->kw1 - r->kw0;
        r->xs = p->DW * ps2;
        r->ws = 2;
    } else if (p->DW == 1 && ps2 == w2) { /* one run per row */
        r->len = (r->kw1 - r->kw0) * w2;
        r->xs = r->ws = 1;
    } else {                             /* one run per tap */
        r->segs = r->kw1 - r->kw0;
        r->len = w2;
        r->xs = r->ws = 1;
        r->xseg = p->DW * ps2;
        r->wseg = w2;
    }
    /* whole rows that follow each other (a dense layer): one run */
    if (p->DW == 1 && ps2 == w2 && p->DH == 1 && r->kw0 == 0 && r->kw1 == p->KW && p->KW == p->W) {
        r->len *= r->rows;
        r->rows = 1;
    }
}

/* pc[j] += sum over i < len of popcount(x[i*xs] ^ w_j[i*ws]), w_j = w + j*wsz, for j < nm (1 or CM_MB:
 * written out, so that the words and counts stay in registers). */
ALWAYS_INLINE void count_run(const word32 *x, const word32 *w, size_t wsz, int len, const int xs, const int ws,
                             const int nm, uint32_t pc[CM_MB])
{
    const word32 *w0 = w, *w1 = w + wsz, *w2 = w + 2 * wsz, *w3 = w + 3 * wsz;
    while (len > 0) {
        int n = len < CHUNK ? len : CHUNK;
        uint32_t b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        for (len -= n; n > 0; n--) {
            const uint32_t x0 = *x;
            x += xs;
            b0 += byte_counts(x0 ^ *w0), w0 += ws;
            if (nm > 1) b1 += byte_counts(x0 ^ *w1), w1 += ws;
            if (nm > 2) b2 += byte_counts(x0 ^ *w2), w2 += ws;
            if (nm > 3) b3 += byte_counts(x0 ^ *w3), w3 += ws;
        }
        pc[0] = __usada8(b0, 0, pc[0]);
        if (nm > 1) pc[1] = __usada8(b1, 0, pc[1]);
        if (nm > 2) pc[2] = __usada8(b2, 0, pc[2]);
        if (nm > 3) pc[3] = __usada8(b3, 0, pc[3]);
    }
}

/* count_run over `rows` runs, row r at x + r*xrow and w + r*wrow, for nm = CM_MB or 1 channels; not
 * inlined: one copy per run shape. */
ALWAYS_INLINE void count_rows(const word32 *x, const word32 *w, size_t wsz, int rows, int len, int xrow, int wrow,
                              int xs, const int nm, uint32_t pc[CM_MB])
{
    for (; rows > 0; rows--, x += xrow, w += wrow) {
        if (xs == 1)
            count_run(x, w, wsz, len, 1, 1, nm, pc);
        else
            count_run(x, w, wsz, len, xs, 2, nm, pc);
    }
}

static void count_block(const word32 *x, const word32 *w, size_t wsz, int rows, int len, int xrow, int wrow, int xs,
                        uint32_t pc[CM_MB])
{
    count_rows(x, w, wsz, rows, len, xrow, wrow, xs, CM_MB, pc);
}

static void count_one(const word32 *x, const word32 *w, size_t wsz, int rows, int len, int xrow, int wrow, int xs,
                      uint32_t pc[CM_MB])
{
    count_rows(x, w, wsz, rows, len, xrow, wrow, xs, 1, pc);
}

/* popcount of the weights of one channel's out-of-bounds taps */
static int padded_popcount(const bnn_bconv_params *p, const pixel_runs *r, const word32 *wj)
{
    const int w2 = 2 * bnn_words(p->C);
    int kh, kw, i;
    uint32_t P = 0;
    for (kh = 0; kh < p->KH; kh++)
        for (kw = 0; kw < p->KW; kw++) {
            const word32 *wt = wj + (kh * p->KW + kw) * w2;
            if (kh >= r->kh0 && kh < r->kh1 && kw >= r->kw0 && kw < r->kw1) continue;
            for (i = 0; i < w2; i++) P = __usada8(byte_counts(wt[i]), 0, P);
        }
    return (int)P;
}

/* What a call writes: the accumulator as float (affine NULL), or through the affine stage;
 * and the bits: of the float output with fthr (float stage), or of the accumulator with ithr. */
typedef struct {
    const bnn_affine_stage *affine;
    const float *fthr;
    const int32_t *ithr;
    const int8_t *dir;
    float *out;
    bnn_word *bits;
} stage;

/* The padded taps' terms of nm channels' accumulators (bconv.h): +-(n_out*C - 2*P_out). */
static void padded_taps(const bnn_bconv_params *p, const pixel_runs *r, const word32 *wm, size_t wsz, int nm,
                        int32_t acc[CM_MB])
{
    const int n_out = p->KH * p->KW - r->n_in;
    int j;
    for (j = 0; j < nm; j++) {
        const int32_t pad = n_out * p->C - 2 * padded_popcount(p, r, wm + (size_t)j * wsz);
        acc[j] += p->pad_bit == 0 ? pad : -pad;
    }
}

/* Rows [oy_begin, oy_end) through the stage s; float_stage: s->out is written (else only the bits). */
ALWAYS_INLINE void conv_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, const stage *s,
                             int oy_begin, int oy_end, const int float_stage)
{
    const size_t wsz = (size_t)p->KH * (size_t)p->KW * (size_t)bnn_words(p->C) * 2;
    const size_t ohw = (size_t)p->OH * (size_t)p->OW;
    const int halves = 2 * bnn_words(p->M);
    const size_t os2 = 2 * bnn_out_stride(p);   /* 32-bit words from one output pixel to the next */
    int oy, ox, m0, j;
    for (oy = oy_begin; oy < oy_end; oy++) {
        for (ox = 0; ox < p->OW; ox++) {
            const size_t pix = (size_t)oy * (size_t)p->OW + (size_t)ox;
            word32 *bits = s->bits ? (word32 *)(s->bits) + pix * os2 : 0;
            uint32_t half = 0;
            pixel_runs r;
            pixel_runs_of(p, in, oy, ox, &r);
            for (m0 = 0; m0 < p->M; m0 += CM_MB) {
                const int nm = p->M - m0 < CM_MB ? p->M - m0 : CM_MB;
                const word32 *wm = (const word32 *)w + (size_t)m0 * wsz;
                uint32_t pc[CM_MB];
                int32_t acc[CM_MB];
                int g;
                for (j = 0; j < CM_MB; j++) pc[j] = 0;
                for (g = 0; g < r.segs; g++) {    /* segs > 1: dilated rows, a run per tap */
                    const word32 *xg = r.x + g * r.xseg, *wg = wm + r.woff + g * r.wseg;
                    if (nm == CM_MB)
                        count_block(xg, wg, wsz, r.rows, r.len, r.xrow, r.wrow, r.xs, pc);
                    else
                        for (j = 0; j < nm; j++)
                            count_one(xg, wg + (size_t)j * wsz, wsz, r.rows, r.len, r.xrow, r.wrow, r.xs, pc + j);
                }
                for (j = 0; j < nm; j++) acc[j] = r.n_in * p->C - 2 * (int32_t)pc[j];
                if (p->pad_bit != BNN_PAD_ZERO && r.n_in < p->KH * p->KW) padded_taps(p, &r, wm, wsz, nm, acc);
                for (j = 0; j < nm; j++) {
                    const int m = m0 + j;
                    int pass = 0;
                    if (float_stage) {
                        const size_t o = (size_t)m * ohw + pix;
                        float t = (float)acc[j];
                        if (s->affine) t = bnn_affine_stage_at(s->affine, m, o, t);
                        s->out[o] = t;
                        if (bits) pass = s->dir[m] > 0 ? t >= s->fthr[m] : t <= s->fthr[m];
                    } else {
                        pass = s->dir[m] > 0 ? acc[j] >= s->ithr[m] : acc[j] <= s->ithr[m];
                    }
                    if (!bits) continue;
                    half |= (uint32_t)!pass << (m % 32);   /* NaN compares false: bit 1 */
                    if (m % 32 == 31 || m == p->M - 1) {
                        bits[m / 32] = half;
                        half = 0;
                    }
                }
            }
            if (bits && p->M % 64 && p->M % 64 <= 32) bits[halves - 1] = 0;   /* the last word's empty half */
        }
    }
}

/* The float stages: one copy of the driver for the three. */
static void float_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, const stage *s, int oy_begin,
                       int oy_end)
{
    conv_rows(p, in, w, s, oy_begin, oy_end, 1);
}

void bnn_bconv_f32_rows__cm(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, int oy_begin,
                            int oy_end, float *out)
{
    const stage s = {0, 0, 0, 0, out, 0};
    float_rows(p, in, w, &s, oy_begin, oy_end);
}

void bnn_bconv_affine_f32_rows__cm(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                   const bnn_affine_stage *st, int oy_begin, int oy_end, float *out)
{
    const stage s = {st, 0, 0, 0, out, 0};
    float_rows(p, in, w, &s, oy_begin, oy_end);
}

void bnn_bconv_affine_pack_rows__cm(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                    const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                    int oy_begin, int oy_end, float *out, bnn_word *bits)
{
    const stage s = {st, thr, 0, dir, out, bits};
    float_rows(p, in, w, &s, oy_begin, oy_end);
}

void bnn_bconv_bits_rows__cm(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                             const int32_t *thr, const int8_t *dir, int oy_begin, int oy_end, bnn_word *out)
{
    const stage s = {0, 0, thr, dir, 0, out};
    conv_rows(p, in, w, &s, oy_begin, oy_end, 0);
}
