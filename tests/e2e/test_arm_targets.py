"""The ARM targets end to end from this host: cross-compiled artifacts (make, CMake, zig cc), run
under qemu-user through the Python API and the CLI, threads, the instruction-count bench, and the
one-line errors when a tool is missing. (Exactness on every zoo and shared model:
test_zoo_models.py and test_shared_models.py, which include both ARM targets.)"""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys

import numpy as np
import pytest

import bnncc
from bnncc.errors import BnnccError
from bnncc.targets import TARGETS, get_target
from bnncc.targets.kernels import PORTABLE

import zoo
from kernels.cross import require

ARM = [pytest.param(name, id=name) for name in ("aarch64-neon", "armv7-neon")]
ELF_MACHINE = {"aarch64-neon": 183, "armv7-neon": 40}      # e_machine: EM_AARCH64, EM_ARM


def elf_machine(path) -> int:
    header = open(path, "rb").read(20)
    assert header[:4] == b"\x7fELF", path
    return int.from_bytes(header[18:20], "little")


def small_source() -> bytes:
    return zoo.BUILDERS["fastinference_style"][0](seed=1).SerializeToString()


def sh(command, cwd=None) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(map(str, command))}\n{result.stdout[-2000:]}{result.stderr[-3000:]}"


def demo_outputs(folder, name, x: np.ndarray, emulator) -> np.ndarray:
    x.astype(np.float32).tofile(folder / "x.bin")
    run = subprocess.run([*emulator, str(folder / f"{name}_demo"), str(folder / "x.bin")], capture_output=True,
                         text=True, check=True)
    return np.array(run.stdout.split(), np.float32)


@pytest.mark.parametrize("target", ARM)
def test_cross_artifact_builds_by_make_cmake_and_zig_and_runs_as_python_does(target, tmp_path):
    """make cross-compiles with the target's gcc by default (-Werror), the CMake toolchain file does
    too, and zig cc builds it; every demo prints the outputs compile().run() gives."""
    t = require(target)
    if shutil.which(f"{t.toolchain.triple}-gcc") is None:
        pytest.skip(f"no {t.toolchain.triple}-gcc (Debian {t.toolchain.gcc_package})")
    model = bnncc.compile(small_source(), target=target, output_dir=tmp_path / "art", name="net")
    folder = tmp_path / "art"
    x = np.random.default_rng(0).standard_normal(model.inputs[0].shape[1:]).astype(np.float32)
    (want,) = model.run(x[None])
    emulator = t.toolchain.emulator()
    sh(["make", "-s", "WERROR=1", "LDFLAGS=-static"], folder)
    assert elf_machine(folder / "net_demo") == ELF_MACHINE[target]
    np.testing.assert_allclose(demo_outputs(folder, "net", x, emulator), want.reshape(-1), rtol=1e-5)

    build = tmp_path / "cmake"
    sh(["cmake", "-S", str(folder), "-B", str(build), f"-DCMAKE_TOOLCHAIN_FILE={folder / 'toolchain.cmake'}",
        "-DBNNCC_WERROR=ON"])
    sh(["cmake", "--build", str(build)])
    assert elf_machine(build / "net_demo") == ELF_MACHINE[target]

    zig = subprocess.run([sys.executable, "-m", "ziglang", "version"], capture_output=True)
    if zig.returncode != 0:
        pytest.skip("no zig (pip install ziglang)")
    sh(["make", "-s", "clean"], folder)
    zig_cc = f"{sys.executable} -m ziglang cc {' '.join(t.toolchain.zig_arguments())}"
    sh(["make", "-s", "WERROR=1", f"CC={zig_cc}", f"AR={sys.executable} -m ziglang ar"], folder)
    assert elf_machine(folder / "net_demo") == ELF_MACHINE[target]
    np.testing.assert_allclose(demo_outputs(folder, "net", x, emulator), want.reshape(-1), rtol=1e-5)


@pytest.mark.parametrize("target", ARM)
def test_cli_run_of_an_arm_artifact_equals_the_api(target, tmp_path):
    require(target)
    model = bnncc.compile(small_source(), target=target, output_dir=tmp_path / "art")
    x = np.random.default_rng(1).standard_normal((3,) + model.inputs[0].shape[1:]).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    (want,) = model.run(x)
    result = subprocess.run([sys.executable, "-m", "bnncc.cli", "run", str(tmp_path / "art"), "--input",
                             str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npz"), "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "y.npz")["output0"], want)
    assert (tmp_path / "art" / "toolchain.cmake").is_file()
    assert '"target": "' + target + '"' in (tmp_path / "art" / "bnncc.json").read_text()


@pytest.mark.parametrize("target", ARM)
def test_threads_under_qemu_give_the_one_thread_outputs(target, tmp_path):
    require(target)
    source = zoo.BUILDERS["bireal_block"][0](seed=2).SerializeToString()
    one = bnncc.compile(source, target=target, threads=1)
    two = bnncc.compile(source, target=target, threads=2)
    x = np.random.default_rng(2).standard_normal((2,) + one.inputs[0].shape[1:]).astype(np.float32)
    (want,) = one.run(x)
    for _ in range(2):
        np.testing.assert_array_equal(two.run(x)[0], want)


def test_bench_counts_instructions_and_neon_kernels_execute_fewer(tmp_path):
    """On an emulating host, bench counts instructions (total and per layer, labelled as counts);
    the NEON kernels execute far fewer than the portable ones on the same binary layers."""
    from bnncc.instruction_count import count_instructions, format_count_result

    require("aarch64-neon")
    path = tmp_path / "block.onnx"
    path.write_bytes(zoo.BUILDERS["bireal_block"][0](seed=4).SerializeToString())
    neon = count_instructions(path, "aarch64-neon")
    portable = count_instructions(path, dataclasses.replace(TARGETS["aarch64-neon"], name="aarch64-portable",
                                                            kernels=PORTABLE, capabilities=frozenset()))
    assert neon.binary_macs == portable.binary_macs > 0
    assert 0 < sum(layer.instructions for layer in neon.layers) <= neon.instructions
    assert neon.binary_layer_instructions < portable.binary_layer_instructions / 2
    text = format_count_result(neon)
    assert "instructions counted by qemu, not timed" in text and "per 128 binary MACs" in text
    assert "minimum on 128-bit vectors: 3)" in text


def test_missing_cross_compiler_or_qemu_is_one_line(monkeypatch, tmp_path):
    from bnncc.targets import toolchain

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setattr(toolchain, "_zig_available", lambda: False)
    monkeypatch.setattr(toolchain, "host_machine", lambda: "x86_64")
    target = get_target("aarch64-neon")
    with pytest.raises(BnnccError, match=r"apt-get install gcc-aarch64-linux-gnu\) or zig \(pip install ziglang\)"):
        target.toolchain.compiler()
    with pytest.raises(BnnccError, match=r"needs qemu-aarch64: install Debian's qemu-user"):
        target.toolchain.emulator()
    assert "gcc-arm-linux-gnueabihf" in get_target("armv7-neon").unavailable_here()


def test_native_resolves_to_neon_on_an_arm_host(monkeypatch):
    """`native` on an aarch64 host with asimd (armv7 with neon) is the NEON target built for the
    CPU, run without an emulator; the name recorded is the resolved target's."""
    import bnncc.targets as targets
    from bnncc.targets import target as target_module, toolchain

    for machine, flag, expected in (("aarch64", "asimd", "aarch64-neon"), ("armv7l", "neon", "armv7-neon")):
        monkeypatch.setattr(toolchain, "host_machine", lambda machine=machine: machine)
        monkeypatch.setattr(targets, "host_machine", lambda machine=machine: machine)
        monkeypatch.setattr(target_module, "cpu_flags", lambda flag=flag: frozenset({flag, "fp"}))
        native = get_target("native")
        assert native.name == expected and "-mcpu=native" in native.cflags
        assert native.kernels == TARGETS[expected].kernels and not native.emulated
        assert native.toolchain.compiler() == ["cc"] or native.toolchain.compiler()[0].endswith("cc")


def test_zig_builds_for_armv7_keep_float_compares_exact(tmp_path):
    """clang would vectorize a portable float compare with NEON, which flushes subnormals on ARMv7
    (-1e-40 >= 0 came out true); the armv7 toolchain's zig arguments keep such loops scalar."""
    t = require("armv7-neon")
    if subprocess.run([sys.executable, "-m", "ziglang", "version"], capture_output=True).returncode != 0:
        pytest.skip("no zig (pip install ziglang)")
    source = tmp_path / "cmp.c"
    source.write_text(
        "#include <stdio.h>\n"
        "__attribute__((noinline)) void cmp(const float *x, int n, unsigned char *o)\n"
        "{ int i; for (i = 0; i < n; i++) o[i] = x[i] >= 0.0f; }\n"
        "int main(void) { float x[64]; unsigned char o[64]; int i, wrong = 0;\n"
        "  for (i = 0; i < 64; i++) x[i] = -1e-40f;\n"
        "  cmp(x, 64, o); for (i = 0; i < 64; i++) wrong += o[i];\n"
        "  printf(\"%d\\n\", wrong); return 0; }\n")
    exe = tmp_path / "cmp"
    sh([sys.executable, "-m", "ziglang", "cc", *t.toolchain.zig_arguments(), *t.cflags, str(source), "-o", str(exe)])
    run = subprocess.run([*t.toolchain.emulator(), str(exe)], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "0"
