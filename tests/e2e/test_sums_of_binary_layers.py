"""Sums of scaled binary layers (ABC-Net, GroupNet): each binary layer adds the running sum as it
stores its outputs, one of the graph's Adds per layer, so the additions happen in the graph's order."""
from __future__ import annotations

import numpy as np
import onnx
import pytest

import bnncc
from bnncc.reference import run_reference
from targets_under_test import cpu_targets

import zoo

# (builder, kwargs, float elementwise passes left, the sum's Adds done by binary layers, as the report
# names them: an ONNX Sum is one line, not one per Add). The BatchNormalization after the sum is the
# last layer's second output stage; a dense layer's input keeps its stem BatchNormalization as a pass
# of its own (it is read through a Flatten). ±alpha weights then times beta, and GroupNet's
# BatchNormalization then times lambda, round twice per branch, which no single scale and bias
# reproduces: the second rounding is each layer's second stage, with the sum's Add after it, and
# only the BatchNormalization after the sum (a third rounding after the last layer) stays a pass.
SUMS = [pytest.param(zoo.abc_net_layer, {}, 0, 2, id="abc-conv"),
        pytest.param(zoo.abc_net_layer, {"activation_bases": 3}, 0, 8, id="abc-conv-3-activation-bases"),
        pytest.param(zoo.abc_net_layer, {"activation_bases": 3, "sum_op": True}, 0, 0, id="abc-conv-onnx-sum"),
        pytest.param(zoo.abc_net_layer, {"activation_bases": 3, "activation": "indicator"}, 0, 8,
                     id="abc-conv-indicator-activations"),
        pytest.param(zoo.abc_net_layer, {"layer": "dense"}, 1, 2, id="abc-dense"),
        pytest.param(zoo.abc_net_layer, {"layer": "dense", "activation_bases": 3}, 1, 8,
                     id="abc-dense-3-activation-bases"),
        pytest.param(zoo.abc_net_layer, {"weights": "scaled"}, 1, 2, id="abc-conv-scaled-weights"),
        pytest.param(zoo.groupnet_sum, {}, 1, 2, id="groupnet")]


@pytest.mark.parametrize("build,kwargs,float_passes,adds_in_binary_layers", SUMS)
def test_sums_add_in_the_binary_layers_output_stage(build, kwargs, float_passes, adds_in_binary_layers):
    """The chain of Adds (and a scale that rounds like the layer's own) leaves no float pass, and the
    report says which binary layer does each Add. (Exactness: test_zoo_models, every target.)"""
    source = build(seed=0, **kwargs)
    binary = sum(node.op_type in ("Conv", "Gemm") and node.input[1].startswith(("abc.", "group"))
                 for node in source.graph.node)
    model = bnncc.compile(source.SerializeToString(), target="generic-c")
    ops = [layer.op_type for layer in model.layers]
    assert ops.count("BinaryConvAffine") == binary, ops
    assert "Add" not in ops and "Mul" not in ops, ops
    assert ops.count("ChannelAffine") == float_passes, ops
    said = [n for n in model.report.layers if n.op_type == "Add" and "output stage of the binary layer" in n.reason]
    assert len(said) == adds_in_binary_layers, str(model.report)


def cancelling_sum(sum_op: bool) -> onnx.ModelProto:
    """(a * 1e10 + b * -1e10) + c * 0.3 with a == b (the same weights), as two Adds or one ONNX Sum:
    the first Add cancels exactly and the sum is c * 0.3; added the other way round, a * 1e10 +
    (b * -1e10 + c * 0.3) loses c * 0.3 to rounding (|c * 0.3| <= 21.6 is under half an ulp, 512, of
    b * 1e10 when b != 0) and is 0."""
    rng = np.random.default_rng(5)
    same, other = zoo.pm1(rng, (6, 8, 3, 3)), zoo.pm1(rng, (6, 8, 3, 3))
    g = zoo._Graph()
    x = g.op("Sign", ["input"])
    terms = [g.op("Mul", [zoo._conv(g, x, g.const(w, "w"), 3, pad=1), g.const(np.float32(s), "s")])
             for w, s in ((same, 1e10), (same, -1e10), (other, 0.3))]
    if sum_op:
        g.op("Sum", terms, out="output")
    else:
        g.op("Add", [g.op("Add", terms[:2]), terms[2]], out="output")
    return g.model([zoo._vi("input", [1, 8, 5, 5])], [zoo._vi("output", [1, 6, 5, 5])], {"": 13})


@pytest.mark.parametrize("sum_op", [False, True], ids=["adds", "onnx-sum"])
@pytest.mark.parametrize("target", cpu_targets(include_native=False, include_arm=True))
def test_the_sum_adds_in_the_references_order(target, sum_op, tmp_path):
    """Bit-exact where the grouping matters: the chain of Adds in the graph's order, an ONNX Sum left
    to right as onnxruntime adds it."""
    source = cancelling_sum(sum_op)
    model = bnncc.compile(source.SerializeToString(), target=target, output_dir=tmp_path / "artifact")
    assert [layer.op_type for layer in model.layers].count("BinaryConvAffine") == 3
    for seed in range(3):
        x = np.random.default_rng(seed).standard_normal((1, 8, 5, 5)).astype(np.float32)
        (want,) = run_reference(source, {"input": x})
        (got,) = model.run(x)
        assert np.count_nonzero(want) > want.size // 2          # the order matters for these inputs
        np.testing.assert_array_equal(got, want)
