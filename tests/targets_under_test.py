"""The CPU targets tests run on, as pytest params (a module, not conftest.py: tests/tvm has a
conftest of its own, and `from conftest import ...` would find whichever was imported first)."""
from __future__ import annotations

import pytest


def cpu_targets(include_native: bool = True, include_arm: bool = False) -> list:
    """Every CPU target as a pytest param; x86 ones skip, naming the missing CPU feature, elsewhere;
    ARM ones (include_arm: the NEON targets under qemu-user, the Cortex-M4 and M7 as firmware under
    qemu-system-arm) skip naming the missing cross compiler or qemu (CI installs them).
    (`native` is one of the others built with -march=native: leave it out where time matters.)"""
    from bnncc.targets import get_target

    arm = ("aarch64-neon", "armv7-neon", "cortex-m4", "cortex-m7") if include_arm else ()
    names = ("generic-c", "x86-avx2", "x86-avx512", *arm) + (("native",) if include_native else ())
    params = []
    for name in names:
        reason = get_target(name).unavailable_here()
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        params.append(pytest.param(name, marks=marks, id=name))
    return params
