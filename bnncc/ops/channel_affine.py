"""ChannelAffine(X, S, B[, R, T, D]) -> Y[, P]: a per-channel affine map, as onnxruntime computes
BatchNormalization, then a residual Add and the packed binarization, in one pass:

    Y = (X * S[c] + B[c]) + R        each operation rounded to float32, no fused multiply-add
    P = pack(Threshold(Y, T, D))     with T and D only

onnxruntime folds BatchNormalization(gamma, beta, mean, var, eps) into S = (1 / sqrt(var + eps))
* gamma and B = beta - mean * S, each step rounded to float32 (`batchnorm_coefficients`); every
stage that evaluates a BatchNormalization uses these, so all of them round like the reference.
"""
from __future__ import annotations

import numpy as np

from ..bits import pack_nchw, pm1
from ..codegen.emit import by_pixels, channels_hw, panels, threshold_arrays
from ..ir import constant
from .op import Op, packed_like, same_as
from .threshold import threshold_decision


def batchnorm_coefficients(gamma, beta, mean, var, epsilon):
    """onnxruntime's folded (scale, bias) per channel, in float32."""
    f = np.float32
    inv_std = f(1) / np.sqrt(var.astype(f) + f(epsilon))
    scale = (inv_std * gamma.astype(f)).astype(f)
    return scale, (beta.astype(f) - mean.astype(f) * scale).astype(f)


class ChannelAffine(Op):
    inputs = ("X", "S", "B", "R?", "T?", "D?")
    outputs = ("Y", "P?")

    @classmethod
    def output_types(cls, node):
        x = node.inputs[0]
        return [same_as(x)] + ([packed_like(x)] if cls.input(node, "T") is not None else [])

    @staticmethod
    def reference(x, scale, bias, residual=None, thresholds=None, directions=None):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        y = (x * scale.reshape(shape)).astype(np.float32) + bias.reshape(shape)
        if residual is not None:
            y = (y + residual).astype(np.float32)
        if thresholds is None:
            return (y,)
        return y, pack_nchw(pm1(threshold_decision(y, thresholds, directions)))

    @classmethod
    def emit_c(cls, s, node):
        c, hw = channels_hw(node.inputs[0])
        x, sc, bi, y = (s.operand(v) for v in (node.inputs[0], node.inputs[1], node.inputs[2], node.outputs[0]))
        residual = cls.input(node, "R")
        residual = s.operand(residual) if residual is not None else "NULL"
        source, suffix = s.target.kernels.entry("pack")
        if cls.input(node, "T") is None:       # no packing: members take whole channels
            residual_at = "" if residual == "NULL" else f" + (size_t)m0 * {hw}"
            call = (f"bnn_affine_pack_range_f32{suffix}(m1 - m0, {hw}, 0, {hw}, {x} + (size_t)m0 * {hw}, {sc} + m0, "
                    f"{bi} + m0, {residual}{residual_at}, {y} + (size_t)m0 * {hw}, NULL, NULL, NULL);")
            if s.target.kernels.float:
                # in the panels of the SIMD float conv that usually writes x, shared the same way, so
                # that each member mostly reads back the channels it wrote (28x28 on 2 threads: 25 -> 18 us)
                count, m0, m1 = panels(s.target.kernels.float.mr, c)
                s.balanced(source, count, f"const int m0 = {m0}, m1 = {m1}; {call}")
            else:
                s.parallel(source, c, f"const int m0 = lo, m1 = hi; {call}")
            return
        thr, dirs = threshold_arrays(s, constant(cls.input(node, "T")), constant(cls.input(node, "D")))
        by_pixels(s, hw, f"bnn_affine_pack_range_f32{suffix}({c}, {hw}, lo, hi, {x}, {sc}, {bi}, {residual}, {y}, "
                         f"{thr}, {dirs}, {s.operand(node.outputs[1])});", source)

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        residual, packed = cls.input(node, "R"), cls.input(node, "T") is not None
        operands = [lowering.operand(node.inputs[0])]
        operands += [lowering.constant(lowering.array(node, i, what, np.float32).reshape(-1))
                     for i, what in ((1, "scale"), (2, "bias"))]
        operands += [lowering.operand(residual)] if residual is not None else []
        if packed:
            operands += list(lowering.threshold_constants(node, 4))

        def compute(x, scale, bias, *rest):
            rest = list(rest)
            r = rest.pop(0) if residual is not None else None
            t, d = (rest[0], rest[1]) if packed else (None, None)
            return lowering.te_kernels.channel_affine(x, scale, bias, r, t, d, product=lowering.product)

        result = lowering.kernel("channel_affine", compute, *operands)
        return lowering.outputs_of(result, 2) if packed else result
