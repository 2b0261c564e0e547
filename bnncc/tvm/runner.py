"""Load an exported bnncc TVM library and run it on numpy arrays.

This module needs only TVM's runtime: it works with the full `apache-tvm` package and with the
runtime-only one (`TVM_USE_RUNTIME_LIB=1`, or a package without libtvm_compiler.so), and it
imports nothing else of bnncc, so a deployment can copy this one file.

    runner = Runner("model.so", device="cuda")
    outputs = runner.run(x)                 # numpy in, numpy out, one array per model output
"""
from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

CUDA_RUNTIME_SONAME = "libcudart.so.13"        # what apache-tvm 0.27's libtvm_runtime_cuda.so links


def _tvm():
    import tvm
    return tvm


def load_cudart(extra_folders=()) -> bool:
    """Make libcudart.so.13 loadable for TVM's CUDA runtime library: the system's, one loaded
    already (by torch, say), or the first found under `extra_folders` or the nvidia-* wheels."""
    try:
        ctypes.CDLL(CUDA_RUNTIME_SONAME, mode=ctypes.RTLD_GLOBAL)
        return True
    except OSError:
        pass
    folders = [Path(f) for f in extra_folders]
    try:
        import nvidia
        folders += [Path(p) for p in nvidia.__path__]
    except ImportError:
        pass
    for folder in folders:
        for candidate in sorted(folder.glob(f"**/{CUDA_RUNTIME_SONAME}*")):
            ctypes.CDLL(str(candidate), mode=ctypes.RTLD_GLOBAL)
            return True
    return False


def load_tvm_cuda_runtime() -> bool:
    """Load TVM's CUDA runtime library (libtvm_runtime_cuda.so, beside libtvm_runtime.so), which
    registers the loader of CUDA modules; `import tvm` leaves it out in runtime-only mode. Needs a
    CUDA driver (libcuda.so.1) in the process. Returns whether CUDA modules can now be loaded."""
    import tvm
    import tvm_ffi

    if tvm_ffi.get_global_func("ffi.Module.load_from_bytes.cuda", allow_missing=True) is not None:
        return True
    load_cudart()
    library = Path(tvm.base._LOADED_LIBS["tvm_runtime"]._name).resolve().parent / "libtvm_runtime_cuda.so"
    try:
        tvm.base._LOADED_LIBS["tvm_runtime_cuda"] = ctypes.CDLL(str(library), mode=ctypes.RTLD_GLOBAL)
    except OSError:
        return False
    return tvm_ffi.get_global_func("ffi.Module.load_from_bytes.cuda", allow_missing=True) is not None


def device_of(name: str):
    """'cpu' (or 'llvm') or 'cuda[:index]' as a TVM device."""
    tvm = _tvm()
    kind, _, index = name.partition(":")
    index = int(index or 0)
    if kind in ("cpu", "llvm"):
        return tvm.cpu(index)
    if kind == "cuda":
        return tvm.cuda(index)
    raise ValueError(f"unknown device {name!r} (cpu or cuda)")


class Runner:
    """A Relax VM over one exported library, on one device. `run` takes batch-first float32
    arrays (one per model input) and returns the outputs as numpy arrays; `run_device` keeps
    inputs and outputs on the device (for timing)."""

    def __init__(self, library_path: str, device: str = "cpu"):
        tvm = _tvm()
        from tvm.runtime.vm import VirtualMachine

        if device.startswith("cuda") and not load_tvm_cuda_runtime():
            raise RuntimeError("TVM's CUDA runtime library cannot be loaded (no CUDA driver or runtime here)")
        self.device = device_of(device)
        if not self.device.exist:
            raise RuntimeError(f"no {device} device is present here")
        self.library = tvm.runtime.load_module(str(library_path))
        self.vm = VirtualMachine(self.library, self.device)
        self._main = self.vm["main"]

    def to_device(self, array: np.ndarray):
        return _tvm().runtime.tensor(np.ascontiguousarray(array), self.device)

    def run_device(self, *tensors):
        """Call `main` on device tensors; returns the device tensors of the outputs."""
        result = self._main(*tensors)
        return list(result) if not hasattr(result, "numpy") else [result]

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        outputs = self.run_device(*[self.to_device(x) for x in inputs])
        return [o.numpy() for o in outputs]

    def sync(self) -> None:
        self.device.sync()
