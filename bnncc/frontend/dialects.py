"""Rewrite every dialect's binarization into one canonical op, `ai.bnncc.Sign(x; rule)`.

`rule` says when the result is +1: x >= 0 (ge), x > 0 (gt), x <= 0 (le) or x < 0 (lt). Each
source keeps its own treatment of 0:
  ONNX Sign(x)                      0 -> 0, not representable in 1 bit: ge, flagged zero_maps_to_zero
  Sign(Sign(x) + c), 0 < |c| < 1    Larq ste_sign: ge when c > 0, gt when c < 0
  Where(x > c, +1, -1) and friends  the comparison itself; a nonzero c becomes Sub(x, c) first,
                                    exact because IEEE subtraction gets the sign of x - c right
  2 * Cast(x > c) - 1               the same (PyTorch's `(x > c).float() * 2 - 1`)
  BipolarQuant(x, s)                qonnx: x >= 0 -> +s, else -s  (ge, then Mul s)
  Quant(x, s, z, 1 bit, signed)     qonnx: x/s + z >= 0 -> (±1 - z)*s
  MultiThreshold(x, T[C,1]), ±1 out FINN: x >= T[c] -> out_scale + out_bias
Quant with more bits becomes Div/Add/Clip/Round/Sub/Mul (float), MultiThreshold with more
thresholds stays a float `ai.bnncc.MultiThreshold`.
"""
from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ..errors import BnnccError
from ..ir import (add_constant, attribute, constant, insert_before, new_node, replace_value, shape_of,
                  source_label)
from ..ops import make_node

COMPARISONS = {"Greater": "gt", "GreaterOrEqual": "ge", "Less": "lt", "LessOrEqual": "le"}
SWAPPED = {"gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}      # c OP x  ==  x SWAPPED(OP) c
NEGATED = {"gt": "le", "ge": "lt", "lt": "ge", "le": "gt"}      # not (x OP c)
ROUNDING = {"ROUND": "Round", "FLOOR": "Floor", "CEIL": "Ceil"}


def canonicalize(graph: ir.Graph) -> int:
    """Rewrite all recognised binarizations in place; returns how many were rewritten."""
    rewrites = 0
    for node in list(graph):
        if node.graph is None:      # already removed by an earlier rewrite
            continue
        rewrite = _REWRITERS.get(node.op_type)
        if rewrite is not None and rewrite(graph, node):
            rewrites += 1
    return rewrites


class _Builder:
    """Appends elementwise nodes before `anchor`, each keeping the shape of its input."""

    def __init__(self, graph: ir.Graph, anchor: ir.Node, value: ir.Value):
        self.graph, self.anchor, self.value = graph, anchor, value
        self.shape = shape_of(value)

    def op(self, op_type: str, *constants: np.ndarray, domain: str = "", **attributes) -> "_Builder":
        inputs = [self.value] + [add_constant(self.graph, np.asarray(c, np.float32)) for c in constants]
        if domain:
            node = make_node(op_type, inputs, attributes or None)
        else:
            node = new_node(op_type, inputs, attributes or None, shape=self.shape)
        insert_before(self.graph, self.anchor, node)
        self.value = node.outputs[0]
        return self

    def sign(self, rule: str, zero_maps_to_zero: int = 0) -> "_Builder":
        return self.op("Sign", domain="ai.bnncc", rule=rule, zero_maps_to_zero=zero_maps_to_zero)

    def finish(self, old_output: ir.Value) -> bool:
        replace_value(old_output, self.value)
        self.graph.remove(self.anchor, safe=True)
        return True


def _onnx_sign(graph: ir.Graph, node: ir.Node) -> bool:
    inner = node.inputs[0].producer()
    if inner is not None and inner.op_type == "Add" and inner.domain == "":
        for sign_input, offset in ((inner.inputs[0], inner.inputs[1]), (inner.inputs[1], inner.inputs[0])):
            c = constant(offset)
            producer = sign_input.producer()
            if c is not None and c.size == 1 and 0 < abs(float(c.item())) < 1 and _is_onnx_sign(producer):
                rule = "ge" if float(c.item()) > 0 else "gt"
                return _Builder(graph, node, producer.inputs[0]).sign(rule).finish(node.outputs[0])
    return _Builder(graph, node, node.inputs[0]).sign("ge", zero_maps_to_zero=1).finish(node.outputs[0])


def _is_onnx_sign(node: ir.Node | None) -> bool:
    """An ONNX Sign, or one this pass already rewrote (it still carries the 0 -> 0 flag)."""
    if node is None or node.op_type != "Sign":
        return False
    return node.domain == "" or int(attribute(node, "zero_maps_to_zero", 0)) == 1


def _where(graph: ir.Graph, node: ir.Node) -> bool:
    condition, plus_branch, minus_branch = node.inputs
    a, b = _uniform(plus_branch), _uniform(minus_branch)
    if a is None or b is None or a != -b or a == 0:
        return False
    return _comparison_sign(graph, node, condition.producer(), a)


def _two_bits_minus_one(graph: ir.Graph, node: ir.Node) -> bool:
    """2 * Cast(comparison) - 1 (or + -1): PyTorch's `(x >= 0).float() * 2 - 1`, +1 where it holds."""
    if node.domain != "" or len(node.inputs) != 2:
        return False
    pairs = [(node.inputs[0], node.inputs[1])] + ([(node.inputs[1], node.inputs[0])] if node.op_type == "Add" else [])
    for doubled, one in pairs:                  # 2b - 1, or 2b + (-1) in either order
        if _uniform(one) != (1.0 if node.op_type == "Sub" else -1.0):
            continue
        mul = doubled.producer()
        if mul is None or mul.op_type != "Mul" or mul.domain != "" or len(mul.inputs) != 2:
            continue
        for bits, two in ((mul.inputs[0], mul.inputs[1]), (mul.inputs[1], mul.inputs[0])):
            cast = bits.producer()
            if _uniform(two) == 2.0 and cast is not None and cast.op_type == "Cast" and cast.domain == "" \
                    and attribute(cast, "to") == ir.DataType.FLOAT:
                return _comparison_sign(graph, node, cast.inputs[0].producer(), 1.0)
    return False


def _uniform(value: ir.Value) -> float | None:
    """The one number a constant holds in every element, else None."""
    array = constant(value)
    if array is None or array.size == 0 or np.unique(array).size != 1:
        return None
    return float(array.flat[0])


def _comparison_sign(graph: ir.Graph, node: ir.Node, compare: ir.Node | None, a: float) -> bool:
    """Rewrite `node`, whose output is `a` where `compare` holds and -a where not."""
    if compare is None or compare.op_type not in COMPARISONS or compare.domain != "":
        return False
    rule = COMPARISONS[compare.op_type]
    x, c = compare.inputs
    if constant(x) is not None and constant(c) is None:
        x, c, rule = c, x, SWAPPED[rule]
    offset = constant(c)
    if offset is None or constant(x) is not None:
        return False
    if a < 0:
        rule, a = NEGATED[rule], -a
    out_shape = shape_of(node.outputs[0])
    if shape_of(x) != out_shape:
        return False
    builder = _Builder(graph, node, x)
    if np.any(offset != 0):
        builder.op("Sub", offset.astype(np.float32))
    builder.sign(rule)
    if a != 1:
        builder.op("Mul", np.float32(a))
    return builder.finish(node.outputs[0])


def _bipolar_quant(graph: ir.Graph, node: ir.Node) -> bool:
    scale = _required_constant(node, 1, "scale")
    builder = _Builder(graph, node, node.inputs[0]).sign("ge")
    if np.any(scale != 1):
        builder.op("Mul", scale.astype(np.float32))
    return builder.finish(node.outputs[0])


def _quant(graph: ir.Graph, node: ir.Node) -> bool:
    scale = _required_constant(node, 1, "scale").astype(np.float32)
    zero_point = _required_constant(node, 2, "zero point").astype(np.float32)
    bit_width = _required_constant(node, 3, "bit width")
    if bit_width.size != 1 or bit_width.item() != int(bit_width.item()) or not 1 <= bit_width.item() <= 32:
        raise BnnccError(f"bit width must be one integer in 1..32, got {bit_width.tolist()}", node=source_label(node))
    bits = int(bit_width.item())
    signed, narrow = _flag(node, "signed", 1), _flag(node, "narrow", 0)
    if np.any(scale <= 0):
        raise BnnccError("Quant scale must be positive", node=source_label(node))
    builder = _Builder(graph, node, node.inputs[0])
    if np.any(scale != 1):
        builder.op("Div", scale)
    if np.any(zero_point != 0):
        builder.op("Add", zero_point)
    if bits == 1 and signed:
        builder.sign("ge")
    else:
        low = -(2 ** (bits - 1)) + narrow if signed else 0
        high = 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1 - narrow
        mode = str(attribute(node, "rounding_mode", "ROUND")).upper()
        if mode not in ROUNDING:
            raise BnnccError(f"Quant rounding mode {mode} is not supported (ROUND, FLOOR, CEIL are)",
                             node=source_label(node))
        builder.op("Clip", np.float32(low), np.float32(high)).op(ROUNDING[mode])
    if np.any(zero_point != 0):
        builder.op("Sub", zero_point)
    if np.any(scale != 1):
        builder.op("Mul", scale)
    return builder.finish(node.outputs[0])


def _multithreshold(graph: ir.Graph, node: ir.Node) -> bool:
    thresholds = _required_constant(node, 1, "thresholds").astype(np.float32)
    out_scale = float(attribute(node, "out_scale", 1.0))
    out_bias = float(attribute(node, "out_bias", 0.0))
    layout = str(attribute(node, "data_layout", "") or "")
    x = node.inputs[0]
    rank = len(shape_of(x))
    axis = rank - 1 if layout.upper() in ("NHWC", "NWC") else min(1, rank - 1)
    if thresholds.ndim != 2:
        raise BnnccError(f"MultiThreshold thresholds must be [C, T], got shape {thresholds.shape}", node=source_label(node))
    channels = shape_of(x)[axis] if rank else 1
    if thresholds.shape[0] not in (1, channels):
        raise BnnccError(f"MultiThreshold has {thresholds.shape[0]} threshold rows for {channels} channels",
                         node=source_label(node))
    counts = np.arange(thresholds.shape[1] + 1, dtype=np.float32)          # qonnx: out_scale * count + out_bias
    if np.unique(np.float32(out_scale) * counts + np.float32(out_bias)).size != counts.size:
        raise BnnccError(f"MultiThreshold output levels out_bias + k * out_scale (out_bias {out_bias:g}, out_scale "
                         f"{out_scale:g}) are not distinct in float32: the quantizer loses its levels",
                         node=source_label(node))
    levels = {out_bias, out_scale + out_bias}
    builder = _Builder(graph, node, x)
    if thresholds.shape[1] == 1 and levels == {-1.0, 1.0}:
        broadcast = [1] * rank
        broadcast[axis] = thresholds.shape[0]
        builder.op("Sub", thresholds[:, 0].reshape(broadcast[1:] if rank > 1 else broadcast))
        builder.sign("ge" if out_scale > 0 else "lt")
        return builder.finish(node.outputs[0])
    return builder.op("MultiThreshold", thresholds, domain="ai.bnncc", out_scale=out_scale, out_bias=out_bias,
                      channels_last=int(axis == rank - 1 and rank > 2)).finish(node.outputs[0])


def _flag(node: ir.Node, name: str, default: int) -> int:
    """A QONNX 0/1 attribute; other values have no agreed meaning (qonnx reads them as booleans)."""
    value = attribute(node, name, default)
    if not isinstance(value, int) or value not in (0, 1):
        raise BnnccError(f"{node.op_type} attribute {name} must be 0 or 1, got {value!r}", node=source_label(node))
    return value


def _required_constant(node: ir.Node, index: int, what: str) -> np.ndarray:
    value = node.inputs[index] if index < len(node.inputs) else None
    array = constant(value)
    if array is None:
        raise BnnccError(f"{node.op_type} {what} must be a constant", node=source_label(node))
    return array


_REWRITERS = {
    "Sign": lambda g, n: n.domain == "" and _onnx_sign(g, n),
    "Where": _where,
    "Sub": _two_bits_minus_one,
    "Add": _two_bits_minus_one,
    "BipolarQuant": _bipolar_quant,
    "Quant": _quant,
    "MultiThreshold": _multithreshold,
}
