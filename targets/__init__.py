"""Compilation targets: which kernels an artifact uses and how it is built.

A target is data: its name, a one-line description, the C flags for the artifact, the ISA its
kernel variants are written for (None: portable C only), and the CPU features it needs to run.
`native` resolves to the best x86 target this CPU supports, built with -march=native, or to the
portable C built with -march=native elsewhere.
"""
from __future__ import annotations

import functools
import os
import platform
from dataclasses import dataclass, replace
from pathlib import Path

from bnncc.errors import BnnccError

from .toolchain import AARCH64, ARMV7, HOST, Toolchain


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    cflags: tuple[str, ...]
    isa: str | None = None                 # kernel variant suffix: "avx2", "avx512" or None
    requires: tuple[str, ...] = ()         # /proc/cpuinfo flags the built artifact needs
    backend: str = "c"                     # "c" (bnncc/codegen) or "tvm" (bnncc/tvm): see bnncc/backend.py
    options: tuple[tuple[str, object], ...] = ()   # the backend's settings, e.g. TVM's ("kind", "cuda")
    toolchain: Toolchain = HOST            # compiler and runner of its C (targets/toolchain.py)

    def option(self, key: str, default=None):
        return dict(self.options).get(key, default)

    def with_options(self, **values) -> "Target":
        """This target with some options set (None leaves an option as it is)."""
        merged = {**dict(self.options), **{k: v for k, v in values.items() if v is not None}}
        return replace(self, options=tuple(sorted(merged.items())))

    @property
    def compiler(self) -> str:
        """The C compiler command for Python-side builds: $CC when set (as make uses it), else cc."""
        return os.environ.get("CC", "").strip() or "cc"

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
        missing = [flag for flag in self.requires if flag not in cpu_flags()]
        return f"this CPU lacks {', '.join(missing)}; the C still builds elsewhere" if missing else None


GENERIC = Target("generic-c", "portable C99, no ISA extensions (the reference for every other target)", ("-O2",))
AVX2 = Target("x86-avx2", "x86-64 with AVX2 + FMA: vpshufb popcount, FMA float kernels",
              ("-O3", "-mavx2", "-mfma", "-mpopcnt"), isa="avx2", requires=("avx2", "fma", "popcnt"))
AVX512 = Target("x86-avx512", "x86-64 with AVX-512 F/BW + VPOPCNTDQ: vector popcount, 512-bit FMA",
                ("-O3", "-mavx512f", "-mavx512bw", "-mavx512vpopcntdq", "-mavx2", "-mfma", "-mpopcnt"),
                isa="avx512", requires=("avx512f", "avx512bw", "avx512_vpopcntdq", "avx2", "fma", "popcnt"))

AARCH64_NEON = Target("aarch64-neon", "ARMv8-A 64-bit (Cortex-A53 and up: Raspberry Pi 3/4/5, phones, Jetson): "
                      "NEON kernels, cross-compiled, run under qemu-aarch64 on other hosts",
                      ("-O3", "-march=armv8-a"), toolchain=AARCH64)
ARMV7_NEON = Target("armv7-neon", "ARMv7-A hard-float with NEON (Cortex-A7/A9/A15, or a 32-bit OS on an A53): "
                    "NEON kernels, cross-compiled, run under qemu-arm on other hosts",
                    ("-O3", "-march=armv7-a", "-mfpu=neon", "-mfloat-abi=hard"), toolchain=ARMV7)

TVM_LLVM = Target("tvm-llvm", "TVM: bnncc's popcount kernels in TIR, TVM's float operators, built by LLVM for this "
                  "CPU (needs bnncc[tvm])", (), backend="tvm", options=(("kind", "llvm"),))
TVM_CUDA = Target("tvm-cuda", "TVM for NVIDIA GPUs (sm_90 unless set): builds without a GPU, runs on one "
                  "(needs bnncc[tvm-cuda])", (), backend="tvm", options=(("arch", "sm_90"), ("kind", "cuda")))

TARGETS = {t.name: t for t in (GENERIC, AVX2, AVX512, AARCH64_NEON, ARMV7_NEON, TVM_LLVM, TVM_CUDA)}
TARGET_NAMES = ("native", *TARGETS)


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """Feature flags of this CPU (Linux /proc/cpuinfo; empty elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def native_target() -> Target:
    """The fastest target this machine runs, built for its exact CPU."""
    best = next((t for t in (AVX512, AVX2) if platform.machine() in ("x86_64", "AMD64") and t.runs_here()), GENERIC)
    flags = tuple(f for f in best.cflags if f != "-O2") + ("-O3", "-march=native")
    return replace(best, name="native", cflags=tuple(dict.fromkeys(flags)),
                   description=f"this machine's CPU: {best.name} kernels built with -march=native")


def get_target(name: str | Target) -> Target:
    """The target called `name` ("native": this machine's best); a Target is returned as it is."""
    if isinstance(name, Target):
        return name
    if name == "native":
        return native_target()
    try:
        return TARGETS[name]
    except KeyError:
        raise BnnccError(f"unknown target {name!r}; known targets: {', '.join(TARGET_NAMES)}") from None
