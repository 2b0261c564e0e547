#include "bnncc/common.h"
#include "bnncc/softmax.h"

#include <math.h>

/* inner positions processed together, so that rows of the [n][inner] slab are read contiguously
 * while per-position state lives in small stack arrays */
#define SM_CHUNK 64

static void softmax_impl(int outer, int n, int inner, const float *x, float *out, int log_mode)
{
    float mx[SM_CHUNK], sm[SM_CHUNK];
    int o, i0, j, t;
    for (o = 0; o < outer; o++) {
        const size_t base = (size_t)o * (size_t)n * (size_t)inner;
        for (i0 = 0; i0 < inner; i0 += SM_CHUNK) {
            const int len = inner - i0 < SM_CHUNK ? inner - i0 : SM_CHUNK;
            const float *xs = x + base + (size_t)i0;
            float *os = out + base + (size_t)i0;
            for (t = 0; t < len; t++) {
                mx[t] = xs[t];
                sm[t] = 0.0f;
            }
            for (j = 1; j < n; j++) {
                const float *xr = xs + (size_t)j * (size_t)inner;
                for (t = 0; t < len; t++) mx[t] = xr[t] > mx[t] ? xr[t] : mx[t];
            }
            if (!log_mode) {
                for (j = 0; j < n; j++) {
                    const float *xr = xs + (size_t)j * (size_t)inner;
                    float *orow = os + (size_t)j * (size_t)inner;
                    for (t = 0; t < len; t++) {
                        const float e = expf(xr[t] - mx[t]);
                        orow[t] = e;
                        sm[t] += e;
                    }
                }
                for (j = 0; j < n; j++) {
                    float *orow = os + (size_t)j * (size_t)inner;
                    for (t = 0; t < len; t++) orow[t] = orow[t] / sm[t];
                }
            } else {
                for (j = 0; j < n; j++) {
                    const float *xr = xs + (size_t)j * (size_t)inner;
                    for (t = 0; t < len; t++) sm[t] += expf(xr[t] - mx[t]);
                }
                for (t = 0; t < len; t++) sm[t] = logf(sm[t]);
                for (j = 0; j < n; j++) {
                    const float *xr = xs + (size_t)j * (size_t)inner;
                    float *orow = os + (size_t)j * (size_t)inner;
                    for (t = 0; t < len; t++) orow[t] = (xr[t] - mx[t]) - sm[t];
                }
            }
        }
    }
}

void bnn_softmax_f32(int outer, int n, int inner, const float *x, float *out)
{
    softmax_impl(outer, n, inner, x, out, 0);
}

void bnn_logsoftmax_f32(int outer, int n, int inner, const float *x, float *out)
{
    softmax_impl(outer, n, inner, x, out, 1);
}

void bnn_argmax_f32(int outer, int n, int inner, int select_last_index, const float *x, int64_t *out)
{
    float mx[SM_CHUNK];
    int o, i0, j, t;
    for (o = 0; o < outer; o++) {
        const float *xs0 = x + (size_t)o * (size_t)n * (size_t)inner;
        int64_t *os0 = out + (size_t)o * (size_t)inner;
        for (i0 = 0; i0 < inner; i0 += SM_CHUNK) {
            const int len = inner - i0 < SM_CHUNK ? inner - i0 : SM_CHUNK;
            const float *xs = xs0 + i0;
            int64_t *os = os0 + i0;
            for (t = 0; t < len; t++) {
                mx[t] = xs[t];
                os[t] = 0;
            }
            if (!select_last_index) {
                for (j = 1; j < n; j++) {
                    const float *xr = xs + (size_t)j * (size_t)inner;
                    for (t = 0; t < len; t++) {
                        const int better = xr[t] > mx[t];
                        mx[t] = better ? xr[t] : mx[t];
                        os[t] = better ? (int64_t)j : os[t];
                    }
                }
            } else {
                for (j = 1; j < n; j++) {
                    const float *xr = xs + (size_t)j * (size_t)inner;
                    for (t = 0; t < len; t++) {
                        const int better = xr[t] >= mx[t];
                        mx[t] = better ? xr[t] : mx[t];
                        os[t] = better ? (int64_t)j : os[t];
                    }
                }
            }
        }
    }
}

void bnn_topk_f32(int outer, int n, int inner, int k, int largest, const float *x, float *values, int64_t *indices)
{
    const size_t st = (size_t)inner;
    int o, i, j, q;
    if (k <= 0) return;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const float *xs = x + (size_t)o * (size_t)n * st + (size_t)i;
            float *vs = values + (size_t)o * (size_t)k * st + (size_t)i;
            int64_t *is = indices + (size_t)o * (size_t)k * st + (size_t)i;
            int cnt = 0; /* entries 0..cnt-1 of (vs, is) are sorted */
            for (j = 0; j < n; j++) {
                const float v = xs[(size_t)j * st];
                /* insertion point: after every kept entry that is >= v (largest) or <= v
                 * (smallest); kept entries have lower indices, so they win ties */
                q = cnt;
                if (largest) {
                    while (q > 0 && vs[(size_t)(q - 1) * st] < v) q--;
                } else {
                    while (q > 0 && vs[(size_t)(q - 1) * st] > v) q--;
                }
                if (q >= k) continue;
                {
                    int r = cnt < k ? cnt : k - 1;
                    for (; r > q; r--) {
                        vs[(size_t)r * st] = vs[(size_t)(r - 1) * st];
                        is[(size_t)r * st] = is[(size_t)(r - 1) * st];
                    }
                }
                vs[(size_t)q * st] = v;
                is[(size_t)q * st] = j;
                if (cnt < k) cnt++;
            }
        }
    }
}
