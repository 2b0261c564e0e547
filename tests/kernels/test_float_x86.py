"""x86 float Conv / MatMul kernels (runtime_c/src/float_avx512.c, float_avx2.c) against numpy
(float64) and onnxruntime.

One library is built from the two ISA sources, each with its own flags (helpers.X86_SOURCES). Each
ISA is skipped when /proc/cpuinfo lacks one of its features (the reason names them). Checked: the C
weight packers against numpy packers written from the layout formulas of float_panels.h (what the
compiler reimplements), shapes around the tile edges (M, N, K, pixel counts in {1, 3, 7, 8, 15, 16,
17, 31, 64, 65, 100}), kernels 1/3/7, strides, pads, dilation, groups, k blocking (K > 256), pixel
blocking (> 384 pixels), output-channel / column ranges (a split equals one call bit for bit and
leaves everything outside its range alone), build hygiene, and an ASan/UBSan build on a few shapes
(child process with libasan preloaded, as in test_sanitizers.py).
Tolerance: |out - ref| <= 1e-5 * (the same sum over |terms|) + 1e-6 (the kernels use FMA and a
different summation order than the portable ones).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import cffi
import numpy as np
import pytest

from .helpers import (rerun_sanitized, sanitized_env, CC, INCLUDE, RELEASE, SANITIZE, SRC, STRICT, TYPES, X86_SOURCES, conv_ref, cpu_flags, out_size,
                      run_onnx_node, skip_unless_cpu)

pytestmark = pytest.mark.skipif(shutil.which(CC) is None, reason="no C compiler")

ISA_NAMES = ("avx512", "avx2")
FUNCS = ""
for _isa in ISA_NAMES:
    FUNCS += f"""
size_t bnn_conv2d_weights_size__{_isa}(const bnn_conv_params *p);
size_t bnn_conv2d_scratch_size__{_isa}(const bnn_conv_params *p);
void bnn_conv2d_pack_weights__{_isa}(const bnn_conv_params *p, const float *w, float *packed);
void bnn_conv2d_f32__{_isa}(const bnn_conv_params *p, const float *in, const float *packed_w,
                            const float *bias, float *scratch, int m_begin, int m_end, float *out);
size_t bnn_conv_maxpool_scratch_size__{_isa}(const bnn_conv_params *p, const bnn_pool_params *q);
void bnn_conv_maxpool_affine_f32__{_isa}(const bnn_conv_params *p, const bnn_pool_params *q, const float *in,
                                         const float *packed_w, const float *bias, const float *scale,
                                         const float *shift, float *scratch, int resume, int y_begin, int y_end,
                                         float *out);
size_t bnn_matmul_weights_size__{_isa}(int K, int N);
void bnn_matmul_pack_weights__{_isa}(int K, int N, const float *B, float *packed);
void bnn_matmul_f32__{_isa}(int M, int K, int N, const float *A, const float *packed_B,
                            const float *bias, int n_begin, int n_end, float *C);
"""

FUNCS += """
void bnn_maxpool_affine_f32(const bnn_pool_params *p, const float *in, const float *scale, const float *bias,
                            float *out);
"""

# packed layout parameters (float_panels.h): conv panel height MR, matmul panel width NR
CONV_MR = {"avx512": 8, "avx2": 4}
MATMUL_NR = {"avx512": 64, "avx2": 32}
FEATURES = {"avx512": ["avx2", "fma", "avx512f", "avx512bw"], "avx2": ["avx2", "fma"]}
SOURCES = {"avx512": "float_avx512", "avx2": "float_avx2"}
SANITIZED_LIB = os.environ.get("BNNCC_FLOAT_X86_SANITIZED_LIB")
EDGES = [1, 3, 7, 8, 15, 16, 17, 31, 64, 65, 100]


CPU = cpu_flags()


def isa_param(isa: str):
    return skip_unless_cpu(isa, FEATURES[isa])


ISAS = [isa_param(i) for i in ISA_NAMES]


def build_float_x86(out: Path, flags: list[str]) -> Path:
    """float_avx512.c and float_avx2.c, each compiled with its own X86_SOURCES flags, and the portable
    fpool.c (which the fused conv -> max-pool calls), in one library."""
    compile_flags = [f for f in flags if f != "-shared"]
    objs, jobs = [], []
    for isa in ISA_NAMES:  # the two compiles in parallel (the sanitized one takes a while)
        stem = SOURCES[isa]
        obj = out.with_name(f"{out.stem}_{stem}.o")
        cmd = [CC, *STRICT, *compile_flags, *X86_SOURCES[stem], "-c", str(SRC / f"{stem}.c"), "-o", str(obj)]
        jobs.append((cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
        objs.append(str(obj))
    pool_obj = out.with_name(f"{out.stem}_fpool.o")
    cmd = [CC, *STRICT, *compile_flags, "-c", str(SRC / "fpool.c"), "-o", str(pool_obj)]
    jobs.append((cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    objs.append(str(pool_obj))
    for cmd, proc in jobs:
        text, _ = proc.communicate()
        assert proc.returncode == 0, f"{' '.join(cmd)}\n{text}"
    link_flags = [f for f in flags if f.startswith("-fsanitize") or f in ("-shared", "-fPIC", "-g")]
    cmd = [CC, *link_flags, *objs, "-o", str(out), "-lm"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stdout}{res.stderr}"
    return out


class Lib:
    def __init__(self, path: Path):
        self.ffi = cffi.FFI()
        self.ffi.cdef(TYPES + FUNCS)
        self.lib = self.ffi.dlopen(str(path))

    def f32(self, arr):
        if arr is None:
            return self.ffi.NULL
        assert arr.dtype == np.float32 and arr.flags.c_contiguous
        return self.ffi.from_buffer("float[]", arr)

    def fn(self, name: str, isa: str):
        return getattr(self.lib, f"{name}__{isa}")

    def conv_params(self, **kw):
        return self.ffi.new("bnn_conv_params *", {k: int(v) for k, v in kw.items()})

    def pool_params(self, **kw):
        return self.ffi.new("bnn_pool_params *", {k: int(v) for k, v in kw.items()})


@pytest.fixture(scope="module")
def lib(tmp_path_factory) -> Lib:
    if SANITIZED_LIB:
        return Lib(Path(SANITIZED_LIB))
    return Lib(build_float_x86(tmp_path_factory.mktemp("bnncc_float_x86") / "libbnncc_float_x86.so", RELEASE))


# ---------------------------------------------------------------- numpy packers (the documented layouts)

def pack_conv_np(w: np.ndarray, mr: int) -> np.ndarray:
    m = w.shape[0]
    k = int(np.prod(w.shape[1:]))
    mp = -(-m // mr) * mr
    wp = np.zeros((mp, k), np.float32)
    wp[:m] = w.reshape(m, k)
    return np.ascontiguousarray(wp.reshape(mp // mr, mr, k).transpose(0, 2, 1)).ravel()


def pack_matmul_np(b: np.ndarray, nr: int) -> np.ndarray:
    k, n = b.shape
    np_ = -(-n // nr) * nr
    bp = np.zeros((k, np_), np.float32)
    bp[:, :n] = b
    return np.ascontiguousarray(bp.reshape(k, np_ // nr, nr).transpose(1, 0, 2)).ravel()


def conv_case(lib: Lib, isa: str, rng, C, H, W, M, KH=1, KW=1, SH=1, SW=1, DH=1, DW=1, PT=0, PL=0, PB=0, PR=0,
              with_bias=True, splits=(), check_pack=True, check_partial=True):
    OH, OW = out_size(H, KH, SH, DH, PT, PB), out_size(W, KW, SW, DW, PL, PR)
    assert OH >= 1 and OW >= 1
    p = lib.conv_params(C=C, H=H, W=W, M=M, OH=OH, OW=OW, KH=KH, KW=KW, SH=SH, SW=SW, DH=DH, DW=DW, PT=PT, PL=PL,
                        G=1)
    x = rng.standard_normal((C, H, W)).astype(np.float32)
    w = rng.standard_normal((M, C, KH, KW)).astype(np.float32)
    bias = rng.standard_normal(M).astype(np.float32) if with_bias else None
    wp = np.full(lib.fn("bnn_conv2d_weights_size", isa)(p), np.nan, np.float32)
    lib.fn("bnn_conv2d_pack_weights", isa)(p, lib.f32(w), lib.f32(wp))
    if check_pack:
        np.testing.assert_array_equal(wp, pack_conv_np(w, CONV_MR[isa]))
    scratch = np.full(lib.fn("bnn_conv2d_scratch_size", isa)(p), np.nan, np.float32)
    sp = lib.f32(scratch) if scratch.size else lib.ffi.NULL
    f = lib.fn("bnn_conv2d_f32", isa)

    out = np.full((M, OH, OW), np.nan, np.float32)
    f(p, lib.f32(x), lib.f32(wp), lib.f32(bias), sp, 0, M, lib.f32(out))
    ref = conv_ref(x, w, bias, 1, SH, SW, DH, DW, PT, PL, OH, OW)
    scale = conv_ref(np.abs(x), np.abs(w), None if bias is None else np.abs(bias), 1, SH, SW, DH, DW, PT, PL, OH, OW)
    err = np.abs(out.astype(np.float64) - ref)
    assert np.all(err <= 1e-5 * scale + 1e-6), (np.nanmax(err / (scale + 1e-30)), np.isnan(out).sum())

    bounds = [0, *sorted(s for s in splits if 0 < s < M), M]
    if len(bounds) > 2:  # a split across "threads" (own scratch each) equals one call, bit for bit
        split = np.full((M, OH, OW), np.nan, np.float32)
        for a, b in zip(bounds[:-1], bounds[1:]):
            f(p, lib.f32(x), lib.f32(wp), lib.f32(bias), sp, a, b, lib.f32(split))
        np.testing.assert_array_equal(split, out)
    if check_partial and M > 2:  # channels outside the range are not touched
        part = np.full((M, OH, OW), np.nan, np.float32)
        f(p, lib.f32(x), lib.f32(wp), lib.f32(bias), sp, 1, M - 1, lib.f32(part))
        assert np.isnan(part[0]).all() and np.isnan(part[-1]).all()
        np.testing.assert_array_equal(part[1:-1], out[1:-1])
    return x, w, bias, out


def matmul_case(lib: Lib, isa: str, rng, M, K, N, with_bias=True, splits=(), check_pack=True):
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    bias = rng.standard_normal(N).astype(np.float32) if with_bias else None
    bp = np.full(lib.fn("bnn_matmul_weights_size", isa)(K, N), np.nan, np.float32)
    lib.fn("bnn_matmul_pack_weights", isa)(K, N, lib.f32(b), lib.f32(bp))
    if check_pack:
        np.testing.assert_array_equal(bp, pack_matmul_np(b, MATMUL_NR[isa]))
    f = lib.fn("bnn_matmul_f32", isa)
    out = np.full((M, N), np.nan, np.float32)
    f(M, K, N, lib.f32(a), lib.f32(bp), lib.f32(bias), 0, N, lib.f32(out))
    ref = a.astype(np.float64) @ b.astype(np.float64) + (0 if bias is None else bias)
    scale = np.abs(a).astype(np.float64) @ np.abs(b) + (0 if bias is None else np.abs(bias))
    err = np.abs(out - ref)
    assert np.all(err <= 1e-5 * scale + 1e-6), (M, K, N, np.nanmax(err / (scale + 1e-30)))
    bounds = [0, *sorted(s for s in splits if 0 < s < N), N]
    if len(bounds) > 2:
        split = np.full((M, N), np.nan, np.float32)
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            f(M, K, N, lib.f32(a), lib.f32(bp), lib.f32(bias), lo, hi, lib.f32(split))
        np.testing.assert_array_equal(split, out)
        if N > 2:
            part = np.full((M, N), np.nan, np.float32)
            f(M, K, N, lib.f32(a), lib.f32(bp), lib.f32(bias), bounds[1], N - 1, lib.f32(part))
            assert np.isnan(part[:, :bounds[1]]).all() and np.isnan(part[:, -1]).all()
            np.testing.assert_array_equal(part[:, bounds[1]:-1], out[:, bounds[1]:-1])
    return out


# ---------------------------------------------------------------- conv

@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("M", EDGES if not SANITIZED_LIB else [3, 17])
def test_conv_1x1_edges(lib, isa, M):
    """1x1 stride-1 unpadded (in-place input path): every pixel count and C of EDGES with this M."""
    rng = np.random.default_rng(M)
    for i, P in enumerate(EDGES if not SANITIZED_LIB else [1, 17, 65]):
        for C in (EDGES[i % len(EDGES)], EDGES[(i + 5) % len(EDGES)]):
            H, W = (1, P) if P % 2 else (2, P // 2)
            conv_case(lib, isa, rng, C, H, W, M, with_bias=bool((i + C) % 2), splits=(M // 2, M // 2 + 5))


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("M", EDGES if not SANITIZED_LIB else [7, 65])
def test_conv_random_geometry(lib, isa, M):
    """im2col path: kernels 1/3/7, strides 1/2 (and 3), pads (asymmetric), dilation, pixel counts
    around the tile width."""
    rng = np.random.default_rng(1000 + M)
    for _ in range(6 if not SANITIZED_LIB else 3):
        k = int(rng.choice([1, 3, 3, 7]))
        kh, kw = (k, k) if rng.integers(0, 4) else (k, int(rng.choice([1, 2, 3])))
        s = int(rng.choice([1, 2, 2, 3]))
        d = int(rng.choice([1, 1, 2]))
        C = int(rng.choice(EDGES[:7]))
        pads = [int(rng.integers(0, kh)), int(rng.integers(0, kw)), int(rng.integers(0, kh)), int(rng.integers(0, kw))]
        H, W = int(rng.integers(1, 20)), int(rng.integers(1, 20))
        while out_size(H, kh, s, d, pads[0], pads[2]) < 1 or out_size(W, kw, s, d, pads[1], pads[3]) < 1:
            H, W = H + 1, W + 1
        conv_case(lib, isa, rng, C, H, W, M, KH=kh, KW=kw, SH=s, SW=int(rng.choice([1, 2, s])), DH=d, DW=d,
                  PT=pads[0], PL=pads[1], PB=pads[2], PR=pads[3], with_bias=bool(rng.integers(0, 2)),
                  splits=(int(rng.integers(1, M + 1)),))


CONV_SHAPES = [
    # Bi-Real-18 float layers, spatially shrunk where large
    dict(C=3, H=30, W=31, M=64, KH=7, KW=7, SH=2, SW=2, PT=3, PL=3, PB=3, PR=3),
    dict(C=64, H=28, W=28, M=128), dict(C=128, H=14, W=14, M=256), dict(C=256, H=7, W=7, M=512),
    # k blocking (K > 256) on both paths, pixel blocking (> 384 pixels) on both paths
    dict(C=300, H=3, W=5, M=17), dict(C=65, H=6, W=7, M=9, KH=3, KW=3, PT=1, PL=1, PB=1, PR=1),
    dict(C=40, H=9, W=14, M=20, KH=3, KW=3, PT=1, PL=1, PB=1, PR=1),
    dict(C=5, H=23, W=23, M=16), dict(C=4, H=25, W=21, M=10, KH=3, KW=3, PT=1, PL=1, PB=1, PR=1),
    dict(C=7, H=40, W=41, M=9, KH=3, KW=3, SH=2, SW=2, DH=2, DW=2, PT=2, PL=2, PB=2, PR=2),
    # 1x1 that is not in place: stride 2, pads, pads at the end only (OH > H)
    dict(C=16, H=9, W=8, M=8, SH=2, SW=2), dict(C=8, H=5, W=6, M=7, PT=1, PL=0, PB=0, PR=2),
    dict(C=8, H=5, W=6, M=15, PB=1, PR=1),
    # pixels with no in-bounds tap, wide strides, non-square
    dict(C=2, H=2, W=3, M=9, KH=3, KW=3, PT=3, PL=2, PB=3, PR=2),
    dict(C=3, H=11, W=50, M=31, KH=2, KW=5, SH=3, SW=4, DH=1, DW=2, PT=1, PL=0, PB=0, PR=3),
]


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("case", CONV_SHAPES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_conv_shapes(lib, isa, case):
    rng = np.random.default_rng(zlib.crc32(repr(sorted(case.items())).encode()))
    M = case["M"]
    conv_case(lib, isa, rng, splits=(1, M // 3, M // 2 + 1, M - 1), **case)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("c,m,kernel,stride,dil,pads", [
    (3, 64, (7, 7), (2, 2), (1, 1), (3, 3, 3, 3)),
    (5, 17, (3, 3), (1, 2), (2, 1), (0, 1, 2, 1)),
    (6, 6, (3, 3), (2, 2), (1, 1), (1, 1, 1, 1)),
    (33, 65, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0)),
])
def test_conv_vs_onnxruntime(lib, isa, c, m, kernel, stride, dil, pads):
    pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(c * m)
    x, w, bias, out = conv_case(lib, isa, rng, c, 19, 18, m, *kernel, *stride, *dil, *pads)
    ref = run_onnx_node("Conv", [x[None], w, bias],
                        dict(group=1, kernel_shape=list(kernel), strides=list(stride), dilations=list(dil),
                             pads=list(pads)))[0][0]
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5 * float(np.abs(ref).max()))


@pytest.mark.parametrize("isa", ISAS)
def test_conv_stem_full_size(lib, isa):
    """The Bi-Real-18 stem at 224x224 (many pixel blocks), split in 3 ranges like threads would."""
    if SANITIZED_LIB:
        pytest.skip("too slow under the sanitizers")
    rng = np.random.default_rng(224)
    conv_case(lib, isa, rng, 3, 224, 224, 64, KH=7, KW=7, SH=2, SW=2, PT=3, PL=3, PB=3, PR=3, splits=(21, 40),
              check_pack=False, check_partial=False)


# ---------------------------------------------------------------- conv -> max-pool (fused)

def conv_pool_case(lib: Lib, isa: str, rng, C, H, W, M, conv: dict, pool: dict, with_bias=False, affine=True,
                   splits=()):
    """bnn_conv_maxpool_affine_f32__ISA against its definition: the same ISA's conv, then the portable
    max-pool + affine, bit for bit; pool-row ranges (threads) add up to one call, bit for bit, and
    leave other rows alone."""
    cf = dict(KH=1, KW=1, SH=1, SW=1, DH=1, DW=1, PT=0, PL=0, PB=0, PR=0) | conv
    OH, OW = out_size(H, cf["KH"], cf["SH"], cf["DH"], cf["PT"], cf["PB"]), \
        out_size(W, cf["KW"], cf["SW"], cf["DW"], cf["PL"], cf["PR"])
    qf = dict(KH=1, KW=1, SH=1, SW=1, DH=1, DW=1, PT=0, PL=0, PB=0, PR=0) | pool
    POH, POW = out_size(OH, qf["KH"], qf["SH"], qf["DH"], qf["PT"], qf["PB"]), \
        out_size(OW, qf["KW"], qf["SW"], qf["DW"], qf["PL"], qf["PR"])
    p = lib.conv_params(C=C, H=H, W=W, M=M, OH=OH, OW=OW, G=1, **{k: v for k, v in cf.items() if k not in ("PB", "PR")})
    q = lib.pool_params(C=M, H=OH, W=OW, OH=POH, OW=POW, **{k: v for k, v in qf.items() if k not in ("PB", "PR")})
    x = rng.standard_normal((C, H, W)).astype(np.float32)
    w = rng.standard_normal((M, C, cf["KH"], cf["KW"])).astype(np.float32)
    bias = rng.standard_normal(M).astype(np.float32) if with_bias else None
    scale = (rng.standard_normal(M) * rng.choice([-1, 1], M)).astype(np.float32) if affine else None
    shift = rng.standard_normal(M).astype(np.float32) if affine else None
    wp = np.zeros(lib.fn("bnn_conv2d_weights_size", isa)(p), np.float32)
    lib.fn("bnn_conv2d_pack_weights", isa)(p, lib.f32(w), lib.f32(wp))

    conv_scratch = np.zeros(max(1, lib.fn("bnn_conv2d_scratch_size", isa)(p)), np.float32)
    conv_out = np.full((M, OH, OW), np.nan, np.float32)
    lib.fn("bnn_conv2d_f32", isa)(p, lib.f32(x), lib.f32(wp), lib.f32(bias), lib.f32(conv_scratch), 0, M,
                                  lib.f32(conv_out))
    want = np.full((M, POH, POW), np.nan, np.float32)
    lib.lib.bnn_maxpool_affine_f32(q, lib.f32(conv_out), lib.f32(scale), lib.f32(shift), lib.f32(want))

    fused = lib.fn("bnn_conv_maxpool_affine_f32", isa)
    size = lib.fn("bnn_conv_maxpool_scratch_size", isa)(p, q)
    bounds = [0, *sorted(s for s in splits if 0 < s < POH), POH]
    ranges = list(zip(bounds[:-1], bounds[1:]))
    # in order, each call on its own (a fresh scratch would do); in order, each resuming the one
    # before on the same scratch; backwards (as threads taking the last ranges left), on one scratch
    for order, resume in ((ranges, 0), (ranges, 1), (ranges[::-1], 0)):
        scratch = np.full(size, np.nan, np.float32)
        got = np.full((M, POH, POW), np.nan, np.float32)
        for a, b in order:
            fused(p, q, lib.f32(x), lib.f32(wp), lib.f32(bias), lib.f32(scale), lib.f32(shift), lib.f32(scratch),
                  resume, a, b, lib.f32(got))
        np.testing.assert_array_equal(got, want)
    if POH > 2:
        part = np.full((M, POH, POW), np.nan, np.float32)
        fused(p, q, lib.f32(x), lib.f32(wp), lib.f32(bias), lib.f32(scale), lib.f32(shift), lib.f32(scratch), 0, 1,
              POH - 1, lib.f32(part))
        assert np.isnan(part[:, 0]).all() and np.isnan(part[:, -1]).all()
        np.testing.assert_array_equal(part[:, 1:-1], want[:, 1:-1])
    return want


STEM, STEM_POOL = dict(KH=7, KW=7, SH=2, SW=2, PT=3, PL=3, PB=3, PR=3), dict(KH=3, KW=3, SH=2, SW=2, PT=1, PL=1,
                                                                           PB=1, PR=1)
CONV_POOL_CASES = [
    (3, 40, 40, 64, STEM, STEM_POOL, {}),
    (3, 41, 37, 13, STEM, STEM_POOL, dict(with_bias=True)),
    (3, 30, 30, 8, STEM, STEM_POOL, dict(affine=False)),
    (5, 9, 9, 5, dict(KH=3, KW=3, PT=1, PL=1, PB=1, PR=1), dict(KH=2, KW=2, SH=2, SW=2), dict(with_bias=True)),
    (4, 20, 26, 17, dict(KH=3, KW=3), dict(KH=3, KW=3, SH=2, SW=2, PB=1, PR=1), {}),      # ceil-mode overhang
    (2, 22, 19, 9, dict(KH=3, KW=3, DH=2, DW=2, PT=2, PL=2, PB=2, PR=2), dict(KH=2, KW=3, DH=2, DW=1, SH=1, SW=2), {}),
    (6, 23, 23, 16, dict(KH=1, KW=1), dict(KH=2, KW=2, SH=3, SW=3), {}),                  # stride > window
    (3, 16, 16, 24, dict(KH=5, KW=5, SH=3, SW=3, PT=2, PL=2), dict(KH=3, KW=3, PT=1, PL=1, PB=1, PR=1), {}),
]


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("case", CONV_POOL_CASES, ids=lambda c: f"C{c[0]}-H{c[1]}-W{c[2]}-M{c[3]}")
def test_conv_maxpool_affine(lib, isa, case):
    c, h, w, m, conv, pool, extra = case
    rng = np.random.default_rng(h * w + m)
    want = conv_pool_case(lib, isa, rng, c, h, w, m, conv, pool, splits=(1, 4, 5), **extra)
    assert np.isfinite(want).all()


@pytest.mark.parametrize("isa", ISAS)
def test_conv_maxpool_stem_full_size(lib, isa):
    """The Bi-Real-18 stem with its max-pool at 224x224, split in 2 ranges like two threads."""
    if SANITIZED_LIB:
        pytest.skip("too slow under the sanitizers")
    conv_pool_case(lib, isa, np.random.default_rng(56), 3, 224, 224, 64, STEM, STEM_POOL, splits=(28,))


# ---------------------------------------------------------------- matmul

@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("M", EDGES if not SANITIZED_LIB else [1, 7])
def test_matmul_edges(lib, isa, M):
    rng = np.random.default_rng(M)
    for K in (EDGES if not SANITIZED_LIB else [1, 17, 100]):
        for N in (EDGES if not SANITIZED_LIB else [3, 65, 100]):
            matmul_case(lib, isa, rng, M, K, N, with_bias=bool((K + N) % 2), splits=(N // 3, N // 3 + 17))


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("M,K,N", [(1, 512, 1000), (1, 784, 10), (3, 17, 300), (8, 64, 513), (5, 0, 4), (2, 0, 70),
                                   (13, 129, 130)])
def test_matmul_shapes(lib, isa, M, K, N):
    rng = np.random.default_rng(M * 1000 + K + N)
    for with_bias in (False, True):
        matmul_case(lib, isa, rng, M, K, N, with_bias=with_bias, splits=(1, 63, 64, 65, 100, 333))


@pytest.mark.parametrize("isa", ISAS)
def test_gemm_vs_onnxruntime(lib, isa):
    pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(5)
    a = rng.standard_normal((1, 512)).astype(np.float32)
    b = rng.standard_normal((512, 1000)).astype(np.float32)
    bias = rng.standard_normal(1000).astype(np.float32)
    bp = pack_matmul_np(b, MATMUL_NR[isa])  # the compiler's numpy packing, used directly
    out = np.full((1, 1000), np.nan, np.float32)
    lib.fn("bnn_matmul_f32", isa)(1, 512, 1000, lib.f32(a), lib.f32(bp), lib.f32(bias), 0, 1000, lib.f32(out))
    ref = run_onnx_node("Gemm", [a, b, bias], {})[0]
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5 * float(np.abs(ref).max()))


# ---------------------------------------------------------------- build hygiene

@pytest.mark.parametrize("stem", ["float_avx512", "float_avx2"])
def test_source_hygiene(stem, tmp_path):
    """Strict C99 with its own flags, includes only its header, common.h and immintrin.h; no heap,
    no stdio, no mutable globals."""
    if SANITIZED_LIB:
        pytest.skip("checked in the plain run")
    src = SRC / f"{stem}.c"
    text = src.read_text()
    includes = set(re.findall(r'#\s*include\s*[<"]([^>"]+)[>"]', text))
    assert includes <= {"bnncc/common.h", "bnncc/float_panels.h", "immintrin.h", "stddef.h", "stdint.h"}, includes
    code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    for banned in ("malloc", "calloc", "realloc", "free(", "alloca", "printf", "FILE", "stdio"):
        assert banned not in code, banned
    obj = tmp_path / f"{stem}.o"
    cmd = [CC, *STRICT, "-O2", "-Wstrict-prototypes", "-Wmissing-prototypes", "-Wshadow", *X86_SOURCES[stem],
           "-c", str(src), "-o", str(obj)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    if shutil.which("nm"):
        syms = subprocess.run(["nm", "--defined-only", str(obj)], capture_output=True, text=True).stdout
        mutable = [line for line in syms.splitlines() if line.split()[-2] in "BbDdCc"]
        assert not mutable, mutable


def test_header_matches_declarations(tmp_path):
    """The header compiles alone (twice), and the prototypes above match it."""
    if SANITIZED_LIB:
        pytest.skip("checked in the plain run")
    tu = tmp_path / "tu.c"
    checks = "".join(f"typedef char check_mr_{i}[BNN_F32_CONV_MR__{i} == {CONV_MR[i]} ? 1 : -1];\n"
                     f"typedef char check_nr_{i}[BNN_F32_MATMUL_NR__{i} == {MATMUL_NR[i]} ? 1 : -1];\n"
                     for i in ISA_NAMES)
    tu.write_text('#include "bnncc/float_panels.h"\n#include "bnncc/float_panels.h"\n' + FUNCS + checks)
    res = subprocess.run([CC, *STRICT, f"-I{INCLUDE}", "-Wstrict-prototypes", "-c", str(tu), "-o",
                          str(tmp_path / "tu.o")], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


# ---------------------------------------------------------------- sanitizers

@pytest.mark.skipif(bool(SANITIZED_LIB) or bool(os.environ.get("BNNCC_SANITIZED")),
                    reason="already a sanitized run")
def test_float_x86_under_asan_ubsan(tmp_path):
    if not any(all(f in CPU for f in FEATURES[i]) for i in ISA_NAMES):
        pytest.skip(f"CPU lacks {', '.join(FEATURES['avx2'])}")
    env = sanitized_env()
    env.update(BNNCC_FLOAT_X86_SANITIZED_LIB=str(build_float_x86(tmp_path / "libbnncc_float_x86_asan.so", SANITIZE)))
    rerun_sanitized(env, str(Path(__file__).resolve()), "-k", "edges or random_geometry or (shapes and (C3-H30 or "
                    "C300 or C5-H23 or C7-H40 or C2-H2 or G4 or 513)) or conv_maxpool_affine")


def test_bench_builds(tmp_path):
    """runtime_c/bench/float_bench.c builds as its header comment says (not run: it takes a while)."""
    if SANITIZED_LIB:
        pytest.skip("checked in the plain run")
    bench = SRC.parent / "bench" / "float_bench.c"
    objs = []
    for stem, flags in [("fconv", []), ("fgemm", []), ("fpool", []), ("float_avx2", X86_SOURCES["float_avx2"]),
                        ("float_avx512", X86_SOURCES["float_avx512"])]:
        obj = tmp_path / f"{stem}.o"
        res = subprocess.run([CC, "-O2", "-std=c99", f"-I{INCLUDE}", *flags, "-c", str(SRC / f"{stem}.c"), "-o",
                              str(obj)], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
        objs.append(str(obj))
    res = subprocess.run([CC, "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{INCLUDE}", str(bench), *objs,
                          "-lm", "-o", str(tmp_path / "float_bench")], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("isa", [isa_param(i) for i in ISA_NAMES])
def test_compiler_layouts_match_the_c_packers(lib, isa):
    """bnncc packs weights at compile time with numpy and sizes the scratch itself: both must agree
    with the C packers and bnn_conv2d_scratch_size__ISA / bnn_conv_maxpool_scratch_size__ISA on
    every kind of geometry."""
    from bnncc.targets import TARGETS

    kernels = TARGETS[f"x86-{isa}"].kernels.float

    rng = np.random.default_rng(7)
    for _ in range(60):
        c, m = int(rng.integers(1, 9)) * 2, int(rng.integers(1, 20))
        kh, kw = int(rng.choice([1, 3, 7])), int(rng.choice([1, 3]))
        sh, sw, dh, dw = (int(v) for v in rng.integers(1, 3, 4))
        pt, pl = (int(v) for v in rng.integers(0, 3, 2))
        h, w = int(rng.integers(kh * dh, 30)), int(rng.integers(kw * dw, 30))
        oh, ow = out_size(h, kh, sh, dh, pt, pt), out_size(w, kw, sw, dw, pl, pl)
        f = dict(C=c, H=h, W=w, M=m, OH=oh, OW=ow, KH=kh, KW=kw, SH=sh, SW=sw, DH=dh, DW=dw, PT=pt, PL=pl, G=1)
        p = lib.ffi.new("bnn_conv_params *", f)
        assert kernels.conv_scratch_floats(f) == getattr(lib.lib, f"bnn_conv2d_scratch_size__{isa}")(p), f
        # the fused conv -> max-pool's scratch, for a pool over this conv's output
        pk, ps = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        pool = dict(C=m, H=oh, W=ow, OH=max(1, (oh - pk) // ps + 1), OW=max(1, (ow - pk) // ps + 1), KH=pk,
                    KW=pk, SH=ps, SW=ps, DH=1, DW=1, PT=0, PL=0)
        q = lib.ffi.new("bnn_pool_params *", pool)
        assert kernels.conv_pool_scratch_floats(f, pool) == \
            getattr(lib.lib, f"bnn_conv_maxpool_scratch_size__{isa}")(p, q), (f, pool)
        weights = rng.standard_normal((m, c, kh, kw)).astype(np.float32)
        packed = np.zeros(getattr(lib.lib, f"bnn_conv2d_weights_size__{isa}")(p), np.float32)
        getattr(lib.lib, f"bnn_conv2d_pack_weights__{isa}")(p, lib.ffi.from_buffer("float[]", weights),
                                                            lib.ffi.from_buffer("float[]", packed))
        np.testing.assert_array_equal(kernels.conv_weights(weights), packed)
    for k, n in ((1, 1), (7, 65), (512, 1000), (33, 64)):
        b = rng.standard_normal((k, n)).astype(np.float32)
        packed = np.zeros(getattr(lib.lib, f"bnn_matmul_weights_size__{isa}")(k, n), np.float32)
        getattr(lib.lib, f"bnn_matmul_pack_weights__{isa}")(k, n, lib.ffi.from_buffer("float[]", b),
                                                            lib.ffi.from_buffer("float[]", packed))
        np.testing.assert_array_equal(kernels.matmul_weights(b), packed)
