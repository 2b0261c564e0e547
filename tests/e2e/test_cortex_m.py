"""The Cortex-M targets: freestanding artifacts whose firmware runs on qemu-system-arm's MPS2 boards
(bnncc/firmware.py). Exactness on the zoo and the shared models: test_zoo_models.py and
test_shared_models.py include the Cortex-M4; here the M7, the freestanding build, the size report,
instruction counts, the popcount, and the one-line errors (faults, RAM, missing tools)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import bnncc
from bnncc.errors import BnnccError
from bnncc.targets import TARGETS, get_target

import zoo
from kernels.cross import require
from kernels.helpers import INCLUDE

LIBM = {"expf", "logf", "powf", "sqrtf", "tanhf", "floorf", "ceilf", "fmodf", "copysignf", "fabsf"}


def small_source(seed: int = 1) -> bytes:
    return zoo.BUILDERS["fastinference_style"][0](seed=seed).SerializeToString()


def test_cortex_m7_runs_the_tfc_mnist_model_exactly(shared_models):
    """The FINN TFC MNIST model on the emulated Cortex-M7 gives the portable C's outputs bit for bit
    and labels the four test digits as the reference does."""
    require("cortex-m7")
    x = np.load(shared_models / "testdata" / "finn__build_dataflow_input.npy").astype(np.float32) / 255.0
    labels = np.load(shared_models / "testdata" / "finn__build_dataflow_expected_output.npy").reshape(-1)
    path = shared_models / "qonnx_model_zoo__TFC_1W1A.onnx"
    m7, portable = bnncc.compile(path, target="cortex-m7"), bnncc.compile(path, target="generic-c")
    for i in range(len(x)):
        (ours,) = m7.run(x[i:i + 1])
        np.testing.assert_array_equal(ours, portable.run(x[i:i + 1])[0])
        assert ours.argmax() == labels[i]


def test_tfc_meets_the_flash_and_ram_goals(shared_models):
    """Flash <= packed weights and per-channel constants + 12 KB of code; RAM <= arena + 2 KB; both
    read from the sections of the built image, with the float model's weights beside them."""
    require("cortex-m4")
    report = bnncc.compile(shared_models / "qonnx_model_zoo__TFC_1W1A.onnx", target="cortex-m4").report
    memory = report.memory
    assert memory.flash == memory.code + memory.constants + memory.data
    assert memory.constants >= report.weight_bytes_packed            # every weight is in .rodata (flash)
    assert memory.flash <= report.weight_bytes_packed + 12 * 1024, str(report)
    assert memory.ram <= report.arena_bytes + 2 * 1024, str(report)
    assert 0 < memory.stack and memory.arena == report.arena_bytes
    assert set(memory.library_calls) <= {"memcpy", "memset"}      # its Sub, Div, Mul, Add need no libm
    text = str(report)
    assert f"flash on the board: {memory.flash:,} bytes" in text and "the float model's weights: 239,180 bytes" in text
    assert report.to_dict()["memory"]["ram"] == memory.ram


def test_pow_runs_exactly_and_only_a_model_with_pow_links_powf():
    """Pow has its own kernel entry point: it runs (a runtime base, constant exponents) within float
    rounding of onnxruntime on the board, and its model is the one that links powf."""
    import onnx
    from onnx import TensorProto, helper

    from bnncc.verify import compare

    require("cortex-m4")
    exponents = helper.make_tensor("e", TensorProto.FLOAT, [8], [2.0, 3.0, -1.0, 0.5, 1.0, 0.0, 4.0, -2.0])
    graph = helper.make_graph([helper.make_node("Abs", ["x"], ["a"]), helper.make_node("Pow", ["a", "e"], ["y"])],
                              "pow", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])], [exponents])
    source = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    onnx.checker.check_model(onnx.load_from_string(source))
    model = bnncc.compile(source, target="cortex-m4")
    x = np.random.default_rng(7).standard_normal((1, 8)).astype(np.float32) + 0.5
    assert all(check.ok for check in compare(model, [x]))
    assert "powf" in model.report.memory.library_calls


def test_inspect_reports_flash_and_ram(tmp_path):
    require("cortex-m4")
    path = tmp_path / "small.onnx"
    path.write_bytes(small_source())
    run = subprocess.run([sys.executable, "-m", "bnncc.cli", "inspect", "-t", "cortex-m4", str(path), "-q"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "flash on the board:" in run.stdout and "RAM on the board:" in run.stdout


def test_artifact_is_freestanding_and_builds_with_werror(tmp_path):
    """The artifact's C compiles with -Wall -Wextra -Werror -ffreestanding; its objects call nothing
    from the C library but memcpy/memset (and libm), hold no mutable static data, keep the weights
    const; the header states the arena size; `make` builds the shipped firmware, whose run on the
    board gives what compile().run gives."""
    t = require("cortex-m4")
    model = bnncc.compile(small_source(), target="cortex-m4", output_dir=tmp_path / "art", name="net")
    folder = tmp_path / "art"
    assert f"#define NET_ARENA_SIZE {model.report.arena_bytes}u" in (folder / "net.h").read_text()
    assert not (folder / "main.c").exists() and "pthread" not in (folder / "net.c").read_text()
    objects = []
    for source in model._lowered.detail.sources:
        obj = tmp_path / f"{source.replace('/', '_')}.o"
        command = [*t.toolchain.compiler(), *t.cflags, "-std=c99", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror",
                   "-ffreestanding", f"-I{folder}", f"-I{folder / 'include'}", "-c", str(folder / source), "-o", str(obj)]
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        objects.append(str(obj))
    symbols = subprocess.run(["arm-none-eabi-nm", *objects], capture_output=True, text=True, check=True).stdout
    undefined = {line.split()[1] for line in symbols.splitlines() if line.split()[:1] == ["U"]}
    defined = {line.split()[2] for line in symbols.splitlines() if len(line.split()) == 3}
    assert undefined - defined <= {"memcpy", "memset"} | LIBM
    assert not [line for line in symbols.splitlines() if line.split()[1:2] and line.split()[1] in "dDbB"]
    assert any(line.split()[1] == "r" for line in symbols.splitlines() if len(line.split()) == 3)  # const weights

    result = subprocess.run(["make", "-s", "WERROR=1"], cwd=folder, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    x = np.random.default_rng(0).standard_normal((1,) + model.inputs[0].shape[1:]).astype(np.float32)
    x.tofile(folder / "input.bin")
    result = subprocess.run(["make", "-s", "run"], cwd=folder, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.fromfile(folder / "output.bin", np.float32), model.run(x)[0].reshape(-1))


def test_cli_verify_and_run_on_the_board(tmp_path):
    require("cortex-m4")
    path = tmp_path / "small.onnx"
    path.write_bytes(small_source(seed=2))
    verify = subprocess.run([sys.executable, "-m", "bnncc.cli", "verify", "-t", "cortex-m4", str(path)],
                            capture_output=True, text=True)
    assert verify.returncode == 0 and "OK: bit-exact" in verify.stdout, verify.stdout + verify.stderr
    model = bnncc.compile(path, target="cortex-m4", output_dir=tmp_path / "art")
    x = np.random.default_rng(3).standard_normal((3,) + model.inputs[0].shape[1:]).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    run = subprocess.run([sys.executable, "-m", "bnncc.cli", "run", str(tmp_path / "art"), "--input",
                          str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npz"), "-q"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "y.npz")["output0"],
                                  bnncc.compile(path, target="generic-c").run(x)[0])


def test_bench_counts_instructions_on_the_board(tmp_path):
    require("cortex-m4")
    path = tmp_path / "small.onnx"
    path.write_bytes(small_source())
    run = subprocess.run([sys.executable, "-m", "bnncc.cli", "bench", "-t", "cortex-m4", str(path)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "instructions counted by qemu, not timed" in run.stdout and "instructions per image" in run.stdout
    assert "no popcount instruction" in run.stdout and "vectors" not in run.stdout   # no NEON floor on an M4


def test_cortex_m_kernels_execute_fewer_instructions_than_the_portable_ones():
    """The Cortex-M binary conv kernels (bconv_cm.c) against the portable ones with their SWAR popcount,
    counted on the emulated board on the same binary layers (a Bi-Real block: 3x3 convs with padding,
    the float output stage, a dense layer); both exact."""
    from dataclasses import replace

    from bnncc.targets.kernels import PORTABLE

    m4 = require("cortex-m4")
    source = zoo.BUILDERS["bireal_block"][0](seed=4).SerializeToString()
    counts, outputs = [], []
    for target in (m4, replace(m4, kernels=PORTABLE)):
        model = bnncc.compile(source, target=target)
        x = np.random.default_rng(5).standard_normal((1,) + model.inputs[0].shape[1:]).astype(np.float32)
        built = model.build(extra_flags=("-DBNNCC_MARK_LAYERS",))
        outputs.append(built.run(x)[0])
        _, layers = built.count_instructions(x)
        counts.append(sum(n for n, layer in zip(layers, model.layers) if layer.binary_macs))
        built.close()
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert 0 < counts[0] < counts[1]


@pytest.mark.parametrize("flag", ["-DBNN_POPCOUNT_SWAR32", "-DBNN_POPCOUNT_TABLE8"])
def test_popcount_variants_count_every_bit(flag, tmp_path):
    """Both portable-C popcounts of common.h against numpy, on the host's compiler."""
    source = tmp_path / "pop.c"
    source.write_text('#include <stdio.h>\n#include "bnncc/common.h"\n'
                      "int main(void) { unsigned long long x; while (scanf(\"%llu\", &x) == 1) "
                      "printf(\"%d\\n\", bnn_popcount((bnn_word)x)); return 0; }\n")
    subprocess.run(["cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", flag, f"-I{INCLUDE}", str(source), "-o",
                    str(tmp_path / "pop")], check=True)
    words = np.concatenate([np.random.default_rng(6).integers(0, 2**64, 2000, dtype=np.uint64),
                            np.array([0, 2**64 - 1, 2**63, 1, 0x5555555555555555, 0xFFFFFFFF00000000], np.uint64)])
    run = subprocess.run([str(tmp_path / "pop")], input="\n".join(map(str, words)), capture_output=True, text=True,
                         check=True)
    assert [int(v) for v in run.stdout.split()] == np.bitwise_count(words).tolist()


def test_threads_are_refused():
    with pytest.raises(BnnccError, match="freestanding.*threads=1"):
        bnncc.compile(small_source(), target="cortex-m4", threads=2)


def test_a_fault_on_the_board_is_one_line(tmp_path):
    """A firmware that faults stops with one line naming the exception and its status registers."""
    require("cortex-m4")
    model = bnncc.compile(small_source(), target="cortex-m4", output_dir=tmp_path / "art", name="net")
    harness = tmp_path / "art" / "firmware" / "main.c"
    harness.write_text(harness.read_text().replace("    bnncc_mark_layer(-1);",
                                                   "    *(volatile int *)0xF0000000u = 1;  /* no memory there */"))
    x = np.zeros((1,) + model.inputs[0].shape[1:], np.float32)
    with pytest.raises(BnnccError, match=r"cortex-m4 firmware stopped on a HardFault \(exception 3, CFSR 0x0000"):
        model.run(x)


def test_a_batch_larger_than_the_boards_ram_is_one_line():
    require("cortex-m4")
    model = bnncc.compile(small_source(), target="cortex-m4")
    per_sample = 4 * int(np.prod(model.inputs[0].shape[1:]))
    x = np.zeros(((5 << 20) // per_sample,) + model.inputs[0].shape[1:], np.float32)
    with pytest.raises(BnnccError, match="do not fit the board's RAM: run fewer samples at a time"):
        model.run(x)


def test_missing_toolchain_or_qemu_names_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CC", raising=False)
    target = get_target("cortex-m4")
    with pytest.raises(BnnccError, match=r"no C cross compiler for arm-none-eabi: install Debian's gcc-arm-none-eabi "
                                         r"\(apt-get install gcc-arm-none-eabi\), or set CC"):
        target.toolchain.compiler()
    with pytest.raises(BnnccError, match=r"needs qemu-system-arm: install Debian's qemu-system-arm"):
        target.toolchain.emulator()
    report = bnncc.compile(small_source(), target="cortex-m4").report        # compiles; sizes not measured
    assert report.memory is None and any("flash and RAM not measured" in n for n in report.notes)


def test_native_is_never_a_microcontroller(monkeypatch):
    import bnncc.targets as targets
    from bnncc.targets import toolchain

    for machine in ("x86_64", "aarch64", "armv7l", "armv7e-m"):
        monkeypatch.setattr(toolchain, "host_machine", lambda machine=machine: machine)
        monkeypatch.setattr(targets, "host_machine", lambda machine=machine: machine)
        assert not get_target("native").toolchain.freestanding
    assert all(TARGETS[name].toolchain.freestanding for name in ("cortex-m4", "cortex-m7"))
