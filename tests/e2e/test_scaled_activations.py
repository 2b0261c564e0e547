"""A BipolarQuant with a scale other than 1 feeds s * sign(x) to the next layer: that layer must
still run binary, with s folded after the popcount, and match qonnx."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

import bnncc
from bnncc.verify import compare


def bipolar_mlp(scale: float, seed: int = 0) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    k, m, classes = 70, 33, 10
    inits = {
        "s": np.float32(scale), "one": np.float32(1.0),
        "w1": np.where(rng.random((k, m)) < 0.5, -1, 1).astype(np.float32),
        "w2": np.where(rng.random((m, classes)) < 0.5, -1, 1).astype(np.float32),
        "g": rng.normal(1, 0.3, m).astype(np.float32), "b": rng.normal(0, 0.2, m).astype(np.float32),
        "mu": rng.normal(0, 3, m).astype(np.float32), "var": rng.uniform(20, 80, m).astype(np.float32),
    }
    nodes = [
        helper.make_node("BipolarQuant", ["x", "s"], ["xq"], domain="onnx.brevitas"),
        helper.make_node("MatMul", ["xq", "w1"], ["h"]),
        helper.make_node("BatchNormalization", ["h", "g", "b", "mu", "var"], ["hn"]),
        helper.make_node("BipolarQuant", ["hn", "s"], ["hq"], domain="onnx.brevitas"),
        helper.make_node("MatMul", ["hq", "w2"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "scaled", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, k])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, classes])],
                              [numpy_helper.from_array(np.asarray(v), n) for n, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


@pytest.mark.parametrize("scale", [0.5, 2.0, 0.3])
def test_scaled_bipolar_activations_stay_binary_and_exact(scale):
    model = bnncc.compile(bipolar_mlp(scale).SerializeToString(), target="generic-c")
    assert [layer.mode for layer in model.report.layers if layer.op_type == "MatMul"] == ["binary", "binary"], \
        str(model.report)
    rng = np.random.default_rng(1)
    for _ in range(8):
        for check in compare(model, [rng.standard_normal((1, 70)).astype(np.float32)]):
            assert check.ok, check
