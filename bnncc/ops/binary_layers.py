"""Binary layers at the ±1 float level, as lower_binary_layers makes them (pack_activations then
turns them into packed convolutions; no backend runs them as they are):

    BinaryConv(X, W)      conv of a ±1 map with ±1 weights [M, C, KH, KW]; padded taps are
                          `pad_value` (0, as ONNX pads, or ±1 for a model trained with ±1 padding)
    BinaryMatMul(X, W)    [N, K] x [K, M] of ±1 operands

Both give the exact integer dot products as floats.
"""
from __future__ import annotations

import numpy as np

from ..ir import shape_of
from .conv_math import conv2d
from .op import FLOAT, REQUIRED, Op
from .windows import filled, window_output

WINDOW = {"kernel_shape": REQUIRED, "strides": None, "pads": None, "dilations": None}


class BinaryConv(Op):
    inputs = ("X", "W")
    attributes = {**WINDOW, "pad_value": 0.0}

    @classmethod
    def output_types(cls, node):
        n, _, h, w = shape_of(node.inputs[0])
        attrs = cls.attrs(node)
        del attrs["pad_value"]
        return [((n, shape_of(node.inputs[1])[0], *window_output((h, w), **attrs)), FLOAT)]

    @staticmethod
    def reference(x, w, kernel_shape=None, strides=None, pads=None, dilations=None, pad_value=0.0):
        _, strides, pads, dilations = filled(kernel_shape, strides, pads, dilations)
        return (conv2d(x, w, strides, pads, dilations, pad_value).astype(np.float32),)


class BinaryMatMul(Op):
    inputs = ("X", "W")

    @classmethod
    def output_types(cls, node):
        return [((*shape_of(node.inputs[0])[:-1], shape_of(node.inputs[1])[1]), FLOAT)]

    @staticmethod
    def reference(x, w):
        return ((x.astype(np.float64) @ w.astype(np.float64)).astype(np.float32),)
