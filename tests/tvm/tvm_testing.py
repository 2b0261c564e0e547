"""Helpers of the TVM backend's tests (imported by name: pytest puts this folder on sys.path)."""
from __future__ import annotations

import numpy as np
import pytest

TVM_MISSING = "apache-tvm is not installed (pip install 'bnncc[tvm]'): the TVM backend is not tested"


def require_tvm():
    """Skip the calling module unless apache-tvm with its compiler is importable."""
    tvm = pytest.importorskip("tvm", reason=TVM_MISSING)
    if getattr(tvm, "_RUNTIME_ONLY", False):
        pytest.skip("only TVM's runtime is installed: building needs the compiler", allow_module_level=True)
    return tvm


class BuildCache:
    """Compiled TVM models by key, built once per test session (per xdist worker)."""

    def __init__(self, folder):
        self.folder = folder
        self.models = {}

    def get(self, key: str, model, target: str = "tvm-llvm", **options):
        import bnncc.tvm

        if (key, target) not in self.models:
            self.models[key, target] = bnncc.tvm.compile_model(
                model, target, output_dir=self.folder / f"{key}-{target}".replace("/", "_"), name="model", **options)
        return self.models[key, target]


def reference_outputs(model, inputs: list[np.ndarray], source) -> list[np.ndarray]:
    """The reference runtime's outputs, sample by sample (exported models may have a static batch)."""
    from bnncc.reference import run_reference

    batched = [spec.batched for spec in model.inputs]
    batch = inputs[0].shape[0] if batched[0] else 1
    per_sample = [run_reference(source, {spec.name: (x[n:n + 1] if b else x)
                                         for spec, x, b in zip(model.inputs, inputs, batched)}) for n in range(batch)]
    return [np.concatenate([s[i] for s in per_sample]) if spec.batched else per_sample[0][i]
            for i, spec in enumerate(model.outputs)]


def assert_exact(model, inputs: list[np.ndarray], source) -> list[np.ndarray]:
    """model.run(inputs) against the reference under bnncc.verify's rules (bit-exact on integer,
    binary and argmax outputs; float outputs within 1e-5 relative)."""
    from bnncc.verify import check_output

    ours = model.run(*inputs)
    theirs = reference_outputs(model, inputs, source)
    for i, (spec, a, b) in enumerate(zip(model.outputs, ours, theirs)):
        check = check_output(i, spec.name, a, b)
        assert check.ok, (f"output {i} ({check.kind}) at batch {inputs[0].shape[0]}: {check.mismatches} mismatches, "
                          f"{check.argmax_mismatches} argmax differences, max |diff| {check.max_abs_diff}")
    return ours
