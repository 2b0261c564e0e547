"""End to end on generated models of every dialect: compile -> build -> run -> compare with the
reference runtime (onnxruntime, or qonnx for QONNX/FINN), on every CPU target (ARM ones under qemu)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import bnncc
from conftest import cpu_targets
from bnncc.verify import compare

import zoo

VARIANTS = [pytest.param(fn, kw, id=f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}")
            for name, (fn, variants) in zoo.BUILDERS.items() for kw in variants]


def assert_matches_reference(model: bnncc.CompiledModel, inputs: list[np.ndarray]) -> None:
    for check in compare(model, inputs):
        assert check.ok, f"output {check.index} ({check.kind}): {check.mismatches} mismatches, " \
                         f"{check.argmax_mismatches} argmax differences, max |diff| {check.max_abs_diff}"


def feeds_for(model: bnncc.CompiledModel, batch: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(((batch,) + s.shape[1:]) if s.batched else s.shape).astype(np.float32)
            for s in model.inputs]


@pytest.mark.parametrize("target", cpu_targets(include_native=False, include_arm=True))
@pytest.mark.parametrize("build,kwargs", VARIANTS)
def test_generated_model_is_exact(build, kwargs, target, tmp_path):
    source = build(seed=3, **kwargs)
    model = bnncc.compile(source.SerializeToString(), target=target, output_dir=tmp_path / "artifact")
    assert_matches_reference(model, feeds_for(model, batch=5, seed=1))


@pytest.mark.parametrize("build,kwargs", [v for v in VARIANTS if "two_bit" not in v.id and "latent_sign" not in v.id])
def test_binary_layers_really_run_binary(build, kwargs):
    """Each zoo model has at least one binary layer, and the binary MACs are counted."""
    model = bnncc.compile(build(seed=0, **kwargs).SerializeToString(), target="generic-c")
    assert any(layer.mode == "binary" for layer in model.report.layers), str(model.report)
    assert model.report.binary_macs > 0


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(zoo.random_bnn())
def test_random_bnns_are_exact(case):
    source, x = case
    model = bnncc.compile(source.SerializeToString(), target="generic-c")
    batch = np.concatenate([x, -x, x[..., ::-1].copy()]) if model.inputs[0].batched else x
    assert_matches_reference(model, [batch.astype(np.float32)])


@pytest.mark.parametrize("opset", range(9, zoo.NEWEST_OPSET + 1))
def test_every_opset_from_9_to_the_newest_is_accepted(opset, tmp_path):
    """The same BNN declared at each standard opset onnx knows from 9 on: binary, and exact."""
    model = bnncc.compile(zoo.binarization_idioms(seed=3, idiom="greater", opset=opset).SerializeToString(),
                          target="generic-c", output_dir=tmp_path / "artifact")
    assert any(layer.mode == "binary" for layer in model.report.layers)
    assert_matches_reference(model, feeds_for(model, batch=2, seed=opset))
