"""The TVM artifact folder: library, manifest and README; loaded again from the folder alone, also
by TVM's runtime without its compiler; written atomically (a failed write keeps the old folder)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tvm_testing import require_tvm

require_tvm()

import zoo  # noqa: E402

import bnncc  # noqa: E402
import bnncc.tvm  # noqa: E402

RUNNER = Path(bnncc.tvm.__file__).with_name("runner.py")


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    folder = tmp_path_factory.mktemp("artifact") / "mlp"
    return bnncc.tvm.compile_model(zoo.plain_sign_mlp(seed=1).SerializeToString(), "tvm-llvm", output_dir=folder,
                                   name="mlp")


def test_folder_and_manifest(artifact):
    folder = artifact.output_dir
    assert sorted(os.listdir(folder)) == ["README.md", "bnncc.json", "mlp.so"]
    manifest = json.loads((folder / "bnncc.json").read_text())
    assert manifest["format"] == "bnncc-tvm" and manifest["target"] == "tvm-llvm"
    assert manifest["library"] == "mlp.so" and manifest["entry"] == "main"
    assert manifest["batch"]["size"] is None
    assert manifest["inputs"] == [{"name": "x", "shape": [None, 64], "dtype": "float32", "batched": True}]
    assert manifest["outputs"][0]["shape"] == [None, 10]
    assert manifest["weight_bytes"]["packed_binary"] > 0
    readme = (folder / "README.md").read_text()
    assert "VirtualMachine" in readme and "vm_load_executable" in readme and "mlp.so" in readme


def test_load_runs_like_the_compiled_model(artifact):
    x = np.random.default_rng(0).standard_normal((6, 64)).astype(np.float32)
    again = bnncc.tvm.load(artifact.output_dir)
    assert np.array_equal(again.run(x)[0], artifact.run(x)[0])
    with pytest.raises(bnncc.BnnccError, match=r"input 'x' must have shape \[N, 64\]"):
        again.run(x[:, :10])


def test_runtime_only_tvm_runs_the_library(artifact, tmp_path):
    """TVM_USE_RUNTIME_LIB=1: libtvm_compiler.so is never loaded, runner.py alone runs the model."""
    x = np.random.default_rng(1).standard_normal((3, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    script = f"""
import importlib.util, sys, numpy as np, tvm
spec = importlib.util.spec_from_file_location("runner", {str(RUNNER)!r})
runner = importlib.util.module_from_spec(spec); spec.loader.exec_module(runner)
(y,) = runner.Runner({str(artifact.library)!r}, "cpu").run(np.load({str(tmp_path / 'x.npy')!r}))
np.save({str(tmp_path / 'y.npy')!r}, y)
assert tvm._RUNTIME_ONLY and "tvm_compiler" not in tvm.base._LOADED_LIBS, tvm.base._LOADED_LIBS
assert not any(name.startswith("bnncc") for name in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "TVM_USE_RUNTIME_LIB": "1"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert np.array_equal(np.load(tmp_path / "y.npy"), artifact.run(x)[0])


def test_failed_write_keeps_the_old_folder(artifact, tmp_path, monkeypatch):
    folder = tmp_path / "kept"
    first = bnncc.tvm.compile_model(zoo.plain_sign_mlp(seed=2).SerializeToString(), "tvm-llvm", output_dir=folder,
                                    name="mlp")
    before = {name: (folder / name).read_bytes() for name in os.listdir(folder)}
    from tvm.runtime import Executable

    def broken(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Executable, "export_library", broken)
    with pytest.raises(OSError):
        bnncc.tvm.compile_model(zoo.plain_sign_mlp(seed=3).SerializeToString(), "tvm-llvm", output_dir=folder,
                                name="mlp")
    assert {name: (folder / name).read_bytes() for name in os.listdir(folder)} == before
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]          # no staging folder left behind
    monkeypatch.undo()
    replaced = bnncc.tvm.compile_model(zoo.plain_sign_mlp(seed=3).SerializeToString(), "tvm-llvm", output_dir=folder,
                                       name="mlp")
    assert (folder / "mlp.so").read_bytes() != before["mlp.so"]
    assert first.output_dir == replaced.output_dir


def test_refuses_a_folder_that_is_not_an_artifact(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(bnncc.BnnccError):
        bnncc.tvm.compile_model(zoo.plain_sign_mlp(seed=1).SerializeToString(), "tvm-llvm", output_dir=tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_cuda_model_without_gpu_says_so_in_one_line(tmp_path):
    from bnncc.tvm.cuda_compile import available_compiler

    if available_compiler() is None:
        pytest.skip("no CUDA compiler here to build the tvm-cuda artifact")
    if bnncc.tvm.cuda_device_available():
        pytest.skip("this machine has a CUDA GPU")
    model = bnncc.tvm.compile_model(zoo.plain_sign_mlp(seed=1).SerializeToString(), "tvm-cuda",
                                    output_dir=tmp_path / "cuda", name="mlp", batch=2)
    assert model.manifest["tvm_target"]["kind"] == "cuda"
    with pytest.raises(bnncc.BnnccError, match="needs a CUDA GPU, and there is none here") as error:
        model.run(np.zeros((2, 64), np.float32))
    assert "\n" not in str(error.value)


def test_readme_cpp_program_runs(artifact, tmp_path):
    """The C++ program of the README, built against the TVM wheels' headers and libraries, prints
    what run() returns."""
    import shutil

    import tvm
    import tvm_ffi

    if shutil.which("g++") is None:
        pytest.skip("no g++ here")
    readme = (artifact.output_dir / "README.md").read_text()
    program = readme.split("```c++\n", 1)[1].split("```", 1)[0]
    (tmp_path / "main.cc").write_text(program)
    ffi_dir, tvm_lib = Path(tvm_ffi.__file__).parent, Path(tvm.__file__).parent / "lib"
    subprocess.run(["g++", "-std=c++17", f"-I{ffi_dir / 'include'}", str(tmp_path / "main.cc"), "-o",
                    str(tmp_path / "main"), f"-L{ffi_dir / 'lib'}", f"-L{tvm_lib}", "-ltvm_ffi", "-ltvm_runtime",
                    f"-Wl,-rpath,{ffi_dir / 'lib'}", f"-Wl,-rpath,{tvm_lib}"], check=True, timeout=300)
    done = subprocess.run([str(tmp_path / "main")], cwd=artifact.output_dir, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    printed = np.array([float(v) for v in done.stdout.split()])
    assert np.array_equal(printed, artifact.run(np.zeros((2, 64), np.float32))[0].ravel())
