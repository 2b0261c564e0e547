"""numpy convolution and pooling used by the reference implementations of bnncc ops."""
from __future__ import annotations

import numpy as np

from .windows import output_size


def windows(x: np.ndarray, kernel, strides, pads, dilations, pad_value: float) -> np.ndarray:
    """[N, C, H, W] -> [N, C, KH, KW, OH, OW]: every kernel tap of every output position."""
    kh, kw = kernel
    sh, sw = strides
    pt, pl, pb, pr = pads
    dh, dw = dilations
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=pad_value)
    oh = output_size(h, kh, sh, pt, pb, dh)
    ow = output_size(w, kw, sw, pl, pr, dw)
    out = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i, j] = padded[:, :, i * dh: i * dh + sh * (oh - 1) + 1: sh, j * dw: j * dw + sw * (ow - 1) + 1: sw]
    return out


def conv2d(x: np.ndarray, w: np.ndarray, strides, pads, dilations, pad_value: float = 0.0) -> np.ndarray:
    """Cross-correlation of [N, C, H, W] with [M, C, KH, KW] (float64 accumulation)."""
    taps = windows(x.astype(np.float64), w.shape[2:], strides, pads, dilations, pad_value)
    return np.einsum("nckloq,mckl->nmoq", taps, w.astype(np.float64))
