"""What a target is: data that generic code asks, never an ISA name it tests.

A target declares its kernels per op family (targets/kernels.py: the portable C kernel is the
fallback of every family it leaves empty), its capabilities (which fusions its kernels offer),
the C flags of its artifacts, the CPU features those need, and its toolchain and runner
(targets/toolchain.py: the host's cc and cffi, or a cross compiler and qemu-user).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

from .kernels import PORTABLE, KernelTable
from .toolchain import HOST, Toolchain

# Capabilities a target's kernels may offer (the passes ask for them by these names):
FUSES_CONV_POOL = "fuses-conv-pool"        # a float conv -> max-pool -> affine in one kernel (ConvMaxPoolAffine)


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    cflags: tuple[str, ...]
    kernels: KernelTable = PORTABLE
    capabilities: frozenset[str] = frozenset()
    requires: tuple[str, ...] = ()         # CPU feature flags (/proc/cpuinfo) the built artifact needs
    toolchain: Toolchain = HOST            # compiler and runner of its C
    backend: str = "c"                     # "c" (bnncc/codegen) or "tvm" (bnncc/tvm): see bnncc/backend.py
    options: tuple[tuple[str, object], ...] = ()   # the backend's settings, e.g. TVM's ("kind", "cuda")
    popcount_bits: int = 0                 # bits one popcount instruction of its binary kernels counts (0: none)

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def option(self, key: str, default=None):
        return dict(self.options).get(key, default)

    def with_options(self, **values) -> "Target":
        """This target with some options set (None leaves an option as it is)."""
        merged = {**dict(self.options), **{k: v for k, v in values.items() if v is not None}}
        return replace(self, options=tuple(sorted(merged.items())))

    @property
    def emulated(self) -> bool:
        """True when this machine runs the target's programs under an emulator (qemu-user)."""
        return self.backend == "c" and not self.toolchain.native_here()

    def runs_here(self) -> bool:
        return self.unavailable_here() is None

    def unavailable_here(self) -> str | None:
        """Why this machine cannot run the target's artifacts, or None when it can."""
        if self.backend == "tvm":
            from bnncc.tvm import cuda_device_available, tvm_available

            if not tvm_available():
                return "needs apache-tvm: pip install 'bnncc[tvm]'"
            if self.option("kind") == "cuda" and not cuda_device_available():
                return "no CUDA GPU here; it still compiles here"
            return None
        if not self.toolchain.native_here():
            return self.toolchain.unavailable_here()
        missing = [flag for flag in self.requires if flag not in cpu_flags()]
        return f"this CPU lacks {', '.join(missing)}; the C still builds elsewhere" if missing else None


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """Feature flags of this CPU: x86 `flags`, ARM `Features` (Linux /proc/cpuinfo; empty elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key = line.split(":", 1)[0].strip()
            if key in ("flags", "Features"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()

