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
Only grouped Convs whose input is ±1 and whose weights are ±s are split: a float grouped
Conv keeps its own kernel.
"""
from __future__ import annotations

import numpy as np
import onnx_ir as ir

from bnncc.ir import (add_constant, attribute, constant, consumers, insert_before, is_bnncc, new_node,
                      replace_value, shape_of)
from bnncc.passes.fuse_thresholds import CHAIN_OPS, per_channel
from bnncc.passes.lower_binary_layers import binary_weights, split_scaled_pm1
from bnncc.report import ConversionReport


class SplitGroupedConvsPass(ir.passes.InPlacePass):
    def __init__(self, report: ConversionReport):
        super().__init__()
        self.report = report

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for node in list(graph):
            if _splittable(node):
                self.report.layer(node.name or "Conv", "Conv", "binary",
                                  f"±1 input and ±1 weights, {attribute(node, 'group')} groups: one binary layer each")
                concat = _split(graph, node)
                while concat is not None:
                    concat = _move_consumer_into_groups(graph, concat)
                modified = True
        return ir.passes.PassResult(model, modified)


def _splittable(node: ir.Node) -> bool:
    if node.domain != "" or node.op_type != "Conv" or int(attribute(node, "group", 1)) == 1:
        return False
    weights = constant(node.inputs[1])
    if weights is None or len(shape_of(node.inputs[0])) != 4 or binary_weights(weights) is None:
        return False
    return split_scaled_pm1(node.inputs[0])[0] is not None


def _channel_slice(graph: ir.Graph, anchor: ir.Node, x: ir.Value, start: int, stop: int) -> ir.Value:
    """x[:, start:stop] as an ONNX Slice."""
    bounds = [add_constant(graph, np.array([v], np.int64), "slice") for v in (start, stop, 1)]
    shape = list(shape_of(x))
    shape[1] = stop - start
    node = new_node("Slice", [x, *bounds], shape=tuple(shape), name_hint=f"{anchor.name}_slice")
    insert_before(graph, anchor, node)
    return node.outputs[0]


def _concat(graph: ir.Graph, anchor: ir.Node, pieces: list[ir.Value], result: ir.Value) -> ir.Node:
    node = new_node("Concat", pieces, {"axis": 1}, shape=shape_of(result), name_hint=f"{anchor.name}_concat")
    insert_before(graph, anchor, node)
    replace_value(result, node.outputs[0])
    graph.remove(anchor, safe=True)
    return node


def _split(graph: ir.Graph, conv: ir.Node) -> ir.Node:
    """Conv(group=G) -> G Slices, G ungrouped Convs and a Concat; returns the Concat."""
    groups = int(attribute(conv, "group"))
    x, weights = conv.inputs[0], constant(conv.inputs[1])
    bias = constant(conv.inputs[2]) if len(conv.inputs) > 2 and conv.inputs[2] is not None else None
    per_in, per_out = shape_of(x)[1] // groups, weights.shape[0] // groups
    attributes = {name: attr.value for name, attr in conv.attributes.items() if name != "group"}
    out_shape = list(shape_of(conv.outputs[0]))
    out_shape[1] = per_out
    pieces = []
    for g in range(groups):
        rows = slice(g * per_out, (g + 1) * per_out)
        inputs = [_channel_slice(graph, conv, x, g * per_in, (g + 1) * per_in),
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
