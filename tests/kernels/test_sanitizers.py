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

from .helpers import CC, SANITIZE, build, rerun_sanitized, sanitized_env

HERE = Path(__file__).resolve().parent

CANARY = """
import sys, cffi, numpy as np
ffi = cffi.FFI()
ffi.cdef("void bnn_copy_blocks_f32(int, int, int, int, const float *, float *);")
lib = ffi.dlopen(sys.argv[1])
src = np.ones(8, np.float32)
dst = np.zeros(7, np.float32)
lib.bnn_copy_blocks_f32(1, 8, 8, 8, ffi.from_buffer("float[]", src), ffi.from_buffer("float[]", dst))
"""

pytestmark = [
    pytest.mark.skipif(bool(os.environ.get("BNNCC_SANITIZED")), reason="already the sanitized run"),
    pytest.mark.skipif(shutil.which(CC) is None, reason="no C compiler"),
]


def test_kernels_under_asan_ubsan(kernel_build_dir):
    env = sanitized_env()
    lib = build(kernel_build_dir / "libbnncc_kernels_asan.so", SANITIZE)
    env.update(BNNCC_SANITIZED="1", BNNCC_KERNEL_LIB=str(lib))
    # the harness must catch a real overrun: hand a kernel an output one float short
    canary = subprocess.run([sys.executable, "-c", CANARY, str(lib)], env=env, capture_output=True, text=True)
    assert canary.returncode != 0 and "AddressSanitizer" in canary.stderr, canary.stderr[-2000:]
    rerun_sanitized(env, f"--ignore={HERE / 'test_build.py'}", str(HERE))
