/* The output stages the binary conv checks run (bnn_affine_stage), as test_bconv.py's affine_stages:
 * with both residuals and the second scale and bias between them; one scale and bias with and
 * without the residual; a second scale and bias after the residual (a BatchNormalization after the
 * residual Add); without the first residual, a second one after them (a running sum).
 * Shared by the NEON and Cortex-M check programs. */
#ifndef BNNCC_TEST_AFFINE_STAGES_H
#define BNNCC_TEST_AFFINE_STAGES_H

#include "bnncc/bconv.h"

#define N_STAGES 5
static const char *const STAGE_SUFFIX[N_STAGES] = {"+res+affine2+res2", "+res", "", "+res+affine2", "+affine2+res2"};

/* Stage r of the list above (r = 0: every step). */
static bnn_affine_stage stage_variant(int r, const float *scale, const float *bias, const float *res,
                                      const float *scale2, const float *bias2, const float *res2)
{
    bnn_affine_stage st = {scale, bias, NULL, NULL, NULL, NULL};
    if (r != 2 && r != 4) st.residual = res;
    if (r == 0 || r >= 3) st.scale2 = scale2, st.bias2 = bias2;
    if (r == 0 || r == 4) st.residual2 = res2;
    return st;
}

/* The stages case number n runs: the full one (every step), and one of the others in turn from case
 * to case, i < STAGES_PER_CASE (all five per case would take 2.5 times as long under emulation). */
#define STAGES_PER_CASE 2
static int stage_of(int n, int i) { return i == 0 ? 0 : 1 + n % (N_STAGES - 1); }

/* "kernel" followed by stage r's suffix, for a mismatch report (valid until the next call). */
static const char *stage_name(const char *kernel, int r)
{
    static char buf[96];
    const char *parts[2];
    size_t n = 0;
    int i;
    parts[0] = kernel;
    parts[1] = STAGE_SUFFIX[r];
    for (i = 0; i < 2; i++)
        for (; *parts[i] && n + 1 < sizeof buf; parts[i]++) buf[n++] = *parts[i];
    buf[n] = 0;
    return buf;
}

#endif
