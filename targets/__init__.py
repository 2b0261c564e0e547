"""Compilation targets: which kernels an artifact uses, how it is built and where it runs.

A target is data (targets/target.py); each family of targets is one module: portable.py, x86.py,
arm.py, cortex_m.py (microcontrollers), tvm.py. `native` resolves to the fastest C target this
machine runs itself, built for its exact CPU (-march=native, or -mcpu=native on ARM); the manifest
records what it resolved to.
"""
from __future__ import annotations

from dataclasses import replace

from bnncc.errors import BnnccError

from . import arm, cortex_m, portable, tvm, x86
from .target import FUSES_CONV_POOL, Target, cpu_flags
from .toolchain import Toolchain, host_machine

GENERIC = portable.GENERIC
TARGETS = {t.name: t for t in (*portable.TARGETS, *x86.TARGETS, *arm.TARGETS, *cortex_m.TARGETS, *tvm.TARGETS)}
TARGET_NAMES = ("native", *TARGETS)

__all__ = ["FUSES_CONV_POOL", "GENERIC", "TARGETS", "TARGET_NAMES", "Target", "Toolchain", "cpu_flags",
           "get_target", "native_target"]


def native_target() -> Target:
    """The fastest C target this machine runs natively, built for its exact CPU (never a
    microcontroller's: those run only as firmware on a board)."""
    candidates = [t for t in (*reversed(x86.TARGETS), *reversed(arm.TARGETS))
                  if t.toolchain.native_here() and t.runs_here()]
    if host_machine() not in x86.MACHINES:
        candidates = [t for t in candidates if t.toolchain.machine]       # x86 kernels only on x86 hosts
    best = candidates[0] if candidates else GENERIC
    tune = "-mcpu=native" if best.toolchain.machine else "-march=native"
    flags = tuple(f for f in best.cflags if f != "-O2" and not f.startswith("-march=")) + ("-O3", tune)
    return replace(best, cflags=tuple(dict.fromkeys(flags)),
                   description=f"this machine's CPU: {best.name} kernels built with {tune}")


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
