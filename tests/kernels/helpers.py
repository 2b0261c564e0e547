"""Shared pieces of the kernel tests: the cffi declarations, the library build, and numpy
reference helpers for the packed layout."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cffi
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
INCLUDE = ROOT / "runtime_c" / "include"
SRC = ROOT / "runtime_c" / "src"
FAMILIES = ["common", "pack", "bconv", "bpool", "fconv", "fgemm", "fpool", "eltwise", "softmax", "copy"]

CC = os.environ.get("CC", "cc")
STRICT = ["-std=c99", "-pedantic", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror", f"-I{INCLUDE}"]
RELEASE = ["-O2", "-fPIC", "-shared"]
SANITIZE = ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all", "-fPIC", "-shared"]

# Types and prototypes, copied from the headers. test_build.py recompiles FUNCS after the real
# headers, so any drift between this text and the headers fails to compile.
TYPES = """
typedef uint64_t bnn_word;
typedef struct { int C, H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL; } bnn_pool_params;
typedef struct {
    int C, H, W; int M, OH, OW; int KH, KW, SH, SW, DH, DW; int PT, PL; int pad_bit; int in_stride, out_stride;
} bnn_bconv_params;
typedef struct { int C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, G; } bnn_conv_params;
typedef struct {
    const float *scale, *bias, *residual;
    const float *scale2, *bias2, *residual2;
} bnn_affine_stage;
"""
FUNCS = """
void bnn_pack_threshold_f32(const float *x, int C, int HW, const float *thr, const int8_t *dir, bnn_word *out);
void bnn_pack_threshold_range_f32(const float *x, int C, int HW, int p_begin, int p_end, const float *thr,
                                  const int8_t *dir, bnn_word *out);
void bnn_affine_pack_range_f32(int C, int HW, int p_begin, int p_end, const float *x, const float *scale,
                               const float *bias, const float *residual, float *y, const float *thr,
                               const int8_t *dir, bnn_word *bits);
void bnn_unpack_f32(const bnn_word *in, int C, int HW, float *out);
void bnn_binarize_f32(const float *x, int C, int HW, const float *thr, const int8_t *dir, float *out);
void bnn_bconv_f32(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, float *out);
void bnn_bconv_bits(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                    const int32_t *thr, const int8_t *dir, bnn_word *out);
void bnn_bconv_f32_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, int oy_begin, int oy_end,
                        float *out);
void bnn_bconv_bits_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                         const int32_t *thr, const int8_t *dir, int oy_begin, int oy_end, bnn_word *out);
void bnn_bconv_affine_f32_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                               const bnn_affine_stage *st, int oy_begin, int oy_end, float *out);
void bnn_bconv_affine_pack_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                int oy_begin, int oy_end, float *out, bnn_word *bits);
void bnn_bmaxpool_rows(const bnn_pool_params *p, const bnn_word *in, int oy_begin, int oy_end, bnn_word *out);
void bnn_bmaxpool(const bnn_pool_params *p, const bnn_word *in, bnn_word *out);
void bnn_conv2d_f32(const bnn_conv_params *p, const float *in, const float *w, const float *bias, float *out);
void bnn_matmul_f32(int M, int K, int N, const float *A, const float *B, const float *bias, float *C);
void bnn_maxpool_f32(const bnn_pool_params *p, const float *in, float *out);
void bnn_maxpool_affine_f32(const bnn_pool_params *p, const float *in, const float *scale, const float *bias,
                            float *out);
void bnn_avgpool_f32(const bnn_pool_params *p, int count_include_pad, const float *in, float *out);
void bnn_global_avgpool_f32(int C, int HW, const float *in, float *out);
void bnn_binary_f32(int op, int rank, const int *out_shape, const float *a, const int *a_strides,
                    const float *b, const int *b_strides, float *out);
void bnn_pow_f32(int rank, const int *out_shape, const float *a, const int *a_strides, const float *b,
                 const int *b_strides, float *out);
void bnn_unary_f32(int op, size_t n, const float *x, float *out);
void bnn_clip_f32(size_t n, const float *x, float lo, float hi, float *out);
void bnn_affine_channel_f32(int C, int HW, const float *x, const float *scale, const float *bias, float *out);
void bnn_multithreshold_f32(int C, int HW, int channels_last, const float *x, int T, const float *thr,
                            float out_scale, float out_bias, float *out);
void bnn_softmax_f32(int outer, int n, int inner, const float *x, float *out);
void bnn_logsoftmax_f32(int outer, int n, int inner, const float *x, float *out);
void bnn_argmax_f32(int outer, int n, int inner, int select_last_index, const float *x, int64_t *out);
void bnn_topk_f32(int outer, int n, int inner, int k, int largest, const float *x, float *values, int64_t *indices);
void bnn_transpose_f32(int rank, const int *in_shape, const int *perm, const float *x, float *out);
void bnn_copy_blocks_f32(int outer, int count, int in_stride, int out_stride, const float *in, float *out);
void bnn_copy_bits(int pixels, int count, int in_words, int in_bit, int out_words, int out_bit, const bnn_word *in,
                   bnn_word *out);
"""

BINARY_OPS = ["BNN_ADD", "BNN_SUB", "BNN_MUL", "BNN_DIV", "BNN_MAX", "BNN_MIN", "BNN_PRELU"]
UNARY_OPS = ["BNN_RELU", "BNN_NEG", "BNN_ABS", "BNN_SQRT", "BNN_EXP", "BNN_LOG", "BNN_SIGMOID", "BNN_TANH",
             "BNN_ROUND", "BNN_CEIL", "BNN_FLOOR", "BNN_RECIPROCAL", "BNN_SIGN", "BNN_IDENTITY"]
OP = {name: i for i, name in enumerate(BINARY_OPS)} | {name: i for i, name in enumerate(UNARY_OPS)}
PAD_ZERO = -1


# ISA-specific sources (not part of the portable library): name -> the flags they need.
X86_SOURCES = {
    "bconv_avx512": ["-mavx512f", "-mavx512bw", "-mavx512vpopcntdq", "-mavx2", "-mfma", "-mpopcnt"],
    "bconv_avx2": ["-mavx2", "-mfma", "-mpopcnt"],
    "float_avx512": ["-mavx512f", "-mavx512bw", "-mavx2", "-mfma"],
    "float_avx2": ["-mavx2", "-mfma"],
}


def owned_sources() -> dict:
    """{source stem: (target, KernelSource)} of every source a target's kernel table owns (the
    first target that names it): they build only with that target's flags and toolchain."""
    from bnncc.targets import TARGETS

    owned = {}
    for target in TARGETS.values():
        for stem, kernel in target.kernels.sources().items():
            owned.setdefault(stem, (target, kernel))
    return owned


def sources() -> list[Path]:
    """The portable sources (not owned by a target's kernel table)."""
    owned = owned_sources()
    return sorted(p for p in SRC.glob("*.c") if p.stem not in owned)


def build_x86(out: Path, flags: list[str], stems=("bconv_avx512", "bconv_avx2")) -> Path:
    """One library of the portable bconv.c plus the X86_SOURCES files `stems`, each compiled with its
    own flags (separate objects, so the portable code never picks up AVX instructions)."""
    objs = []
    units = [(SRC / "bconv.c", [])] + [(SRC / f"{stem}.c", X86_SOURCES[stem]) for stem in stems]
    compile_flags = [f for f in flags if f != "-shared"]
    for src, isa in units:
        obj = out.with_name(f"{out.stem}_{src.stem}.o")
        cmd = [CC, *STRICT, *compile_flags, *isa, "-c", str(src), "-o", str(obj)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"kernel build failed: {' '.join(cmd)}\n{res.stdout}{res.stderr}")
        objs.append(str(obj))
    link_flags = [f for f in flags if f.startswith("-fsanitize") or f in ("-shared", "-fPIC", "-g")]
    cmd = [CC, *link_flags, *objs, "-o", str(out), "-lm"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"kernel link failed: {' '.join(cmd)}\n{res.stdout}{res.stderr}")
    return out


def build(out: Path, flags: list[str]) -> Path:
    cmd = [CC, *STRICT, *flags, *map(str, sources()), "-o", str(out), "-lm"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"kernel build failed: {' '.join(cmd)}\n{res.stdout}{res.stderr}")
    return out


class Kernels:
    """cffi handle plus helpers that pass numpy arrays without copies (exact-size buffers, so
    ASan sees any overrun of an argument)."""

    def __init__(self, path: Path):
        self.ffi = cffi.FFI()
        self.ffi.cdef(TYPES + FUNCS)
        self.lib = self.ffi.dlopen(str(path))
        self.path = path

    def ptr(self, arr: np.ndarray | None, ctype: str):
        if arr is None:
            return self.ffi.NULL
        assert arr.flags.c_contiguous, "kernel arguments must be C-contiguous"
        return self.ffi.from_buffer(ctype + "[]", arr)

    def f32(self, arr):
        if arr is not None:
            assert arr.dtype == np.float32
        return self.ptr(arr, "float")

    def words(self, arr):
        assert arr.dtype == np.uint64
        return self.ptr(arr, "bnn_word")

    def i8(self, arr):
        assert arr.dtype == np.int8
        return self.ptr(arr, "int8_t")

    def i32(self, arr):
        assert arr.dtype == np.int32
        return self.ptr(arr, "int32_t")

    def i64(self, arr):
        assert arr.dtype == np.int64
        return self.ptr(arr, "int64_t")

    def ints(self, seq):
        return self.ffi.new("int[]", list(seq) or [0])

    def struct(self, name: str, **fields):
        s = self.ffi.new(name + " *")
        for k, v in fields.items():
            setattr(s, k, int(v))
        return s


assert sys.byteorder == "little", "the numpy pack helpers below assume a little-endian host"


# ---------------------------------------------------------------- numpy helpers (references)

def nwords(c: int) -> int:
    return (c + 63) // 64


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """bits [..., C] (True = bit 1 = -1) -> uint64 [..., words(C)], tail bits 0."""
    bits = np.asarray(bits, dtype=bool)
    c = bits.shape[-1]
    nw = nwords(c)
    padded = np.zeros(bits.shape[:-1] + (nw * 64,), dtype=bool)
    padded[..., :c] = bits
    by = np.packbits(padded, axis=-1, bitorder="little")
    return np.ascontiguousarray(by).view(np.uint64).reshape(bits.shape[:-1] + (nw,))


def unpack_bits(words: np.ndarray, c: int) -> np.ndarray:
    """uint64 [..., words] -> bool [..., C] (True = bit 1). Also returns nothing about the tail."""
    words = np.ascontiguousarray(words, dtype=np.uint64)
    by = words.view(np.uint8).reshape(words.shape[:-1] + (words.shape[-1] * 8,))
    return np.unpackbits(by, axis=-1, bitorder="little")[..., :c].astype(bool)


def tail_bits(words: np.ndarray, c: int) -> np.ndarray:
    by = np.ascontiguousarray(words, dtype=np.uint64)
    allbits = np.unpackbits(by.view(np.uint8).reshape(by.shape[:-1] + (by.shape[-1] * 8,)),
                            axis=-1, bitorder="little")
    return allbits[..., c:]


def pm1_to_packed_chw(x: np.ndarray) -> np.ndarray:
    """float/int +-1 [C][H][W] -> packed [H][W][words(C)]."""
    return pack_bits(np.moveaxis(np.asarray(x) < 0, 0, -1))


def packed_to_pm1_chw(words: np.ndarray, c: int) -> np.ndarray:
    """packed [H][W][words(C)] -> int +-1 [C][H][W]."""
    bits = unpack_bits(words, c)
    return np.moveaxis(1 - 2 * bits.astype(np.int64), -1, 0)


def out_size(n: int, k: int, s: int, d: int, pad_begin: int, pad_end: int) -> int:
    return (n + pad_begin + pad_end - ((k - 1) * d + 1)) // s + 1


def check_case(rng, C, H, W, M, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, pad_bit) -> str:
    """The shape fields of a binary-conv check line, `C H W M OH OW KH KW SH SW DH DW PT PL pad_bit
    in_pad out_pad oy0 oy1`, with a random output row range (PB, PR None: as PT, PL) and, in about
    half of the cases, input or output maps that are a word range of a wider map (c/strided_maps.h:
    in_pad / out_pad extra words per pixel)."""
    PB = PT if PB is None else PB
    PR = PL if PR is None else PR
    OH, OW = out_size(H, KH, SH, DH, PT, PB), out_size(W, KW, SW, DW, PL, PR)
    assert OH >= 1 and OW >= 1, (H, W, KH, KW)
    oy0 = rng.choice([0, 0, rng.randrange(OH)])
    oy1 = rng.choice([OH, OH, rng.randint(oy0, OH)])
    in_pad, out_pad = rng.choice([0, 0, 1, 3]), rng.choice([0, 0, 1, 2])
    return f"{C} {H} {W} {M} {OH} {OW} {KH} {KW} {SH} {SW} {DH} {DW} {PT} {PL} {pad_bit} {in_pad} {out_pad} {oy0} {oy1}"


def around(*centres, lo=1):
    """The values next to and at each centre (at least lo), sorted."""
    return sorted({v for c in centres for v in (c - 1, c, c + 1) if v >= lo})


def windows(xp: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int, oh: int, ow: int):
    """xp [C][Hp][Wp] (already padded) -> yields (i, j, view [C][OH][OW]) of tap (i, j)."""
    for i in range(kh):
        for j in range(kw):
            yield i, j, xp[:, i * dh: i * dh + (oh - 1) * sh + 1: sh, j * dw: j * dw + (ow - 1) * sw + 1: sw]


def pad_to(x: np.ndarray, pt: int, pl: int, oh: int, ow: int, kh: int, kw: int, sh: int, sw: int,
           dh: int, dw: int, value) -> np.ndarray:
    """Pad [C][H][W] with pt/pl before and enough after for OH/OW outputs; crop if too long."""
    c, h, w = x.shape
    need_h = (oh - 1) * sh + (kh - 1) * dh + 1
    need_w = (ow - 1) * sw + (kw - 1) * dw + 1
    xp = np.full((c, max(need_h, pt + h), max(need_w, pl + w)), value, dtype=x.dtype)
    xp[:, pt:pt + h, pl:pl + w] = x
    return xp


def conv_ref(x, w, bias, g, sh, sw, dh, dw, pt, pl, oh, ow):
    """Float64 grouped 2-D convolution: x [C][H][W], w [M][C/g][KH][KW], bias [M] or None."""
    c = x.shape[0]
    m, cg, kh, kw = w.shape
    mg = m // g
    assert c == g * cg
    xp = pad_to(x.astype(np.float64), pt, pl, oh, ow, kh, kw, sh, sw, dh, dw, 0.0)
    out = np.zeros((m, oh, ow))
    taps = list(windows(xp, kh, kw, sh, sw, dh, dw, oh, ow))
    for gi in range(g):
        ws = w[gi * mg:(gi + 1) * mg].astype(np.float64)
        for i, j, view in taps:
            out[gi * mg:(gi + 1) * mg] += np.einsum("mc,cyx->myx", ws[:, :, i, j], view[gi * cg:(gi + 1) * cg])
    if bias is not None:
        out += bias[:, None, None]
    return out


def run_onnx_node(op: str, inputs: list[np.ndarray], attrs: dict, out_types=(np.float32,), opset: int = 19):
    """Run one ONNX node in onnxruntime (inputs named x0, x1, ...; outputs of the given dtypes)."""
    from onnx import TensorProto, helper
    import onnxruntime as ort

    names = [f"x{i}" for i in range(len(inputs))]
    outs = [f"y{i}" for i in range(len(out_types))]
    node = helper.make_node(op, names, outs, **attrs)
    dtype = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64}
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info(n, dtype[a.dtype], list(a.shape)) for n, a in zip(names, inputs)],
        [helper.make_tensor_value_info(o, dtype[np.dtype(t)], None) for o, t in zip(outs, out_types)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, dict(zip(names, inputs)))


def cpu_flags() -> frozenset[str]:
    """This CPU's feature flags (the same reading the `native` target uses)."""
    from bnncc.targets import cpu_flags as read_flags

    return read_flags()


def skip_unless_cpu(value, features):
    """`value` as a pytest param that skips, naming what is missing, on a CPU without `features`."""
    import pytest

    missing = [f for f in features if f not in cpu_flags()]
    return pytest.param(value, marks=pytest.mark.skipif(bool(missing), reason=f"CPU lacks {', '.join(missing)}"))


def asan_runtime() -> str | None:
    """Path of the compiler's libasan.so (to preload into Python), or None."""
    res = subprocess.run([CC, "-print-file-name=libasan.so"], capture_output=True, text=True)
    path = res.stdout.strip()
    return path if res.returncode == 0 and os.path.isabs(path) and os.path.exists(path) else None


def sanitized_env(**extra: str) -> dict:
    """The environment of a child Python with libasan preloaded; skips the test where that can't run."""
    import pytest

    asan = asan_runtime()
    if asan is None:
        pytest.skip("libasan.so not found for this compiler")
    env = dict(os.environ)
    env.update(LD_PRELOAD=asan, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1", **extra)
    probe = subprocess.run([sys.executable, "-c", "import numpy, cffi"], env=env, capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"python does not start with libasan preloaded: {probe.stderr[-500:]}")
    return env


def rerun_sanitized(env: dict, *pytest_args: str) -> None:
    """Run pytest on `pytest_args` in a child with `env` (from sanitized_env); it must pass."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *pytest_args]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
                         timeout=600)
    assert res.returncode == 0, (res.stdout[-6000:] + res.stderr[-6000:])
    assert " passed" in res.stdout and "error" not in res.stdout.lower(), res.stdout[-2000:]
