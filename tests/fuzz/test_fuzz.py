"""The fuzz harness: a small campaign that must find no failure, and tests of the harness itself
(the classifier on deliberately broken steps, case ids, the mutators, the exactness rules)."""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import zoo
from fuzz import campaign, cases, classify, exactness, mutators, report, sandbox
from fuzz.cases import generate
from fuzz.seeds import all_seeds, seed_by_name

SMALL_CAMPAIGN_SEED, SMALL_CAMPAIGN_CASES = 1, 48
CAMPAIGN = Path(__file__).resolve().parent / "campaign.py"


@pytest.fixture
def options(tmp_path) -> campaign.Options:
    return campaign.Options(tmp_path / "campaign", sandbox.Launcher(warm=True), timeout=120)


# ------------------------------------------------------------------------------------------------
# the small campaign
# ------------------------------------------------------------------------------------------------
def test_small_campaign_finds_no_failure(options):
    ids = [cases.case_id(SMALL_CAMPAIGN_SEED, i) for i in range(SMALL_CAMPAIGN_CASES)]
    records = campaign.run_campaign(ids, options, jobs=2)
    summary = report.summarize(records, {"seed": SMALL_CAMPAIGN_SEED, "total": len(records), "target": "generic-c",
                                         "jobs": 2, "seconds": 0.0, "seconds_per_case": 0.0})
    failures = {cls: summary["counts"][cls] for cls in classify.FAILING if summary["counts"][cls]}
    assert not failures, report.human(summary)
    # the build/run/compare path ran, not only the error path
    assert summary["compile_counts"].get("ok", 0) >= 5, summary["compile_counts"]


# ------------------------------------------------------------------------------------------------
# classification of deliberately broken compiles (fake CLIs, through the real sandbox)
# ------------------------------------------------------------------------------------------------
FAKE_COMPILES = {
    "traceback": ("raise RuntimeError('boom')", "traceback", "RuntimeError: boom"),
    "unexpected exit": ("import sys; sys.exit(3)", "traceback", "exit 3"),
    "killed": ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "crash", "signal 9"),
    "segfault": ("import ctypes; ctypes.string_at(0)", "crash", "signal 11"),
    "memory limit": ("bytearray(4 << 30)", "traceback", "MemoryError"),
    "clean error": ("import sys; print('bnncc: error: node x: bad', file=sys.stderr); sys.exit(2)",
                    "clean-error", "bnncc: error: node x: bad"),
    "two lines": ("import sys; print('bnncc: error: bad\\nnode', file=sys.stderr); sys.exit(2)",
                  "multi-line-error", "2 lines"),
    "no prefix": ("import sys; print('bad model', file=sys.stderr); sys.exit(2)", "multi-line-error", "bad model"),
    "silent exit 2": ("import sys; sys.exit(2)", "multi-line-error", "0 lines"),
    "exit 0, no folder": ("pass", "build-failure", "no artifact folder"),
    "file in TMPDIR": ("import os, sys; open(os.path.join(os.environ['TMPDIR'], 'stray'), 'w').close(); "
                       "print('bnncc: error: x', file=sys.stderr); sys.exit(2)", "leftover", "new tmp/stray"),
    "staging folder": ("import os, sys; os.mkdir('.out-x1'); print('bnncc: error: x', file=sys.stderr); sys.exit(2)",
                       "leftover", "new work/.out-x1"),
    "removed the model": ("import os, sys; os.remove('model.onnx'); print('bnncc: error: x', file=sys.stderr); "
                          "sys.exit(2)", "leftover", "removed work/model.onnx"),
}


@pytest.mark.parametrize("script, expected, detail", FAKE_COMPILES.values(), ids=FAKE_COMPILES.keys())
def test_classifier_on_fake_compiles(tmp_path, script, expected, detail):
    options = campaign.Options(tmp_path, sandbox.Launcher(warm=False, cli_command=[sys.executable, "-c", script]))
    record = campaign.run_case(generate(0, 0), options)
    assert (record["class"], record["stage"]) == (expected, "compile"), record
    assert detail in record["detail"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("case-")] == []   # case folder removed


def test_hang_is_killed_with_its_children(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    script = (f"import subprocess, time; p = subprocess.Popen(['sleep', '60']); "
              f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(60)")
    options = campaign.Options(tmp_path / "c", sandbox.Launcher(warm=False, cli_command=[sys.executable, "-c", script]),
                               timeout=2)
    start = time.monotonic()
    record = campaign.run_case(generate(0, 0), options)
    assert record["class"] == "hang" and time.monotonic() - start < 20
    assert _gone(int(pid_file.read_text()))


def _gone(pid: int, wait: float = 5.0) -> bool:
    """True once `pid` no longer runs (a killed process may stay a zombie for a moment)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


# ------------------------------------------------------------------------------------------------
# the runner (warm, as campaigns run it) on real and on deliberately broken artifacts
# ------------------------------------------------------------------------------------------------
def _compiled_case(options, model: onnx.ModelProto | None = None):
    """A case (plain_sign_mlp unless `model` is given) compiled by the real CLI: (case, workspace, env)."""
    seed = seed_by_name("plain_sign_mlp#0")
    case = cases.Case("9-9", seed, mutant=mutators.Mutant(model or seed.model()))
    workspace = sandbox.Workspace(options.workdir / "case")
    env = workspace.env(dict(os.environ), options.workdir / "cache")
    cases.write_case(case.mutant, workspace.work)
    result = options.launcher.run("cli", ["compile", "model.onnx", "-t", "generic-c", "-o", "out", "-q"],
                                  workspace.work, env, 120, options.workdir / "capture")
    assert result.returncode == 0, result.stderr
    return case, workspace, env


def _runner(options, case, workspace, env, reference=None):
    findings, _ = campaign.build_run_compare(case, workspace, env, options, reference)
    return findings[0]


def test_runner_ok_and_mismatch(options, tmp_path):
    case, workspace, env = _compiled_case(options)
    assert _runner(options, case, workspace, env)[0] == "ok"
    other = tmp_path / "other.onnx"
    onnx.save(zoo.plain_sign_mlp(seed=1), other)          # same graph, other weights
    shutil.rmtree(workspace.scratch)
    cls, stage, detail = _runner(options, case, workspace, env, reference=other)
    assert (cls, stage) == ("mismatch", "compare batch 1") and "output 0" in detail


def test_runner_compares_what_the_makefile_build_prints(options):
    case, workspace, env = _compiled_case(options)
    main_c = workspace.work / "out" / "main.c"
    printing = "printf(\"%g \", (double)output0[i]);"
    assert printing in main_c.read_text()
    main_c.write_text(main_c.read_text().replace(printing, "printf(\"%g \", (double)output0[i] + 1.0);"))
    cls, stage, detail = _runner(options, case, workspace, env)
    assert (cls, stage) == ("mismatch", "demo") and "demo prints output 0" in detail


def test_runner_builds_with_werror(options):
    case, workspace, env = _compiled_case(options)
    source = workspace.work / "out" / "plain_sign_mlp_0.c"
    if not source.is_file():                              # the C file is named after the model file
        source = next((workspace.work / "out").glob("*.c"))
    source.write_text(source.read_text() + "\nvoid fuzz_extra(void);\nvoid fuzz_extra(void) { int unused_variable; }\n")
    cls, stage, detail = _runner(options, case, workspace, env)
    assert (cls, stage) == ("build-failure", "make") and "unused_variable" in detail


def _sign_of_binary_sums() -> onnx.ModelProto:
    """Sign of a ±1 x ±1 sum of 8 terms, which is 0 for about a quarter of the inputs: bnncc documents 0 -> +1."""
    rng = np.random.default_rng(0)
    weights = [numpy_helper.from_array(zoo.pm1(rng, shape), name) for name, shape in (("w", (8, 6)), ("w2", (6, 4)))]
    nodes = [helper.make_node("Sign", ["x"], ["s"]), helper.make_node("MatMul", ["s", "w"], ["a"]),
             helper.make_node("Sign", ["a"], ["b"]), helper.make_node("MatMul", ["b", "w2"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def test_runner_tells_the_documented_sign_zero_from_a_mismatch(options):
    case, workspace, env = _compiled_case(options, _sign_of_binary_sums())
    cls, _, detail = _runner(options, case, workspace, env)
    assert cls == "documented" and "as the report says" in detail


@pytest.mark.parametrize("recipe, expected", [
    ("sleep 60 & echo $$! > ../../make.pid; wait", "hang"),
    ("kill -SEGV 0", "crash"),
])
def test_runner_hang_and_crash_in_warm_steps(options, recipe, expected):
    case, workspace, env = _compiled_case(options)
    (workspace.work / "out" / "Makefile").write_text(f"all:\n\t{recipe}\n")
    options.timeout = 3
    cls, stage, _ = _runner(options, case, workspace, env)
    assert (cls, stage) == (expected, "make")
    if expected == "hang":
        assert _gone(int((workspace.root / "make.pid").read_text()))


def test_warm_and_cold_steps_agree(tmp_path):
    ids = [cases.case_id(SMALL_CAMPAIGN_SEED, i) for i in (0, 1, 2)]
    classes = {}
    for warm in (True, False):
        options = campaign.Options(tmp_path / str(warm), sandbox.Launcher(warm=warm), timeout=120)
        classes[warm] = [(r["class"], r["detail"]) for r in campaign.run_campaign(ids, options, jobs=2)]
    assert classes[True] == classes[False]


def test_warm_steps_keep_no_file_descriptors(tmp_path):
    """A 10,000-case campaign ran out of descriptors (EMFILE) after about 5,000 cases: each warm
    step left its three capture files and its process sentinel open."""
    launcher, capture = sandbox.Launcher(warm=True), tmp_path / "capture"
    capture.mkdir()
    launcher.run("cli", ["targets"], tmp_path, dict(os.environ), 120, capture)      # starts the server
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(10):
        assert launcher.run("cli", ["targets"], tmp_path, dict(os.environ), 120, capture).returncode == 0
    assert len(os.listdir("/proc/self/fd")) == before
    assert list(capture.iterdir()) == []


# ------------------------------------------------------------------------------------------------
# case ids
# ------------------------------------------------------------------------------------------------
def _digest(case: cases.Case) -> str:
    h = hashlib.sha256(case.mutant.serialized())
    for name in sorted(case.mutant.files):
        h.update(name.encode() + case.mutant.files[name])
    h.update(json.dumps([case.seed.name, case.mutations, sorted(case.mutant.links.items())]).encode())
    return h.hexdigest()


def test_case_id_regenerates_byte_identical_models():
    first = [_digest(generate(3, i)) for i in range(40)]
    assert first == [_digest(generate(3, i)) for i in range(40)]
    assert len(set(first)) >= 35                          # and ids are not all alike
    # in another process, with another hash seed: nothing depends on set order or hash()
    code = ("import sys, json; sys.path.insert(0, sys.argv[1]); from fuzz.test_fuzz import _digest; "
            "from fuzz.cases import generate; print(json.dumps([_digest(generate(3, i)) for i in range(40)]))")
    out = subprocess.run([sys.executable, "-c", code, str(Path(__file__).resolve().parents[1])], capture_output=True,
                         text=True, env=dict(os.environ, PYTHONHASHSEED="12345"), check=True).stdout
    assert json.loads(out) == first


def test_case_ids_round_trip():
    assert cases.parse_case_id("4-17") == (4, 17, None)
    only = ["shuffle_nodes", "attr_int"]
    identifier = cases.case_id(4, 17, only)
    assert identifier == "4-17@attr_int+shuffle_nodes"
    assert cases.parse_case_id(identifier) == (4, 17, sorted(only))
    case = generate(*cases.parse_case_id(identifier))
    assert case.id == identifier and {name for name, _ in case.mutations} <= set(only) and case.mutations
    for bad in ("4", "x-1", "4-1@nope", "-1-2"):
        with pytest.raises(ValueError):
            cases.parse_case_id(bad)


def test_saved_failure_reloads_as_the_same_case(tmp_path):
    case = generate(*cases.parse_case_id("0-5@external_inside"))
    folder = campaign.save_case(case, {"id": case.id, "class": "mismatch"}, tmp_path)
    saved = json.loads((folder / "case.json").read_text())
    assert saved["id"] == case.id
    loaded = onnx.load(saved["model"])                    # its external data file was saved beside it
    values = lambda model: {t.name: numpy_helper.to_array(t).tolist() for t in model.graph.initializer}
    assert values(loaded) == values(case.seed.model())


# ------------------------------------------------------------------------------------------------
# every mutator changes what it says it changes
# ------------------------------------------------------------------------------------------------
def _attrs(model):
    return {(i, a.name): onnx.helper.get_attribute_value(a) for i, n in enumerate(model.graph.node) for a in n.attribute}


def _attr_types(model):
    return {(i, a.name): a.type for i, n in enumerate(model.graph.node) for a in n.attribute}


def _differs(x, y) -> bool:
    same = lambda a, b: a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    if isinstance(x, list) and isinstance(y, list):
        return len(x) != len(y) or any(not same(a, b) for a, b in zip(x, y))
    return not same(x, y)


def _changed_attrs(before, after):
    a, b = _attrs(before), _attrs(after)
    return [k for k in a.keys() & b.keys() if _differs(a[k], b[k])]


def _input_shapes(model):
    return [(v.name, str(v.type)) for v in mutators.real_inputs(model.graph)]


def _names(model):
    return set(mutators._all_value_names(model.graph))


def _topological(model) -> bool:
    known = {v.name for v in model.graph.input} | {t.name for t in model.graph.initializer} | {""}
    for node in model.graph.node:
        if not all(name in known for name in node.input):
            return False
        known.update(node.output)
    return True


def _written(mutant: mutators.Mutant, folder: Path) -> Path:
    return cases.write_case(mutant, folder / "model")


def _external(after):
    return [t for t in after.graph.initializer if t.data_location == TensorProto.EXTERNAL]


def _check_external_inside(before, mutant, tmp_path):
    (tensor,) = _external(mutant.model)
    loaded = onnx.load(_written(mutant, tmp_path))
    original = {t.name: numpy_helper.to_array(t) for t in before.graph.initializer}[tensor.name]
    return np.array_equal(numpy_helper.to_array({t.name: t for t in loaded.graph.initializer}[tensor.name]), original)


def _check_external_outside(before, mutant, tmp_path):
    (tensor,) = _external(mutant.model)
    location = {e.key: e.value for e in tensor.external_data}["location"]
    folder = (tmp_path / "model").resolve()
    _written(mutant, tmp_path)
    return not (folder / location).resolve().is_relative_to(folder)


def _check_external_broken(before, mutant, tmp_path):
    if len(_external(mutant.model)) != 1:
        return False
    try:
        onnx.load(_written(mutant, tmp_path))
    except Exception:  # noqa: BLE001 - any refusal will do
        return True
    return False


def _check_sparse(before, mutant, tmp_path):
    (sparse,) = mutant.model.graph.sparse_initializer
    dense = {t.name: numpy_helper.to_array(t) for t in before.graph.initializer}[sparse.values.name]
    values, indices = numpy_helper.to_array(sparse.values), numpy_helper.to_array(sparse.indices)
    rebuilt = np.zeros(dense.size, dense.dtype)
    rebuilt[indices] = values
    return np.array_equal(rebuilt.reshape(dense.shape), dense) and sparse.values.name not in {
        t.name for t in mutant.model.graph.initializer}


QONNX_OPS = ("Quant", "BipolarQuant", "MultiThreshold")
CHECKS = {
    "attr_int": lambda b, m, _: bool(_changed_attrs(b, m.model)),
    "attr_float": lambda b, m, _: bool(_changed_attrs(b, m.model)),
    "attr_huge": lambda b, m, _: any(abs(v) >= 2**31 - 1 for v in _flat_ints(m.model)),
    "attr_list_length": lambda b, m, _: any(isinstance(_attrs(b)[k], list) and len(_attrs(b)[k]) != len(_attrs(m.model)[k])
                                            for k in _attrs(b).keys() & _attrs(m.model).keys()),
    "attr_add": lambda b, m, _: len(_attrs(m.model)) == len(_attrs(b)) + 1,
    "attr_remove": lambda b, m, _: len(_attrs(m.model)) == len(_attrs(b)) - 1,
    "attr_retype": lambda b, m, _: any(_attr_types(b)[k] != t for k, t in _attr_types(m.model).items()),
    "input_dim": lambda b, m, _: _input_shapes(b) != _input_shapes(m.model),
    "input_huge": lambda b, m, _: any(math.prod(d.dim_value for d in v.type.tensor_type.shape.dim[1:]) >= 2**32 and
                                      max(d.dim_value for d in v.type.tensor_type.shape.dim) <= 2**24
                                      for v in m.model.graph.input),
    "init_dims": lambda b, m, _: [list(t.dims) for t in b.graph.initializer] != [list(t.dims) for t in m.model.graph.initializer],
    "dtype_input": lambda b, m, _: [v.type.tensor_type.elem_type for v in b.graph.input] != [
        v.type.tensor_type.elem_type for v in m.model.graph.input],
    "dtype_output": lambda b, m, _: [v.type.tensor_type.elem_type for v in b.graph.output] != [
        v.type.tensor_type.elem_type for v in m.model.graph.output],
    "dtype_initializer": lambda b, m, _: [t.data_type for t in b.graph.initializer] != [
        t.data_type for t in m.model.graph.initializer],
    "name_odd": lambda b, m, _: len(_names(b) - _names(m.model)) == 1 and _names(m.model) - _names(b) <= set(
        mutators.ODD_NAMES),
    "node_name_odd": lambda b, m, _: any(n.name in mutators.ODD_NAMES for n in m.model.graph.node),
    "name_duplicate": lambda b, m, _: _has_duplicate_names(m.model),
    "name_non_utf8": lambda b, m, _: _not_utf8(m.data) and len(m.data) == len(b.SerializeToString()),
    "shuffle_nodes": lambda b, m, _: _topological(b) and not _topological(m.model),
    "rewire_input": lambda b, m, _: [list(n.input) for n in b.graph.node] != [list(n.input) for n in m.model.graph.node],
    "op_type_swap": lambda b, m, _: [n.op_type for n in b.graph.node] != [n.op_type for n in m.model.graph.node],
    "op_domain": lambda b, m, _: [n.domain for n in b.graph.node] != [n.domain for n in m.model.graph.node],
    "add_unused_input": lambda b, m, _: len(m.model.graph.input) == len(b.graph.input) + 1 and not any(
        m.model.graph.input[-1].name in n.input for n in b.graph.node),
    "drop_input": lambda b, m, _: len(m.model.graph.input) == len(b.graph.input) - 1,
    "drop_output": lambda b, m, _: len(m.model.graph.output) == len(b.graph.output) - 1,
    "no_outputs": lambda b, m, _: len(m.model.graph.output) == 0 < len(b.graph.output),
    "expose_intermediate": lambda b, m, _: m.model.graph.output[-1].name in mutators.node_outputs(b.graph) and len(
        m.model.graph.output) == len(b.graph.output) + 1,
    "expose_initializer": lambda b, m, _: m.model.graph.output[-1].name in {t.name for t in b.graph.initializer},
    "expose_input": lambda b, m, _: m.model.graph.output[-1].name in {v.name for v in mutators.real_inputs(b.graph)},
    "duplicate_output": lambda b, m, _: len({o.name for o in m.model.graph.output}) < len(m.model.graph.output),
    "shape_output": lambda b, m, _: m.model.graph.output[-1].type.tensor_type.elem_type == TensorProto.INT64 and
    m.model.graph.node[-1].op_type in ("Shape", "Size") and m.model.graph.node[-1].output[0] == m.model.graph.output[-1].name,
    "value_info_wrong": lambda b, m, _: len(m.model.graph.value_info) == len(b.graph.value_info) + 1,
    "init_values": lambda b, m, _: any(not np.array_equal(numpy_helper.to_array(x), numpy_helper.to_array(y), equal_nan=True)
                                       or np.signbit(numpy_helper.to_array(x)).tolist() != np.signbit(numpy_helper.to_array(y)).tolist()
                                       for x, y in zip(b.graph.initializer, m.model.graph.initializer)),
    "external_inside": _check_external_inside,
    "external_outside": _check_external_outside,
    "external_broken": _check_external_broken,
    "sparse_initializer": _check_sparse,
    "constant_odd": lambda b, m, _: m.model.graph.node[0].op_type == "Constant" and m.model.graph.node[0].output[0] in {
        t.name for t in b.graph.initializer} - {t.name for t in m.model.graph.initializer},
    "qonnx_attr": lambda b, m, _: any(_attrs(b).get(k) != v for k, v in _attrs(m.model).items()
                                      if m.model.graph.node[k[0]].op_type in QONNX_OPS),
    "qonnx_bitwidth": lambda b, m, _: any(list(x.input) != list(y.input) for x, y in zip(b.graph.node, m.model.graph.node)
                                          if x.op_type == "Quant"),
    "opset_version": lambda b, m, _: [(o.domain, o.version) for o in b.opset_import] != [
        (o.domain, o.version) for o in m.model.opset_import],
    "ir_version": lambda b, m, _: b.ir_version != m.model.ir_version,
    "byte_flip": lambda b, m, _: len(m.data) == len(b.SerializeToString()) and m.data != b.SerializeToString(),
    "byte_truncate": lambda b, m, _: len(m.data) < len(b.SerializeToString()),
    "byte_splice": lambda b, m, _: m.data != b.SerializeToString(),
    "byte_varint": lambda b, m, _: b"\xff\xff\xff\xff\x0f" in m.data,
}


def _flat_ints(model):
    for value in _attrs(model).values():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, int):
                yield v


def _has_duplicate_names(model) -> bool:
    outputs = mutators.node_outputs(model.graph)
    initializers = [t.name for t in model.graph.initializer]
    inputs = [v.name for v in model.graph.input]
    nodes = [n.name for n in model.graph.node]
    return (len(set(outputs)) < len(outputs) or len(set(initializers)) < len(initializers)
            or bool(set(inputs) & (set(initializers) | set(outputs))) or len(set(nodes)) < len(nodes))


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_every_mutator_has_a_check():
    assert set(CHECKS) == set(mutators.MUTATORS)


def _applications(name: str, count: int = 40):
    """(seed model, mutant) pairs: the mutator applied to every seed model in turn, with several generator states."""
    mutator, found = mutators.MUTATORS[name], []
    for state in range(4):
        for seed in all_seeds():
            mutant = mutators.Mutant(seed.model())
            try:
                mutator.func(mutant, np.random.default_rng(state))
            except mutators.NotApplicable:
                continue
            found.append((seed.model(), mutant))
            if len(found) == count:
                return found
    assert found, f"{name} applies to no seed model"
    return found


@pytest.mark.parametrize("name", sorted(mutators.MUTATORS))
def test_mutator_changes_what_it_says(name, tmp_path):
    for index, (before, mutant) in enumerate(_applications(name)):
        folder = tmp_path / str(index)
        folder.mkdir()
        assert CHECKS[name](before, mutant, folder), f"{name} did not change what it says (application {index})"
        if mutators.MUTATORS[name].stage == "model":
            assert mutant.data is None and mutant.model.SerializeToString() != before.SerializeToString()


def test_mutators_that_find_nothing_say_so():
    bare = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                                               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
                                               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])]))
    for name in ("qonnx_attr", "qonnx_bitwidth", "attr_int", "sparse_initializer", "external_inside", "init_values"):
        with pytest.raises(mutators.NotApplicable):
            mutators.MUTATORS[name].func(mutators.Mutant(bare), np.random.default_rng(0))


# ------------------------------------------------------------------------------------------------
# exactness rules, ties, the documented Sign(0)
# ------------------------------------------------------------------------------------------------
def test_deviation_rules():
    ref = np.array([[1.0, -1.0, 3.0]], np.float32)                 # integer-valued: bit-exact rule
    assert not exactness.deviation(ref.copy(), ref).any
    assert exactness.deviation(ref + np.float32([[0, 0, 2**-20]]), ref).elements.tolist() == [False, False, True]
    floats = np.array([[0.5, 0.25, 100.0]], np.float32)            # float rule: 1e-5 of the largest
    assert not exactness.deviation(floats + np.float32([[5e-4, 0, 0]]), floats).any
    assert exactness.deviation(floats + np.float32([[2e-3, 0, 0]]), floats).any
    assert exactness.deviation(np.float32([[np.nan, 0.25, 100.0]]), floats).elements[0]   # one-sided NaN
    assert exactness.deviation(np.float32([[0.5, 100.0, 0.25]]), floats).rows.tolist() == [True]


def test_argmax_between_values_within_float_rounding_is_a_close_tie_only():
    ref = np.array([[3.0, 3.0 + 2e-6, -1.0], [0.5, 2.0, 1.0]], np.float32)
    near = np.array([[3.0 + 3e-6, 3.0, -1.0], [0.5, 2.0, 1.0]], np.float32)    # row 0 flips within 1e-5
    assert exactness.deviation(near, ref).only_close_argmax
    far = np.array([[3.0, 3.0, -1.0], [0.5, 1.0, 2.0]], np.float32)             # row 1 flips by 1.0
    assert not exactness.deviation(far, ref).only_close_argmax


def test_tie_needs_the_reference_to_differ_in_the_same_places():
    ref = [np.float32([[1.0, -1.0, 1.0, 1.0]])]
    ours = [np.float32([[1.0, 1.0, 1.0, 1.0]])]
    ours_vs_ref, _ = exactness.compare_outputs(ours, ref)
    assert exactness.is_tie(ours_vs_ref, [np.float32([[1.0, 1.0, 1.0, -1.0]])], ref)
    assert not exactness.is_tie(ours_vs_ref, [np.float32([[1.0, -1.0, -1.0, 1.0]])], ref)
    assert not exactness.is_tie(ours_vs_ref, ref, ref)


def _sign_model() -> onnx.ModelProto:
    nodes = [helper.make_node("Sign", ["x"], ["s"]), helper.make_node("Sign", ["w"], ["ws"]),
             helper.make_node("Mul", ["s", "ws"], ["y"])]
    w = numpy_helper.from_array(np.float32([0.0, 2.0, -3.0]), "w")
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def test_sign_zero_variant_maps_only_run_time_zeros_to_plus_one():
    from bnncc.reference import run_reference

    model = _sign_model()
    x = {"x": np.float32([0.0, 0.0, -2.0])}
    (original,) = run_reference(model, x)
    (variant,) = run_reference(exactness.sign_zero_as_plus_one(model), x)
    assert original.tolist() == [0.0, 0.0, 1.0]
    assert variant.tolist() == [0.0, 1.0, 1.0]            # x's Sign(0) -> +1; the weight's Sign(0) stays 0
    assert exactness.sign_zero_as_plus_one(zoo.qonnx_bipolar_mlp(0)) is None


def test_float64_variant_computes_the_same_model():
    from fuzz.runner import _run_float64
    from bnncc.reference import run_reference

    model = zoo.plain_sign_mlp(0)
    x = {"x": np.random.default_rng(0).normal(size=(1, 64)).astype(np.float32)}
    (wide,) = _run_float64(exactness.as_float64(model), x)
    (narrow,) = run_reference(model, x)
    assert wide.dtype == np.float32 and np.allclose(wide, narrow, rtol=1e-5)


# ------------------------------------------------------------------------------------------------
# report and command line
# ------------------------------------------------------------------------------------------------
def _record(cls, detail="", identifier="0-0"):
    return {"id": identifier, "class": cls, "compile": cls, "stage": "compile", "detail": detail, "seed": "s",
            "mutations": [["attr_int", "x"]], "also": []}


def test_report_fails_on_failures_only():
    settings = {"seed": 0, "total": 2, "target": "generic-c", "jobs": 1, "seconds": 1.0, "seconds_per_case": 0.5}
    informational = report.summarize([_record("ok"), _record("tie"), _record("reference-refused")], settings)
    assert not informational["failed"] and "tie" in informational["cases"]
    failing = report.summarize([_record("ok"), _record("traceback", "KeyError: 'conv_3'", "0-7"),
                                _record("traceback", "KeyError: 'conv_12'", "0-9")], settings)
    assert failing["failed"] and [e["id"] for e in failing["cases"]["traceback"]] == ["0-7", "0-9"]
    assert "[2x] at compile: KeyError" in report.human(failing)          # one defect, one group


def test_campaign_script_runs_standalone(tmp_path):
    listed = subprocess.run([sys.executable, str(CAMPAIGN), "--list"], capture_output=True, text=True, check=True)
    assert all(name in listed.stdout for name in mutators.MUTATORS)
    bad = subprocess.run([sys.executable, str(CAMPAIGN), "--case", "nonsense"], capture_output=True, text=True)
    assert bad.returncode == 2 and "not a case id" in bad.stderr


def test_runner_draws_the_shapes_the_model_declares(tmp_path):
    """An input the model declares [7] is fed as [7], whatever bnncc's spec says; batched inputs get the batch."""
    from argparse import Namespace
    from types import SimpleNamespace

    from fuzz.runner import Runner, _static_dims

    model = helper.make_model(helper.make_graph(
        [], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4]),
                  helper.make_tensor_value_info("extra", TensorProto.FLOAT, [7])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])]))
    declared = {v.name: _static_dims(v) for v in model.graph.input}
    runner = Runner(Namespace(stage=str(tmp_path / "stage"), seed=0, inputs="normal:0:1"))
    specs = [SimpleNamespace(name="x", shape=(1, 4), batched=True), SimpleNamespace(name="extra", shape=(1,), batched=False)]
    assert [a.shape for a in runner.draw_inputs(specs, 3, declared)] == [(3, 4), (7,)]
    assert [a.shape for a in runner.draw_inputs(specs, 3, {})] == [(3, 4), (1,)]
