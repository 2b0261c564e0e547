"""Turn Conv / Gemm / MatMul layers with ±1 inputs and ±1 (or ±s) weights into binary ops.

A layer is binary when its data input is ±1-valued (a bnncc Sign/Threshold output, possibly
through MaxPool, Reshape/Flatten, a ±1 Pad, Slice/Split or a Concat of ±1 maps) and its weights
are, per output channel m, ±s_m with s_m > 0. Then

    conv(x, s_m * sign(w)) + b_m  =  s_m * BinaryConv(x, sign(w)) + b_m

where BinaryConv is an exact integer in [-K, K]. The scale and bias stay as float Mul/Add after
the binary op, where the threshold pass folds them. (With s_m a power of two the rewrite is
exact; otherwise the reference's own float accumulation of ±s_m terms may differ by an ulp,
which the report says.)
"""
from __future__ import annotations

import numpy as np
import onnx_ir as ir

from bnncc.errors import BnnccError
from bnncc.ir import (add_constant, attribute, constant, insert_before, is_bnncc, new_node, replace_value,
                      shape_of, source_label)
from bnncc.ops import make_node
from bnncc.ops.windows import window_attributes
from bnncc.report import ConversionReport, listed

PM1_PRESERVING = ("MaxPool", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Slice", "Split")


def is_pm1(value: ir.Value) -> bool:
    """True when every element of `value` is +1 or -1 whatever the input."""
    node = value.producer()
    if node is None:
        return False
    if is_bnncc(node, "Sign") or is_bnncc(node, "Threshold"):
        return True
    if node.domain == "" and node.op_type in PM1_PRESERVING:
        return is_pm1(node.inputs[0])
    if node.domain == "" and node.op_type == "Concat":
        return all(is_pm1(v) for v in node.inputs)
    if node.domain == "" and node.op_type == "Pad":
        return pad_fill_value(node) in (1.0, -1.0) and is_pm1(node.inputs[0])
    return False


def split_scaled_pm1(value: ir.Value) -> tuple[ir.Value | None, np.float32]:
    """(X, s) when `value` is X or s * X with X ±1-valued and s a positive scalar, else (None, 1).

    A BipolarQuant with a scale other than 1 gives s * sign(x): conv(s * X, W) = s * conv(X, W)."""
    if is_pm1(value):
        return value, np.float32(1)
    node = value.producer()
    if node is not None and node.domain == "" and node.op_type == "Mul":
        for x, c in ((node.inputs[0], node.inputs[1]), (node.inputs[1], node.inputs[0])):
            scale = constant(c)
            if scale is not None and scale.size == 1 and float(scale.item()) > 0 and is_pm1(x) \
                    and shape_of(x) == shape_of(value):
                return x, np.float32(scale.item())
    return None, np.float32(1)


def pad_fill_value(node: ir.Node) -> float | None:
    """The constant a constant-mode Pad fills with, or None when it is not a constant pad."""
    if str(attribute(node, "mode", "constant")) != "constant":
        return None
    if len(node.inputs) > 2 and node.inputs[2] is not None:
        value = constant(node.inputs[2])
        return None if value is None else float(value.reshape(-1)[0])
    return float(attribute(node, "value", 0.0))


def binary_weights(w: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Split [M, ...] weights into (sign, scale[M]) when each row is ±s_m with s_m > 0."""
    rows = w.reshape(w.shape[0], -1)
    scale = np.abs(rows[:, 0])
    if np.any(scale == 0) or not np.all(np.abs(rows) == scale[:, None]):
        return None
    return np.where(rows < 0, np.float32(-1), np.float32(1)).reshape(w.shape), scale.astype(np.float32)


def nearly_binary(w: np.ndarray) -> bool:
    """Mostly ±1 but not all: most likely a broken binarization, worth an error."""
    return 0.9 <= np.mean(np.abs(w) == 1) < 1


class LowerBinaryLayersPass(ir.passes.InPlacePass):
    def __init__(self, report: ConversionReport):
        super().__init__()
        self.report = report

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        modified = False
        self.unexact_scales: list[str] = []
        for node in list(model.graph):
            if node.domain == "" and node.op_type in ("Conv", "Gemm", "MatMul"):
                modified |= self._lower(model.graph, node)
        if self.unexact_scales:
            self.report.note(f"{listed(self.unexact_scales)}: input/weight scales are not powers of two; folding "
                             "them may differ from the reference's float accumulation by an ulp")
        return ir.passes.PassResult(model, modified)

    def _lower(self, graph: ir.Graph, node: ir.Node) -> bool:
        name = node.name or node.op_type
        weights = constant(node.inputs[1])
        if weights is None:
            self.report.layer(name, node.op_type, "float", "weights are computed at run time")
            return False
        if node.op_type == "Conv":
            matrix = weights
        elif node.op_type == "Gemm" and int(attribute(node, "transB", 0)):
            matrix = weights
        else:
            matrix = weights.T if weights.ndim == 2 else None
        x, input_scale = split_scaled_pm1(node.inputs[0])
        if x is None:
            self.report.layer(name, node.op_type, "float", "input is real-valued")
            return False
        split = binary_weights(matrix) if matrix is not None else None
        if split is None:
            if matrix is not None and nearly_binary(matrix):
                raise BnnccError(f"{np.sum(np.abs(matrix) != 1)} of {matrix.size} weights are not ±1 in a layer "
                                 "whose other weights are: the binarization looks broken", node=source_label(node))
            self.report.layer(name, node.op_type, "float", "weights are not ±1 (or ±s per output channel)")
            return False
        signs, scale = split
        scale = (scale * input_scale).astype(np.float32)
        if node.op_type == "Conv":
            lowered = self._conv(graph, node, x, signs)
        else:
            lowered = self._dense(graph, node, x, signs)
        if lowered is None:
            return False
        out, bias, channel_shape = lowered
        value = out
        if np.any(scale != 1):
            if not np.all(np.log2(scale) == np.round(np.log2(scale))):
                self.unexact_scales.append(source_label(node))
            value = _append(graph, node, "Mul", value, scale.reshape(channel_shape))
        if bias is not None:
            value = _append(graph, node, "Add", value, bias.reshape(channel_shape))
        replace_value(node.outputs[0], value)
        graph.remove(node, safe=True)
        self.report.layer(name, node.op_type, "binary", "±1 input and ±1 weights")
        return True

    def _conv(self, graph, node, x, signs):
        name = node.name or "Conv"
        if int(attribute(node, "group", 1)) != 1:
            self.report.layer(name, "Conv", "float", "grouped convolution")
            return None
        in_shape, out_shape = shape_of(x), shape_of(node.outputs[0])
        if len(in_shape) != 4:
            self.report.layer(name, "Conv", "float", f"{len(in_shape) - 2}-D convolution (2-D only)")
            return None
        window = window_attributes(node, signs.shape[2:])
        pads = window["pads"]
        pad_value = 0.0
        producer = x.producer()
        if producer is not None and producer.op_type == "Pad" and producer.domain == "" and not any(pads):
            extra = constant(producer.inputs[1]) if len(producer.inputs) > 1 else np.array(attribute(producer, "pads"))
            fill = pad_fill_value(producer)
            if extra is not None and fill in (1.0, -1.0) and not any(extra[[0, 1, 4, 5]]):
                pads = [int(extra[2]), int(extra[3]), int(extra[6]), int(extra[7])]
                pad_value, x = fill, producer.inputs[0]
        op = make_node("BinaryConv", [x, add_constant(graph, signs, "binary_weights")],
                       {**window, "pads": pads, "pad_value": pad_value})
        insert_before(graph, node, op)
        bias = constant(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] is not None else None
        return op.outputs[0], bias, (-1, 1, 1)

    def _dense(self, graph, node, x, signs):
        name = node.name or node.op_type
        if len(shape_of(x)) != 2 or shape_of(x)[0] != 1 or (node.op_type == "Gemm" and int(attribute(node, "transA", 0))):
            # the packed kernels take one row per sample: [1, K] at batch 1 (several rows would be
            # read as several samples)
            self.report.layer(name, node.op_type, "float", "only [N, K] inputs with one row per sample are lowered")
            return None
        op = make_node("BinaryMatMul", [x, add_constant(graph, signs.T.copy(), "binary_weights")])
        insert_before(graph, node, op)
        value, bias = op.outputs[0], None
        if node.op_type == "Gemm":
            alpha, beta = float(attribute(node, "alpha", 1.0)), float(attribute(node, "beta", 1.0))
            if alpha != 1:
                value = _append(graph, node, "Mul", value, np.float32(alpha))
            if len(node.inputs) > 2 and node.inputs[2] is not None:
                c = constant(node.inputs[2])
                if c is None:
                    raise BnnccError("Gemm bias computed at run time is not supported", node=source_label(node))
                bias = (np.float32(beta) * c.astype(np.float32)) if beta != 1 else c.astype(np.float32)
                if bias.ndim == 2 and bias.shape[0] == 1:
                    bias = bias[0]
                if bias.ndim > 1:
                    raise BnnccError("Gemm bias must broadcast along the batch", node=source_label(node))
                bias = np.broadcast_to(bias, (signs.shape[0],)).copy()
        return value, bias, (-1,)


def _append(graph: ir.Graph, anchor: ir.Node, op_type: str, value: ir.Value, array: np.ndarray) -> ir.Value:
    node = new_node(op_type, [value, add_constant(graph, np.asarray(array, np.float32))], shape=shape_of(value))
    insert_before(graph, anchor, node)
    return node.outputs[0]
