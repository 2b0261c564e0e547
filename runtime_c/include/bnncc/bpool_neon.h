/* bnncc runtime: NEON max-pool on packed +-1 data (aarch64 and armv7, one source: bpool_neon.c).
 * Same contract as bnn_bmaxpool_rows in bpool.h, bit for bit. */
#ifndef BNNCC_BPOOL_NEON_H
#define BNNCC_BPOOL_NEON_H

#include "common.h"

void bnn_bmaxpool_rows__neon(const bnn_pool_params *p, const bnn_word *in, int oy_begin, int oy_end, bnn_word *out);

#endif /* BNNCC_BPOOL_NEON_H */
