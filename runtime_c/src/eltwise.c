#include "bnncc/common.h"
#include "bnncc/eltwise.h"

#include <math.h>

static float max_nan(float a, float b)
{
    float r = a > b ? a : b;
    r = b != b ? b : r;
    return a != a ? a : r;
}

static float min_nan(float a, float b)
{
    float r = a < b ? a : b;
    r = b != b ? b : r;
    return a != a ? a : r;
}

#define ROW_LOOP(EXPR)                                                     \
    do {                                                                   \
        for (i = 0; i < n; i++) {                                          \
            const float x = a[(ptrdiff_t)i * sa], y = b[(ptrdiff_t)i * sb]; \
            o[i] = (EXPR);                                                 \
        }                                                                  \
    } while (0)

/* one innermost row: the op is dispatched once per row, not per element */
static void binary_row(int op, int n, const float *a, int sa, const float *b, int sb, float *o)
{
    int i;
    switch (op) {
    case BNN_ADD: ROW_LOOP(x + y); break;
    case BNN_SUB: ROW_LOOP(x - y); break;
    case BNN_MUL: ROW_LOOP(x * y); break;
    case BNN_DIV: ROW_LOOP(x / y); break;
    case BNN_MAX: ROW_LOOP(max_nan(x, y)); break;
    case BNN_MIN: ROW_LOOP(min_nan(x, y)); break;
    case BNN_PRELU: ROW_LOOP(x < 0.0f ? x * y : x); break;
    default: break;
    }
}

/* Pow has its own entry point, so that a model without it links no powf (microcontrollers). */
static void pow_row(int op, int n, const float *a, int sa, const float *b, int sb, float *o)
{
    int i;
    (void)op;
    ROW_LOOP(powf(x, y));
}

typedef void (*row_function)(int op, int n, const float *a, int sa, const float *b, int sb, float *o);

static void broadcast_rows(row_function row, int op, int rank, const int *out_shape, const float *a,
                           const int *a_strides, const float *b, const int *b_strides, float *out)
{
    int idx[BNN_MAX_RANK];
    int d, n, sa, sb;
    ptrdiff_t ia = 0, ib = 0;
    size_t outer = 1, r;

    if (rank <= 0) {
        row(op, 1, a, 0, b, 0, out);
        return;
    }
    for (d = 0; d < rank; d++) {
        if (out_shape[d] <= 0) return;
        idx[d] = 0;
    }
    for (d = 0; d < rank - 1; d++) outer *= (size_t)out_shape[d];
    n = out_shape[rank - 1];
    sa = a_strides[rank - 1];
    sb = b_strides[rank - 1];
    for (r = 0; r < outer; r++) {
        row(op, n, a + ia, sa, b + ib, sb, out + r * (size_t)n);
        /* odometer over dims rank-2 .. 0 */
        for (d = rank - 2; d >= 0; d--) {
            ia += a_strides[d];
            ib += b_strides[d];
            if (++idx[d] < out_shape[d]) break;
            ia -= (ptrdiff_t)a_strides[d] * out_shape[d];
            ib -= (ptrdiff_t)b_strides[d] * out_shape[d];
            idx[d] = 0;
        }
    }
}

void bnn_binary_f32(int op, int rank, const int *out_shape, const float *a, const int *a_strides,
                    const float *b, const int *b_strides, float *out)
{
    broadcast_rows(binary_row, op, rank, out_shape, a, a_strides, b, b_strides, out);
}

void bnn_pow_f32(int rank, const int *out_shape, const float *a, const int *a_strides, const float *b,
                 const int *b_strides, float *out)
{
    broadcast_rows(pow_row, 0, rank, out_shape, a, a_strides, b, b_strides, out);
}

/* round half to even without depending on the rounding mode: x - floor(x) is exact */
static float round_half_even(float x)
{
    float r = floorf(x);
    const float d = x - r;
    if (d > 0.5f)
        r += 1.0f;
    else if (d == 0.5f)
        r += fmodf(r, 2.0f) != 0.0f ? 1.0f : 0.0f;
    return copysignf(r, x); /* keeps -0 for x in [-0.5, -0] */
}

static float sigmoid(float x)
{
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    {
        const float e = expf(x);
        return e / (1.0f + e);
    }
}

static float sign(float x) { return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x); }

#define UNARY_LOOP(EXPR)                  \
    do {                                  \
        for (i = 0; i < n; i++) {         \
            const float v = x[i];         \
            out[i] = (EXPR);              \
        }                                 \
    } while (0)

void bnn_unary_f32(int op, size_t n, const float *x, float *out)
{
    size_t i;
    switch (op) {
    case BNN_RELU: UNARY_LOOP(v < 0.0f ? 0.0f : v); break;
    case BNN_NEG: UNARY_LOOP(-v); break;
    case BNN_ABS: UNARY_LOOP(fabsf(v)); break;
    case BNN_SQRT: UNARY_LOOP(sqrtf(v)); break;
    case BNN_EXP: UNARY_LOOP(expf(v)); break;
    case BNN_LOG: UNARY_LOOP(logf(v)); break;
    case BNN_SIGMOID: UNARY_LOOP(sigmoid(v)); break;
    case BNN_TANH: UNARY_LOOP(tanhf(v)); break;
    case BNN_ROUND: UNARY_LOOP(round_half_even(v)); break;
    case BNN_CEIL: UNARY_LOOP(ceilf(v)); break;
    case BNN_FLOOR: UNARY_LOOP(floorf(v)); break;
    case BNN_RECIPROCAL: UNARY_LOOP(1.0f / v); break;
    case BNN_SIGN: UNARY_LOOP(sign(v)); break;
    case BNN_IDENTITY: UNARY_LOOP(v); break;
    default: break;
    }
}

void bnn_clip_f32(size_t n, const float *x, float lo, float hi, float *out)
{
    size_t i;
    for (i = 0; i < n; i++) {
        float v = x[i];
        v = v < lo ? lo : v;
        out[i] = v > hi ? hi : v;
    }
}

void bnn_affine_channel_f32(int C, int HW, const float *x, const float *scale, const float *bias, float *out)
{
    int c, i;
    for (c = 0; c < C; c++) {
        const float s = scale[c], b = bias[c];
        const float *xr = x + (size_t)c * (size_t)HW;
        float *o = out + (size_t)c * (size_t)HW;
        for (i = 0; i < HW; i++) {
            const float prod = xr[i] * s; /* rounded on its own: fp-contract off */
            o[i] = prod + b;
        }
    }
}

void bnn_multithreshold_f32(int C, int HW, int channels_last, const float *x, int T, const float *thr,
                            float out_scale, float out_bias, float *out)
{
    int c, i, t;
    if (!channels_last) {
        for (c = 0; c < C; c++) {
            const float *th = thr + (size_t)c * (size_t)T;
            const float *xr = x + (size_t)c * (size_t)HW;
            float *o = out + (size_t)c * (size_t)HW;
            for (i = 0; i < HW; i++) {
                const float v = xr[i];
                int cnt = 0;
                for (t = 0; t < T; t++) cnt += v >= th[t];
                o[i] = out_scale * (float)cnt + out_bias;
            }
        }
    } else {
        for (i = 0; i < HW; i++) {
            const float *xr = x + (size_t)i * (size_t)C;
            float *o = out + (size_t)i * (size_t)C;
            for (c = 0; c < C; c++) {
                const float *th = thr + (size_t)c * (size_t)T;
                const float v = xr[c];
                int cnt = 0;
                for (t = 0; t < T; t++) cnt += v >= th[t];
                o[c] = out_scale * (float)cnt + out_bias;
            }
        }
    }
}
