"""Bad files and paths given to the CLI: each is one line `bnncc: error: ...` and exit status 2,
never a traceback (issue 9, item 10). Most cases call the CLI's main() in this process (the same
code a user's command runs, much faster); those that depend on the process's environment run
`python -m bnncc.cli` as a user would."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import bnncc
import zoo
from bnncc.cli import main


def one_error_line(stderr: str) -> str:
    """The whole of stderr must be one line: `bnncc: error: ...`."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bnncc: error: "), stderr
    return lines[0]


def cli_error(capsys, *args) -> str:
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    assert status == 2, captured.out + captured.err
    return one_error_line(captured.err)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad-files") / "net"
    bnncc.compile(zoo.plain_sign_mlp(0).SerializeToString(), target="generic-c", output_dir=folder, name="net")
    return folder


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "mlp.onnx"
    path.write_bytes(zoo.plain_sign_mlp(0).SerializeToString())
    return path


def _huge_header_npy(path: Path) -> None:
    """A .npy whose header claims 200,000 bytes (numpy refuses headers over 10,000 as unsafe)."""
    text = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 64), }"
    length = 200_000
    path.write_bytes(b"\x93NUMPY\x02\x00" + length.to_bytes(4, "little") + text.ljust(length - 1) + b"\n" +
                     np.zeros(64, np.float32).tobytes())


def _corrupt_member_npz(path: Path) -> None:
    np.savez_compressed(path, x=np.random.default_rng(0).standard_normal((1, 64)).astype(np.float32))
    data = bytearray(path.read_bytes())
    data[60:90] = b"\xff" * 30                     # inside the compressed member
    path.write_bytes(bytes(data))


BAD_INPUTS = {
    "zero_bytes.npy": (lambda p: p.write_bytes(b""), "cannot read inputs"),
    "objects.npz": (lambda p: np.savez(p, x=np.array([1, "a", None], dtype=object)), "cannot read inputs"),
    "not_a_zip.npz": (lambda p: p.write_bytes(b"PK\x03\x04" + bytes(40)), "cannot read inputs"),
    "corrupt_member.npz": (_corrupt_member_npz, "cannot read inputs"),
    "huge_header.npy": (_huge_header_npy, "cannot read inputs"),
    "strings.npy": (lambda p: np.save(p, np.array([["1.5"] * 64])), "must be numbers"),
    "complex.npy": (lambda p: np.save(p, np.zeros((1, 64), np.complex64)), "must be numbers"),
    "wrong_names.npz": (lambda p: np.savez(p, y=np.zeros((1, 64), np.float32)), "no array named"),
    "missing.npy": (lambda p: None, "No such file"),
    "folder.npy": (lambda p: p.mkdir(), "cannot read inputs"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_run_with_a_bad_input_file(name, artifact, tmp_path, capsys):
    make, expected = BAD_INPUTS[name]
    make(tmp_path / name)
    line = cli_error(capsys, "run", artifact, "--input", tmp_path / name)
    assert name in line and expected in line


def test_run_output_in_a_missing_folder_is_refused_before_building(artifact, tmp_path, capsys, monkeypatch):
    np.save(tmp_path / "x.npy", np.zeros((1, 64), np.float32))
    monkeypatch.setattr("bnncc.artifact_loader.build_c", None)      # must not be reached
    line = cli_error(capsys, "run", artifact, "--input", tmp_path / "x.npy", "--output", tmp_path / "no" / "y.npz")
    assert "does not exist" in line
    line = cli_error(capsys, "run", artifact, "--input", tmp_path / "x.npy", "--output", tmp_path)
    assert "is a folder" in line


GOOD_SPEC = {"name": "x", "shape": [1, 64], "dtype": "float32", "batched": True}
BAD_MANIFESTS = {
    "no_inputs": ({"inputs": None}, "'inputs' must be a list"),
    "inputs_not_a_list": ({"inputs": "x"}, "'inputs' must be a list"),
    "input_not_an_object": ({"inputs": [3]}, "inputs[0] must be an object"),
    "negative_dim": ({"inputs": [{**GOOD_SPEC, "shape": [1, -64]}]}, "inputs[0].shape"),
    "float_dim": ({"inputs": [{**GOOD_SPEC, "shape": [1, 6.4]}]}, "inputs[0].shape"),
    "huge_shape": ({"inputs": [{**GOOD_SPEC, "shape": [1, 1 << 20, 1 << 20]}]}, "inputs[0].shape"),
    "object_dtype": ({"inputs": [{**GOOD_SPEC, "dtype": "object"}]}, "inputs[0].dtype"),
    "int_input": ({"inputs": [{**GOOD_SPEC, "dtype": "int64"}]}, "inputs[0].dtype"),
    "batched_string": ({"outputs": [{**GOOD_SPEC, "batched": "yes"}]}, "outputs[0].batched"),
    "unnamed_output": ({"outputs": [{**GOOD_SPEC, "name": 7}]}, "outputs[0].name"),
    "name_injects_c": ({"name": "net_run(void); int system"}, "C identifier"),
    "name_with_newline": ({"name": "net\nint"}, "C identifier"),
    "name_too_long": ({"name": "n" * 65}, "C identifier"),
    "name_not_a_string": ({"name": ["net"]}, "C identifier"),
    "unknown_target": ({"target": "cuda"}, "unknown target"),
    "other_model_name": ({"name": "other"}, "other.c is missing"),
}


@pytest.mark.parametrize("case", sorted(BAD_MANIFESTS))
def test_run_with_a_bad_manifest(case, artifact, tmp_path, capsys):
    change, expected = BAD_MANIFESTS[case]
    folder = tmp_path / "net"
    shutil.copytree(artifact, folder)
    manifest = json.loads((folder / "bnncc.json").read_text())
    manifest.update(change)
    (folder / "bnncc.json").write_text(json.dumps({k: v for k, v in manifest.items() if v is not None}))
    np.save(tmp_path / "x.npy", np.zeros((1, 64), np.float32))
    line = cli_error(capsys, "run", folder, "--input", tmp_path / "x.npy")
    assert expected in line


@pytest.mark.parametrize("text", ["", "[1, 2]", "{not json", "\xff\xfe"])
def test_run_with_an_unreadable_manifest(text, artifact, tmp_path, capsys):
    folder = tmp_path / "net"
    shutil.copytree(artifact, folder)
    (folder / "bnncc.json").write_text(text, encoding="latin-1")
    np.save(tmp_path / "x.npy", np.zeros((1, 64), np.float32))
    line = cli_error(capsys, "run", folder, "--input", tmp_path / "x.npy")
    assert "bnncc.json" in line


@pytest.mark.parametrize("output", ["{file}/out", "{file}/a/b/out", "/proc/bnncc-test/out", "/sys/bnncc-test/out",
                                    "/proc/self/out"])
def test_compile_output_under_a_file_or_a_pseudo_file_system(output, model_file, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    path = output.format(file=tmp_path / "file")
    line = cli_error(capsys, "compile", model_file, "-o", path, "-t", "generic-c")
    assert "cannot create the" in line and "folder '/" in line
    assert (tmp_path / "file").read_text() == "x"


def _cli(*args, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bnncc.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("compiler", ["/nonexistent/cc", "PATH"])
def test_run_without_a_c_compiler(compiler, artifact, tmp_path):
    """CC pointing to a missing compiler, or no cc on PATH: one line naming the compiler."""
    np.save(tmp_path / "x.npy", np.zeros((1, 64), np.float32))
    env = {"CC": compiler} if compiler != "PATH" else {"CC": "", "PATH": str(tmp_path)}
    result = _cli("run", artifact, "--input", tmp_path / "x.npy", env=env)
    assert result.returncode == 2, result.stderr
    line = one_error_line(result.stderr)
    assert repr(compiler if compiler != "PATH" else "cc") in line and "C compiler" in line


def test_verify_without_qonnx_on_a_qonnx_model(tmp_path):
    """The qonnx package hidden by a module of that name that cannot be imported."""
    fake = tmp_path / "hide" / "qonnx"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('qonnx is hidden for this test')\n")
    model = tmp_path / "q.onnx"
    model.write_bytes(zoo.qonnx_bipolar_mlp(0).SerializeToString())
    result = _cli("verify", model, "-t", "generic-c", "--samples", "2",
                  env={"PYTHONPATH": os.pathsep.join([str(tmp_path / "hide"), os.environ.get("PYTHONPATH", "")])})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "qonnx" in one_error_line(result.stderr)
    assert result.stdout == ""
