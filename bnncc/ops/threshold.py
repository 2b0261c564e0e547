"""Threshold decisions per channel: the integer-threshold form of BatchNorm + binarize, and packing.

    Threshold(X, T, D)       +1 where D[c] > 0 ? X >= T[c] : X <= T[c], else -1 (channel axis 1)
    ThresholdPack(X, T, D)   the same decisions as packed bits (bit 1 = -1)
    PackBits(X)              a ±1 map as packed bits (ThresholdPack with T = 0, D = +1)

A NaN threshold makes every comparison false: the channel is always -1.
"""
from __future__ import annotations

import numpy as np

from ..bits import pack_nchw, pm1
from ..codegen.emit import binarize_channels, by_pixels, channels_hw, threshold_arrays
from ..ir import constant
from .op import Op, packed_like, same_as


def threshold_decision(x: np.ndarray, thresholds: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Boolean 'is +1' per element: channel c (axis 1) is +1 iff D[c] > 0 ? x >= T[c] : x <= T[c]."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    t = thresholds.reshape(shape)
    up = directions.reshape(shape) > 0
    return np.where(up, x >= t, x <= t)


def _pack_by_pixels(s, node, thresholds: np.ndarray, directions: np.ndarray) -> None:
    c, hw = channels_hw(node.inputs[0])
    thr, dirs = threshold_arrays(s, thresholds, directions)
    source, suffix = s.target.kernels.entry("pack")
    by_pixels(s, hw, f"bnn_pack_threshold_range_f32{suffix}({s.operand(node.inputs[0])}, {c}, {hw}, lo, hi, "
                     f"{thr}, {dirs}, {s.operand(node.outputs[0])});", source)


class Threshold(Op):
    inputs = ("X", "T", "D")

    @classmethod
    def output_types(cls, node):
        return [same_as(node.inputs[0])]

    @staticmethod
    def reference(x, thresholds, directions):
        return (pm1(threshold_decision(x, thresholds, directions)),)

    @classmethod
    def emit_c(cls, s, node):
        c, hw = channels_hw(node.inputs[0])
        thr, dirs = threshold_arrays(s, constant(node.inputs[1]), constant(node.inputs[2]))
        binarize_channels(s, s.operand(node.inputs[0]), c, hw, thr, dirs, s.operand(node.outputs[0]))

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        t, d = lowering.threshold_constants(node, 1)
        return lowering.kernel("threshold", lowering.te_kernels.threshold, lowering.operand(node.inputs[0]), t, d)


class ThresholdPack(Op):
    inputs = ("X", "T", "D")
    outputs = ("P",)

    @classmethod
    def output_types(cls, node):
        return [packed_like(node.inputs[0])]

    @staticmethod
    def reference(x, thresholds, directions):
        return (pack_nchw(pm1(threshold_decision(x, thresholds, directions))),)

    @classmethod
    def emit_c(cls, s, node):
        _pack_by_pixels(s, node, constant(node.inputs[1]), constant(node.inputs[2]))

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        t, d = lowering.threshold_constants(node, 1)
        return lowering.kernel("threshold_pack", lowering.te_kernels.threshold_pack, lowering.operand(node.inputs[0]),
                               t, d)


class PackBits(Op):
    inputs = ("X",)
    outputs = ("P",)

    @classmethod
    def output_types(cls, node):
        return [packed_like(node.inputs[0])]

    @staticmethod
    def reference(x):
        return (pack_nchw(x),)

    @classmethod
    def emit_c(cls, s, node):
        c, _ = channels_hw(node.inputs[0])
        _pack_by_pixels(s, node, np.zeros(c), np.ones(c))

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        return lowering.kernel("pack_bits", lowering.te_kernels.pack_bits, lowering.operand(node.inputs[0]))
