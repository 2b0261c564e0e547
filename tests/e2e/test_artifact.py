"""The generated C itself: strict warnings, sanitizers, determinism, and the arena contract."""
from __future__ import annotations

import gc
import os
import shutil
import subprocess

import numpy as np
import pytest

import bnncc
from bnncc.verify import reference_outputs

import zoo
from targets_under_test import cpu_targets

STRICT = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off"]


def _compile_zoo(name: str, folder, **kwargs) -> bnncc.CompiledModel:
    source = zoo.BUILDERS[name][0](seed=7, **kwargs)
    return bnncc.compile(source.SerializeToString(), target="generic-c", output_dir=folder, name="net")


def test_same_input_gives_byte_identical_artifacts(tmp_path):
    first = _compile_zoo("larq_ste_sign_conv", tmp_path / "a")
    second = _compile_zoo("larq_ste_sign_conv", tmp_path / "b")
    files = sorted(p.relative_to(first.output_dir) for p in first.output_dir.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second.output_dir) for p in second.output_dir.rglob("*") if p.is_file())
    for relative in files:
        assert (first.output_dir / relative).read_bytes() == (second.output_dir / relative).read_bytes(), relative


def test_only_used_kernels_are_shipped(tmp_path):
    model = _compile_zoo("plain_sign_mlp", tmp_path / "mlp")
    shipped = {p.name for p in (model.output_dir / "src").glob("*.c")}
    assert "bconv.c" in shipped and "fconv.c" not in shipped and "bpool.c" not in shipped


@pytest.mark.parametrize("name", ["bireal_block", "fastinference_style", "finn_multithreshold", "two_bit_activation"])
def test_artifact_is_clean_under_asan_ubsan_and_strict_warnings(name, tmp_path):
    """Build the example program with -Werror and sanitizers and run it on a real input."""
    model = _compile_zoo(name, tmp_path / "artifact")
    folder = model.output_dir
    rng = np.random.default_rng(0)
    x = rng.standard_normal(model.inputs[0].shape[1:] if model.inputs[0].batched else model.inputs[0].shape)
    x.astype(np.float32).tofile(tmp_path / "x.bin")
    sources = [str(folder / "main.c"), str(folder / "net.c")] + sorted(str(p) for p in (folder / "src").glob("*.c"))
    exe = tmp_path / "demo"
    build = subprocess.run(["cc", *STRICT, "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                            f"-I{folder}", f"-I{folder / 'include'}", *sources, "-o", str(exe), "-lm"],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe), str(tmp_path / "x.bin")], capture_output=True, text=True,
                         env={**os.environ, "ASAN_OPTIONS": "detect_leaks=1"})
    assert run.returncode == 0, run.stderr
    printed = np.array(run.stdout.split()[:model.outputs[0].sample_size], dtype=np.float64)
    expected = reference_outputs(model, [x[None].astype(np.float32)])[0].reshape(-1)
    np.testing.assert_allclose(printed, expected, rtol=1e-5, atol=1e-5)


def test_unaligned_arena_and_batches_give_the_same_answer(tmp_path):
    model = _compile_zoo("fastinference_style", tmp_path / "fi")
    x = np.random.default_rng(1).standard_normal((6,) + model.inputs[0].shape[1:]).astype(np.float32)
    native = model.build()
    (together,) = native.run(x)
    misaligned = np.zeros(native.arena_bytes + 3, np.uint8)[3:]
    apart = np.concatenate([native.run(x[i:i + 1], arena=misaligned)[0] for i in range(6)])
    assert np.array_equal(together, apart)


def test_no_heap_allocation_in_generated_code(tmp_path):
    model = _compile_zoo("bireal_block", tmp_path / "br")
    for path in [model.output_dir / "net.c", *(model.output_dir / "src").glob("*.c")]:
        text = path.read_text()
        for call in ("malloc(", "calloc(", "realloc(", "free("):
            assert call not in text, (path.name, call)


@pytest.mark.parametrize("name,kwargs", [("bireal_block", {}), ("bireal_block", {"shortcut_groups": 4}),
                                         ("larq_ste_sign_conv", {}), ("fastinference_style", {}),
                                         ("qonnx_bipolar_mlp", {})])
def test_threads_give_results_identical_to_one_thread(name, kwargs, tmp_path):
    source = zoo.BUILDERS[name][0](seed=11, **kwargs).SerializeToString()
    results = []
    for threads in (1, 2, 3):
        model = bnncc.compile(source, target="generic-c", threads=threads, output_dir=tmp_path / f"t{threads}")
        x = np.random.default_rng(4).standard_normal((3,) + model.inputs[0].shape[1:] if model.inputs[0].batched
                                                      else model.inputs[0].shape).astype(np.float32)
        results.append(model.run(x))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert np.array_equal(a, b)


def _live_threads() -> int:
    """Threads of this process now (models of earlier tests that are garbage are collected first)."""
    gc.collect()
    return len(os.listdir("/proc/self/task"))


def _threaded_mlp(folder):
    """A loaded 3-thread artifact, not run yet (its 2 workers start on the first run), and an input."""
    model = bnncc.compile(zoo.qonnx_bipolar_mlp(seed=11).SerializeToString(), target="generic-c", threads=3,
                          output_dir=folder)
    x = np.zeros(model.inputs[0].shape[1:] if model.inputs[0].batched else model.inputs[0].shape, np.float32)
    return model.build(), x


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counting threads needs Linux /proc")
def test_closing_or_collecting_a_threaded_model_stops_its_workers(tmp_path):
    """Workers sleep inside the library's code: one left behind after dlclose crashes the process later."""
    for folder, drop in ((tmp_path / "closed", "close"), (tmp_path / "collected", "collect")):
        native, x = _threaded_mlp(folder)
        before = _live_threads()
        native.run(x)
        assert _live_threads() == before + 2
        if drop == "close":
            native.close()
            with pytest.raises(bnncc.BnnccError, match="closed"):
                native.run(x)
        else:
            del native
        assert _live_threads() == before, drop


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counting threads needs Linux /proc")
def test_unloading_a_threaded_library_stops_its_workers(tmp_path):
    """A C user who dlcloses without calling <name>_release_threads: the library's destructor does it."""
    native, x = _threaded_mlp(tmp_path / "art")
    before = _live_threads()
    native.run(x)
    _, _, (ffi, lib, _release, folder), _ = native._unload.detach()
    ffi.dlclose(lib)
    assert _live_threads() == before
    shutil.rmtree(folder)


def test_threaded_artifact_is_race_free_under_thread_sanitizer(tmp_path):
    model = bnncc.compile(zoo.bireal_block(seed=2).SerializeToString(), target="generic-c", threads=2,
                          output_dir=tmp_path / "art", name="net")
    folder = model.output_dir
    sources = [str(folder / "main.c"), str(folder / "net.c")] + sorted(str(p) for p in (folder / "src").glob("*.c"))
    exe = tmp_path / "demo"
    build = subprocess.run(["cc", *STRICT, "-O1", "-g", "-fsanitize=thread", f"-I{folder}", f"-I{folder / 'include'}",
                            *sources, "-o", str(exe), "-lm", "-pthread"], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "ThreadSanitizer" not in run.stderr, run.stderr


# ------------------------------------------------------------------------------------------
# the artifact's own build files (issue 9, item 13)
# ------------------------------------------------------------------------------------------
def _make(folder, *args, env=None):
    return subprocess.run(["make", "-C", str(folder), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


needs_make = pytest.mark.skipif(not shutil.which("make"), reason="needs make")


@needs_make
@pytest.mark.parametrize("target", [p for p in cpu_targets(include_native=False) if p.id == "x86-avx512"])
@pytest.mark.parametrize("where", ["environment", "command line"])
def test_makefile_keeps_the_isa_flags_when_cflags_is_set(target, where, tmp_path):
    """A distro or Yocto build sets CFLAGS: the AVX-512 kernels must still get their ISA flags."""
    model = bnncc.compile(zoo.bireal_block(seed=7).SerializeToString(), target=target, output_dir=tmp_path / "a",
                          name="net")
    args, env = (["CFLAGS=-O1"], None) if where == "command line" else ([], {"CFLAGS": "-O1"})
    build = _make(model.output_dir, *args, env=env)
    assert build.returncode == 0, build.stdout + build.stderr
    assert "-O1" in build.stdout and "-mavx512vpopcntdq" in build.stdout and "-ffp-contract=off" in build.stdout
    x = np.random.default_rng(0).standard_normal(model.inputs[0].shape[1:]).astype(np.float32)
    x.tofile(tmp_path / "x.bin")
    run = subprocess.run([str(model.output_dir / "net_demo"), str(tmp_path / "x.bin")], capture_output=True,
                         text=True, timeout=60)
    printed = np.array(run.stdout.split(), dtype=np.float32)
    np.testing.assert_allclose(printed, model.run(x[None])[0].reshape(-1), rtol=1e-5)


def _with_unused_function(folder) -> None:
    with (folder / "net.c").open("a") as source:
        source.write("\nstatic int never_called(void) { return 0; }\n")


@needs_make
def test_make_werror_turns_warnings_into_errors(tmp_path):
    folder = _compile_zoo("fastinference_style", tmp_path / "a").output_dir
    clean = _make(folder, "WERROR=1")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "-Werror" in clean.stdout
    _make(folder, "clean")
    _with_unused_function(folder)
    assert _make(folder).returncode == 0                       # a warning alone does not stop the build
    _make(folder, "clean")
    failed = _make(folder, "WERROR=1")
    assert failed.returncode != 0 and "never_called" in failed.stderr


@pytest.mark.skipif(not shutil.which("cmake"), reason="needs cmake")
def test_cmake_option_bnncc_werror(tmp_path):
    folder = _compile_zoo("plain_sign_mlp", tmp_path / "a").output_dir

    def cmake_build(build_dir, *options):
        configure = subprocess.run(["cmake", "-S", str(folder), "-B", str(build_dir), *options],
                                   capture_output=True, text=True, timeout=300)
        assert configure.returncode == 0, configure.stdout + configure.stderr
        return subprocess.run(["cmake", "--build", str(build_dir)], capture_output=True, text=True, timeout=300)

    assert cmake_build(tmp_path / "clean", "-DBNNCC_WERROR=ON").returncode == 0
    _with_unused_function(folder)
    assert cmake_build(tmp_path / "warned").returncode == 0
    failed = cmake_build(tmp_path / "werror", "-DBNNCC_WERROR=ON")
    assert failed.returncode != 0 and "never_called" in failed.stdout + failed.stderr
