"""MultiThreshold(X, T): QONNX/FINN's multi-bit activation, kept as a float op.

    Y = out_scale * #{t : X >= T[c, t]} + out_bias      (channel axis 1, or last when channels_last)

in float32, two roundings (the product, then the sum), as qonnx's float32 numpy computes it.
T is [C, steps] or [1, steps] (one row for every channel).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from ..codegen.c_source import float_literal
from ..codegen.emit import size
from ..ir import constant, shape_of
from .op import Op, same_as


class MultiThreshold(Op):
    inputs = ("X", "T")
    attributes = {"out_scale": 1.0, "out_bias": 0.0, "channels_last": 0}

    @classmethod
    def output_types(cls, node):
        return [same_as(node.inputs[0])]

    @staticmethod
    def reference(x, thresholds, out_scale=1.0, out_bias=0.0, channels_last=0):
        axis = x.ndim - 1 if channels_last else 1
        moved = np.moveaxis(x, axis, -1)[..., None]
        count = np.count_nonzero(moved >= thresholds, axis=-1).astype(np.float32)
        return (np.moveaxis(np.float32(out_scale) * count + np.float32(out_bias), -1, axis),)

    @classmethod
    def emit_c(cls, s, node):
        attrs = cls.attrs(node)
        x = node.inputs[0]
        channels_last = int(attrs["channels_last"])
        shape = shape_of(x)
        c = shape[-1] if channels_last else (shape[1] if len(shape) > 1 else 1)
        thresholds = np.broadcast_to(constant(node.inputs[1]), (c, constant(node.inputs[1]).shape[1]))
        thr = s.const(np.ascontiguousarray(thresholds, np.float32))
        s.call("eltwise", f"bnn_multithreshold_f32({c}, {size(x) // c}, {channels_last}, {s.operand(x)}, "
                          f"{thresholds.shape[1]}, {thr}, {float_literal(attrs['out_scale'])}, "
                          f"{float_literal(attrs['out_bias'])}, {s.operand(node.outputs[0])});")

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        attrs = cls.attrs(node)
        thresholds = lowering.constant(np.ascontiguousarray(lowering.array(node, 1, "thresholds", np.float32)))
        compute = partial(lowering.te_kernels.multithreshold, out_scale=float(attrs["out_scale"]),
                          out_bias=float(attrs["out_bias"]), channels_last=bool(int(attrs["channels_last"])),
                          product=lowering.product)
        return lowering.kernel("multithreshold", compute, lowering.operand(node.inputs[0]), thresholds)
