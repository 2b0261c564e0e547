"""Max-pools of a per-channel affine map, computed on the pooled values:

    MaxPoolAffine(X, S, B)                 MaxPool(X * S[c] + B[c]) (two roundings, -inf padding)
    ConvMaxPoolAffine(X, W, Bias, S, B)    MaxPoolAffine(Conv(X, W, Bias), S, B): a float conv read
                                           only by the pool (the stem of ResNet-like nets), in one
                                           pass over cached rows (targets whose float kernels fuse it)

The rounded map x -> x*s + b is monotone in x (non-increasing when s < 0), so the pool takes the
max of x (or the min, for s < 0) and maps only the pooled values. The conv's window attributes
are the usual ones; the pool's carry the prefix pool_.
"""
from __future__ import annotations

from functools import partial

import numpy as np
from onnx.reference.ops.op_conv import _conv_implementation

from ..codegen.emit import node_window, pool_params
from ..ir import constant, shape_of
from .conv_math import windows
from .op import FLOAT, REQUIRED, Op
from .windows import WINDOW_ATTRIBUTES, filled, window_output

WINDOW = {"kernel_shape": REQUIRED, "strides": None, "pads": None, "dilations": None}


def pool_affine(x, scale, bias, kernel_shape, strides, pads, dilations) -> np.ndarray:
    shape = (1, -1, 1, 1)
    y = ((x * scale.reshape(shape)).astype(np.float32) + bias.reshape(shape)).astype(np.float32)
    return windows(y, *filled(kernel_shape, strides, pads, dilations), pad_value=-np.inf).max(axis=(2, 3))


class MaxPoolAffine(Op):
    inputs = ("X", "S", "B")
    attributes = WINDOW

    @classmethod
    def output_types(cls, node):
        n, c, h, w = shape_of(node.inputs[0])
        return [((n, c, *window_output((h, w), **cls.attrs(node))), FLOAT)]

    @staticmethod
    def reference(x, scale, bias, kernel_shape=None, strides=None, pads=None, dilations=None):
        return (pool_affine(x, scale, bias, kernel_shape, strides, pads, dilations),)

    @classmethod
    def emit_c(cls, s, node):
        in_shape, out_shape = shape_of(node.inputs[0]), shape_of(node.outputs[0])
        fields = dict(C=in_shape[1], H=in_shape[2], W=in_shape[3], OH=out_shape[2], OW=out_shape[3],
                      **node_window(node))
        in_hw, out_hw = in_shape[2] * in_shape[3], out_shape[2] * out_shape[3]
        s.parallel("fpool", in_shape[1], f"bnn_pool_params q = *{pool_params(s, fields)}; q.C = hi - lo; "
                                         f"bnn_maxpool_affine_f32(&q, {s.operand(node.inputs[0])} + (size_t)lo * {in_hw}, "
                                         f"{s.operand(node.inputs[1])} + lo, {s.operand(node.inputs[2])} + lo, "
                                         f"{s.operand(node.outputs[0])} + (size_t)lo * {out_hw});")

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        return _pool_affine_kernel(lowering, node, lowering.operand(node.inputs[0]), lowering.window(node), 1)


class ConvMaxPoolAffine(Op):
    inputs = ("X", "W", "Bias", "S", "B")
    attributes = {**WINDOW, **{f"pool_{name}": default for name, default in WINDOW.items()}}

    @classmethod
    def output_types(cls, node):
        attrs = cls.attrs(node)
        n, _, h, w = shape_of(node.inputs[0])
        conv_hw = window_output((h, w), **{name: attrs[name] for name in WINDOW_ATTRIBUTES})
        pool_hw = window_output(conv_hw, **{name: attrs[f"pool_{name}"] for name in WINDOW_ATTRIBUTES})
        return [((n, shape_of(node.inputs[1])[0], *pool_hw), FLOAT)]

    @staticmethod
    def reference(x, w, bias, scale, shift, kernel_shape=None, strides=None, pads=None, dilations=None,
                  pool_kernel_shape=None, pool_strides=None, pool_pads=None, pool_dilations=None):
        kernel, strides, pads, dilations = filled(kernel_shape, strides, pads, dilations)
        y = _conv_implementation(x, w, bias, "NOTSET", dilations, 1, kernel, pads, strides).astype(np.float32)
        return (pool_affine(y, scale, shift, pool_kernel_shape, pool_strides, pool_pads, pool_dilations),)

    @classmethod
    def emit_c(cls, s, node):
        """Members share the pool's output rows; a member's consecutive pieces resume one another (no
        conv row computed twice)."""
        in_shape, out_shape = shape_of(node.inputs[0]), shape_of(node.outputs[0])
        weights = constant(node.inputs[1])
        attrs, window, m = cls.attrs(node), node_window(node), weights.shape[0]
        oh, ow = window_output(in_shape[2:], **{name: attrs[name] for name in WINDOW_ATTRIBUTES})
        conv = dict(C=in_shape[1], H=in_shape[2], W=in_shape[3], M=m, OH=oh, OW=ow, **window, G=1)
        pool = dict(C=m, H=oh, W=ow, OH=out_shape[2], OW=out_shape[3], **node_window(node, "pool_"))
        kernel = s.target.kernels.float
        layer = s.layers[-1]
        layer.float_macs += weights.size * oh * ow
        layer.detail = f"{conv['C']}->{m} {conv['KH']}x{conv['KW']}/{conv['SH']} + pool {pool['KH']}x{pool['KW']}/" \
                       f"{pool['SH']} out {out_shape[2]}x{out_shape[3]}"
        s.scratch_floats = max(s.scratch_floats, kernel.conv_pool_scratch_floats(conv, pool))
        bias = s.operand(node.inputs[2]) if node.inputs[2] is not None else "NULL"
        operands = ", ".join(s.operand(v) for v in (node.inputs[3], node.inputs[4]))
        s.balanced(kernel.source, pool["OH"],
                   f"bnn_conv_maxpool_affine_f32{kernel.suffix}({s.params('bnn_conv_params', conv)}, "
                   f"{pool_params(s, pool)}, {s.operand(node.inputs[0])}, "
                   f"{s.const(kernel.conv_weights(weights.astype(np.float32)))}, {bias}, {operands}, scratch, "
                   f"resume, lo, hi, {s.operand(node.outputs[0])});", resumable=True)

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        """The float conv, then MaxPoolAffine."""
        conv = lowering.conv2d(node, lowering.operand(node.inputs[0]),
                               lowering.array(node, 1, "Conv weights", np.float32), lowering.window(node), 1,
                               node.inputs[2])
        return _pool_affine_kernel(lowering, node, conv, lowering.window(node, "pool_"), 3)


def _pool_affine_kernel(lowering, node, x, window, first: int):
    """The MaxPoolAffine TE kernel on x, its scale and bias the node's inputs `first` and `first + 1`."""
    scale, bias = (lowering.constant(lowering.array(node, i, what, np.float32).reshape(-1))
                   for i, what in ((first, "scale"), (first + 1, "bias")))
    compute = partial(lowering.te_kernels.maxpool_affine, window=window, product=lowering.product)
    return lowering.kernel("maxpool_affine", compute, x, scale, bias)
