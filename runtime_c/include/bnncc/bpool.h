/* bnncc runtime: max-pool on packed +-1 data.
 *
 * max of +-1 values is +1 iff any is +1; with bit 0 = +1 that is: out bit = AND of the in bits.
 * in: packed [H][W][words(C)], out: packed [OH][OW][words(C)], tail bits 0.
 * Out-of-bounds taps are skipped (ONNX pads max-pool with -inf). A window with no in-bounds
 * tap (only possible with pads >= kernel extent) yields -1 (bit 1) on every channel.
 */
#ifndef BNNCC_BPOOL_H
#define BNNCC_BPOOL_H

#include "common.h"

void bnn_bmaxpool(const bnn_pool_params *p, const bnn_word *in, bnn_word *out);

/* The same for output rows [oy_begin, oy_end) only (in and out are the whole tensors). */
void bnn_bmaxpool_rows(const bnn_pool_params *p, const bnn_word *in, int oy_begin, int oy_end, bnn_word *out);

#endif /* BNNCC_BPOOL_H */
