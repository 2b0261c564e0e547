"""Turn every per-channel affine map into one `ChannelAffine(X, S, B)`: Y = X * S[c] + B[c].

Exporters write the map after a layer in many ways: a BatchNormalization; a Mul by a per-channel
scale and an Add of a bias, in either order; a Conv or Gemm bias with the BatchNormalization
folded into the weights (lower_binary_layers turns ±s weights and a bias into the binary op, a
Mul and an Add); Sub, Div, Neg. ChannelAffine rounds twice, product then sum, so a chain becomes
one only when that gives the chain's own values:

* X real-valued: only the forms that are those roundings in that order: BatchNormalization
  (onnxruntime computes x * s + b with its folded coefficients), Mul, Add or Sub (x - c is
  x + (-c) in IEEE arithmetic), Mul then Add or Sub.
* X the integer accumulator of a binary layer (|X| <= K): any chain of the ops above, when one
  (S[c], B[c]) per channel reproduces the chain, as onnxruntime evaluates it, on every integer in
  [-K, K] (checked exhaustively). Candidates: the structural form's own constants, the chain
  composed in float64 and rounded, and B = chain(0). Add-then-Mul, (x + b) * s, folds when one of
  them passes; otherwise the longest prefix that does folds (the Add alone: x * 1 + b is x + b)
  and the rest keeps its own rounding, in its own pass.

"The same value" compares numbers: x * 1 + 0 turns -0 into +0, which compares equal and gives
every comparison, Sign and sum downstream the same result.
"""
from __future__ import annotations

import numpy as np
import onnx_ir as ir

from bnncc.ir import (add_constant, attribute, constant, consumers, insert_before, is_bnncc,
                      remove_unused, replace_value, shape_of)
from bnncc.ops import make_node
from bnncc.ops.channel_affine import batchnorm_coefficients
from bnncc.passes.fuse_thresholds import MAX_EXHAUSTIVE, ChainEvaluator, per_channel

AFFINE_OPS = ("BatchNormalization", "Mul", "Add", "Sub", "Div", "Neg")
# The chains a real-valued X may fold: the op types in order.
ROUNDING_ALIKE = (("BatchNormalization",), ("Mul",), ("Add",), ("Sub",), ("Mul", "Add"), ("Mul", "Sub"))


class FoldChannelAffinesPass(ir.passes.InPlacePass):
    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        opsets = dict(model.opset_imports)
        modified = False
        for node in list(graph):
            if node.graph is None or affine_input(node) is None:
                continue
            chain = _chain_from(node)
            modified |= _fold(graph, chain, opsets)
        remove_unused(graph)
        return ir.passes.PassResult(model, modified)


def affine_input(node: ir.Node) -> ir.Value | None:
    """X when `node` maps X per channel by constants (see AFFINE_OPS), on a [N, C] or [N, C, H, W] tensor."""
    if node.domain != "" or node.op_type not in AFFINE_OPS or len(node.outputs) != 1 and any(
            v.uses() or v.is_graph_output() for v in node.outputs[1:]):
        return None
    variable = [v for v in node.inputs if v is not None and constant(v) is None]
    if len(variable) != 1 or len(shape_of(variable[0])) not in (2, 4):
        return None
    x = variable[0]
    if shape_of(x) != shape_of(node.outputs[0]):
        return None
    if node.op_type in ("Sub", "Div", "BatchNormalization") and node.inputs[0] is not x:
        return None          # c - x, c / x: not affine in the form handled here
    if node.op_type == "BatchNormalization" and attribute(node, "training_mode", 0):
        return None          # normalizes by the batch's own statistics
    if node.op_type != "BatchNormalization":
        rank = len(shape_of(x))
        if not all(per_channel(constant(v), rank) for v in node.inputs if v is not None and v is not x):
            return None
    return x


def _chain_from(head: ir.Node) -> list[ir.Node]:
    """`head` and the affine ops after it, each the only reader of the one before."""
    chain = [head]
    while True:
        out = chain[-1].outputs[0]
        users = consumers(out)
        if out.is_graph_output() or len(users) != 1 or affine_input(users[0]) is not out:
            return chain
        chain.append(users[0])


def _fold(graph: ir.Graph, chain: list[ir.Node], opsets) -> bool:
    """Replace the longest foldable prefix of `chain` by a ChannelAffine."""
    x = affine_input(chain[0])
    k = accumulator_bound(x)
    for length in range(len(chain), 0, -1):
        prefix = chain[:length]
        if k is None:
            found = structural(prefix, shape_of(x)[1])
        else:
            found = exhaustive(prefix, x, k, opsets)
        if found is None:
            continue
        scale, bias = found
        last = prefix[-1]
        fused = make_node("ChannelAffine", [x, add_constant(graph, scale, "affine_scale"),
                                            add_constant(graph, bias, "affine_bias")])
        insert_before(graph, last, fused)
        replace_value(last.outputs[0], fused.outputs[0])
        for node in reversed(prefix):
            graph.remove(node, safe=True)
        return True
    return False


def accumulator_bound(x: ir.Value) -> int | None:
    """K when `x` is the integer accumulator of a binary layer (values in [-K, K]), else None."""
    node = x.producer()
    if node is None or not is_bnncc(node, "BinaryConvPacked") or len(node.inputs) > 2:
        return None
    kernel = attribute(node, "kernel_shape")
    return int(attribute(node, "channels")) * int(kernel[0]) * int(kernel[1])


def _constants(node: ir.Node, channels: int) -> list[np.ndarray]:
    """The node's constant operands as float64 [C] arrays."""
    return [np.broadcast_to(np.asarray(constant(v), np.float64).reshape(-1), (channels,))
            for v in node.inputs if v is not None and constant(v) is not None]


def structural(chain: list[ir.Node], channels: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(S, B) of a chain whose roundings are ChannelAffine's (ROUNDING_ALIKE), else None."""
    if tuple(n.op_type for n in chain) not in ROUNDING_ALIKE:
        return None
    f = np.float32
    head = chain[0]
    if head.op_type == "BatchNormalization":
        params = [constant(v) for v in head.inputs[1:5]]
        return batchnorm_coefficients(*params, float(attribute(head, "epsilon", 1e-5)))
    scale, bias = np.ones(channels, f), np.zeros(channels, f)
    for node in chain:
        (c,) = _constants(node, channels)
        if node.op_type == "Mul":
            scale = c.astype(f)
        else:
            bias = (c if node.op_type == "Add" else -c).astype(f)
    return scale, bias


def composed(chain: list[ir.Node], channels: int) -> tuple[np.ndarray, np.ndarray]:
    """The chain's (S, B) composed in float64, rounded once to float32."""
    scale, bias = np.ones(channels), np.zeros(channels)
    for node in chain:
        if node.op_type == "BatchNormalization":
            gamma, beta, mean, var = (np.asarray(constant(v), np.float64) for v in node.inputs[1:5])
            factor = gamma / np.sqrt(var + float(attribute(node, "epsilon", 1e-5)))
            scale, bias = scale * factor, bias * factor + beta - mean * factor
        elif node.op_type == "Neg":
            scale, bias = -scale, -bias
        else:
            (c,) = _constants(node, channels)
            if node.op_type == "Mul":
                scale, bias = scale * c, bias * c
            elif node.op_type == "Div":
                scale, bias = scale / c, bias / c
            else:
                bias = bias + (c if node.op_type == "Add" else -c)
    return scale.astype(np.float32), bias.astype(np.float32)


def exhaustive(chain: list[ir.Node], x: ir.Value, k: int, opsets) -> tuple[np.ndarray, np.ndarray] | None:
    """(S, B) reproducing the chain on every integer in [-K, K], channel by channel, or None."""
    shape = shape_of(x)
    channels = shape[1]
    if (2 * k + 1) * channels > MAX_EXHAUSTIVE:
        return None
    ys = np.arange(-k, k + 1, dtype=np.float32)
    expected = ChainEvaluator(chain, x, chain[-1].outputs[0], shape, opsets)(np.repeat(ys[:, None], channels, axis=1))
    candidates = [c for c in (structural(chain, channels), composed(chain, channels)) if c is not None]
    candidates.append((candidates[-1][0], expected[k]))           # B = chain(0): 0 * S + B is B
    scale, bias = np.zeros(channels, np.float32), np.zeros(channels, np.float32)
    done = np.zeros(channels, bool)
    for s, b in candidates:
        ours = (ys[:, None] * s).astype(np.float32) + b
        good = np.all(ours == expected, axis=0) & ~done
        scale[good], bias[good] = s[good], b[good]
        done |= good
    return (scale, bias) if done.all() else None
