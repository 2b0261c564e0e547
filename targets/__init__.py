"""Compilation targets: what C compiler flags and kernels an artifact is built with.

A target is data: its name, a one-line description, the flags the runtime loader and the
artifact's Makefile use, and which toolchain builds it. `native` is the generic C built for the
host CPU (-march=native).
"""
from __future__ import annotations

from dataclasses import dataclass

from bnncc.errors import BnnccError


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    cflags: tuple[str, ...]
    compiler: str = "cc"


TARGETS = {
    t.name: t
    for t in (
        Target("generic-c", "portable C99, no ISA extensions (the reference for every other target)", ("-O2",)),
        Target("native", "the portable C built for this machine's CPU (-O3 -march=native)", ("-O3", "-march=native")),
    )
}


def get_target(name: str) -> Target:
    try:
        return TARGETS[name]
    except KeyError:
        raise BnnccError(f"unknown target {name!r}; known targets: {', '.join(TARGETS)}") from None
