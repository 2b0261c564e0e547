"""Rerun the kernel tests against an ASan+UBSan build of runtime_c.

Python cannot load an ASan-instrumented library unless the ASan runtime comes first, so this
builds the library with -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all and runs
this directory again in a child pytest with LD_PRELOAD=libasan.so and BNNCC_KERNEL_LIB pointing at
the instrumented library (hypothesis runs fewer examples there). numpy allocates argument
buffers with malloc at their exact size, so an overrun of any argument is reported.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import CC, SANITIZE, build

HERE = Path(__file__).resolve().parent

CANARY = """
import sys, cffi, numpy as np
ffi = cffi.FFI()
ffi.cdef("void bnn_copy_blocks_f32(int, int, int, int, const float *, float *);")
lib = ffi.dlopen(sys.argv[1])
src = np.ones(8, np.float32)
dst = np.zeros(7, np.float32)
lib.bnn_copy_blocks_f32(1, 8, 8, 0, ffi.from_buffer("float[]", src), ffi.from_buffer("float[]", dst))
"""

pytestmark = [
    pytest.mark.skipif(bool(os.environ.get("BNNCC_SANITIZED")), reason="already the sanitized run"),
    pytest.mark.skipif(shutil.which(CC) is None, reason="no C compiler"),
]


def _runtime(name: str) -> str | None:
    res = subprocess.run([CC, f"-print-file-name={name}"], capture_output=True, text=True)
    path = res.stdout.strip()
    return path if res.returncode == 0 and os.path.isabs(path) and os.path.exists(path) else None


def test_kernels_under_asan_ubsan(kernel_build_dir):
    asan = _runtime("libasan.so")
    if asan is None:
        pytest.skip("libasan.so not found for this compiler")
    lib = build(kernel_build_dir / "libbnncc_kernels_asan.so", SANITIZE)
    env = dict(os.environ)
    env.update(
        BNNCC_SANITIZED="1",
        BNNCC_KERNEL_LIB=str(lib),
        LD_PRELOAD=asan,
        ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1",
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
    )
    probe = subprocess.run([sys.executable, "-c", "import numpy, cffi"], env=env, capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"python does not start with libasan preloaded: {probe.stderr[-500:]}")
    # the harness must catch a real overrun: hand a kernel an output one float short
    canary = subprocess.run([sys.executable, "-c", CANARY, str(lib)], env=env, capture_output=True, text=True)
    assert canary.returncode != 0 and "AddressSanitizer" in canary.stderr, canary.stderr[-2000:]
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
           f"--ignore={HERE / 'test_build.py'}", str(HERE)]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=HERE.parent, timeout=600)
    assert res.returncode == 0, (res.stdout[-6000:] + res.stderr[-6000:])
    assert " passed" in res.stdout and "error" not in res.stdout.lower(), res.stdout[-2000:]
