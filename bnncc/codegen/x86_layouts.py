"""Weight layouts of the x86 kernels, packed at compile time (documented in bconv_blocked.h).

Binary conv ("k-major, blocked"): output channels in blocks of B (AVX-512: 32, AVX2: 8), M padded
to a multiple of the vector width VW (8 / 4 channels of 64 bits); inside a block, one row of the
block's channels per (tap, word):  index(m, t, i) = b0*T*nw + (t*nw + i)*bw + (m - b0).
The aux table holds what each tap adds when it reads a +1 padding pixel: C - 2*popcount(w[m][t]).
"""
from __future__ import annotations

import numpy as np

BCONV_GEOMETRY = {"avx512": (8, 32), "avx2": (4, 8)}     # (VW, B)


def bconv_weights(portable: np.ndarray, channels: int, isa: str) -> tuple[np.ndarray, np.ndarray]:
    """Portable packed weights [M, KH, KW, nw] -> (blocked words, aux int32) for `isa`."""
    vector, block = BCONV_GEOMETRY[isa]
    m, kh, kw, nw = portable.shape
    taps = kh * kw
    padded_m = -(-m // vector) * vector
    padded = np.zeros((padded_m, taps, nw), np.uint64)
    padded[:m] = portable.reshape(m, taps, nw)
    words = np.empty(padded_m * taps * nw, np.uint64)
    for b0 in range(0, padded_m, block):
        width = min(block, padded_m - b0)
        words[b0 * taps * nw:(b0 + width) * taps * nw] = padded[b0:b0 + width].transpose(1, 2, 0).reshape(-1)
    popcounts = np.bitwise_count(padded).sum(axis=2).astype(np.int64)      # [Mp, T]
    aux = np.where(np.arange(padded_m)[:, None] < m, channels - 2 * popcounts, 0).astype(np.int32)
    return words, np.ascontiguousarray(aux.T).reshape(-1)


# Float kernels (documented in float_panels.h): conv panels of MR output channels, matmul panels of NR
# columns; `wide` is the output width from which the conv reads a padded copy of its input.
FLOAT_GEOMETRY = {"avx512": {"mr": 8, "nr": 64, "lanes": 16, "wide": 12},
                  "avx2": {"mr": 4, "nr": 32, "lanes": 8, "wide": 6}}
CONV_K_BLOCK, CONV_PIXEL_BLOCK = 256, 384


def conv_weights(w: np.ndarray, isa: str) -> np.ndarray:
    """[M, C, KH, KW] -> panels: packed[(m/MR)*K*MR + k*MR + m%MR] (channels zero-padded)."""
    mr = FLOAT_GEOMETRY[isa]["mr"]
    m = w.shape[0]
    k = int(np.prod(w.shape[1:]))
    padded_m = -(-m // mr) * mr
    panels = np.zeros((padded_m, k), np.float32)
    panels[:m] = w.reshape(m, k)
    return panels.reshape(padded_m // mr, mr, k).transpose(0, 2, 1).reshape(-1).copy()


def matmul_weights(b: np.ndarray, isa: str) -> np.ndarray:
    """[K, N] -> panels: packed[(j/NR)*K*NR + k*NR + j%NR] (columns zero-padded)."""
    nr = FLOAT_GEOMETRY[isa]["nr"]
    k, n = b.shape
    padded_n = -(-n // nr) * nr
    panels = np.zeros((k, padded_n), np.float32)
    panels[:, :n] = b
    return panels.reshape(k, padded_n // nr, nr).transpose(1, 0, 2).reshape(-1).copy()


def conv_scratch_floats(f: dict, isa: str) -> int:
    """Floats of private scratch one call of bnn_conv2d_f32__<isa> needs (bnn_conv2d_scratch_size)."""
    geometry = FLOAT_GEOMETRY[isa]
    if (f["KH"], f["KW"], f["SH"], f["SW"], f["PT"], f["PL"]) == (1, 1, 1, 1, 0, 0) and \
            (f["OH"], f["OW"]) == (f["H"], f["W"]):
        return 0
    if f["OW"] >= geometry["wide"]:
        return _padded_copy_floats(f)
    k_block = min(f["C"] * f["KH"] * f["KW"], CONV_K_BLOCK)
    pixels = min(f["OH"] * f["OW"], CONV_PIXEL_BLOCK)
    lanes = geometry["lanes"]
    return k_block * (-(-pixels // lanes) * lanes)


def _padded_copy_floats(f: dict) -> int:
    """The zero-padded, column-phase-split copy of a conv's input (float_panels.h)."""
    rows = (f["OH"] - 1) * f["SH"] + (f["KH"] - 1) * f["DH"] + 1
    phase_cols = ((f["OW"] - 1) * f["SW"] + (f["KW"] - 1) * f["DW"] + 1 + f["SW"] - 1) // f["SW"]
    return f["C"] * f["SW"] * rows * phase_cols


POOL_CHUNK = 16     # channels the max-pool rows kernel takes at a time (BNN_MAXPOOL_WORK, fpool.h)


def conv_pool_scratch_floats(conv: dict, pool: dict, isa: str) -> int:
    """Floats of bnn_conv_maxpool_scratch_size__<isa>: the padded copy, a ring of the conv rows one
    pool window spans, the pool's work area."""
    ring_rows = (pool["KH"] - 1) * pool["DH"] + 1
    return _padded_copy_floats(conv) + ring_rows * conv["M"] * conv["OW"] + POOL_CHUNK * (pool["W"] + pool["OW"])
