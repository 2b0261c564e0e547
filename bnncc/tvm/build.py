"""Build a lowered Relax module for `llvm` or `cuda` and export it as one shared library.

The Relax pipeline is TVM's own for the target, with one change: bnncc's kernels are scheduled
by `schedules.py` (they arrive marked opaque, so operator fusion leaves them whole, and
`tirx.is_scheduled`, so DLight's default GPU schedules skip them); the float operators are
legalized to TOPI, fused and, on CUDA, scheduled by DLight. CUDA sources are compiled with IEEE
float flags (`cuda_compile.py`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import tvm

from . import schedules
from .cuda_compile import CudaCompilerMissing, available_compiler, enable_cuda_modules, exact_cuda_compiler
from .lower import Lowered

DEFAULT_CUDA_ARCH = "sm_90"


@dataclass
class Built:
    """A compiled module: `executable.export_library(path)` writes it; `cuda_sources` holds the
    generated CUDA C (empty for llvm); device_code is False for a CUDA build made without
    compiling the source (it cannot run and must not be exported)."""

    executable: "tvm.runtime.Executable"
    lowered: Lowered
    target: dict
    cuda_sources: list[str] = field(default_factory=list)
    device_code: bool = True

    @property
    def kind(self) -> str:
        return self.target["kind"]


def target_spec(kind: str, arch: str | None = None, cpu: str | None = None) -> dict:
    """The TVM target dict for 'llvm' (generic x86-64 unless `cpu`, e.g. 'native') or 'cuda'."""
    if kind == "llvm":
        spec = {"kind": "llvm"}
        if cpu:
            spec["mcpu"] = _native_cpu() if cpu == "native" else cpu
        return spec
    if kind == "cuda":
        return {"kind": "cuda", "arch": arch or DEFAULT_CUDA_ARCH, "host": {"kind": "llvm"}}
    raise ValueError(f"unknown TVM target kind {kind!r} (llvm or cuda)")


def _native_cpu() -> str:
    import tvm_ffi
    return str(tvm_ffi.get_global_func("target.llvm_get_system_cpu")())


def relax_pipeline(target: tvm.target.Target, kernel_schedules: bool = True) -> tvm.transform.Pass:
    """TVM's default Relax pipeline for the target with bnncc's kernel schedules in front."""
    if target.kind.name == "cuda":
        from tvm.relax.backend.cuda import pipeline as backend
    else:
        from tvm.relax.backend.cpu_generic import pipeline as backend
    schedule = schedules.schedule_pass(target, kernel_schedules)

    @tvm.transform.module_pass(opt_level=0, name="bnncc_pipeline")
    def run(module: tvm.IRModule, _context) -> tvm.IRModule:
        with target:
            passes = backend.library_dispatch_passes(target) + [schedule] + backend.legalize_passes(target) \
                + backend.dataflow_lower_passes(target) + backend.finalize_passes(target)
            return tvm.transform.Sequential(passes)(module)

    return run


def build(lowered: Lowered, kind: str = "llvm", arch: str | None = None, cpu: str | None = None,
          compile_device: bool = True, kernel_schedules: bool = True) -> Built:
    """Compile `lowered` for 'llvm' or 'cuda' (arch: e.g. 'sm_90'); CUDA needs nvcc or NVRTC here
    but no GPU. compile_device False (CUDA): generate the CUDA source only. kernel_schedules False
    (CUDA): bnncc's kernels get DLight's default schedules instead of bnncc's."""
    spec = target_spec(kind, arch, cpu)
    target = tvm.target.Target(spec)
    sources: list[str] = []
    if kind == "cuda":
        if compile_device and available_compiler() is None:
            raise CudaCompilerMissing("building for CUDA needs nvcc or NVRTC: install the CUDA toolkit, or "
                                      "pip install cuda-bindings nvidia-cuda-nvrtc nvidia-cuda-cccl")
        if not enable_cuda_modules():
            raise RuntimeError("TVM's CUDA runtime library (libtvm_runtime_cuda.so) cannot be loaded, so the "
                               "CUDA module would stay source code")
        with exact_cuda_compiler(spec["arch"], sources, compile_device):
            executable = tvm.compile(lowered.module, target, relax_pipeline=relax_pipeline(target, kernel_schedules))
    else:
        executable = tvm.compile(lowered.module, target, relax_pipeline=relax_pipeline(target, kernel_schedules))
    return Built(executable, lowered, spec, sources, device_code=compile_device or kind != "cuda")
