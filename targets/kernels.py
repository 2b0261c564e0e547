"""Kernel tables: which runtime_c sources a target's artifacts call for each op family, with their
weight layouts and tile geometry.

Generic code (codegen/schedule.py, codegen/artifact.py) asks a target's table; an op family the
table leaves empty runs its portable kernel (runtime_c/src/<family>.c, unsuffixed names).

Binary conv, "blocked" layout (documented in bconv_blocked.h): output channels in blocks of B,
M padded to a multiple of the vector width VW (channels of 64 bits per vector); inside a block,
one row of the block's channels per (tap, word):  index(m, t, i) = b0*T*nw + (t*nw + i)*bw + (m - b0).
The aux table holds what each tap adds when it reads a +1 padding pixel: C - 2*popcount(w[m][t]).

Float conv / matmul, "panels" layout (float_panels.h): conv panels of MR output channels, matmul
panels of NR columns; `wide` is the output width from which the conv reads a padded copy of its input.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class KernelSource:
    """One kernel source of a target: runtime_c/src/<source>.c, entry points named <portable name><suffix>."""

    source: str
    suffix: str
    headers: tuple[str, ...] = ()            # public headers the model's .c includes
    private_headers: tuple[str, ...] = ()    # implementation headers only the kernel source includes
    needs: tuple[str, ...] = ()              # other sources its code calls


@dataclass(frozen=True)
class BinaryConv(KernelSource):
    """Binary conv kernels on the portable weight layout: the row-range entry points of bconv.h
    (bnn_bconv_bits_rows...), named with the suffix."""

    splits_channels = False     # no channel-range (_channels) entry points

    def pack_weights(self, portable: np.ndarray, channels: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Portable packed weights [M, KH, KW, nw] -> (the weights the kernels read, their aux table or None)."""
        return portable, None


@dataclass(frozen=True)
class BlockedBinaryConv(BinaryConv):
    """Binary conv kernels on the blocked layout, with row- and channel-range entry points."""

    vector: int = 0     # VW: 64-bit channel words per vector
    block: int = 0      # B: channels per block (divides 64)
    splits_channels = True

    def pack_weights(self, portable: np.ndarray, channels: int) -> tuple[np.ndarray, np.ndarray]:
        """Portable packed weights [M, KH, KW, nw] -> (blocked words, aux int32)."""
        m, kh, kw, nw = portable.shape
        taps = kh * kw
        padded_m = -(-m // self.vector) * self.vector
        padded = np.zeros((padded_m, taps, nw), np.uint64)
        padded[:m] = portable.reshape(m, taps, nw)
        words = np.empty(padded_m * taps * nw, np.uint64)
        for b0 in range(0, padded_m, self.block):
            width = min(self.block, padded_m - b0)
            words[b0 * taps * nw:(b0 + width) * taps * nw] = padded[b0:b0 + width].transpose(1, 2, 0).reshape(-1)
        popcounts = np.bitwise_count(padded).sum(axis=2).astype(np.int64)      # [Mp, T]
        aux = np.where(np.arange(padded_m)[:, None] < m, channels - 2 * popcounts, 0).astype(np.int32)
        return words, np.ascontiguousarray(aux.T).reshape(-1)


CONV_K_BLOCK, CONV_PIXEL_BLOCK = 256, 384
POOL_CHUNK = 16     # channels the max-pool rows kernel takes at a time (BNN_MAXPOOL_WORK, fpool.h)


@dataclass(frozen=True)
class FloatPanels(KernelSource):
    """Float conv (panels of MR output channels), matmul (panels of NR columns) and the fused
    conv -> max-pool -> affine."""

    mr: int = 0
    nr: int = 0
    lanes: int = 0      # floats per vector
    wide: int = 0       # from this output width on, the conv reads a padded copy of its input

    def conv_weights(self, w: np.ndarray) -> np.ndarray:
        """[M, C, KH, KW] -> panels: packed[(m/MR)*K*MR + k*MR + m%MR] (channels zero-padded)."""
        m = w.shape[0]
        k = int(np.prod(w.shape[1:]))
        padded_m = -(-m // self.mr) * self.mr
        panels = np.zeros((padded_m, k), np.float32)
        panels[:m] = w.reshape(m, k)
        return panels.reshape(padded_m // self.mr, self.mr, k).transpose(0, 2, 1).reshape(-1).copy()

    def matmul_weights(self, b: np.ndarray) -> np.ndarray:
        """[K, N] -> panels: packed[(j/NR)*K*NR + k*NR + j%NR] (columns zero-padded)."""
        k, n = b.shape
        padded_n = -(-n // self.nr) * self.nr
        panels = np.zeros((k, padded_n), np.float32)
        panels[:, :n] = b
        return panels.reshape(k, padded_n // self.nr, self.nr).transpose(1, 0, 2).reshape(-1).copy()

    def conv_scratch_floats(self, f: dict) -> int:
        """Floats of private scratch one conv call needs (bnn_conv2d_scratch_size<suffix>)."""
        if (f["KH"], f["KW"], f["SH"], f["SW"], f["PT"], f["PL"]) == (1, 1, 1, 1, 0, 0) and \
                (f["OH"], f["OW"]) == (f["H"], f["W"]):
            return 0
        if f["OW"] >= self.wide:
            return _padded_copy_floats(f)
        k_block = min(f["C"] * f["KH"] * f["KW"], CONV_K_BLOCK)
        pixels = min(f["OH"] * f["OW"], CONV_PIXEL_BLOCK)
        return k_block * (-(-pixels // self.lanes) * self.lanes)

    def conv_pool_scratch_floats(self, conv: dict, pool: dict) -> int:
        """Floats of bnn_conv_maxpool_scratch_size<suffix>: the padded copy, a ring of the conv
        rows one pool window spans, the pool's work area."""
        ring_rows = (pool["KH"] - 1) * pool["DH"] + 1
        return _padded_copy_floats(conv) + ring_rows * conv["M"] * conv["OW"] + POOL_CHUNK * (pool["W"] + pool["OW"])


def _padded_copy_floats(f: dict) -> int:
    """The zero-padded, column-phase-split copy of a conv's input (float_panels.h)."""
    rows = (f["OH"] - 1) * f["SH"] + (f["KH"] - 1) * f["DH"] + 1
    phase_cols = ((f["OW"] - 1) * f["SW"] + (f["KW"] - 1) * f["DW"] + 1 + f["SW"] - 1) // f["SW"]
    return f["C"] * f["SW"] * rows * phase_cols


@dataclass(frozen=True)
class KernelTable:
    """A target's kernels per op family; None: the portable kernel."""

    bconv: BinaryConv | None = None
    float: FloatPanels | None = None
    pack: KernelSource | None = None          # thresholding and bit packing, affine + packing (pack.h)
    binarize: KernelSource | None = None      # thresholding to ±1 floats (pack.h)
    bpool: KernelSource | None = None         # binary max-pool (bpool.h)

    def sources(self) -> dict[str, KernelSource]:
        """The target's own kernel sources by name."""
        families = (self.bconv, self.float, self.pack, self.binarize, self.bpool)
        return {k.source: k for k in families if k is not None}

    def entry(self, family: str) -> tuple[str, str]:
        """(source, entry-point suffix) of a simple op family: the target's own, or the portable one."""
        own = getattr(self, family)
        return (own.source, own.suffix) if own is not None else (PORTABLE_SOURCES.get(family, family), "")


# Portable sources of the families not named after their source.
PORTABLE_SOURCES = {"binarize": "pack"}


PORTABLE = KernelTable()
