"""Load an exported bnncc TVM library and run it on numpy arrays.

This module needs only TVM's runtime: it works with the full `apache-tvm` package and with the
runtime-only one (`TVM_USE_RUNTIME_LIB=1`, or a package without libtvm_compiler.so), and it
imports nothing else of bnncc, so a deployment can copy this one file.

    runner = Runner("model.so", device="cuda")
    outputs = runner.run(x)                 # numpy in, numpy out, one array per model output
"""
from __future__ import annotations

import numpy as np


def _tvm():
    import tvm
    return tvm


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
