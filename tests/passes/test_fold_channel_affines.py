"""fold_channel_affines: every exporter's way of writing a per-channel affine map after a layer
becomes ChannelAffine, only where the two roundings of ChannelAffine give the chain's own values."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

import bnncc
from bnncc import interpreter
from bnncc.frontend.importer import import_model
from bnncc.ir import is_bnncc
from bnncc.ops import OPS
from bnncc.pipeline import stages
from bnncc.report import ConversionReport
from bnncc.verify import compare

import zoo

FLOAT_AFFINE = {"Mul", "Add", "Sub", "Div", "BatchNormalization"}


def _final_graph(source: onnx.ModelProto, upto: str = "fuse_output_transforms"):
    imported = import_model(source.SerializeToString())
    for name, make_pass in stages(ConversionReport()):
        make_pass()(imported.model)
        if name == upto:
            break
    return imported


def _run(source: onnx.ModelProto, model, x: np.ndarray):
    return interpreter.run(source, {"input": x})[0], interpreter.run(model, {"input": x})[0]


@pytest.mark.parametrize("affine", ["mul_add", "conv_bias", "bn_after_residual"])
def test_affine_forms_after_a_binary_conv_fuse_into_it(affine):
    """Mul then Add, a conv bias with ±s weights, or nothing before a residual Add (a BatchNormalization
    after it, the conv's second output stage): each conv applies its maps as it stores, and no float
    affine op or Add is left (the residual Add goes into one of its operands' ChannelAffine); what
    ChannelAffine is left reads a float layer (the stem's), never a binary conv's output."""
    source = zoo.channel_affine_forms(seed=1, affine=affine)
    imported = _final_graph(source)
    ops = [(n.domain, n.op_type) for n in imported.model.graph]
    assert not {op for domain, op in ops if domain == ""} & FLOAT_AFFINE, ops
    fused = [n for n in imported.model.graph if is_bnncc(n, "BinaryConvAffine")]
    assert len(fused) == 2
    passes = [n for n in imported.model.graph if is_bnncc(n, "ChannelAffine")]
    assert all(n.inputs[0].producer().op_type == "Conv" for n in passes), ops
    assert (OPS["BinaryConvAffine"].input(fused[0], "S2") is not None) == (affine == "bn_after_residual")
    x = np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32)
    want, got = _run(source, imported.model, x)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_add_then_mul_keeps_its_order_when_one_affine_map_would_round_differently():
    """(acc + b) * s rounds after the Add; acc * s + b * s does not reproduce it on every integer of
    [-K, K] for these constants, so the Add is the conv's first output stage and the Mul its second."""
    source = zoo.channel_affine_forms(seed=1, affine="add_mul")
    imported = _final_graph(source)
    conv = next(n for n in imported.model.graph if is_bnncc(n, "BinaryConvAffine"))
    scale, bias, scale2, bias2 = (OPS["BinaryConvAffine"].input(conv, name).const_value.numpy()
                                  for name in ("S", "B", "S2", "B2"))
    assert np.all(scale == 1) and np.any(bias != 0)
    assert np.any(scale2 != 1) and np.all(bias2 == 0)
    x = np.random.default_rng(2).standard_normal((1, 3, 8, 8)).astype(np.float32)
    want, got = _run(source, imported.model, x)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def _float_chain(*ops) -> onnx.ModelProto:
    """input [1, 4, 3, 3] -> the given (op, constant) chain -> output."""
    nodes, inits, x = [], [], "input"
    for i, (op, value) in enumerate(ops):
        inits.append(numpy_helper.from_array(np.asarray(value, np.float32).reshape(1, 4, 1, 1), f"c{i}"))
        nodes.append(helper.make_node(op, [x, f"c{i}"], [f"t{i}"]))
        x = f"t{i}"
    nodes.append(helper.make_node("Relu", [x], ["output"]))
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("input", 1, [1, 4, 3, 3])],
                              [helper.make_tensor_value_info("output", 1, [1, 4, 3, 3])], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


SCALE, BIAS = [0.3, -1.7, 2.5, 0.011], [0.1, -0.2, 3.3, -7.0]


@pytest.mark.parametrize("chain,affines", [
    ((("Mul", SCALE), ("Add", BIAS)), 1),
    ((("Mul", SCALE), ("Sub", BIAS)), 1),
    ((("Add", BIAS), ("Mul", SCALE)), 2),      # (x + b) * s: not x * s + b' for real-valued x
    ((("Div", SCALE),), 0),                    # x / s is not x * (1 / s)
])
def test_real_valued_inputs_fold_only_the_forms_that_round_alike(chain, affines):
    source = _float_chain(*chain)
    imported = _final_graph(source, upto="fold_channel_affines")
    assert sum(is_bnncc(n, "ChannelAffine") for n in imported.model.graph) == affines
    x = np.random.default_rng(3).standard_normal((1, 4, 3, 3)).astype(np.float32) * 100
    want, got = _run(source, imported.model, x)
    assert np.array_equal(got, want)


def test_bireal_with_the_batchnorm_after_the_add_runs_the_canonical_kernels():
    """Bi-Real blocks written BN(conv + shortcut): the next block's Sign folds the BN into its
    threshold on the sum, the shortcut reads the BN's output. Each BN becomes its conv's second
    output stage (the packed bits' thresholds moved onto its output), and the downsampling shortcut's
    BN leaves its Add to the binary conv: the same kernels as BN(conv) + shortcut, exact."""
    layers = {}
    for after in (False, True):
        source = zoo.bireal_block(seed=3, stem="resnet", bn_after_add=after)
        model = bnncc.compile(source.SerializeToString(), target="generic-c")
        layers[after] = [layer.op_type for layer in model.layers]
        x = np.random.default_rng(4).standard_normal((2, 3, 21, 21)).astype(np.float32)
        for check in compare(model, [x]):
            assert check.ok, check
    assert layers[True] == layers[False], layers
