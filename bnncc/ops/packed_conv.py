"""Binary convolutions on packed operands: XOR-popcount over 64 channels a word.

    BinaryConvPacked(P, W[, T, D])         the integer accumulator as float [N, M, OH, OW] ([N, M]
                                           when `dense`), or with T and D the packed bits of
                                           Threshold(acc, T, D)
    BinaryConvAffine(P, W, S, B[, R, S2, B2, R2, T, D]) -> Y[, P']
                                           the accumulator straight through ChannelAffine:
                                           Y = (acc * S[m] + B[m]) + R, then with S2 and B2 a
                                           second one, Y = (Y * S2[m] + B2[m]) + R2; with T, D
                                           also its packed bits

P is packed [N, H, W, words(C)]; W is packed like activations, [M, KH, KW, words(C)]. `pad_bit`
-1 is ONNX zero padding (padded taps add nothing), 0 pads with +1, 1 with -1. For the taps T that
take part, dot = sum_t (C - 2 popcount(x_t XOR w_t)).
"""
from __future__ import annotations

import numpy as np

from .. import bits
from ..codegen.emit import node_window, panels, threshold_arrays
from ..ir import constant, shape_of
from .channel_affine import ChannelAffine
from .conv_math import conv2d
from .op import FLOAT, PACKED, REQUIRED, Op
from .threshold import threshold_decision
from .windows import filled, window_output

CONV = {"channels": REQUIRED, "kernel_shape": REQUIRED, "strides": None, "pads": None, "dilations": None,
        "pad_bit": -1, "dense": 0}
PAD_VALUES = {-1: 0.0, 0: 1.0, 1: -1.0}     # pad_bit -> the value of a padded tap

# Output pixels of a binary conv piece: below, the kernels' weight loads (done once per call and
# channel block) are spread over too few pixels (the 7x7 layers' pieces of one row ran at half speed).
MIN_BCONV_PIECE_PIXELS = 128
# With threads, blocked-layout binary convs whose output has at most this many pixels (14x14, 7x7; 16x16 keeps
# its pixel tiles) are shared by output channels, in words of 64, instead of rows: 7 or 14 rows cut
# coarsely (4 rows against 3), each member would stream all of the layer's weights, and the float
# planes would be cut inside cache lines. By channels, each member streams its own weights and
# writes whole planes, which the next layer's same cut reads back from its own cache (Bi-Real-18 on
# 2 threads: a 7x7 layer 120 -> 105 us, the strided one 85 -> 65 us).
MAX_CHANNEL_SPLIT_PIXELS = 200


def accumulator_shape(op: type[Op], node) -> tuple[int, ...]:
    """[N, M, OH, OW] of the conv's integer sums ([N, M] when dense)."""
    attrs = op.attrs(node)
    n, h, w, _ = shape_of(node.inputs[0])
    m = shape_of(node.inputs[1])[0]
    if attrs["dense"]:
        return (n, m)
    return (n, m, *window_output((h, w), attrs["kernel_shape"], attrs["strides"], attrs["pads"], attrs["dilations"]))


def accumulate(p, w, channels, kernel_shape, strides=None, pads=None, dilations=None, pad_bit=-1, dense=0):
    """The integer dot products of the packed operands, as float32 (the numpy oracle of every kernel)."""
    x = bits.unpack_nchw(p, channels)
    weights = bits.unpack_nchw(w, channels)  # [M, C, KH, KW]: weights are packed like activations
    _, strides, pads, dilations = filled(kernel_shape, strides, pads, dilations)
    acc = conv2d(x, weights, strides, pads, dilations, PAD_VALUES[int(pad_bit)]).astype(np.float32)
    return acc[:, :, 0, 0] if dense else acc


def packed_output(shape) -> tuple[tuple[int, ...], object]:
    n, m = shape[0], shape[1]
    oh, ow = (shape[2], shape[3]) if len(shape) == 4 else (1, 1)
    return (n, oh, ow, bits.words(m)), PACKED


class BinaryConvPacked(Op):
    inputs = ("P", "W", "T?", "D?")
    attributes = CONV
    reads_packed_ranges = writes_packed_ranges = True      # bnn_bconv_params in_stride, out_stride

    @classmethod
    def output_types(cls, node):
        shape = accumulator_shape(cls, node)
        return [packed_output(shape) if cls.input(node, "T") is not None else (shape, FLOAT)]

    @staticmethod
    def reference(p, w, thresholds=None, directions=None, **conv):
        acc = accumulate(p, w, **conv)
        if thresholds is not None:
            return (bits.pack_nchw(bits.pm1(threshold_decision(acc, thresholds, directions))),)
        return (acc,)

    @classmethod
    def emit_c(cls, s, node):
        emit_binary_conv(s, node, cls)

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        return lower_binary_conv(lowering, node, cls)


class BinaryConvAffine(BinaryConvPacked):
    """The same conv and emitters, with the affine output stage (`emit_binary_conv` tells them apart).

    The second stage holds what rounds twice after a binary layer, which no single scale and bias
    reproduces: a BatchNormalization after the residual Add ((acc + R) * S2 + B2), a scale after the
    layer's own (GroupNet's lambda, the second of ±alpha weights and a Mul), and then the running sum
    of a sum of binary layers (R2)."""

    inputs = ("P", "W", "S", "B", "R?", "S2?", "B2?", "R2?", "T?", "D?")
    outputs = ("Y", "P?")

    @classmethod
    def output_types(cls, node):
        shape = accumulator_shape(cls, node)
        return [(shape, FLOAT)] + ([packed_output(shape)] if cls.input(node, "T") is not None else [])

    @staticmethod
    def reference(p, w, scale, bias, residual=None, scale2=None, bias2=None, residual2=None, thresholds=None,
                  directions=None, **conv):
        y = accumulate(p, w, **conv)
        if scale2 is not None:
            (y,) = ChannelAffine.reference(y, scale, bias, residual)
            scale, bias, residual = scale2, bias2, residual2
        return ChannelAffine.reference(y, scale, bias, residual, thresholds, directions)


# BinaryConvAffine's inputs in the order of bnn_affine_stage's members (bconv.h)
STAGE = ("S", "B", "R", "S2", "B2", "R2")


def emit_binary_conv(s, node, op: type[Op]) -> None:
    """C calls of either conv: accumulator or bits out, or the fused affine (+ residual, + bits)."""
    attrs = op.attrs(node)
    packed_in = shape_of(node.inputs[0])              # [1, H, W, words]
    weights = constant(node.inputs[1])                # [M, KH, KW, words]
    acc_shape = accumulator_shape(op, node)
    channels, m, dense = int(attrs["channels"]), weights.shape[0], int(attrs["dense"])
    affine = op is BinaryConvAffine
    thresholds = op.input(node, "T")
    bits_out = not affine and thresholds is not None
    oh, ow = (1, 1) if dense else acc_shape[2:]
    packed_out = node.outputs[1] if affine and thresholds is not None else node.outputs[0] if bits_out else None
    fields = dict(C=channels, H=packed_in[1], W=packed_in[2], M=m, OH=oh, OW=ow, **node_window(node),
                  pad_bit=int(attrs["pad_bit"]))
    # maps that are word ranges of wider ones (a SliceBits view, a ConcatBits piece): their pixel strides
    for field, value in (("in_stride", node.inputs[0]), ("out_stride", packed_out)):
        if value is not None and (stride := s.plan.packed_stride(value)):
            fields[field] = stride
    p = s.params("bnn_bconv_params", fields)
    kernel = s.target.kernels.bconv
    layer = s.layers[-1]
    layer.binary_macs += m * oh * ow * fields["KH"] * fields["KW"] * channels
    layer.binary_weights = m * fields["KH"] * fields["KW"] * channels
    stages = 2 if affine and op.input(node, "S2") is not None else 1
    layer.weight_bytes = weights.nbytes + (m * 5 if bits_out else m * 8 * stages if affine else 0)  # per channel
    layer.detail = (f"dense {channels * fields['KH'] * fields['KW']}->{m}" if dense else
                    f"{channels}->{m} {fields['KH']}x{fields['KW']}/{fields['SH']} out {oh}x{ow}")
    x, y = s.operand(node.inputs[0]), s.operand(node.outputs[0])
    if kernel:
        packed, aux = kernel.pack_weights(weights, channels)
        w, family, suffix = s.const(packed), kernel.source, kernel.suffix
        extra = f"{s.const(aux)}, " if aux is not None else ""
    else:
        w, extra, family, suffix = s.const(weights), "", "bconv", "_rows"

    def by_rows(text: str) -> None:
        s.balanced(family, oh, text, min_piece=-(-MIN_BCONV_PIECE_PIXELS // ow))

    words, m_begin, m_end = panels(64, m)
    by_channels = (kernel and kernel.splits_channels and s.threads > 1 and oh * ow <= MAX_CHANNEL_SPLIT_PIXELS
                   and words >= s.threads)

    def affine_kernel(name: str, operands: str, outputs: str) -> None:
        if by_channels:
            s.balanced(family, words, f"bnn_bconv_{name}_channels{suffix}({operands}, {m_begin}, {m_end}, {outputs});")
        else:
            by_rows(f"bnn_bconv_{name}{suffix}({operands}, lo, hi, {outputs});")

    if bits_out:
        thr, dirs = threshold_arrays(s, constant(thresholds), constant(op.input(node, "D")), np.int32)
        by_rows(f"bnn_bconv_bits{suffix}({p}, {x}, {w}, {extra}{thr}, {dirs}, lo, hi, {y});")
    elif affine:
        stage = ", ".join(s.operand(v) if v is not None else "NULL" for v in (op.input(node, name) for name in STAGE))
        operands = f"{p}, {x}, {w}, {extra}&(const bnn_affine_stage){{{stage}}}"
        if thresholds is not None:
            thr, dirs = threshold_arrays(s, constant(thresholds), constant(op.input(node, "D")))
            affine_kernel("affine_pack", f"{operands}, {thr}, {dirs}", f"{y}, {s.operand(node.outputs[1])}")
        else:
            affine_kernel("affine_f32", operands, y)
    else:
        by_rows(f"bnn_bconv_f32{suffix}({p}, {x}, {w}, {extra}lo, hi, {y});")


def lower_binary_conv(lowering, node, op: type[Op]):
    """One TE kernel with the output stage fused (`kernels.binary_conv`)."""
    kernels = lowering.te_kernels
    attrs = op.attrs(node)
    conv = kernels.BinaryConv(channels=int(attrs["channels"]), window=lowering.window(node),
                              pad_bit=int(attrs["pad_bit"]), dense=bool(int(attrs["dense"])))
    affine = op is BinaryConvAffine
    packed = op.input(node, "T") is not None
    index = {name.rstrip("?"): i for i, name in enumerate(op.inputs)}
    # the output stage's inputs that are there, as (name, operand); scales and biases are constants
    per_channel = {"S": "scale", "B": "bias", "S2": "second scale", "B2": "second bias"}
    stage = [(name, lowering.constant(lowering.array(node, index[name], per_channel[name], np.float32).reshape(-1))
              if name in per_channel else lowering.operand(op.input(node, name)))
             for name in (STAGE if affine else ()) if op.input(node, name) is not None]
    operands = [lowering.operand(node.inputs[0]),
                lowering.constant(kernels.weight_layout(lowering.array(node, 1, "packed weights", np.uint64))),
                *(operand for _, operand in stage)]
    if packed:
        operands += list(lowering.threshold_constants(node, index["T"]))

    def compute(p, w, *rest):
        given = dict(zip((name for name, _ in stage), rest))
        thresholds, directions = rest[len(stage):] if packed else (None, None)
        second = (given["S2"], given["B2"], given.get("R2")) if "S2" in given else None
        return kernels.binary_conv(p, w, conv, given.get("S"), given.get("B"), given.get("R"), thresholds,
                                   directions, product=lowering.product, tensor_cores=lowering.tensor_cores,
                                   second=second)

    result = lowering.kernel("binary_conv", compute, *operands)
    return lowering.outputs_of(result, 2) if affine and packed else result
