"""examples/gpu: the GPU check's own code path, rehearsed on the CPU. prepare.py builds a small
llvm bundle (TVM runtime without its compiler, a few models with inputs and references);
gpu_check.py --dry-run then runs it with TVM in runtime-only mode: exactness, batch invariance,
timing and the JSON report."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tvm_testing import require_tvm

require_tvm()

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gpu"


def test_prepare_and_dry_run(tmp_path, shared_models):
    bundle, out = tmp_path / "bundle", tmp_path / "out"
    subprocess.run([sys.executable, str(EXAMPLE / "prepare.py"), "--target", "llvm", "--out", str(bundle), "--quick",
                    "--only", "plain_sign,TFC", "--bench-model", "bireal_small",
                    "--pythons", f"cp{sys.version_info.major}{sys.version_info.minor}"], check=True, capture_output=True,
                   timeout=600, env={**os.environ, "BNNCC_SHARED_MODELS": str(shared_models)})
    assert not (bundle / "runtime" / "tvm" / "lib" / "libtvm_compiler.so").exists()
    # --isolate bnncc: the benchmark build is checked in a process of its own, as new builds are on the GPU
    done = subprocess.run([sys.executable, str(EXAMPLE / "gpu_check.py"), "--bundle", str(bundle), "--target", "llvm",
                           "--dry-run", "--out", str(out), "--isolate", "bnncc"], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((out / "gpu_check.json").read_text())
    assert results["tvm_runtime_only"] and results["bench_weights_match_build"]
    assert results["exactness_summary"]["failed"] == [] and results["exactness_summary"]["exact"] == 6
    assert all(entry["identical"] for entry in results["batch_invariance"])
    assert [row["batch"] for row in results["speed"]] == [1, 2] and all("median_ms" in r for r in results["speed"])
    assert results["isolated"]["bnncc"]["returncode"] == 0
    assert results["best_exact_tvm"]["exact_variants"] == ["bnncc"]
    profiles = [p for p in results["profile"] if "calls" in p]
    assert [p["batch"] for p in profiles] == [2, 1], results["profile"]
    for profile in profiles:                          # bireal_small: 16 binary convs, each timed
        binary = [c for c in profile["calls"] if c["kind"] == "binary conv"]
        assert len(binary) == 16 and all(c["macs"] > 0 and c["ms"] > 0 for c in binary)
        assert profile["summary"]["kernels_ms"] == pytest.approx(sum(c["ms"] for c in profile["calls"]))
    check = subprocess.run([sys.executable, str(EXAMPLE / "verify_outputs.py"), "--bundle", str(bundle), "--outputs",
                            str(out / "outputs")], capture_output=True, text=True, timeout=300)
    assert check.returncode == 0 and "6 of 6 outputs match" in check.stdout, check.stdout + check.stderr


def test_kernel_work_counts_macs():
    """The profile's work per call, from the argument shapes (inputs, then outputs)."""
    spec = importlib.util.spec_from_file_location("gpu_check", EXAMPLE / "gpu_check.py")
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    stage1 = [([256, 56, 56, 1], "uint64"), ([3, 3, 1, 64], "uint64"), ([64], "float32"), ([64], "float32"),
              ([256, 64, 56, 56], "float32"), ([64], "float32"), ([64], "int8"), ([256, 64, 56, 56], "float32"),
              ([256, 56, 56, 1], "uint64")]
    assert gpu_check.kernel_work("bnncc_binary_conv", stage1) == ("binary conv", 256 * 56 * 56 * 64 * 9 * 64)
    dense = [([8, 1, 1, 8], "uint64"), ([1, 1, 8, 1000], "uint64"), ([8, 1000], "float32")]
    assert gpu_check.kernel_work("bnncc_binary_conv3", dense) == ("binary conv", 8 * 1000 * 512)
    stem = [([4, 3, 224, 224], "float32"), ([64, 3, 7, 7], "float32"), ([4, 64, 112, 112], "float32")]
    assert gpu_check.kernel_work("conv2d", stem) == ("float conv", 4 * 64 * 112 * 112 * 147)
    assert gpu_check.kernel_work("bnncc_float_conv", stem) == ("float conv", 4 * 64 * 112 * 112 * 147)
    assert gpu_check.kernel_work("fused_matmul_add", [([4, 512], "float32"), ([512, 1000], "float32"),
                                                      ([1000], "float32"), ([4, 1000], "float32")])[1] == 4 * 512 * 1000
    assert gpu_check.kernel_work("mean", [([4, 512, 7, 7], "float32"), ([4, 512, 1, 1], "float32")]) == ("other", None)
