"""BinaryMaxPool(P): max-pool of a packed ±1 map, on the bits.

The max of ±1 values is -1 only when every tap is -1 (bit 1), so a pooled word is the AND of its
taps' words; padded taps are -inf in ONNX MaxPool, which never wins: they are left out.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from .. import bits
from ..codegen.emit import node_window, pool_params
from ..ir import shape_of
from .conv_math import windows
from .op import PACKED, REQUIRED, Op
from .windows import filled, window_output


class BinaryMaxPool(Op):
    inputs = ("P",)
    outputs = ("P",)
    attributes = {"channels": REQUIRED, "kernel_shape": REQUIRED, "strides": None, "pads": None, "dilations": None}

    @classmethod
    def output_types(cls, node):
        attrs = cls.attrs(node)
        n, h, w, words = shape_of(node.inputs[0])
        del attrs["channels"]
        return [((n, *window_output((h, w), **attrs), words), PACKED)]

    @staticmethod
    def reference(p, channels=None, kernel_shape=None, strides=None, pads=None, dilations=None):
        x = bits.unpack_nchw(p, channels)
        taps = windows(x, *filled(kernel_shape, strides, pads, dilations), pad_value=-np.inf)
        return (bits.pack_nchw(taps.max(axis=(2, 3))),)

    @classmethod
    def emit_c(cls, s, node):
        in_shape, out_shape = shape_of(node.inputs[0]), shape_of(node.outputs[0])
        fields = dict(C=int(cls.attrs(node)["channels"]), H=in_shape[1], W=in_shape[2], OH=out_shape[1],
                      OW=out_shape[2], **node_window(node))
        source, suffix = s.target.kernels.entry("bpool")
        s.parallel(source, fields["OH"], f"bnn_bmaxpool_rows{suffix}({pool_params(s, fields)}, "
                                         f"{s.operand(node.inputs[0])}, lo, hi, {s.operand(node.outputs[0])});")

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        compute = partial(lowering.te_kernels.binary_maxpool, window=lowering.window(node))
        return lowering.kernel("binary_maxpool", compute, lowering.operand(node.inputs[0]))
