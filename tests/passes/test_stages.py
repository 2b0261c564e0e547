"""Every pipeline stage is a valid graph that computes the same outputs as the stage before it.

Each stage runs in bnncc's reference interpreter (onnx.reference + numpy references of the
ai.bnncc ops); the canonical stage is also checked against the reference runtime itself."""
from __future__ import annotations

import numpy as np
import onnx
import pytest

from bnncc import interpreter
from bnncc.frontend.importer import import_model
from bnncc.ir import is_bnncc
from bnncc.pipeline import stages
from bnncc.reference import run_reference
from bnncc.report import ConversionReport
from bnncc.targets import get_target

import zoo

MODELS = ["fastinference_style", "qonnx_bipolar_mlp", "larq_ste_sign_conv", "finn_multithreshold", "bireal_block",
          "explicit_pm1_pad", "qonnx_quant_latent", "pytorch_folded_bireal", "channel_affine_forms", "dense_forms",
          "dynamic_batch", "meliusnet_block"]


def _outputs_of_each_stage(source: onnx.ModelProto, x: np.ndarray, target=None):
    imported = import_model(source.SerializeToString())
    feeds = {imported.inputs[0].name: x}
    results = [("reference", run_reference(imported.source, feeds)), ("canonical", interpreter.run(imported.model, feeds))]
    for name, make_pass in stages(ConversionReport(), target):
        make_pass()(imported.model)
        onnx.checker.check_model(imported.model and __import__("onnx_ir").serde.serialize_model(imported.model))
        results.append((name, interpreter.run(imported.model, feeds)))
    return imported, results


@pytest.mark.parametrize("name", MODELS)
def test_every_stage_computes_the_same_outputs(name):
    build = zoo.BUILDERS[name][0]
    source = build(seed=5)
    x = zoo.random_inputs(source, np.random.default_rng(2), batch=1)
    imported, results = _outputs_of_each_stage(source, next(iter(x.values())))
    _assert_stages_agree(results)
    final_ops = {node.op_type for node in imported.model.graph if is_bnncc(node)}
    assert final_ops & {"BinaryConvPacked", "BinaryConvAffine"}, final_ops


def _assert_stages_agree(results) -> None:
    (_, expected), *stages_ = results
    for stage, outputs in stages_:
        for ours, theirs in zip(outputs, expected):
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5, err_msg=f"stage {stage}")
            assert np.array_equal(np.argmax(ours, -1), np.argmax(theirs, -1)), stage


@pytest.mark.parametrize("form,packed_op", [("dense_packed", "ConcatBits"), ("split_packed", "SliceBits")])
@pytest.mark.parametrize("channels,growth", [(40, 24), (128, 64)])
def test_channel_cuts_of_binarized_maps_stay_packed(form, packed_op, channels, growth):
    """Concat, Split and Slice of binarized maps become packed copies of the pieces' packed
    sources (no float ±1 map is packed by PackBits), and every stage keeps the outputs."""
    source = zoo.meliusnet_block(seed=5, channels=channels, growth=growth, form=form)
    x = zoo.random_inputs(source, np.random.default_rng(2), batch=1)
    imported, results = _outputs_of_each_stage(source, next(iter(x.values())))
    _assert_stages_agree(results)
    final_ops = [node.op_type for node in imported.model.graph if is_bnncc(node)]
    assert packed_op in final_ops and "PackBits" not in final_ops, final_ops


@pytest.mark.parametrize("target", ["x86-avx2", "x86-avx512"])
def test_x86_stages_fuse_the_stem_conv_into_its_pool(target):
    """The x86 targets' extra stage (fuse_conv_pool) keeps the outputs and fuses ResNet's stem."""
    source = zoo.bireal_block(seed=3, stem="resnet")
    x = zoo.random_inputs(source, np.random.default_rng(4), batch=1)
    imported, results = _outputs_of_each_stage(source, next(iter(x.values())), get_target(target))
    assert results[-1][0] == "fuse_conv_pool"
    (_, expected), *stages_ = results
    for stage, outputs in stages_:
        np.testing.assert_allclose(outputs[0], expected[0], rtol=1e-5, atol=1e-5, err_msg=f"stage {stage}")
    ops = [node.op_type for node in imported.model.graph]
    assert ops.count("ConvMaxPoolAffine") == 1 and "MaxPoolAffine" not in ops, ops
    assert [name for name, _ in stages(ConversionReport(), get_target("generic-c"))][-1] != "fuse_conv_pool"


def test_binarizations_of_all_dialects_become_canonical_signs():
    """After import no dialect-specific binarization is left, only ai.bnncc.Sign."""
    for name in ("fastinference_style", "qonnx_bipolar_mlp", "larq_ste_sign_conv", "finn_multithreshold"):
        imported = import_model(zoo.BUILDERS[name][0](seed=0).SerializeToString())
        ops = {(n.domain, n.op_type) for n in imported.model.graph}
        assert ("ai.bnncc", "Sign") in ops, name
        assert not ops & {("", "Where"), ("", "Sign"), ("onnx.brevitas", "BipolarQuant"),
                          ("qonnx.custom_op.general", "MultiThreshold")}, (name, ops)
