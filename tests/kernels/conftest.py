"""Build the portable C kernel library and load it through cffi (ABI mode).

Fixtures:
  kernels  -- session-scoped `Kernels` (ffi, lib, pointer helpers) over a shared library built with
              cc -std=c99 -O2 -fPIC -shared -ffp-contract=off -Wall -Wextra -Werror -pedantic.
  kernel_build_dir -- where the libraries were built.

If BNNCC_KERNEL_LIB is set, that prebuilt library is loaded instead of building one: the
sanitizer test (test_sanitizers.py) uses it to rerun this whole directory in a child pytest against
an ASan/UBSan build, with libasan in LD_PRELOAD.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from .helpers import CC, RELEASE, Kernels, build

settings.register_profile("default", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("sanitized", max_examples=10, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("sanitized" if os.environ.get("BNNCC_SANITIZED") else "default")


@pytest.fixture(scope="session")
def kernel_build_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bnncc_kernels")


@pytest.fixture(scope="session")
def kernels(kernel_build_dir) -> Kernels:
    prebuilt = os.environ.get("BNNCC_KERNEL_LIB")
    if prebuilt:
        return Kernels(Path(prebuilt))
    if shutil.which(CC) is None:
        pytest.skip(f"no C compiler ({CC})")
    return Kernels(build(kernel_build_dir / "libbnncc_kernels.so", RELEASE))


