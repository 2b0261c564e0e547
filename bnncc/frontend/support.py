"""Which ONNX ops bnncc accepts, and with which attributes, checked before anything else runs."""
from __future__ import annotations

import math

import onnx

from ..errors import BnnccError, printable
from ..reference import OLD_DOMAINS
from .structure import node_label

STANDARD_DOMAINS = ("", "ai.onnx")

# Ops that run (as float C kernels or folded away) or take part in binarization.
STANDARD_OPS = frozenset("""
Conv Gemm MatMul BatchNormalization Add Sub Mul Div Pow Relu PRelu LeakyRelu MaxPool AveragePool
GlobalAveragePool GlobalMaxPool Flatten Reshape Transpose Squeeze Unsqueeze Concat Split Shape Gather Slice
Cast Constant ConstantOfShape Identity Dropout Softmax LogSoftmax ArgMax TopK Sign Greater
GreaterOrEqual Less LessOrEqual Where Not Clip Round Floor Ceil Sqrt Neg Abs Exp Log Sigmoid Tanh
Reciprocal Pad Max Min Range Expand Equal Sum
""".split())

# The attributes of the custom ops that bnncc reads, with the types qonnx reads them as (a float
# attribute written as an integer is read as that number).
CUSTOM_ATTRIBUTES = {
    "MultiThreshold": {"out_scale": "number", "out_bias": "number", "data_layout": "string", "out_dtype": "string"},
    "Quant": {"signed": "number", "narrow": "number", "rounding_mode": "string"},
}
ATTRIBUTE_KINDS = {"number": (onnx.AttributeProto.FLOAT, onnx.AttributeProto.INT),
                   "string": (onnx.AttributeProto.STRING,)}

# qonnx's general ops, in its own domain and in those of older Brevitas and FINN exports.
CUSTOM_OPS = {op: ("qonnx.custom_op.general",) + OLD_DOMAINS for op in ("BipolarQuant", "Quant", "MultiThreshold")}

# Integer attributes end up as literals in the generated C (strides, pads, axes, group...):
# bounded so that no size or index computed from them can overflow a C int.
MAX_ATTRIBUTE_INT = 1 << 24
# Integer attributes that may legitimately be huge and never reach C (folded at compile time).
UNBOUNDED = {("Constant", "value_int"), ("Constant", "value_ints"), ("Slice", "starts"), ("Slice", "ends")}
# Window ops: kernel_shape, strides and dilations have one entry per spatial axis, pads two.
WINDOW_OPS = {"Conv", "MaxPool", "AveragePool"}
CONSTANT_VALUES = ("value", "value_float", "value_floats", "value_int", "value_ints")
WINDOW_MINIMUM = {"kernel_shape": 1, "strides": 1, "dilations": 1, "pads": 0}


def check_supported(model: onnx.ModelProto) -> None:
    """Raise BnnccError naming the first node whose op or attributes bnncc does not accept."""
    for index, node in enumerate(model.graph.node):
        label = node_label(node, index)
        if node.domain in STANDARD_DOMAINS:
            if node.op_type not in STANDARD_OPS:
                raise BnnccError(f"op {node.op_type} is not supported by bnncc", node=label)
        elif node.domain not in CUSTOM_OPS.get(node.op_type, ()):
            raise BnnccError(f"op {node.domain}.{node.op_type} is not supported by bnncc (unknown domain or op)",
                             node=label)
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute):
            raise BnnccError("control flow subgraphs are not supported", node=label)
        _check_integer_attributes(node, label)
        _check_custom_attribute_types(node, label)
        _check_float_attributes(node, label)
        if node.op_type == "Constant" and node.domain in STANDARD_DOMAINS:
            _check_constant(node, label)
        if node.op_type in WINDOW_OPS and node.domain in STANDARD_DOMAINS:
            _check_window(node, label)


def _check_integer_attributes(node: onnx.NodeProto, label: str) -> None:
    for attribute in node.attribute:
        if (node.op_type, attribute.name) in UNBOUNDED:
            continue
        values = [attribute.i] if attribute.type == onnx.AttributeProto.INT else list(attribute.ints)
        if any(abs(v) > MAX_ATTRIBUTE_INT for v in values):
            raise BnnccError(f"attribute {attribute.name} = {values[:8]} is out of range "
                             f"(bnncc accepts integers up to {MAX_ATTRIBUTE_INT} in absolute value)", node=label)


def _check_custom_attribute_types(node: onnx.NodeProto, label: str) -> None:
    """onnxruntime checks the standard ops' attributes while it finds the shapes; the custom ops
    it never sees (they stand in as Identity) are checked here."""
    if node.domain in STANDARD_DOMAINS:
        return
    expected = CUSTOM_ATTRIBUTES.get(node.op_type, {})
    for attribute in node.attribute:
        kind = expected.get(attribute.name)
        if kind is not None and attribute.type not in ATTRIBUTE_KINDS[kind]:
            raise BnnccError(f"attribute {printable(attribute.name)} must be one {kind}, not "
                             f"{onnx.AttributeProto.AttributeType.Name(attribute.type).lower()}", node=label)


def _check_float_attributes(node: onnx.NodeProto, label: str) -> None:
    """NaN has no order, so no threshold or kernel reproduces what the reference does with it;
    infinities are meaningful only as Clip bounds."""
    for attribute in node.attribute:
        values = [attribute.f] if attribute.type == onnx.AttributeProto.FLOAT else list(attribute.floats)
        infinite_ok = node.op_type == "Clip" and attribute.name in ("min", "max")
        if any(math.isnan(v) or (math.isinf(v) and not infinite_ok) for v in values):
            raise BnnccError(f"attribute {attribute.name} = {values[:8]} is not a finite number", node=label)


def _check_constant(node: onnx.NodeProto, label: str) -> None:
    """A Constant holds its value in exactly one numeric attribute."""
    names = [a.name for a in node.attribute]
    if len(names) != 1 or names[0] not in CONSTANT_VALUES:
        raise BnnccError(f"a Constant needs exactly one of the attributes {', '.join(CONSTANT_VALUES)}; this one has "
                         f"{', '.join(printable(n) for n in names) or 'none'}", node=label)


def _check_window(node: onnx.NodeProto, label: str) -> None:
    """Consistent window attributes: equal lengths (pads twice as long) and sensible values."""
    given = {a.name: list(a.ints) for a in node.attribute if a.name in WINDOW_MINIMUM}
    lengths = {name: len(v) // 2 if name == "pads" else len(v) for name, v in given.items()}
    if len(set(lengths.values())) > 1 or len(given.get("pads", [])) % 2:
        listed = ", ".join(f"{name} has {len(v)}" for name, v in sorted(given.items()))
        raise BnnccError(f"window attributes disagree on the number of spatial axes ({listed} entries)", node=label)
    for name, values in given.items():
        if any(v < WINDOW_MINIMUM[name] for v in values):
            raise BnnccError(f"attribute {name} = {values} must hold integers >= {WINDOW_MINIMUM[name]}", node=label)
    group = next((a.i for a in node.attribute if a.name == "group"), 1)
    if group < 1:
        raise BnnccError(f"attribute group = {group} must be at least 1", node=label)
