"""numpy references of the `ai.bnncc` operators (see the package docstring for their meaning)."""
from __future__ import annotations

import numpy as np
from onnx.reference.op_run import OpRun
from onnx.reference.ops.op_conv import _conv_implementation

from .. import bits
from .conv_math import conv2d, conv_attributes, windows

DOMAIN = "ai.bnncc"

PLUS, MINUS = np.float32(1), np.float32(-1)


def sign_decision(x: np.ndarray, rule: str) -> np.ndarray:
    """Boolean 'is +1' for the comparison of x with 0 named by `rule`."""
    compare = {"ge": np.greater_equal, "gt": np.greater, "le": np.less_equal, "lt": np.less}[rule]
    return compare(x, 0)


def threshold_decision(x: np.ndarray, thresholds: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Boolean 'is +1' per element: channel c (axis 1) is +1 iff D[c] > 0 ? x >= T[c] : x <= T[c]."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    t = thresholds.reshape(shape)
    up = directions.reshape(shape) > 0
    return np.where(up, x >= t, x <= t)


def pm1(plus: np.ndarray) -> np.ndarray:
    return np.where(plus, PLUS, MINUS)


class Sign(OpRun):
    op_domain = DOMAIN

    def _run(self, x, rule="ge", zero_maps_to_zero=0):
        if isinstance(rule, bytes):
            rule = rule.decode()
        return (pm1(sign_decision(x, rule)),)


class Threshold(OpRun):
    op_domain = DOMAIN

    def _run(self, x, thresholds, directions):
        return (pm1(threshold_decision(x, thresholds, directions)),)


class BinaryConv(OpRun):
    op_domain = DOMAIN

    def _run(self, x, w, kernel_shape=None, strides=None, pads=None, dilations=None, pad_value=0.0):
        kernel, strides, pads, dilations = conv_attributes(kernel_shape or w.shape[2:], strides, pads, dilations)
        return (conv2d(x, w, strides, pads, dilations, pad_value).astype(np.float32),)


class BinaryMatMul(OpRun):
    op_domain = DOMAIN

    def _run(self, x, w):
        return ((x.astype(np.float64) @ w.astype(np.float64)).astype(np.float32),)


class ChannelAffine(OpRun):
    """Y = (X * S[c] + B[c]) + R, each step rounded (onnxruntime's BatchNormalization, then a residual
    Add); with T and D also P = packed Threshold(Y, T, D). R, T, D are optional."""

    op_domain = DOMAIN

    def _run(self, x, scale, bias, residual=None, thresholds=None, directions=None):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        y = (x * scale.reshape(shape)).astype(np.float32) + bias.reshape(shape)
        if residual is not None:
            y = (y + residual).astype(np.float32)
        if thresholds is None:
            return (y,)
        return y, bits.pack_nchw(pm1(threshold_decision(y, thresholds, directions)))


class MaxPoolAffine(OpRun):
    """MaxPool(X * S[c] + B[c]): the affine map (two roundings) then a max-pool with -inf padding."""

    op_domain = DOMAIN

    def _run(self, x, scale, bias, kernel_shape=None, strides=None, pads=None, dilations=None):
        shape = (1, -1, 1, 1)
        y = ((x * scale.reshape(shape)).astype(np.float32) + bias.reshape(shape)).astype(np.float32)
        kernel, strides, pads, dilations = conv_attributes(kernel_shape, strides, pads, dilations)
        return (windows(y, kernel, strides, pads, dilations, pad_value=-np.inf).max(axis=(2, 3)),)


class ConvMaxPoolAffine(OpRun):
    """MaxPoolAffine(Conv(X, W, Bias), S, B): an ungrouped float conv read only by a MaxPoolAffine (the
    stem of ResNet-like nets), which the x86 targets run in one pass over cached rows. The conv is
    onnx.reference's; the pool's attributes carry the prefix pool_."""

    op_domain = DOMAIN

    def _run(self, x, w, bias, scale, shift, kernel_shape=None, strides=None, pads=None, dilations=None,
             pool_kernel_shape=None, pool_strides=None, pool_pads=None, pool_dilations=None):
        kernel, strides, pads, dilations = conv_attributes(kernel_shape, strides, pads, dilations)
        y = _conv_implementation(x, w, bias, "NOTSET", dilations, 1, kernel, pads, strides).astype(np.float32)
        return MaxPoolAffine._run(self, y, scale, shift, pool_kernel_shape, pool_strides, pool_pads, pool_dilations)


class MultiThreshold(OpRun):
    """FINN/QONNX MultiThreshold: out_scale * #{t : x >= thr[c, t]} + out_bias."""

    op_domain = DOMAIN

    def _run(self, x, thresholds, out_scale=1.0, out_bias=0.0, channels_last=0):
        axis = x.ndim - 1 if channels_last else 1
        moved = np.moveaxis(x, axis, -1)[..., None]
        count = np.count_nonzero(moved >= thresholds, axis=-1).astype(np.float32)
        return (np.moveaxis(np.float32(out_scale) * count + np.float32(out_bias), -1, axis),)


class PackBits(OpRun):
    op_domain = DOMAIN

    def _run(self, x):
        return (bits.pack_nchw(x),)


class ThresholdPack(OpRun):
    op_domain = DOMAIN

    def _run(self, x, thresholds, directions):
        return (bits.pack_nchw(pm1(threshold_decision(x, thresholds, directions))),)


class BinaryConvPacked(OpRun):
    """XOR-popcount convolution on packed operands.

    `pad_bit` -1 means ONNX zero padding (padded taps add nothing), 0 pads with +1, 1 with -1.
    Output: integer accumulator as float [N, M, OH, OW] ([N, M] when `dense`), or, given T and D,
    the packed ±1 result of Threshold(acc, T, D)."""

    op_domain = DOMAIN

    def _run(self, p, w, thresholds=None, directions=None, channels=None, kernel_shape=None, strides=None,
             pads=None, dilations=None, pad_bit=-1, dense=0):
        x = bits.unpack_nchw(p, channels)
        weights = bits.unpack_nchw(w, channels)  # [M, C, KH, KW]: weights are packed like activations
        kernel, strides, pads, dilations = conv_attributes(kernel_shape, strides, pads, dilations)
        pad_value = {-1: 0.0, 0: 1.0, 1: -1.0}[int(pad_bit)]
        acc = conv2d(x, weights, strides, pads, dilations, pad_value).astype(np.float32)
        if thresholds is not None:
            return (bits.pack_nchw(pm1(threshold_decision(acc, thresholds, directions))),)
        return (acc[:, :, 0, 0] if dense else acc,)


class BinaryConvAffine(OpRun):
    """BinaryConvPacked's accumulator through a fused ChannelAffine: Y = (acc * S[m] + B[m]) + R,
    and with T, D also the packed Threshold(Y, T, D)."""

    op_domain = DOMAIN

    def _run(self, p, w, scale, bias, residual=None, thresholds=None, directions=None, **conv_attributes):
        (acc,) = BinaryConvPacked._run(self, p, w, **conv_attributes)
        return ChannelAffine._run(self, acc, scale, bias, residual, thresholds, directions)


class BinaryMaxPool(OpRun):
    op_domain = DOMAIN

    def _run(self, p, channels=None, kernel_shape=None, strides=None, pads=None, dilations=None):
        x = bits.unpack_nchw(p, channels)
        kernel, strides, pads, dilations = conv_attributes(kernel_shape, strides, pads, dilations)
        taps = windows(x, kernel, strides, pads, dilations, pad_value=-np.inf)
        return (bits.pack_nchw(taps.max(axis=(2, 3))),)


class ConcatBits(OpRun):
    """Concat along channels of packed maps; `channels` lists each input's channel count."""

    op_domain = DOMAIN

    def _run(self, *packed, channels=None):
        return (bits.pack_nchw(np.concatenate([bits.unpack_nchw(p, c) for p, c in zip(packed, channels)], axis=1)),)


class SliceBits(OpRun):
    """Channels [start, stop) of a packed map of `channels` channels."""

    op_domain = DOMAIN

    def _run(self, p, channels=None, start=None, stop=None):
        return (bits.pack_nchw(bits.unpack_nchw(p, channels)[:, start:stop]),)


REFERENCE_OPS = [Sign, Threshold, BinaryConv, BinaryMatMul, ChannelAffine, MaxPoolAffine, ConvMaxPoolAffine,
                 MultiThreshold, PackBits, ThresholdPack, BinaryConvPacked, BinaryConvAffine, BinaryMaxPool,
                 ConcatBits, SliceBits]
