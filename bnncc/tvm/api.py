"""The TVM backend's entry points: compile an ONNX BNN to a TVM artifact folder, load one, run it.

    model = bnncc.tvm.compile_model("model.onnx", "tvm-cuda", output_dir="build/m")   # no GPU needed
    model = bnncc.tvm.load("build/m")             # any machine with TVM's runtime
    outputs = model.run(x)                        # needs the target's device: a CUDA GPU for tvm-cuda

`bnncc.compile(model, target="tvm-cuda")` is the same; the TVM backend (bnncc/backend.py) lowers
the graph every backend starts from: `import_model`, then the passes (none specific to TVM).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from ..errors import BnnccError
from ..frontend.importer import ImportedModel, TensorSpec
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
                  cpu: str | None = None, force: bool = False, tensor_cores: bool | None = None) -> "TvmModel":
    """`bnncc.compile(model, target, ...)` for 'tvm-llvm' or 'tvm-cuda' with TVM's own options,
    returned loaded: batch None: any batch at run time; an int: exactly that many samples (static
    shapes). cuda_arch: e.g. 'sm_90' (the default); cpu: an LLVM CPU name or 'native' for
    tvm-llvm (default: the generic one of the architecture). tensor_cores (tvm-cuda): the binary
    convs that qualify sum on the 1-bit tensor cores (the default, the fastest exact build
    measured on the H200), or False: all on popcount (CUDA cores)."""
    from ..compiler import compile
    from ..targets import get_target

    if target not in TARGETS:
        raise BnnccError(f"unknown TVM target {target!r} (one of {', '.join(TARGETS)})")
    if tensor_cores and TARGETS[target] != "cuda":
        raise BnnccError(f"tensor_cores needs the tvm-cuda target, not {target!r}")
    chosen = get_target(target).with_options(batch=batch, arch=cuda_arch, cpu=cpu, tensor_cores=tensor_cores)
    compiled = compile(model, target=chosen, output_dir=output_dir, name=name, force=force)
    loaded = TvmModel(compiled.output_dir, report=compiled.report, source_model=compiled.source_model)
    loaded.compiled = compiled          # a temporary folder lives as long as the model that owns it
    return loaded


def lower_to_files(graph, imported: ImportedModel, target, name: str) -> tuple[dict[str, str | bytes], dict]:
    """The TVM backend's lowering: build the graph for `target` (a Target with backend "tvm") and
    return the artifact's files ({path: text or bytes}) and its manifest."""
    from . import artifact

    _require_tvm()
    built = build_graph(graph, imported, target.option("kind"), target.option("batch"), target.option("arch"),
                        target.option("cpu"), tensor_cores=target.option("tensor_cores"))
    data = artifact.manifest(name, target.name, built.target, f"{name}.so", imported.inputs, imported.outputs,
                             built.lowered.batch, built.lowered.kernels, built.lowered.constant_bytes)
    return artifact.files(built.executable, data), data


def build_graph(graph, imported: ImportedModel, kind: str, batch: int | None = None, cuda_arch: str | None = None,
                cpu: str | None = None, kernel_schedules: bool = True, tensor_cores: bool | None = None):
    """Lower and build a final graph for the TVM target kind 'llvm' or 'cuda' (a `build.Built`).
    tensor_cores None: on for cuda (`compile_model`)."""
    from .build import build
    from .cuda_compile import CudaCompilerMissing
    from .lower import lower_graph

    tensor_cores = kind == "cuda" if tensor_cores is None else tensor_cores
    lowered = lower_graph(graph, imported.inputs, imported.outputs, batch=batch, target=kind, tensor_cores=tensor_cores)
    try:
        return build(lowered, kind, arch=cuda_arch, cpu=cpu, kernel_schedules=kernel_schedules)
    except CudaCompilerMissing as exc:
        raise BnnccError(str(exc)) from None


def load(folder: str | os.PathLike) -> "TvmModel":
    """An artifact folder written for a TVM target (bnncc.json with format bnncc-tvm)."""
    return TvmModel(Path(folder))


class TvmModel:
    """A TVM artifact folder: `run()` loads the library on its device on first use (a CUDA GPU for
    tvm-cuda, which raises BnnccError in one line where there is none) and is safe from several
    threads (one VM per thread)."""

    def __init__(self, folder: Path, report: ConversionReport | None = None, source_model=None):
        from . import artifact

        self.output_dir = Path(folder)
        self.manifest = artifact.read_manifest(folder)
        self.name, self.target = self.manifest["name"], self.manifest["target"]
        self.inputs = [_spec(e) for e in self.manifest["inputs"]]
        self.outputs = [_spec(e) for e in self.manifest["outputs"]]
        self.batch = self.manifest["batch"]["size"]
        self.report = report
        self.source_model = source_model
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
