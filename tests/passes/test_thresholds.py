"""The BN+binarize -> threshold maths, checked against direct evaluation of the chain."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

import bnncc
import zoo

from bnncc.ops.sign import sign_decision
from bnncc.passes.fuse_thresholds import ChainEvaluator, float_key, float_thresholds, integer_thresholds, key_float
from bnncc.frontend.importer import import_model


def _bn_chain(gamma, beta, mean, var):
    """A model x -> BatchNormalization -> y, imported so its nodes can feed a ChainEvaluator."""
    c = len(gamma)
    inits = [onnx.numpy_helper.from_array(np.asarray(a, np.float32), n) for a, n in
             zip((gamma, beta, mean, var), ("g", "b", "m", "v"))]
    graph = helper.make_graph([helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"])], "bn",
                              [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, c])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, c])], inits)
    model = import_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
    node = next(iter(model.model.graph))
    return ChainEvaluator([node], node.inputs[0], node.outputs[0], (1, c), {"": 13})


def test_integer_thresholds_reproduce_every_decision():
    rng = np.random.default_rng(0)
    c, k = 40, 75
    gamma = rng.normal(0, 1, c)
    gamma[:3] = [0.0, -1.0, 2.0]                  # constant, flipped and plain channels
    evaluate = _bn_chain(gamma, rng.normal(0, 1, c), rng.normal(0, 8, c), rng.uniform(1, 50, c))
    thresholds, directions, _ = integer_thresholds(evaluate, "ge", k, c)
    ys = np.arange(-k, k + 1, dtype=np.float32)[:, None].repeat(c, 1)
    expected = sign_decision(evaluate(ys), "ge")
    ours = np.where(directions > 0, ys >= thresholds, ys <= thresholds)
    assert np.array_equal(ours, expected)
    assert directions[1] == -1 and directions[2] == 1


def test_float_thresholds_match_the_chain_on_dense_probes():
    rng = np.random.default_rng(1)
    c = 16
    evaluate = _bn_chain(rng.normal(0, 1, c), rng.normal(0, 1, c), rng.normal(0, 3, c), rng.uniform(0.1, 4, c))
    for rule in ("ge", "gt", "le", "lt"):
        thresholds, directions = float_thresholds(evaluate, rule, c)
        x = np.concatenate([rng.normal(0, 10, (2000, c)), np.nextafter(thresholds, np.inf)[None],
                            thresholds[None], np.nextafter(thresholds, -np.inf)[None]]).astype(np.float32)
        expected = sign_decision(evaluate(x), rule)
        assert np.array_equal(np.where(directions > 0, x >= thresholds, x <= thresholds), expected), rule


def test_float_order_keys_round_trip_and_sort():
    values = np.array([-np.inf, -3.5, -1e-40, -0.0, 0.0, 1e-45, 2.0, np.inf], np.float32)
    keys = float_key(values)
    assert np.all(np.diff(keys) >= 0)
    assert np.array_equal(key_float(keys)[[0, 1, 2, 5, 6, 7]], values[[0, 1, 2, 5, 6, 7]])


def test_non_monotone_chain_is_refused():
    class Abs:
        def __call__(self, x):
            return np.abs(x) - 2
    assert integer_thresholds(Abs(), "ge", 5, 3) is None


def _report_notes(model: onnx.ModelProto) -> list[str]:
    return bnncc.compile(model.SerializeToString(), target="generic-c").report.notes


def test_binarizations_of_float_sums_are_named_in_the_report():
    """A Sign after a float conv can flip where the conv's rounding differs from the reference's;
    the report names exactly those binarizations."""
    model = zoo.bireal_block(0)
    for node in model.graph.node:
        node.name = node.name or f"{node.op_type}_{list(model.graph.node).index(node)}"
    notes = [n for n in _report_notes(model) if "float sums" in n]
    assert len(notes) == 1 and "2 binarization(s)" in notes[0]
    signs = [n.name for n in model.graph.node if n.op_type == "Sign"]
    assert all(name in notes[0] for name in signs)


def test_binarization_of_an_input_through_exact_ops_is_not_named():
    """plain_sign_mlp: Sign(x), then Signs of binary accumulators through Mul/Add: all exact."""
    assert not any("float sums" in n for n in _report_notes(zoo.plain_sign_mlp(0)))


def test_sign_of_a_float_that_can_be_exactly_zero_is_reported():
    """Sign(Max(sum, c)) of a binary layer's integer sum passed through float ops is exactly 0
    whenever the sum is (found by the fuzz campaign, case 0-7963): ONNX gives 0 there, bnncc +1,
    and the report must say so for every Sign of a real-valued input."""
    w = np.where(np.random.default_rng(1).random((8, 4)) < 0.5, -1.0, 1.0).astype(np.float32)
    nodes = [helper.make_node("Sign", ["x"], ["s"]), helper.make_node("MatMul", ["s", "w"], ["acc"]),
             helper.make_node("Max", ["acc", "c"], ["m"]), helper.make_node("Sign", ["m"], ["y"], name="last_sign")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 8])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 4])],
                              [onnx.numpy_helper.from_array(w, "w"),
                               onnx.numpy_helper.from_array(np.full(4, -1.5, np.float32), "c")])
    model = bnncc.compile(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString(),
                          target="generic-c")
    assert any("last_sign" in note and "exact 0" in note and "+1" in note for note in model.report.notes), \
        model.report.notes
    x = np.where(w[:, 0] > 0, 1.0, -1.0).astype(np.float32)[None]
    x[0, :4] *= -1                                 # half the products flip: the sum of column 0 is 0
    (y,) = model.run(x)
    assert y[0, 0] == 1.0                          # ONNX: Sign(0) = 0; bnncc: +1, as the note says
