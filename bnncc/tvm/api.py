"""The TVM backend's entry points: compile an ONNX BNN to a TVM artifact folder, load one, run it.

    model = bnncc.tvm.compile_model("model.onnx", "tvm-cuda", output_dir="build/m")   # no GPU needed
    model = bnncc.tvm.load("build/m")             # any machine with TVM's runtime
    outputs = model.run(x)                        # needs the target's device: a CUDA GPU for tvm-cuda

The graph is the one every bnncc backend starts from: `import_model` then the target-neutral
passes (`run_passes(..., target=None)`).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from pathlib import Path

import numpy as np

from ..errors import BnnccError
from ..frontend.importer import ImportedModel, TensorSpec, import_model
from ..pipeline import run_passes
from ..report import ConversionReport

TARGETS = {"tvm-llvm": "llvm", "tvm-cuda": "cuda"}


def tvm_available() -> bool:
    """apache-tvm (with its compiler) is importable."""
    try:
        import tvm
    except ImportError:
        return False
    return not getattr(tvm, "_RUNTIME_ONLY", False)


def cuda_device_available() -> bool:
    """A CUDA GPU is usable by TVM's runtime in this process."""
    try:
        import tvm
        return bool(tvm.cuda(0).exist)
    except Exception:              # no runtime, no driver, no device: all mean "no"
        return False


def _require_tvm() -> None:
    if not tvm_available():
        raise BnnccError("the TVM targets need apache-tvm: pip install 'bnncc[tvm]'")


def compile_model(model: str | os.PathLike | bytes, target: str = "tvm-llvm", output_dir: str | os.PathLike | None = None,
                  name: str = "model", batch: int | None = None, cuda_arch: str | None = None,
                  cpu: str | None = None, force: bool = False, keep: dict | None = None) -> "TvmModel":
    """Compile `model` for 'tvm-llvm' or 'tvm-cuda' into an artifact folder (a temporary one when
    output_dir is None) and return it loaded. batch None: any batch at run time; an int: exactly
    that many samples (static shapes). cuda_arch: e.g. 'sm_90' (the default); cpu: an LLVM CPU name
    or 'native' for tvm-llvm (default: the generic one of the architecture)."""
    if target not in TARGETS:
        raise BnnccError(f"unknown TVM target {target!r} (one of {', '.join(TARGETS)})")
    _require_tvm()
    imported = import_model(model)
    report = ConversionReport(model_name=name, target=target)
    graph = run_passes(imported, report, target=None)
    built = build_graph(graph, imported, TARGETS[target], batch, cuda_arch, cpu)
    temporary = Path(tempfile.mkdtemp(prefix="bnncc-tvm-")) if output_dir is None else None
    folder = (temporary / name) if temporary else Path(output_dir)
    try:
        path = write_artifact(built, folder, name, target, imported, force, keep)
    except BaseException:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
        raise
    loaded = TvmModel(path, report=report, imported=imported, cuda_sources=built.cuda_sources)
    if temporary is not None:
        weakref.finalize(loaded, shutil.rmtree, str(temporary), True)
    return loaded


def build_graph(graph, imported: ImportedModel, kind: str, batch: int | None = None, cuda_arch: str | None = None,
                cpu: str | None = None, kernel_schedules: bool = True):
    """Lower and build a final graph for the TVM target kind 'llvm' or 'cuda' (a `build.Built`)."""
    from .build import build
    from .cuda_compile import CudaCompilerMissing
    from .lower import lower_graph

    lowered = lower_graph(graph, imported.inputs, imported.outputs, batch=batch, target=kind)
    try:
        return build(lowered, kind, arch=cuda_arch, cpu=cpu, kernel_schedules=kernel_schedules)
    except CudaCompilerMissing as exc:
        raise BnnccError(str(exc)) from None


def write_artifact(built, folder, name: str, target: str, imported: ImportedModel, force: bool = False,
                   keep: dict | None = None) -> Path:
    from . import artifact

    data = artifact.manifest(name, target, built.target, f"{name}.so", imported.inputs, imported.outputs,
                             built.lowered.batch, built.lowered.kernels, built.lowered.constant_bytes)
    return artifact.write_folder(folder, built.executable, data, force, keep)


def load(folder: str | os.PathLike) -> "TvmModel":
    """An artifact folder written by `compile_model` (bnncc.json with format bnncc-tvm)."""
    return TvmModel(Path(folder))


class TvmModel:
    """A TVM artifact folder: `run()` loads the library on its device on first use (a CUDA GPU for
    tvm-cuda, which raises BnnccError in one line where there is none) and is safe from several
    threads (one VM per thread)."""

    def __init__(self, folder: Path, report: ConversionReport | None = None, imported: ImportedModel | None = None,
                 cuda_sources: list[str] | None = None):
        from . import artifact

        self.output_dir = Path(folder)
        self.manifest = artifact.read_manifest(folder)
        self.name, self.target = self.manifest["name"], self.manifest["target"]
        self.inputs = [_spec(e) for e in self.manifest["inputs"]]
        self.outputs = [_spec(e) for e in self.manifest["outputs"]]
        self.batch = self.manifest["batch"]["size"]
        self.report = report
        self.source_model = imported.source if imported is not None else None
        self.cuda_sources = cuda_sources or []
        self._local = threading.local()

    @property
    def library(self) -> Path:
        return self.output_dir / self.manifest["library"]

    @property
    def device(self) -> str:
        return "cuda" if self.target == "tvm-cuda" else "cpu"

    def runner(self):
        """This thread's `runner.Runner` (created on first use)."""
        runner = getattr(self._local, "runner", None)
        if runner is None:
            from .runner import Runner

            if self.device == "cuda" and not cuda_device_available():
                raise BnnccError(f"{self.name}: target tvm-cuda needs a CUDA GPU, and there is none here")
            runner = self._local.runner = Runner(str(self.library), self.device)
        return runner

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Outputs (one array per model output) for batch-first float32 inputs."""
        if len(inputs) != len(self.inputs):
            raise BnnccError(f"{self.name} takes {len(self.inputs)} inputs, got {len(inputs)}")
        arrays = [_checked(spec, np.asarray(x), self.batch) for spec, x in zip(self.inputs, inputs)]
        return self.runner().run(*arrays)

    def __repr__(self) -> str:
        return f"TvmModel({self.name!r}, target={self.target!r}, dir={str(self.output_dir)!r})"


def _spec(entry: dict) -> TensorSpec:
    shape = tuple(1 if d is None else int(d) for d in entry["shape"])
    return TensorSpec(entry["name"], shape, np.dtype(entry["dtype"]), bool(entry["batched"]))


def _checked(spec: TensorSpec, array: np.ndarray, batch: int | None) -> np.ndarray:
    """The input as contiguous float32 of the right per-sample shape (and batch, when fixed)."""
    expected = spec.shape[1:] if spec.batched else spec.shape
    given = array.shape[1:] if spec.batched else array.shape
    if tuple(given) != tuple(expected) or (spec.batched and batch is not None and array.shape[0] != batch):
        want = ("N" if batch is None else str(batch),) + tuple(map(str, expected)) if spec.batched else expected
        raise BnnccError(f"input {spec.name!r} must have shape [{', '.join(map(str, want))}], got {list(array.shape)}")
    return np.ascontiguousarray(array, dtype=spec.dtype)
