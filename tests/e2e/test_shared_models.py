"""The real, trained BNNs of ../shared/models, made by other projects: all compile for both CPU
targets, label the four MNIST digits 7, 2, 1, 0 and match their reference runtime exactly."""
from __future__ import annotations

import numpy as np
import pytest

import bnncc
from targets_under_test import cpu_targets
from bnncc.verify import compare

# file -> how the reference expects the FINN test digits (float32 [4, 1, 28, 28], 0..255)
MODELS = {
    "qonnx_model_zoo__TFC_1W1A.onnx": lambda x: x / 255.0,
    "fastinference__bnntest.onnx": lambda x: x.reshape(len(x), 784) * 255.0,
    "fastinference__model_fashion_test.onnx": lambda x: x.reshape(len(x), 784) * 255.0,
}


@pytest.fixture(scope="module")
def digits(shared_models):
    x = np.load(shared_models / "testdata" / "finn__build_dataflow_input.npy")
    labels = np.load(shared_models / "testdata" / "finn__build_dataflow_expected_output.npy")
    return x.astype(np.float32), labels.reshape(-1)


@pytest.mark.parametrize("target", cpu_targets(include_arm=True))
@pytest.mark.parametrize("filename", MODELS)
def test_real_model_matches_reference(filename, target, shared_models, digits, tmp_path):
    x, labels = digits
    model = bnncc.compile(shared_models / filename, target=target, output_dir=tmp_path / "artifact")
    inputs = MODELS[filename](x).astype(np.float32)
    ours = np.concatenate([model.run(inputs[i:i + 1])[0] for i in range(len(inputs))])
    if "fashion" not in filename:          # Fashion-MNIST: these digits have no meaningful labels
        assert ours.argmax(1).tolist() == labels.tolist()
    for i in range(len(inputs)):            # the TFC export has a static batch of 1
        for check in compare(model, [inputs[i:i + 1]]):
            assert check.ok, check
    assert sum(layer.mode == "binary" for layer in model.report.layers) >= 3


def test_dynamic_batch_runs_as_one_call(shared_models, digits):
    """fastinference models have a dynamic batch: one call of the artifact takes all samples."""
    x, labels = digits
    model = bnncc.compile(shared_models / "fastinference__bnntest.onnx", target="generic-c")
    (logits,) = model.run(x.reshape(4, 784) * 255.0)
    assert logits.shape == (4, 10)
    assert logits.argmax(1).tolist() == labels.tolist()
