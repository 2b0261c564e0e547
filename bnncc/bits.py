"""Bit packing of ±1 tensors, the convention every kernel shares.

Bit 1 encodes -1 and bit 0 encodes +1 (the float sign bit). Channels are packed along C into
64-bit words, channel c at bit c % 64 of word c // 64; tail bits past C are 0 in every operand,
so they add nothing to XOR-popcount. For two ±1 vectors a, w of length K:

    a·w = (#equal) - (#different) = (K - p) - p = K - 2p,   p = popcount(a XOR w).
"""
from __future__ import annotations

import numpy as np

WORD_BITS = 64


def words(channels: int) -> int:
    """Number of 64-bit words holding `channels` bits."""
    return (channels + WORD_BITS - 1) // WORD_BITS


def pack_channels_last(minus: np.ndarray) -> np.ndarray:
    """Pack a boolean array [..., C] (True = -1) into uint64 words [..., words(C)]."""
    channels = minus.shape[-1]
    padded = np.zeros(minus.shape[:-1] + (words(channels) * WORD_BITS,), dtype=np.uint8)
    padded[..., :channels] = minus
    as_bytes = np.packbits(padded, axis=-1, bitorder="little")
    return as_bytes.reshape(minus.shape[:-1] + (-1, 8)).copy().view("<u8").reshape(minus.shape[:-1] + (-1,))


def unpack_channels_last(packed: np.ndarray, channels: int) -> np.ndarray:
    """Inverse of pack_channels_last: uint64 [..., words] -> boolean [..., C] (True = -1)."""
    as_bytes = np.ascontiguousarray(packed).astype("<u8").view(np.uint8)
    bits = np.unpackbits(as_bytes, axis=-1, bitorder="little")
    return bits[..., :channels].astype(bool)


def pm1(plus: np.ndarray) -> np.ndarray:
    """±1 float32 from a boolean 'is +1'."""
    return np.where(plus, np.float32(1), np.float32(-1))


def packed_shape(shape) -> tuple[int, ...]:
    """The packed shape of a ±1 map: [N, C, H, W] or [N, C] -> [N, H, W, words(C)]."""
    n, c = shape[0], shape[1]
    h, w = (shape[2], shape[3]) if len(shape) == 4 else (1, 1)
    return (n, h, w, words(c))


def pack_nchw(x: np.ndarray) -> np.ndarray:
    """±1 float [N, C, H, W] or [N, C] -> packed [N, H, W, words(C)] (H = W = 1 for rank 2)."""
    if x.ndim == 2:
        x = x[:, :, None, None]
    return pack_channels_last(np.moveaxis(x, 1, -1) < 0)


def unpack_nchw(packed: np.ndarray, channels: int, rank: int = 4) -> np.ndarray:
    """Packed [N, H, W, words] -> ±1 float32 [N, C, H, W] (or [N, C] when rank is 2)."""
    minus = unpack_channels_last(packed, channels)
    x = np.where(np.moveaxis(minus, -1, 1), np.float32(-1), np.float32(1))
    return x[:, :, 0, 0] if rank == 2 else x


def pack_conv_weights(w: np.ndarray) -> np.ndarray:
    """±1 weights [M, C, KH, KW] -> packed [M, KH, KW, words(C)], the bconv kernel layout."""
    return pack_channels_last(np.moveaxis(w, 1, -1) < 0)
