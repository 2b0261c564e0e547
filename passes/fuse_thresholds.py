"""Fold everything between a value X and its binarization into one threshold per channel.

A Sign fed by a per-channel elementwise chain (BatchNormalization, Add/Sub/Mul/Div by
constants, Relu, Clip, ...) computes, per channel c, a decision d_c(x) = rule(chain_c(x)).
Every such chain is monotone in x (each op is a monotone map of x for a fixed channel, and
IEEE rounding preserves monotonicity), so d_c is a step function:

    d_c(x) = x >= T_c   (non-decreasing, D_c = +1)    or    d_c(x) = x <= T_c   (D_c = -1).

Exactness rule: T_c must reproduce the reference runtime's float32 decision for every reachable
x. We never derive T_c from a formula alone; we run the chain itself in onnxruntime (graph
optimizations off, as the reference does):
  * X an integer accumulator of a binary layer with K inputs: evaluate every integer in [-K, K]
    for every channel (exhaustive), read off T_c, and refuse (keep float) if not monotone;
  * X real-valued: binary-search the step over the total order of float32 values, then check
    the step against its neighbours and random probes.
ONNX Sign maps 0 to 0, which 1 bit cannot hold; it becomes +1, and the report says so when the
exhaustive check finds an exact 0 reachable, and for every Sign of a real-valued input (nothing
proves a float is never exactly 0: an image's black pixel, or an integer sum through float ops).
"""
from __future__ import annotations

import numpy as np
import onnx
import onnx_ir as ir

from bnncc.errors import BnnccError
from bnncc.ir import (add_constant, attribute, constant, insert_before, is_bnncc, remove_unused,
                      replace_value, shape_of, source_label)
from bnncc.onnxruntime_session import session
from bnncc.ops import make_node
from bnncc.ops.sign import sign_decision
from bnncc.report import ConversionReport, listed

CHAIN_OPS = ("BatchNormalization", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "PRelu", "Clip", "Neg",
             "Identity")
MAX_EXHAUSTIVE = 1 << 26


class FuseThresholdsPass(ir.passes.InPlacePass):
    def __init__(self, report: ConversionReport):
        super().__init__()
        self.report = report

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        modified = False
        opsets = dict(model.opset_imports)
        self.rounding_sensitive: list[str] = []
        self.float_signs: list[str] = []        # ONNX Signs of real-valued inputs: an exact 0 may occur
        for node in list(model.graph):
            if node.graph is not None and is_bnncc(node, "Sign"):
                fused = self._fuse(model.graph, node, opsets)
                if not fused and int(attribute(node, "zero_maps_to_zero", 0)):
                    self.report.note(f"{source_label(node)}: ONNX Sign maps 0 to 0, which 1 bit cannot hold; bnncc maps it "
                                     "to +1 (`bnncc verify` measures whether an exact 0 occurs)")
                modified |= fused
        if self.float_signs:
            self.report.note(f"{listed(self.float_signs)}: ONNX Sign maps an exact 0 to 0, which 1 bit cannot hold; "
                             "bnncc maps it to +1 (`bnncc verify` measures whether an exact 0 occurs)")
        if self.rounding_sensitive:
            self.report.note(f"{len(self.rounding_sensitive)} binarization(s) take float sums (a float conv, matmul "
                             f"or average upstream: {listed(self.rounding_sensitive)}); an input within float rounding of a threshold can "
                             "binarize unlike the reference, whose summation order differs")
        remove_unused(model.graph)
        return ir.passes.PassResult(model, modified)

    def _fuse(self, graph: ir.Graph, sign: ir.Node, opsets) -> bool:
        x, chain = chain_start(sign.inputs[0])
        rule = str(attribute(sign, "rule", "ge"))
        shape = shape_of(x)
        if len(shape) < 2 or shape != shape_of(sign.outputs[0]):
            return False
        evaluate = ChainEvaluator(chain, x, sign.inputs[0], shape, opsets)
        accumulator = x.producer()
        integer = accumulator is not None and is_bnncc(accumulator) and accumulator.op_type in ("BinaryConv",
                                                                                               "BinaryMatMul")
        k = reduction_length(accumulator) if integer else 0
        refuse_nan(evaluate, sign, shape[1], NAN_PROBES * (k if integer else 1))
        if integer:
            found = integer_thresholds(evaluate, rule, k, shape[1])
            if found is None:
                self.report.note(f"{source_label(sign)}: binarization is not monotone in the accumulator; kept in float")
                return False
            thresholds, directions, zero_hit = found
            if zero_hit and int(attribute(sign, "zero_maps_to_zero", 0)):
                self.report.note(f"{source_label(sign)}: ONNX Sign(0) = 0 is reachable (exact 0 before the Sign); "
                                 "bnncc maps it to +1 — `bnncc verify` measures the effect")
        else:
            found = float_thresholds(evaluate, rule, shape[1])
            if found is None:
                self.report.note(f"{source_label(sign)}: binarization is not monotone in its input; kept in float")
                return False
            thresholds, directions = found
            if int(attribute(sign, "zero_maps_to_zero", 0)):
                self.float_signs.append(source_label(sign))
            if rounds_differently(x):
                self.rounding_sensitive.append(source_label(sign))
        threshold = make_node("Threshold", [x, add_constant(graph, thresholds.astype(np.float32), "thresholds"),
                                            add_constant(graph, directions.astype(np.int8), "directions")])
        insert_before(graph, sign, threshold)
        replace_value(sign.outputs[0], threshold.outputs[0])
        graph.remove(sign, safe=True)
        return True


# Float ops whose result depends on the order of a summation or on a libm implementation: the
# C kernels and the reference runtime can round them differently (by an ulp).
ORDER_DEPENDENT = {"Conv", "Gemm", "MatMul", "AveragePool", "GlobalAveragePool", "Softmax", "LogSoftmax", "Exp",
                   "Log", "Sigmoid", "Tanh", "Pow"}
# bnncc ops whose outputs are exact (±1 values or integer sums of them) whatever rounding came before.
EXACT_BNNCC = {"Sign", "Threshold", "BinaryConv", "BinaryMatMul", "MultiThreshold"}


def rounds_differently(value: ir.Value) -> bool:
    """True when an order-dependent float op lies upstream of `value` without an exact ±1 or
    integer stage in between: then `value` may differ from the reference's by an ulp."""
    seen, pending = set(), [value]
    while pending:
        node = pending.pop().producer()
        if node is None or id(node) in seen or (is_bnncc(node) and node.op_type in EXACT_BNNCC):
            continue
        seen.add(id(node))
        if node.domain == "" and node.op_type in ORDER_DEPENDENT:
            return True
        pending += [v for v in node.inputs if v is not None and constant(v) is None]
    return False


# Where the chain is tried for NaN: the ends and the middle of the accumulator's range (times K)
# or of the float line. A NaN there comes from the chain's constants (a BatchNormalization whose
# var + epsilon is not positive, 0/0, the log of a negative), not from the input.
NAN_PROBES = np.array([-1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0], np.float32)


def refuse_nan(evaluate, sign: ir.Node, channels: int, probes: np.ndarray) -> None:
    """How the reference binarizes NaN depends on the source idiom (Sign keeps it, Where picks a
    branch), which the canonical rule does not carry: refuse a chain that yields NaN."""
    values = evaluate(np.repeat(probes.astype(np.float32)[:, None], channels, axis=1))
    if np.any(np.isnan(values)):
        raise BnnccError("the ops before this binarization give NaN on ordinary values (a BatchNormalization "
                         "whose var + epsilon is not positive, say): how the reference binarizes NaN cannot be "
                         "reproduced", node=source_label(sign))


def chain_start(value: ir.Value) -> tuple[ir.Value, list[ir.Node]]:
    """Walk back through per-channel elementwise ops; returns (X, chain nodes in execution order)."""
    chain = []
    rank = len(shape_of(value))
    while True:
        node = value.producer()
        if node is None or node.domain != "" or node.op_type not in CHAIN_OPS:
            break
        variable = [v for v in node.inputs if v is not None and constant(v) is None]
        if len(variable) != 1 or shape_of(variable[0]) != shape_of(value):
            break
        if node.op_type != "BatchNormalization" and not all(
                per_channel(constant(v), rank) for v in node.inputs if v is not None and constant(v) is not None):
            break
        if node.op_type == "BatchNormalization" and variable[0] is not node.inputs[0]:
            break
        chain.append(node)
        value = variable[0]
    return value, chain[::-1]


def per_channel(array: np.ndarray, rank: int) -> bool:
    """A constant that, broadcast against a rank-`rank` tensor, varies at most along axis 1."""
    if array.ndim > rank:
        return False
    if array.ndim == 1 and array.size > 1 and rank > 2:
        return False        # a [C] constant broadcasts along the LAST axis, not the channels
    padded = (1,) * (rank - array.ndim) + array.shape
    return all(size == 1 for axis, size in enumerate(padded) if axis != 1)


def reduction_length(node: ir.Node) -> int:
    """K of a binary op: number of ±1 products summed per output."""
    w = constant(node.inputs[1])
    return int(np.prod(w.shape[1:])) if node.op_type == "BinaryConv" else int(w.shape[0])


class ChainEvaluator:
    """Runs chain(x) for probes x of shape [P, C] broadcast to the tensor's rank, in onnxruntime."""

    def __init__(self, chain: list[ir.Node], x: ir.Value, out: ir.Value, shape, opsets):
        self.rank = len(shape)
        self.session = None
        if not chain:
            return
        nodes, initializers = [], {}
        for node in chain:
            proto = ir.serde.serialize_node(node)
            nodes.append(proto)
            for value in node.inputs:
                if value is not None and constant(value) is not None:
                    initializers[value.name] = onnx.numpy_helper.from_array(constant(value), value.name)
        probe_shape = ["P", shape[1]] + [1] * (self.rank - 2)
        graph = onnx.helper.make_graph(
            nodes, "chain", [onnx.helper.make_tensor_value_info(x.name, onnx.TensorProto.FLOAT, probe_shape)],
            [onnx.ValueInfoProto(name=out.name)], initializer=list(initializers.values()))
        model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid(d, v) for d, v in opsets.items()
                                                            if d in ("", "ai.onnx")])
        self.session = session(model.SerializeToString())
        self.input_name = x.name

    def __call__(self, probes: np.ndarray) -> np.ndarray:
        probes = probes.astype(np.float32)
        if self.session is None:
            return probes
        shaped = probes.reshape(probes.shape + (1,) * (self.rank - 2))
        (out,) = self.session.run(None, {self.input_name: shaped})
        return out.reshape(probes.shape)


def integer_thresholds(evaluate: ChainEvaluator, rule: str, k: int, channels: int):
    """Exhaustive over y in [-K, K]: (T[C], D[C], exact-zero-seen) or None if some channel is not a step."""
    if (2 * k + 1) * channels > MAX_EXHAUSTIVE:
        return None
    ys = np.arange(-k, k + 1, dtype=np.float32)
    z = evaluate(np.repeat(ys[:, None], channels, axis=1))
    plus = sign_decision(z, rule)
    rising = np.all(plus[1:] >= plus[:-1], axis=0)
    falling = np.all(plus[1:] <= plus[:-1], axis=0)
    if not np.all(rising | falling):
        return None
    first_plus = np.where(plus.any(axis=0), plus.argmax(axis=0) - k, k + 1)
    last_plus = np.where(plus.any(axis=0), (2 * k - plus[::-1].argmax(axis=0)) - k, -k - 1)
    thresholds = np.where(rising, first_plus, last_plus)
    directions = np.where(rising, 1, -1)
    rebuilt = np.where(directions > 0, ys[:, None] >= thresholds, ys[:, None] <= thresholds)
    assert np.array_equal(rebuilt, plus)
    return thresholds.astype(np.float32), directions.astype(np.int8), bool(np.any(z == 0))


def float_key(x: np.ndarray) -> np.ndarray:
    """Map float32 to int64 preserving order (-0 and +0 share a key)."""
    bits = x.astype(np.float32).view(np.int32).astype(np.int64)
    return np.where(bits >= 0, bits, -(bits & 0x7FFFFFFF))


def key_float(key: np.ndarray) -> np.ndarray:
    bits = np.where(key >= 0, key, (-key) | 0x80000000).astype(np.uint32)
    return bits.view(np.float32)


def float_thresholds(evaluate: ChainEvaluator, rule: str, channels: int):
    """Binary search of the step of every channel over the float32 order; None if not a step."""
    def decide(values):
        return sign_decision(evaluate(values), rule)

    big = np.float32(np.finfo(np.float32).max)
    low_key = np.full(channels, float_key(np.array([-big]))[0])
    high_key = np.full(channels, float_key(np.array([big]))[0])
    at_low, at_high = decide(key_float(low_key)[None])[0], decide(key_float(high_key)[None])[0]
    rising = ~at_low & at_high
    falling = at_low & ~at_high
    lo, hi = low_key.copy(), high_key.copy()      # invariant: decision(lo) != decision(hi)
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        at_mid = decide(key_float(mid)[None])[0]
        same_as_low = at_mid == at_low
        lo = np.where(same_as_low, mid, lo)
        hi = np.where(same_as_low, hi, mid)
    thresholds = np.where(rising, key_float(hi), key_float(lo))
    constant_plus = ~rising & ~falling & at_low
    thresholds = np.where(rising | falling, thresholds, np.where(constant_plus, -np.inf, np.nan)).astype(np.float32)
    directions = np.where(falling, -1, 1).astype(np.int8)
    if not _consistent(decide, thresholds, directions, channels):
        return None
    return thresholds, directions


def _consistent(decide, thresholds, directions, channels) -> bool:
    """Check the steps on their neighbours, special values and random probes."""
    rng = np.random.default_rng(0)
    finite = np.where(np.isfinite(thresholds), thresholds, 0).astype(np.float32)
    probes = [np.nextafter(finite, np.float32(-np.inf)), finite, np.nextafter(finite, np.float32(np.inf))]
    probes += [np.full(channels, v, np.float32) for v in (0.0, -0.0, 1.0, -1.0, 1e-30, -1e-30, 1e30, -1e30)]
    probes += list((rng.standard_normal((64, channels)) * 10.0 ** rng.integers(-6, 8, (64, 1))).astype(np.float32))
    x = np.stack(probes)
    expected = np.where(directions > 0, x >= thresholds, x <= thresholds)
    return bool(np.array_equal(decide(x), expected))
