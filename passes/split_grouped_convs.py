"""Turn a grouped binary Conv into one ungrouped Conv per group, joined by a channel Concat.

A Conv with G groups computes output channels [g*M/G, (g+1)*M/G) from input channels
[g*C/G, (g+1)*C/G) only, with the weight rows of those output channels: it is exactly

    Concat_g( Conv(x[:, g*C/G:(g+1)*C/G], W[g*M/G:(g+1)*M/G], b[g*M/G:(g+1)*M/G]) )

so each group becomes an ordinary layer that lower_binary_layers makes binary, and the Slice of
a packed ±1 input becomes a SliceBits (a copy of the group's channels: packed channels are per
pixel, so no range of them is contiguous).

The per-channel work after the conv (BatchNormalization, Mul/Add, a residual Add, the Sign) must
reach each group's conv for the later passes to fuse it into that conv's output stage, so it is
moved in front of the Concat, group by group: for an op f applied channel by channel,

    f(Concat_g(y_g)) = Concat_g(f_g(y_g))

where f_g takes f's per-channel constants (and a residual operand) restricted to group g's
channels. Every element goes through the same float operations as before, so results do not change.
Only grouped Convs whose weights are ±s and whose input is ±1, or a ±1 map X times a positive
scale (one number, or one per channel: `Mul(X, s)` in either operand order, as BipolarQuant with a
scale and XNOR-Net/Bi-Real exports write it), are split; a float grouped Conv keeps its own kernel.

A scaled input is sliced before the scale, so that each group's conv reads a ±1 map again:

    Slice_g(X * s) = Slice_g(X) * s_g        (elementwise; s_g: the scale of group g's channels)

Both sides are the same float products ±s_c, so this changes nothing. When s_g is one number for
the whole group, the group conv is an ungrouped conv of `Slice_g(X) * s_g`, which
lower_binary_layers makes binary as it does any scaled ±1 input (s_g folded into the output
scale, the same float arithmetic as an ungrouped conv). A scale that varies within a group
cannot leave the sum (sum_c s_c x_c w_c is not a multiple of a popcount): that conv stays float.

Small groups stay float. A group of C/G channels fills C/G bits of each 64-bit word, and each
group is a call of its own with a SliceBits copy in front and its piece of the ConcatBits behind,
while the float grouped conv's work shrinks with C/G. A 1-channel group (depthwise) is an ordinary
binary conv with K = KH*KW and is exact, but slower. Measured with `bnncc bench -t x86-avx512
--threads 1` on tests/zoo.py's grouped_binary_conv(groups=128 // n, per_group=n, side=14 or 28)
(128 channels, 3x3; "float": the same with MIN_BINARY_GROUP_CHANNELS above n), whole model, ms:

    C/G = n            1      2      4      8     16     32
    14x14  binary  0.655  0.346  0.353  0.142  0.130  0.115
           float   0.243  0.410  0.449  0.706  1.384  2.654
    28x28  binary  2.180  1.186  0.684  0.481  0.448  0.346
           float   0.454  0.623  0.954  1.646  3.060  5.827

so groups run binary from 4 channels on (at 2, binary wins at 14x14 but loses at 28x28). The
portable generic-c target crosses later (14x14, n = 4: binary 1.57 ms, float 1.23 ms; n = 8:
1.54 vs 1.45): the rule is the x86 one, the targets that ship grouped BNNs.
"""
from __future__ import annotations

import numpy as np
import onnx_ir as ir

from bnncc.ir import (add_constant, attribute, constant, consumers, insert_before, is_bnncc, new_node,
                      replace_value, shape_of, source_label)
from bnncc.passes.fuse_thresholds import CHAIN_OPS, per_channel
from bnncc.passes.lower_binary_layers import binary_weights, is_pm1
from bnncc.report import ConversionReport


MIN_BINARY_GROUP_CHANNELS = 4      # input channels per group from which groups run binary (see above)


class SplitGroupedConvsPass(ir.passes.InPlacePass):
    def __init__(self, report: ConversionReport):
        super().__init__()
        self.report = report

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for node in list(graph):
            if not _grouped_pm1_conv(node):
                continue
            reason = _kept_float(node)
            if reason is not None:
                self.report.note(f"{source_label(node)}: {reason}")
                continue
            self.report.layer(node.name or "Conv", "Conv", "binary",
                              f"±1 input and ±1 weights, {attribute(node, 'group')} groups: one binary layer each")
            concat = _split(graph, node)
            while concat is not None:
                concat = _move_consumer_into_groups(graph, concat)
            modified = True
        return ir.passes.PassResult(model, modified)


def _grouped_pm1_conv(node: ir.Node) -> bool:
    """A 2-D grouped Conv with ±s weights on a ±1 input, or on a ±1 input times a scale."""
    if node.domain != "" or node.op_type != "Conv" or int(attribute(node, "group", 1)) == 1:
        return False
    weights = constant(node.inputs[1])
    if weights is None or len(shape_of(node.inputs[0])) != 4 or binary_weights(weights) is None:
        return False
    return _pm1_times_scale(node.inputs[0]) is not None


def _kept_float(node: ir.Node) -> str | None:
    """Why a grouped ±1 conv runs as a float grouped conv, or None when its groups run binary."""
    scales = _pm1_times_scale(node.inputs[0])[1].reshape(int(attribute(node, "group")), -1)
    if scales.shape[1] < MIN_BINARY_GROUP_CHANNELS:
        return (f"groups of {scales.shape[1]} channel(s) run as one float grouped conv, faster than one binary conv "
                f"per group below {MIN_BINARY_GROUP_CHANNELS} channels")
    if np.any(scales != scales[:, :1]):
        return "the scale of its ±1 input varies within a group, so a group's sum is no multiple of a popcount: " \
               "it runs as a float grouped conv"
    return None


def _pm1_times_scale(value: ir.Value) -> tuple[ir.Value, np.ndarray] | None:
    """(X, s) when `value` is a ±1 map X of shape [N, C, ...] (s: C ones), or X times a positive
    constant that is one number or one per channel (a Mul, either operand order; s: its C values)."""
    channels = shape_of(value)[1]
    if is_pm1(value):
        return value, np.ones(channels, np.float32)
    node = value.producer()
    if node is None or node.domain != "" or node.op_type != "Mul":
        return None
    for x, c in ((node.inputs[0], node.inputs[1]), (node.inputs[1], node.inputs[0])):
        scale = constant(c)
        if scale is None or not is_pm1(x) or shape_of(x) != shape_of(value) or not per_channel(scale, len(shape_of(x))):
            continue
        if np.all(np.isfinite(scale) & (scale > 0)):
            return x, np.broadcast_to(scale.astype(np.float32).reshape(-1), (channels,))
    return None


def _channel_slice(graph: ir.Graph, anchor: ir.Node, x: ir.Value, start: int, stop: int) -> ir.Value:
    """x[:, start:stop] as an ONNX Slice."""
    bounds = [add_constant(graph, np.array([v], np.int64), "slice") for v in (start, stop, 1)]
    shape = list(shape_of(x))
    shape[1] = stop - start
    node = new_node("Slice", [x, *bounds], shape=tuple(shape), name_hint=f"{anchor.name}_slice")
    insert_before(graph, anchor, node)
    return node.outputs[0]


def _scaled(graph: ir.Graph, anchor: ir.Node, x: ir.Value, scale: np.float32) -> ir.Value:
    """x * scale as an ONNX Mul (x itself for scale 1, which multiplies by nothing)."""
    if scale == 1:
        return x
    node = new_node("Mul", [x, add_constant(graph, np.float32(scale), "group_scale")], shape=shape_of(x),
                    name_hint=f"{anchor.name}_scale")
    insert_before(graph, anchor, node)
    return node.outputs[0]


def _concat(graph: ir.Graph, anchor: ir.Node, pieces: list[ir.Value], result: ir.Value) -> ir.Node:
    node = new_node("Concat", pieces, {"axis": 1}, shape=shape_of(result), name_hint=f"{anchor.name}_concat")
    insert_before(graph, anchor, node)
    replace_value(result, node.outputs[0])
    graph.remove(anchor, safe=True)
    return node


def _split(graph: ir.Graph, conv: ir.Node) -> ir.Node:
    """Conv(group=G) -> G Slices (each times its group's scale, if any), G ungrouped Convs and a
    Concat; returns the Concat."""
    groups = int(attribute(conv, "group"))
    (x, scale), weights = _pm1_times_scale(conv.inputs[0]), constant(conv.inputs[1])
    bias = constant(conv.inputs[2]) if len(conv.inputs) > 2 and conv.inputs[2] is not None else None
    per_in, per_out = shape_of(x)[1] // groups, weights.shape[0] // groups
    attributes = {name: attr.value for name, attr in conv.attributes.items() if name != "group"}
    out_shape = list(shape_of(conv.outputs[0]))
    out_shape[1] = per_out
    pieces = []
    for g in range(groups):
        rows = slice(g * per_out, (g + 1) * per_out)
        inputs = [_scaled(graph, conv, _channel_slice(graph, conv, x, g * per_in, (g + 1) * per_in),
                          scale[g * per_in]),
                  add_constant(graph, weights[rows], "group_weights")]
        if bias is not None:
            inputs.append(add_constant(graph, bias[rows], "group_bias"))
        part = new_node("Conv", inputs, attributes, shape=tuple(out_shape), name_hint=f"{conv.name}_group{g}")
        insert_before(graph, conv, part)
        pieces.append(part.outputs[0])
    return _concat(graph, conv, pieces, conv.outputs[0])


def _move_consumer_into_groups(graph: ir.Graph, concat: ir.Node) -> ir.Node | None:
    """f(Concat_g(y_g)) -> Concat_g(f_g(y_g)) for the Concat's only reader f, when f works channel
    by channel (see the module docstring); returns the new Concat, None when there is no such f."""
    y = concat.outputs[0]
    users = consumers(y)
    if y.is_graph_output() or len(users) != 1 or not _per_channel_op(users[0], y):
        return None
    op = users[0]
    attributes = {name: attr.value for name, attr in op.attributes.items()}
    start, pieces = 0, []
    for piece in concat.inputs:
        stop = start + shape_of(piece)[1]
        inputs = [_restricted(graph, op, v, y, piece, start, stop) for v in op.inputs]
        part = new_node(op.op_type, inputs, attributes, domain=op.domain, shape=shape_of(piece),
                        name_hint=f"{op.name}_group")
        insert_before(graph, op, part)
        pieces.append(part.outputs[0])
        start = stop
    joined = _concat(graph, op, pieces, op.outputs[0])
    graph.remove(concat, safe=True)
    return joined


def _per_channel_op(op: ir.Node, y: ir.Value) -> bool:
    """`op` maps `y` channel by channel: a chain op with per-channel constants, a residual Add of a
    tensor of y's shape, or a binarization."""
    if is_bnncc(op, "Sign"):
        return True
    if op.domain != "" or op.op_type not in CHAIN_OPS or len(op.outputs) != 1 or shape_of(op.outputs[0]) != shape_of(y):
        return False
    rank = len(shape_of(y))
    if op.op_type == "BatchNormalization":
        return op.inputs[0] is y and not attribute(op, "training_mode", 0) and \
            all(constant(v) is not None for v in op.inputs[1:])
    for v in op.inputs:
        if v is None or v is y:
            continue
        array = constant(v)
        if array is None and not (op.op_type == "Add" and shape_of(v) == shape_of(y)):
            return False
        if array is not None and not per_channel(array, rank):
            return False
    return sum(v is y for v in op.inputs) == 1


def _restricted(graph: ir.Graph, op: ir.Node, v: ir.Value | None, y: ir.Value, piece: ir.Value,
                start: int, stop: int) -> ir.Value | None:
    """Operand `v` of `op` as group [start, stop) of y's channels sees it."""
    if v is None:
        return None
    if v is y:
        return piece
    array = constant(v)
    if array is None:
        return _channel_slice(graph, op, v, start, stop)        # the residual operand
    if op.op_type == "BatchNormalization":
        return add_constant(graph, array[start:stop], "group_bn")
    padded = array.reshape((1,) * (len(shape_of(y)) - array.ndim) + array.shape)
    if padded.shape[1] == 1:
        return v                                                 # a scalar: the same for every channel
    sliced = padded[:, start:stop]
    return add_constant(graph, sliced.reshape(sliced.shape[sliced.ndim - array.ndim:]), "group_const")
