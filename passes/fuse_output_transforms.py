"""Fuse the per-channel work after a layer into one pass over memory.

Bi-Real-style blocks end in  acc -> BatchNormalization -> Add(residual) -> Sign -> next layer:
three passes over the activations (plus the packing) that cost as much as the binary conv itself
once it is fast. fold_channel_affines has made the per-channel map, whatever form the exporter
gave it (BatchNormalization, Mul and Add, a conv bias), a `ChannelAffine(X, S, B)`; with the Add and
the binarization after it, it becomes one `ChannelAffine(X, S, B, R, T, D) -> (Y, P)`, which computes

    Y = (X * S[c] + B[c]) + R
    P = pack(Threshold(Y, T, D))       (only when a ThresholdPack reads Y)

with the same roundings in the same order as the separate ops, so results do not change.

When X is the accumulator of a binary conv read by nothing else, the conv applies the affine map,
the residual and the packing itself as it stores its results (`BinaryConvAffine`): the
accumulator never goes to memory.

A sum of scaled binary layers (ABC-Net, GroupNet: ((t1 + t2) + t3) + ...) becomes a chain of
convs, each doing one of the graph's Adds as its residual: y2 = (acc2*S2 + B2) + y1, and so on. Each
Add keeps its two operands, and IEEE addition is commutative, so which of them the conv computes does
not matter; no Add is regrouped, so the additions happen in the graph's (onnxruntime's) order.

What rounds twice after a binary layer keeps a second ChannelAffine after the conv's: a
BatchNormalization after the residual Add ((acc + R) * S2 + B2, Bi-Real's other export), GroupNet's
lambda after the base's BatchNormalization, the beta Mul after ±alpha weights (ABC-Net). No single
scale and bias reproduces those roundings, but the conv's output stage has room for a second map
and a second residual (bnn_affine_stage), so a ChannelAffine read from a one-stage BinaryConvAffine
that nothing else reads becomes that conv's second stage:

    Y = ((acc * S[c] + B[c]) + R) * S2[c] + B2[c]) + R2,  P = pack(Threshold(Y, T, D))

each step still rounded on its own, in the graph's order; the intermediate map never goes to memory.
A conv that already packs its output for the next binary layer (the BatchNormalization folded into
that binarization's threshold, as in Bi-Real written with the BatchNormalization after the Add)
takes the ChannelAffine as its second stage too, its thresholds moved onto the mapped values
(`_thresholds_through`), so that it writes the BatchNormalization's output, the next residual.

A ChannelAffine read only by a MaxPool (the stem of ResNet-like nets) becomes
`MaxPoolAffine`: the rounded map x -> x*s + b is monotone in x (non-increasing when s < 0), so
pooling first and mapping the pooled values is exact, and touches 4x fewer elements.
"""
from __future__ import annotations

import numpy as np
import onnx_ir as ir

from bnncc.ir import (SOURCE, add_constant, attribute, constant, consumers, insert_before, is_bnncc, read_only_by,
                      remove_unused, replace_value, shape_of, source_label)
from bnncc.ops import OPS, make_node
from bnncc.ops.windows import window_attributes
from bnncc.passes.fold_channel_affines import accumulator_bound
from bnncc.report import ConversionReport

AFFINE_CONV = OPS["BinaryConvAffine"]
OWN_STAGE = ("P", "W", "S", "B", "R")      # a one-stage BinaryConvAffine's inputs before S2


class FuseOutputTransformsPass(ir.passes.InPlacePass):
    def __init__(self, report: ConversionReport):
        super().__init__()
        self.report = report

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for node in list(graph):
            modified |= _identity_before_residual(graph, node)
        for node in list(graph):
            if node.graph is not None and is_bnncc(node, "ChannelAffine") and len(node.inputs) == 3:
                modified |= _fuse(graph, node, self.report)
        for node in list(graph):
            if node.graph is not None and node.domain == "" and node.op_type == "MaxPool":
                modified |= _fuse_pool(graph, node)
        remove_unused(graph)
        return ir.passes.PassResult(model, modified)


def _identity_before_residual(graph: ir.Graph, add: ir.Node) -> bool:
    """acc -> Add(residual), with no affine map in between (BatchNormalization after the Add, say):
    put ChannelAffine(acc, 1, 0) in front, so that the conv adds the residual as it stores its sums
    (acc * 1 + 0 is acc: an integer)."""
    for acc in add.inputs[:2] if add.domain == "" and add.op_type == "Add" else ():
        if accumulator_bound(acc) is not None and read_only_by(acc, add) and _is_residual_add(add, acc):
            channels = shape_of(acc)[1]
            identity = make_node("ChannelAffine", [acc, add_constant(graph, np.ones(channels, np.float32), "one"),
                                                   add_constant(graph, np.zeros(channels, np.float32), "zero")])
            insert_before(graph, add, identity)
            add.replace_input_with(list(add.inputs).index(acc), identity.outputs[0])
            return True
    return False


def _fuse(graph: ir.Graph, affine: ir.Node, report: ConversionReport) -> bool:
    """ChannelAffine(X, S, B) [-> Add(residual)] [-> ThresholdPack]  ==>  one ChannelAffine, in the
    binary conv that computes X when it can (the report names the conv that does the Add)."""
    if _second_stage_of_packing_conv(graph, affine):
        return True
    y = affine.outputs[0]
    inputs, anchor, result = list(affine.inputs), affine, y
    users = consumers(y)
    if len(users) == 1 and not y.is_graph_output() and _is_residual_add(users[0], y) \
            and not _binary_side_takes(users[0], affine):
        add = users[0]
        inputs.append(add.inputs[1] if add.inputs[0] is y else add.inputs[0])
        anchor, result = add, add.outputs[0]
    else:
        inputs.append(None)
    packs = [n for n in consumers(result) if is_bnncc(n, "ThresholdPack")]
    if anchor is affine and len(packs) != 1:
        return _fuse_into_conv(graph, affine) or _second_stage(graph, affine)
    if len(packs) == 1:
        inputs += [packs[0].inputs[1], packs[0].inputs[2]]
    fused = make_node("ChannelAffine", inputs)
    insert_before(graph, anchor, fused)
    replace_value(result, fused.outputs[0])
    if len(packs) == 1:
        replace_value(packs[0].outputs[0], fused.outputs[1])
        graph.remove(packs[0], safe=True)
    if anchor is not affine:
        graph.remove(anchor, safe=True)
    graph.remove(affine, safe=True)
    conv = fused.inputs[0].producer()
    in_conv = _fuse_into_conv(graph, fused) or _second_stage(graph, fused)
    if anchor is not affine:
        report.layer(anchor.name, anchor.op_type, "folded",
                     f"added in the output stage of the binary layer {source_label(conv)}" if in_conv else
                     "added in the float per-channel pass of the scale and bias before it")
    return True


def _binary_side_takes(add: ir.Node, affine: ir.Node) -> bool:
    """Whether the residual Add of affine's output is better left to its other operand: a map on a
    binary accumulator, which adds it in the conv's output stage, while affine's input is not one
    (a float layer's, as a downsampling shortcut's BatchNormalization)."""
    other = add.inputs[1] if add.inputs[0] is affine.outputs[0] else add.inputs[0]
    producer = other.producer()
    return accumulator_bound(affine.inputs[0]) is None and producer is not None \
        and is_bnncc(producer, "ChannelAffine") and accumulator_bound(producer.inputs[0]) is not None


def _fuse_into_conv(graph: ir.Graph, affine: ir.Node) -> bool:
    """BinaryConvPacked -> acc -> ChannelAffine  ==>  BinaryConvAffine (Y and, if packed, bits)."""
    acc = affine.inputs[0]
    conv = acc.producer()
    if conv is None or not is_bnncc(conv, "BinaryConvPacked") or len(conv.inputs) > 2 \
            or not read_only_by(acc, affine):
        return False
    scale, bias, residual, thresholds, directions = (list(affine.inputs[1:]) + [None] * 5)[:5]
    inputs = [conv.inputs[0], conv.inputs[1], scale, bias, residual]
    if thresholds is not None:                      # (no second stage: S2, B2, R2 left out)
        inputs += [None, None, None, thresholds, directions]
    _replace(graph, conv, affine, inputs, affine, list(affine.outputs))
    return True


def _one_stage_conv(affine: ir.Node) -> ir.Node | None:
    """The one-stage BinaryConvAffine whose first output only `affine` reads, if that is X."""
    x = affine.inputs[0]
    conv = x.producer()
    if conv is None or not is_bnncc(conv, "BinaryConvAffine") or AFFINE_CONV.input(conv, "S2") is not None \
            or x.is_graph_output() or not read_only_by(x, affine):
        return None
    return conv


def _second_stage(graph: ir.Graph, affine: ir.Node) -> bool:
    """BinaryConvAffine(P, W, S, B[, R]) -> Y -> ChannelAffine(Y, S2, B2[, R2, T, D])  ==>
    BinaryConvAffine(P, W, S, B, R, S2, B2, R2[, T, D]), when nothing else reads Y."""
    conv = _one_stage_conv(affine)
    if conv is None or AFFINE_CONV.input(conv, "T") is not None:
        return False
    own = [AFFINE_CONV.input(conv, name) for name in OWN_STAGE]
    then = list(affine.inputs[1:]) + [None] * (6 - len(affine.inputs))  # S2, B2, R2, T, D
    fused = _replace(graph, conv, affine, own + then, affine, list(affine.outputs))  # (after R2 is computed)
    fused.metadata_props[SOURCE] = source_label(conv)
    return True


def _second_stage_of_packing_conv(graph: ir.Graph, affine: ir.Node) -> bool:
    """BinaryConvAffine(P, W, S, B[, R], T, D) -> (Z, bits); ChannelAffine(Z, S2, B2)  ==>
    BinaryConvAffine(P, W, S, B, R, S2, B2, -, T', D') -> (Y, bits), the bits unchanged: T', D' pass
    the same Z as T, D (`_thresholds_through`). Only where the residual Adds that read Y are left to
    a binary layer's output stage (the other operand's map is on a binary accumulator), which would
    otherwise go into this ChannelAffine's pass."""
    conv = _one_stage_conv(affine)
    if conv is None or AFFINE_CONV.input(conv, "T") is None:
        return False
    if any(_is_residual_add(use, affine.outputs[0]) and not _binary_side_takes(use, affine)
           for use in consumers(affine.outputs[0])):
        return False
    scale2, bias2 = constant(affine.inputs[1]), constant(affine.inputs[2])
    thresholds, directions = (constant(AFFINE_CONV.input(conv, name)) for name in ("T", "D"))
    if any(a is None for a in (scale2, bias2, thresholds, directions)):
        return False
    moved = _thresholds_through(scale2, bias2, thresholds, directions)
    if moved is None:
        return False
    own = [AFFINE_CONV.input(conv, name) for name in OWN_STAGE]
    then = [affine.inputs[1], affine.inputs[2], None, add_constant(graph, moved[0], "thresholds"),
            add_constant(graph, moved[1], "directions")]
    _replace(graph, conv, affine, own + then, conv, [affine.outputs[0], conv.outputs[1]])  # (before the bits' readers)
    return True


def _replace(graph: ir.Graph, conv: ir.Node, affine: ir.Node, inputs: list, anchor: ir.Node,
             outputs: list[ir.Value]) -> ir.Node:
    """conv and affine replaced by BinaryConvAffine(inputs), with conv's attributes, placed before
    anchor, writing `outputs` (Y[, bits])."""
    fused = make_node("BinaryConvAffine", inputs, {name: attr.value for name, attr in conv.attributes.items()})
    insert_before(graph, anchor, fused)
    for old, new in zip(outputs, fused.outputs):
        replace_value(old, new)
    graph.remove(affine, safe=True)
    graph.remove(conv, safe=True)
    return fused


def _thresholds_through(scale: np.ndarray, bias: np.ndarray, thresholds: np.ndarray,
                        directions: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Thresholds and directions on y = f(z) = (z * s) + b (float32, each step rounded) that pass
    exactly the z that `thresholds`, `directions` pass (z >= t for d > 0, z <= t else), or None.

    f is monotone, non-decreasing for s > 0 and non-increasing for s < 0. For d > 0 let z' be the
    float below t (above it for d <= 0: the failing side's nearest value). If f(z') != f(t), every
    failing z maps to the far side of f(z') from f(t), so z passes iff f(z) lies on t's side of
    f(t) or on it: y >= f(t) when the side of t and the order of f agree, else y <= f(t). If f(z')
    == f(t) (s == 0, or rounding merges them) no threshold on y separates them. A NaN threshold
    (never passes) stays NaN; a NaN z maps to a NaN y, which fails either way."""
    s, b, t, d = np.broadcast_arrays(*(np.asarray(a).reshape(-1) for a in (scale, bias, thresholds, directions)))
    s, b, t, up = s.astype(np.float32), b.astype(np.float32), t.astype(np.float32), d > 0
    with np.errstate(all="ignore"):
        def f(z):
            return ((z * s).astype(np.float32) + b).astype(np.float32)
        failing = np.where(up, np.nextafter(t, np.float32(-np.inf)), np.nextafter(t, np.float32(np.inf)))
        ft, fz = f(t), f(failing)
    never = np.isnan(t)
    separated = (s != 0) & ~np.isnan(ft) & ~np.isnan(fz) & (ft != fz)
    if not np.all(never | separated):
        return None
    increasing = s > 0
    return (np.where(never, np.float32(np.nan), ft).astype(np.float32),
            np.where(up == increasing, 1, -1).astype(np.int8))


def _fuse_pool(graph: ir.Graph, pool: ir.Node) -> bool:
    affine = pool.inputs[0].producer()
    if affine is None or not is_bnncc(affine, "ChannelAffine") or len(affine.outputs) != 1:
        return False
    if len(affine.inputs) > 3 and affine.inputs[3] is not None or not read_only_by(affine.outputs[0], pool):
        return False
    if len(shape_of(pool.inputs[0])) != 4 or len(pool.outputs) > 1 and pool.outputs[1].uses():
        return False
    fused = make_node("MaxPoolAffine", list(affine.inputs[:3]),
                      window_attributes(pool, attribute(pool, "kernel_shape")))
    insert_before(graph, pool, fused)
    replace_value(pool.outputs[0], fused.outputs[0])
    graph.remove(pool, safe=True)
    graph.remove(affine, safe=True)
    return True


def _is_residual_add(node: ir.Node, value: ir.Value) -> bool:
    """An Add of `value` and another run-time tensor of exactly the same shape."""
    if node.domain != "" or node.op_type != "Add" or len(node.inputs) != 2:
        return False
    other = node.inputs[1] if node.inputs[0] is value else node.inputs[0]
    return other is not value and constant(other) is None and shape_of(other) == shape_of(value) \
        and shape_of(node.outputs[0]) == shape_of(value)
