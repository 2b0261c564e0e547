"""Shared test setup: the generated-model zoo is importable as `zoo`, and the real models of
../shared/models are found (tests that need them skip, naming the folder, when it is absent)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS_DIR))

SHARED_MODELS = Path(os.environ.get("BNNCC_SHARED_MODELS", TESTS_DIR.parent.parent / "shared" / "models"))


@pytest.fixture(scope="session")
def shared_models() -> Path:
    if not (SHARED_MODELS / "README.md").is_file():
        pytest.skip(f"the reference models folder {SHARED_MODELS} is absent (CI provides ../shared/models)")
    return SHARED_MODELS


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
