"""tvm-llvm end to end: every generated zoo model, the real models of ../shared/models and the small
Bi-Real-18 compile once each (any batch: the batch is a symbolic dimension) and match their
reference runtime at batch 1 and at batch 5 (4 for the four FINN test digits)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from tvm_testing import assert_exact, require_tvm

require_tvm()

import zoo  # noqa: E402  (tests/ is on sys.path: tests/conftest.py)

VARIANTS = [pytest.param(name, fn, kw, id=f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}")
            for name, (fn, variants) in zoo.BUILDERS.items() for kw in variants]

# file -> how the reference expects the FINN test digits (float32 [4, 1, 28, 28], 0..255)
SHARED = {
    "qonnx_model_zoo__TFC_1W1A.onnx": lambda x: x / 255.0,
    "fastinference__bnntest.onnx": lambda x: x.reshape(len(x), 784) * 255.0,
    "fastinference__model_fashion_test.onnx": lambda x: x.reshape(len(x), 784) * 255.0,
}


def random_feeds(model, batch: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(((batch,) + s.shape[1:]) if s.batched else s.shape).astype(np.float32)
            for s in model.inputs]


@pytest.mark.parametrize("name,build,kwargs", VARIANTS)
def test_zoo_model_is_exact_at_any_batch(name, build, kwargs, tvm_builds):
    source = build(seed=3, **kwargs)
    model = tvm_builds.get(f"zoo-{name}-{sorted(kwargs.items())}", source.SerializeToString())
    assert model.manifest["kernels"].get("binary_conv", 0) >= 1
    for batch in (1, 5):
        assert_exact(model, random_feeds(model, batch, seed=batch), source)


@pytest.mark.parametrize("filename", SHARED)
def test_shared_model_is_exact(filename, shared_models, tvm_builds):
    import onnx

    x = np.load(shared_models / "testdata" / "finn__build_dataflow_input.npy").astype(np.float32)
    labels = np.load(shared_models / "testdata" / "finn__build_dataflow_expected_output.npy").reshape(-1)
    inputs = SHARED[filename](x).astype(np.float32)
    source = onnx.load(shared_models / filename)
    model = tvm_builds.get(filename, shared_models / filename)
    (first,) = assert_exact(model, [inputs[:1]], source)
    (logits,) = assert_exact(model, [inputs], source)
    assert np.array_equal(logits[:1], first)           # a sample's result does not depend on the batch
    if "fashion" not in filename:                       # Fashion-MNIST: these digits have no labels
        assert logits.argmax(1).tolist() == labels.tolist()


def test_bireal_small_is_exact(tvm_builds):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "bireal"))
    import bireal

    source = bireal.build_bireal_small()
    model = tvm_builds.get("bireal_small", source.SerializeToString())
    assert model.manifest["kernels"]["binary_conv"] == 16
    for batch in (1, 3):
        assert_exact(model, random_feeds(model, batch, seed=batch), source)


def test_fixed_batch_build(tvm_builds):
    """batch=2 builds static shapes: it runs exactly 2 samples and refuses others in one line."""
    import bnncc

    source = zoo.bireal_block(seed=4)
    model = tvm_builds.get("bireal_block-static-2", source.SerializeToString(), batch=2)
    assert model.manifest["batch"]["size"] == 2 and model.manifest["inputs"][0]["shape"][0] == 2
    assert_exact(model, random_feeds(model, 2, seed=0), source)
    with pytest.raises(bnncc.BnnccError, match=r"must have shape \[2, 3, 16, 16\]"):
        model.run(random_feeds(model, 3, seed=0)[0])
