"""Prepare the GPU check: build everything here, without a GPU, into one folder to carry.

    .venv/bin/python examples/gpu/prepare.py                      # -> .gpu/  (CUDA, sm_90)
    .venv/bin/python examples/gpu/prepare.py --target llvm --out .gpu-llvm --quick   # dry-run bundle

The GPU machine has Python and numpy/torch/onnx but no TVM and no network, so the folder holds:

  runtime/     TVM's runtime only: the `tvm` Python package without its compiler library
               (libtvm_compiler.so, 260 MB) and without the compiler-only subpackages, the
               `tvm_ffi` package (its core module for Python 3.12 and for this Python), and
               libcudart.so.13 in case the machine's is not found
  models/      one library per model, built for the GPU (symbolic batch), with its inputs at
               batch 1 and N and the reference runtime's outputs for them, computed here
  roofline.cubin   the throughput loops of roofline.cu (popcount, 1-bit MMA, bf16 MMA)
  bundle.json  what is where, and the hash of Bi-Real-18's weights (gpu_check.py regenerates the
               47 MB model there from examples/bireal/bireal.py and checks the hash)

Models: the three real models of ../shared/models (on the four FINN test digits), every zoo
variant, Bi-Real-18 small, and Bi-Real-18 (224x224) in three builds (BENCH_VARIANTS): the default
of tvm-cuda (binary convs on the 1-bit tensor cores where they qualify, bnncc/tvm/tensor_cores.py;
float convs as bnncc's register-tiled kernels), the same on popcount only, and the tensor cores
with TOPI's float convs scheduled by DLight (the float path of the previous default).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "examples" / "bireal"), str(Path(__file__).parent)]

import bireal  # noqa: E402
import zoo  # noqa: E402

from bnncc.frontend.importer import import_model  # noqa: E402
from bnncc.pipeline import run_passes  # noqa: E402
from bnncc.reference import run_reference  # noqa: E402
from bnncc.report import ConversionReport  # noqa: E402
from bnncc.tvm.build import build  # noqa: E402
from bnncc.tvm.lower import lower_graph  # noqa: E402
from gpu_check import weights_hash  # noqa: E402  (this folder: the GPU side checks the same hash)

SHARED = Path(os.environ.get("BNNCC_SHARED_MODELS", ROOT.parent / "shared" / "models"))   # as the tests find it
DIGIT_TRANSFORMS = {
    "qonnx_model_zoo__TFC_1W1A.onnx": lambda x: x / 255.0,
    "fastinference__bnntest.onnx": lambda x: x.reshape(len(x), 784) * 255.0,
    "fastinference__model_fashion_test.onnx": lambda x: x.reshape(len(x), 784) * 255.0,
}
# what the runtime-only `import tvm` never imports: compiler-side Python (kept out of the bundle)
COMPILER_ONLY = {"relax", "topi", "s_tir", "contrib", "web", "3rdparty", "src", "include", "exec", "meta_schedule"}
RUNTIME_LIBRARIES = ("libtvm_runtime.so", "libtvm_runtime_cuda.so", "libtvm_runtime_extra.so")


# -- the runtime bundle ---------------------------------------------------------------------------
def bundle_runtime(destination: Path, python_tags=("cp312",)) -> None:
    """TVM's runtime (Python package + runtime libraries) and tvm_ffi for the given Pythons."""
    import tvm
    import tvm_ffi

    tvm_source = Path(tvm.__file__).parent
    shutil.copytree(tvm_source, destination / "tvm", ignore=_ignore_for(tvm_source))
    (destination / "tvm" / "lib").mkdir(exist_ok=True)
    for name in RUNTIME_LIBRARIES:
        shutil.copy2(tvm_source / "lib" / name, destination / "tvm" / "lib" / name)
    ffi_source = Path(tvm_ffi.__file__).parent
    shutil.copytree(ffi_source, destination / "tvm_ffi", ignore=shutil.ignore_patterns(
        "__pycache__", "3rdparty", "include", "src", "cython", "*.pyx"))
    version = tvm_ffi.__version__
    for tag in python_tags:
        if tag == f"cp{sys.version_info.major}{sys.version_info.minor}":
            continue                                 # this Python's core module was copied above
        wheel = _ffi_wheel(version, tag)
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if member.startswith("tvm_ffi/core.") and member.endswith(".so"):
                    (destination / member).write_bytes(archive.read(member))
    cudart = next((p for p in _cudart_candidates()), None)
    if cudart is not None:
        (destination / "cuda").mkdir(exist_ok=True)
        shutil.copy2(cudart, destination / "cuda" / "libcudart.so.13")


def _ignore_for(tvm_source: Path):
    def ignore(folder, names):
        skipped = {n for n in names if n == "__pycache__"}
        if Path(folder) == tvm_source:
            skipped |= {n for n in names if n in COMPILER_ONLY or n == "lib"}
        return skipped
    return ignore


def _ffi_wheel(version: str, tag: str) -> Path:
    """apache-tvm-ffi's wheel for another Python (pip download, cached under ~/.cache/bnncc)."""
    cache = Path(os.environ.get("BNNCC_CACHE_DIR", Path.home() / ".cache" / "bnncc")) / "wheels"
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"apache_tvm_ffi-{version}-{tag}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "--python-version", tag[2] + "." + tag[3:], "--platform", "manylinux_2_28_x86_64",
                        "--dest", str(cache), f"apache-tvm-ffi=={version}"], check=True)
        found = sorted(cache.glob(f"apache_tvm_ffi-{version}-{tag}-*.whl"))
    return found[-1]


def _cudart_candidates():
    for folder in ("/usr/local/cuda/lib64", "/usr/local/cuda/lib", "/usr/local/cuda-13.0/lib"):
        candidate = Path(folder) / "libcudart.so.13"
        if candidate.is_file():
            yield candidate.resolve()


# -- models ---------------------------------------------------------------------------------------
def model_cases(quick: bool):
    """(key, ONNX model or path, inputs at batch 1, inputs at batch N) for the exactness check."""
    digits = np.load(SHARED / "testdata" / "finn__build_dataflow_input.npy").astype(np.float32)
    for filename, transform in DIGIT_TRANSFORMS.items():
        x = transform(digits).astype(np.float32)
        yield filename.removesuffix(".onnx"), SHARED / filename, [x[:1]], [x]
    for name, (build, variants) in zoo.BUILDERS.items():
        for index, kwargs in enumerate(variants):
            if quick and index > 0:
                continue
            model = build(seed=3, **kwargs)
            yield f"zoo-{name}-{index}", model, _random(model, 1, 1), _random(model, 5, 2)
    small = bireal.build_bireal_small()
    yield "bireal_small", small, _random(small, 1, 1), _random(small, 5, 2)


def _random(model, batch: int, seed: int) -> list[np.ndarray]:
    """N(0, 1) inputs with `batch` samples (the first dimension of inputs of rank >= 2 is the batch,
    declared static or not)."""
    rng = np.random.default_rng(seed)
    shapes = [[batch] + s[1:] if len(s) >= 2 else s for s in zoo.input_shapes(model, batch).values()]
    return [rng.standard_normal(shape).astype(np.float32) for shape in shapes]


def references(source, imported, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """The reference runtime's outputs, one sample at a time (some exports have a static batch)."""
    batch = inputs[0].shape[0]
    per_sample = [run_reference(source, {spec.name: x[n:n + 1] for spec, x in zip(imported.inputs, inputs)})
                  for n in range(batch)]
    return [np.concatenate([s[i] for s in per_sample]) for i in range(len(imported.outputs))]


# builds of the benchmark model: the default of tvm-cuda (the binary convs that qualify on the
# 1-bit tensor cores, the float convs as bnncc's register-tiled kernels), the same with every
# binary conv on popcount (compile_model's tensor_cores=False), and the previous default float
# path (TOPI's convs scheduled by DLight) with the tensor cores, as the second run's `mma` build
BENCH_VARIANTS = {"bnncc": {}, "popcount": {"tensor_cores": False}, "mma": {"float_convs": False}}


def build_case(folder: Path, key: str, model, kind: str, arch: str, kernel_schedules: bool = True,
               batch: int | None = None, tensor_cores: bool | None = None, float_convs: bool | None = None,
               variant: str = "bnncc") -> dict:
    """Build one model into folder/<key>/model.so; returns its bundle entry (without data).
    tensor_cores and float_convs None: the defaults of the target (`bnncc compile -t tvm-cuda`)."""
    started = time.time()
    source = model if not isinstance(model, (str, Path)) else None
    imported = import_model(model.SerializeToString() if source is not None else model)
    graph = run_passes(imported, ConversionReport(), target=None)
    tensor_cores = kind == "cuda" if tensor_cores is None else tensor_cores
    lowered = lower_graph(graph, imported.inputs, imported.outputs, batch=batch, target=kind, tensor_cores=tensor_cores,
                          float_convs=float_convs)
    built = build(lowered, kind, arch=arch, kernel_schedules=kernel_schedules)
    (folder / key).mkdir(parents=True, exist_ok=True)
    built.executable.export_library(str(folder / key / "model.so"))
    print(f"  built {key} for {kind} in {time.time() - started:.1f} s", flush=True)
    return {"key": key, "library": f"models/{key}/model.so", "device": "cuda" if kind == "cuda" else "cpu",
            "inputs": [s.name for s in imported.inputs], "outputs": [s.name for s in imported.outputs],
            "kernels": built.lowered.kernels, "weight_bytes": built.lowered.constant_bytes,
            "schedules": variant}, imported


def save_arrays(path: Path, arrays: list[np.ndarray]) -> str:
    np.savez(path, *arrays)
    return str(path.relative_to(path.parents[2]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / ".gpu"))
    parser.add_argument("--target", choices=("cuda", "llvm"), default="cuda")
    parser.add_argument("--arch", default="sm_90")
    parser.add_argument("--quick", action="store_true", help="first zoo variant of each builder only (dry runs)")
    parser.add_argument("--bireal-batch", type=int, default=2, help="batch N of the benchmark model's exactness check")
    parser.add_argument("--bench-model", choices=("bireal18", "bireal_small"), default="bireal18")
    parser.add_argument("--pythons", default="cp312", help="tvm_ffi core modules to add to this Python's "
                        "(comma-separated wheel tags; the GPU machine runs Python 3.12)")
    parser.add_argument("--only", default="", help="comma-separated substrings: build only these exactness models")
    args = parser.parse_args(argv)
    out = Path(args.out)
    staging = Path(tempfile.mkdtemp(prefix=".gpu-staging-", dir=out.parent))
    try:
        print("runtime bundle", flush=True)
        bundle_runtime(staging / "runtime", python_tags=tuple(args.pythons.split(",")))
        models = []
        for key, model, inputs_1, inputs_n in model_cases(args.quick):
            if args.only and not any(part in key for part in args.only.split(",")):
                continue
            entry, imported = build_case(staging / "models", key, model, args.target, args.arch)
            source = model if not isinstance(model, (str, Path)) else __import__("onnx").load(model)
            entry["data"] = {}
            for inputs in (inputs_1, inputs_n):
                batch = inputs[0].shape[0]
                folder = staging / "models" / key
                entry["data"][str(batch)] = {"inputs": save_arrays(folder / f"inputs_{batch}.npz", inputs),
                                             "references": save_arrays(folder / f"references_{batch}.npz",
                                                                       references(source, imported, inputs))}
            models.append(entry)
        print(f"benchmark model: {args.bench_model}", flush=True)
        generator = "build_bireal18" if args.bench_model == "bireal18" else "build_bireal_small"
        big = getattr(bireal, generator)()
        bench = {"model": args.bench_model, "generator": generator, "weights_sha256": weights_hash(big),
                 "input_shape": zoo.input_shapes(big, 1)["input"][1:], "variants": {}}
        feeds = {1: _random(big, 1, 11), args.bireal_batch: _random(big, args.bireal_batch, 12)}
        shared_data = {}
        for schedules, options in BENCH_VARIANTS.items() if args.target == "cuda" else [("bnncc", {})]:
            key = f"bench-{args.bench_model}-{schedules}"
            try:
                entry, imported = build_case(staging / "models", key, big, args.target, args.arch, variant=schedules,
                                             **options)
            except Exception as error:                  # the comparison builds are optional
                message = str(error).strip().splitlines()
                bench.setdefault("variants_not_built", {})[schedules] = message[-1][:300] if message else type(error).__name__
                print(f"  {key} not built: {bench['variants_not_built'][schedules]}", flush=True)
                continue
            if not shared_data:                         # inputs and references: once, for both builds
                for batch, inputs in feeds.items():
                    folder = staging / "models" / key
                    shared_data[str(batch)] = {"inputs": save_arrays(folder / f"inputs_{batch}.npz", inputs),
                                               "references": save_arrays(folder / f"references_{batch}.npz",
                                                                         references(big, imported, inputs))}
            entry["data"] = shared_data
            models.append(entry)
            bench["variants"][schedules] = key
        roofline = None
        if args.target == "cuda":
            subprocess.run(["nvcc", "--cubin", f"-arch={args.arch}", "-O3", "-o", str(staging / "roofline.cubin"),
                            str(ROOT / "examples" / "gpu" / "roofline.cu")], check=True)
            roofline = "roofline.cubin"
        import tvm

        bundle = {"target": args.target, "arch": args.arch if args.target == "cuda" else None,
                  "tvm_version": tvm.__version__, "created": time.strftime("%Y-%m-%d %H:%M:%S"),
                  "models": models, "bench": bench, "roofline": roofline}
        (staging / "bundle.json").write_text(json.dumps(bundle, indent=1) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out}: {size / 2 ** 20:.1f} MiB in {sum(1 for _ in out.rglob('*'))} entries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
