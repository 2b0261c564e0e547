"""The TVM targets through bnncc's own entry points, as a user runs them: `bnncc.compile`, the
CLI's compile / run / verify / bench / targets, and one clear line where no GPU is."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import bnncc
import bnncc.tvm
import zoo
from bnncc.reference import run_reference
from bnncc.verify import check_output
from tvm_testing import require_tvm

require_tvm()

BNNCC = [sys.executable, "-m", "bnncc.cli"]


def bnncc_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(BNNCC + [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("tvm-cli") / "conv.onnx"
    path.write_bytes(zoo.fastinference_style(3).SerializeToString())
    return path


def test_compile_api_with_a_tvm_target_is_exact(model_path):
    model = bnncc.compile(model_path, target="tvm-llvm")
    assert (model.output_dir / "bnncc.json").is_file() and (model.output_dir / "conv.so").is_file()
    x = np.random.default_rng(4).standard_normal((5, 256)).astype(np.float32)
    ours, = model.run(x)
    theirs, = run_reference(model.source_model, {"input": x})
    assert check_output(0, "output", ours, theirs).ok
    assert model.report.weight_bytes_packed > 0 and model.report.binary_macs is None   # TVM counts no MACs
    assert "not counted" in str(model.report)


def test_cli_compile_then_run_the_folder(model_path, tmp_path):
    result = bnncc_cli("compile", model_path, "-t", "tvm-llvm", "-o", tmp_path / "art", "-q")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert json.loads((tmp_path / "art" / "bnncc.json").read_text())["format"] == "bnncc-tvm"
    x = np.random.default_rng(1).standard_normal((3, 256)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    result = bnncc_cli("run", tmp_path / "art", "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npz", "-q")
    assert result.returncode == 0, result.stderr
    theirs, = run_reference(zoo.fastinference_style(3), {"input": x})
    assert check_output(0, "output", np.load(tmp_path / "y.npz")["output0"], theirs).ok


def test_cli_verify_on_tvm_llvm(model_path):
    result = bnncc_cli("verify", model_path, "-t", "tvm-llvm", "--samples", "4", "-q")
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_bench_on_tvm_llvm(model_path):
    result = bnncc_cli("bench", model_path, "-t", "tvm-llvm", "--runs", "4")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [int(row[0]) for row in rows] == [1, 64]                     # batch 1 and a throughput batch
    assert all(float(row[1]) > 0 and float(row[2]) > 0 for row in rows)


def test_targets_lists_the_tvm_targets():
    listing = bnncc_cli("targets").stdout
    assert "tvm-llvm" in listing and "tvm-cuda" in listing


@pytest.mark.skipif(bnncc.tvm.cuda_device_available(), reason="this machine has a CUDA GPU")
@pytest.mark.parametrize("command", ["verify", "bench"])
def test_without_a_gpu_tvm_cuda_says_so_in_one_line(command, model_path):
    result = bnncc_cli(command, model_path, "-t", "tvm-cuda")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["bnncc: error: target tvm-cuda cannot run on this machine: "
                                                  "no CUDA GPU here; it still compiles here"]


@pytest.mark.skipif(bnncc.tvm.cuda_device_available(), reason="this machine has a CUDA GPU")
def test_without_a_gpu_a_compiled_tvm_cuda_model_refuses_to_run(model_path):
    model = bnncc.compile(model_path, target="tvm-cuda")
    with pytest.raises(bnncc.BnnccError, match="needs a CUDA GPU"):
        model.run(np.zeros((1, 256), np.float32))
