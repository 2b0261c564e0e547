"""The `bnncc` command line, run as a user runs it: a subprocess of the installed package."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper
import pytest

import zoo
import bnncc as bnncc_api
from bnncc.reference import run_reference
from bnncc.verify import FLOAT_RTOL, check_output, draw

BNNCC = [sys.executable, "-m", "bnncc.cli"]
SCRIPT = Path(sys.executable).parent / "bnncc"
SUBCOMMANDS = ["compile", "run", "verify", "inspect", "targets"]
EXPECTED_FILES = ["net.h", "net.c", "Makefile", "CMakeLists.txt", "README.md", "main.c",
                  "include/bnncc/common.h", "bnncc.json"]


def bnncc(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(BNNCC + [str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def save(model: onnx.ModelProto, path: Path) -> Path:
    path.write_bytes(model.SerializeToString())
    return path


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def mlp_path(workdir) -> Path:
    return save(zoo.plain_sign_mlp(0), workdir / "mlp.onnx")


@pytest.fixture(scope="module")
def conv_path(workdir) -> Path:
    return save(zoo.fastinference_style(0), workdir / "conv.onnx")


@pytest.fixture(scope="module")
def compiled(workdir, mlp_path) -> Path:
    out = workdir / "net"
    result = bnncc("compile", mlp_path, "-o", out, "--name", "net", "--dump-ir", workdir / "ir")
    assert result.returncode == 0, result.stderr
    return out


# ------------------------------------------------------------------------------------------
# help and targets
# ------------------------------------------------------------------------------------------
def test_top_level_help_lists_commands():
    result = bnncc("--help")
    assert result.returncode == 0, result.stderr
    for command in SUBCOMMANDS:
        assert command in result.stdout
    assert "--debug" in result.stdout and "--version" in result.stdout


def test_installed_script_runs():
    assert SCRIPT.is_file(), f"the console script {SCRIPT} is not installed"
    result = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("bnncc ")


@pytest.mark.parametrize("command,options", [
    ("compile", ["--target", "--output", "--force", "--name", "--dump-ir", "--quiet", "--verbose", "--debug"]),
    ("run", ["--input", "--output", "--quiet", "--verbose", "--debug"]),
    ("verify", ["--target", "--input", "--samples", "--seed", "--quiet", "--verbose", "--debug"]),
    ("inspect", ["--target", "--json", "--quiet", "--verbose", "--debug"]),
    ("bench", ["--target", "--threads", "--runs", "--json", "--chart", "--quiet", "--verbose", "--debug"]),
    ("targets", ["--debug"]),
])
def test_subcommand_help(command, options):
    result = bnncc(command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: bnncc " + command)
    for option in options:
        assert option in result.stdout, f"{command} --help does not describe {option}"


def test_no_command_prints_help_and_fails():
    result = bnncc()
    assert result.returncode == 2
    assert "compile" in result.stdout


def test_targets():
    result = bnncc("targets")
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert "generic-c" in names and "native" in names


# ------------------------------------------------------------------------------------------
# compile
# ------------------------------------------------------------------------------------------
def test_compile_writes_artifact_folder(compiled):
    for relative in EXPECTED_FILES:
        assert (compiled / relative).is_file(), f"{relative} missing from the artifact"
    assert list((compiled / "src").glob("*.c")), "no kernel sources in src/"
    manifest = json.loads((compiled / "bnncc.json").read_text())
    assert manifest["name"] == "net"
    assert [s["shape"] for s in manifest["inputs"]] == [[1, 64]]


def test_compiled_folder_builds_and_demo_runs(compiled, tmp_path):
    if not shutil.which("make") or not shutil.which("cc"):
        pytest.skip("make and cc are needed")
    folder = tmp_path / "net"
    shutil.copytree(compiled, folder)
    build = subprocess.run(["make", "-C", str(folder)], capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stdout + build.stderr
    demo = folder / "net_demo"
    assert demo.is_file()
    run = subprocess.run([str(demo)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    numbers = [float(v) for v in run.stdout.split()]
    assert len(numbers) >= 10


def test_compile_is_deterministic(compiled, mlp_path, tmp_path):
    again = tmp_path / "again"
    result = bnncc("compile", mlp_path, "-o", again, "--name", "net", "-q")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    first, second = tree(compiled), tree(again)
    assert sorted(first) == sorted(second)
    for relative in first:
        assert first[relative] == second[relative], f"{relative} differs between two compiles"


def test_compile_replaces_a_folder_of_other_files_only_with_force(mlp_path, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    result = bnncc("compile", mlp_path, "-o", out, "--name", "net", "-q")
    assert result.returncode == 2
    assert "--force" in _one_error_line(result.stderr)
    assert (out / "stale.txt").read_text() == "old"
    result = bnncc("compile", mlp_path, "-o", out, "--name", "net", "-q", "--force")
    assert result.returncode == 0, result.stderr
    assert not (out / "stale.txt").exists()
    assert (out / "net.c").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "staging folders left behind"


def test_compile_dot_never_empties_the_current_folder(mlp_path, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    for force in ([], ["--force"]):
        result = bnncc("compile", mlp_path, "-o", ".", *force, cwd=tmp_path)
        assert result.returncode == 2
        assert "current folder" in _one_error_line(result.stderr)
        assert (tmp_path / "notes.txt").read_text() == "mine"


def test_dump_ir_writes_loadable_stages(compiled, workdir):
    stages = sorted((workdir / "ir").glob("*.onnx"))
    assert len(stages) >= 3
    for stage in stages:
        model = onnx.load(str(stage))
        assert len(model.graph.node) > 0, stage.name


# ------------------------------------------------------------------------------------------
# model-derived text never reaches the C sources
# ------------------------------------------------------------------------------------------
EVIL = 'EVIL_{}*/ "quote\\ #define'


def _rename_everything(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    names: dict[str, str] = {}

    def evil(name: str) -> str:
        if not name:
            return name
        if name not in names:
            names[name] = EVIL.format(len(names))
        return names[name]

    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        value.name = evil(value.name)
    for tensor in graph.initializer:
        tensor.name = evil(tensor.name)
    for i, node in enumerate(graph.node):
        node.name = f'EVIL_node{i} */ "quote'
        node.input[:] = [evil(n) for n in node.input]
        node.output[:] = [evil(n) for n in node.output]
        node.doc_string = "EVIL_doc */"
    graph.name = "EVIL_graph */"
    graph.doc_string = "EVIL_graphdoc */"
    model.producer_name = "EVIL_producer */"
    model.doc_string = "EVIL_modeldoc */"
    return model


@pytest.mark.parametrize("builder", [zoo.fastinference_style, zoo.larq_ste_sign_conv])
def test_no_model_text_in_generated_c(builder, tmp_path):
    model = _rename_everything(builder(0))
    onnx.checker.check_model(model)
    path = save(model, tmp_path / "evil.onnx")
    out = tmp_path / "out"
    result = bnncc("compile", path, "-o", out, "--name", "net", "-t", "generic-c")
    assert result.returncode == 0, result.stderr
    sources = [p for p in out.rglob("*") if p.suffix in (".c", ".h") or p.name in ("Makefile", "CMakeLists.txt")]
    assert any(p.name == "net.c" for p in sources)
    for source in sources:
        text = source.read_text()
        for needle in ("EVIL", "quote", "#define'"):
            assert needle not in text, f"model-derived text {needle!r} in {source.relative_to(out)}"


# ------------------------------------------------------------------------------------------
# run
# ------------------------------------------------------------------------------------------
def test_run_matches_reference_exactly(compiled, mlp_path, tmp_path):
    model = onnx.load(str(mlp_path))
    x = np.random.default_rng(3).standard_normal((1, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    result = bnncc("run", compiled, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npz")
    assert result.returncode == 0, result.stderr
    ours = np.load(tmp_path / "y.npz")["output0"]
    (reference,) = run_reference(model, {"x": x})
    assert np.all(reference == np.round(reference)), "the MLP's outputs should be integers"
    np.testing.assert_array_equal(ours, reference.reshape(ours.shape))
    assert "output0" in result.stdout


def test_run_float_output_within_tolerance(conv_path, tmp_path):
    out = tmp_path / "conv"
    assert bnncc("compile", conv_path, "-o", out, "-q").returncode == 0
    model = onnx.load(str(conv_path))
    x = np.random.default_rng(4).standard_normal((3, 256)).astype(np.float32)
    np.savez(tmp_path / "x.npz", input=x)
    result = bnncc("run", out, "--input", tmp_path / "x.npz", "--output", tmp_path / "y.npz")
    assert result.returncode == 0, result.stderr
    ours = np.load(tmp_path / "y.npz")["output0"]
    (reference,) = run_reference(model, {"input": x})
    assert ours.shape == reference.shape == (3, 10)
    np.testing.assert_array_equal(ours.argmax(-1), reference.argmax(-1))
    scale = np.max(np.abs(reference))
    assert np.max(np.abs(ours - reference)) <= FLOAT_RTOL * scale


def test_run_bad_inputs(compiled, tmp_path):
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    result = bnncc("run", compiled, "--input", tmp_path / "junk.npy")
    assert result.returncode == 2
    assert _one_error_line(result.stderr)
    np.save(tmp_path / "wrong.npy", np.zeros((1, 63), np.float32))
    result = bnncc("run", compiled, "--input", tmp_path / "wrong.npy")
    assert result.returncode == 2
    assert "does not match" in _one_error_line(result.stderr)
    result = bnncc("run", tmp_path, "--input", tmp_path / "wrong.npy")
    assert result.returncode == 2
    assert "not a bnncc artifact" in _one_error_line(result.stderr)


# ------------------------------------------------------------------------------------------
# verify and inspect
# ------------------------------------------------------------------------------------------
def test_verify_ok(mlp_path, tmp_path):
    result = bnncc("verify", mlp_path, "--samples", "4", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout and "MISMATCH" not in result.stdout
    assert list(tmp_path.iterdir()) == [], "verify left files in the working folder"


def _finn_dataflow_tfc(shared_models: Path, path: Path) -> Path:
    """The FINN TFC as a FINN dataflow build takes it: raw pixels 0..255 (scaled by 1/255 inside),
    the graph input annotated UINT8 (qonnx refuses other values)."""
    from qonnx.core.datatype import DataType
    from qonnx.core.modelwrapper import ModelWrapper

    model = onnx.load(str(shared_models / "qonnx_model_zoo__TFC_1W1A.onnx"))
    pixels = model.graph.input[0].name
    for node in model.graph.node:
        node.input[:] = [f"{pixels}_scaled" if name == pixels else name for name in node.input]
    model.graph.initializer.append(onnx.numpy_helper.from_array(np.array(1 / 255, np.float32), "inv255"))
    model.graph.node.insert(0, onnx.helper.make_node("Mul", [pixels, "inv255"], [f"{pixels}_scaled"]))
    wrapper = ModelWrapper(model)
    wrapper.set_tensor_datatype(pixels, DataType["UINT8"])
    wrapper.save(str(path))
    return path


def test_verify_draws_inputs_from_qonnx_datatype_annotations(shared_models, tmp_path):
    model = _finn_dataflow_tfc(shared_models, tmp_path / "tfc_uint8.onnx")
    result = bnncc("verify", model, "-t", "generic-c", "--samples", "4", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout
    np.save(tmp_path / "x.npy", np.full((1, 1, 28, 28), 0.5, np.float32))     # not a UINT8 value
    result = bnncc("verify", model, "-t", "generic-c", "--samples", "0", "--input", tmp_path / "x.npy")
    assert result.returncode == 2
    assert "UINT8" in _one_error_line(result.stderr)


@pytest.mark.parametrize("datatype,allowed", [("UINT8", range(0, 256)), ("INT4", range(-8, 8)), ("UINT2", range(4)),
                                               ("BIPOLAR", (-1, 1)), ("BINARY", (0, 1)), ("TERNARY", (-1, 0, 1))])
def test_random_values_of_qonnx_datatypes(datatype, allowed):
    values = draw(np.random.default_rng(0), datatype, (4000,), "x")
    assert values.dtype == np.float32
    assert set(values.tolist()) == set(float(v) for v in allowed)       # every value, and only those


def test_random_values_of_float32_and_unknown_datatypes():
    values = draw(np.random.default_rng(0), "FLOAT32", (4000,), "x")
    assert abs(values.mean()) < 0.1 and 0.9 < values.std() < 1.1 and values.min() < -2
    with pytest.raises(bnncc_api.BnnccError, match="FIXED<8,4>.*--input"):
        draw(np.random.default_rng(0), "FIXED<8,4>", (4,), "x")


def test_inspect_text(conv_path):
    result = bnncc("inspect", conv_path)
    assert result.returncode == 0, result.stderr
    layer_lines = [line for line in result.stdout.splitlines() if " binary " in line or " float " in line]
    assert any(" binary " in line for line in layer_lines)
    assert any(" float " in line for line in layer_lines)
    assert "binary MACs per sample" in result.stdout and "float MACs per sample" in result.stdout
    assert "weights:" in result.stdout and "bytes" in result.stdout
    assert "arena" in result.stdout


def test_inspect_json(conv_path):
    result = bnncc("inspect", conv_path, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {layer["mode"] for layer in report["layers"]} == {"binary", "float", "folded"}
    assert report["binary_macs"] > 0 and report["float_macs"] > 0
    assert report["weight_bytes_packed"] < report["weight_bytes_float"]
    assert report["arena_bytes"] > 0


def test_inspect_warns_when_no_layer_runs_binary(workdir, conv_path):
    """A float model (one float conv) compiles, and inspect says on stderr, in one line, that nothing
    runs binary; -q leaves the warning out, a BNN never has it."""
    g = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])], "float",
                          [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 2, 5, 5])],
                          [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 3, 5, 5])],
                          [numpy_helper.from_array(np.linspace(-1, 1, 54, dtype=np.float32).reshape(3, 2, 3, 3), "w")])
    path = save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), workdir / "float.onnx")
    result = bnncc("inspect", path)
    assert result.returncode == 0 and result.stderr.startswith("bnncc: warning: no layer of this model runs binary")
    assert len(result.stderr.splitlines()) == 1 and "no layer of this model runs binary" in result.stdout
    assert bnncc("inspect", "-q", path).stderr == ""
    assert "warning" not in bnncc("inspect", conv_path).stderr


def test_inspect_says_multi_bit_activations_stay_float(workdir):
    result = bnncc("inspect", save(zoo.two_bit_activation(0, kind="quant"), workdir / "two_bit.onnx"))
    assert result.returncode == 0, result.stderr
    quant_lines = [line.split() for line in result.stdout.splitlines() if line.strip().startswith("Quant#")]
    assert [line[2] for line in quant_lines] == ["binary", "float"]          # the 1-bit one, the 2-bit one
    assert "2-bit activation: stays float" in result.stdout
    assert "Quant#5 (2-bit): multi-bit activations stay float" in result.stdout


# ------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------
def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("bnncc: error: ")]
    assert len(errors) == 1, stderr
    assert errors[0] == lines[-1]
    return errors[0]


@pytest.mark.parametrize("command", ["compile", "verify", "inspect"])
def test_garbage_file_is_exit_2_one_line(command, tmp_path):
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(os.urandom(16) + b"\x3a\xff\xff\xff\xff\x0f" + b"junk" * 8)
    result = bnncc(command, garbage, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    line = _one_error_line(result.stderr)
    assert "ONNX" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.onnx"]


def test_missing_file_is_exit_2(tmp_path):
    result = bnncc("compile", tmp_path / "nope.onnx", "-o", tmp_path / "out")
    assert result.returncode == 2
    assert "does not exist" in _one_error_line(result.stderr)
    assert not (tmp_path / "out").exists()


def test_unsupported_op_on_cli_names_node(tmp_path):
    model, _ = zoo.bad_models()["unsupported_op_lstm"]
    path = save(model, tmp_path / "lstm.onnx")
    result = bnncc("compile", path, "-o", tmp_path / "out")
    assert result.returncode == 2
    line = _one_error_line(result.stderr)
    assert "LSTM" in line and "node" in line


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_traceback(where, tmp_path):
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x07\x3a\x80\x80\x80\x80\x01garbage")
    args = ["--debug", "compile", garbage] if where == "before" else ["compile", garbage, "--debug"]
    result = bnncc(*args, "-o", tmp_path / "out")
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("bnncc: error: ")


def test_unknown_target_is_usage_error(mlp_path):
    result = bnncc("compile", mlp_path, "-t", "cuda")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "invalid choice" in result.stderr


# ------------------------------------------------------------------------------------------
# the comparison rule behind `bnncc verify`'s exit status 1
# ------------------------------------------------------------------------------------------
def test_check_output_exact_mismatch_by_one_integer():
    reference = np.arange(-5, 5, dtype=np.float32).reshape(1, 10)
    ours = reference.copy()
    assert check_output(0, "y", ours, reference).ok
    ours[0, 7] += 1
    check = check_output(0, "y", ours, reference)
    assert check.kind == "exact"
    assert not check.ok and check.mismatches == 1 and check.max_abs_diff == 1.0


def test_check_output_int64_mismatch():
    reference = np.array([[3, 1, 4, 1, 5]], dtype=np.int64)
    ours = reference.copy()
    assert check_output(0, "y", ours, reference).ok
    ours[0, 2] = 5
    check = check_output(0, "y", ours, reference)
    assert check.kind == "exact" and not check.ok and check.mismatches == 1


def test_check_output_float_tolerance():
    rng = np.random.default_rng(0)
    reference = (rng.standard_normal((4, 10)) * 3 + 0.5).astype(np.float32)
    reference[:, 0] = 100.25  # largest magnitude, and a clear argmax
    scale = float(np.max(np.abs(reference)))
    within = reference.astype(np.float64)
    within[1, 3] += 0.5 * FLOAT_RTOL * scale
    check = check_output(0, "y", within.astype(np.float32), reference)
    assert check.kind == "float" and check.ok, check
    beyond = reference.astype(np.float64)
    beyond[1, 3] += 3 * FLOAT_RTOL * scale
    check = check_output(0, "y", beyond.astype(np.float32), reference)
    assert check.kind == "float" and not check.ok and check.mismatches == 1


def test_check_output_argmax_flip_is_mismatch():
    reference = np.array([[1.0, 1.0 + 1e-7, 0.25]], dtype=np.float32)
    ours = np.array([[1.0 + 2e-7, 1.0, 0.25]], dtype=np.float32)
    check = check_output(0, "y", ours, reference)
    assert check.mismatches == 0
    assert check.argmax_mismatches == 1 and not check.ok


def test_check_output_nan_where_the_reference_is_finite_is_a_mismatch():
    reference = np.array([[0.5, -1.25, 3.0]], dtype=np.float32)
    ours = reference.copy()
    ours[0, 1] = np.nan
    assert check_output(0, "y", ours, reference).mismatches == 1
    assert check_output(0, "y", reference, ours).mismatches == 1       # and the other way round
    assert check_output(0, "y", ours, ours.copy()).ok                  # NaN where the reference has NaN


def test_check_output_huge_integral_floats_follow_the_float_rule():
    """Every float32 beyond 2**24 is an integer, so integral values there prove no exact sum."""
    reference = np.array([[3.4175218e18, -2.0970462e19, 1.0]], dtype=np.float32)
    ours = np.array([[3.4175163e18, -2.0970447e19, 1.0]], dtype=np.float32)
    check = check_output(0, "y", ours, reference)
    assert check.kind == "float" and check.ok
    small = np.array([[4.0, -6.0, 2.0]], dtype=np.float32)
    assert check_output(0, "y", small + 1, small).kind == "exact"
