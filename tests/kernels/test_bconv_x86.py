"""x86 binary convolution kernels (runtime_c/src/bconv_avx512.c, bconv_avx2.c) against the portable
bnn_bconv_f32 / bnn_bconv_bits (itself checked against numpy in test_bconv.py).

One library is built from bconv.c (portable flags) and the two ISA sources (their own flags). Each
ISA is skipped when /proc/cpuinfo lacks one of its features. Also checked: the C weight packer
against a numpy packer written from the layout formula of bconv_blocked.h (what the compiler
reimplements), row ranges, untouched rows outside the range, and an ASan/UBSan build on a few
shapes (child process with libasan preloaded, as in test_sanitizers.py).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import cffi
import numpy as np
import pytest

from bnncc.targets import TARGETS

from .helpers import (rerun_sanitized, sanitized_env, CC, PAD_ZERO, RELEASE, SANITIZE, TYPES, build_x86, cpu_flags, nwords, out_size,
                      skip_unless_cpu)
from .test_bconv import affine_ref, affine_stages, pack_operands, pack_threshold_ref, stage_struct

pytestmark = pytest.mark.skipif(shutil.which(CC) is None, reason="no C compiler")

X86_FUNCS = """
void bnn_bconv_f32(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w, float *out);
void bnn_bconv_bits(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                    const int32_t *thr, const int8_t *dir, bnn_word *out);
void bnn_bconv_affine_f32_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                               const bnn_affine_stage *st,
                               int oy_begin, int oy_end, float *out);
void bnn_bconv_affine_pack_rows(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                const bnn_affine_stage *st,
                                const float *thr, const int8_t *dir, int oy_begin, int oy_end,
                                float *out, bnn_word *bits);
"""
for _isa in ("avx512", "avx2"):
    X86_FUNCS += f"""
size_t bnn_bconv_weights_size__{_isa}(const bnn_bconv_params *p);
size_t bnn_bconv_aux_size__{_isa}(const bnn_bconv_params *p);
void bnn_bconv_pack_weights__{_isa}(const bnn_bconv_params *p, const bnn_word *w_portable, bnn_word *w_out, int32_t *aux);
void bnn_bconv_f32__{_isa}(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                           const int32_t *aux, int oy_begin, int oy_end, float *out);
void bnn_bconv_bits__{_isa}(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                            const int32_t *aux, const int32_t *thr, const int8_t *dir,
                            int oy_begin, int oy_end, bnn_word *out);
void bnn_bconv_affine_f32__{_isa}(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                  const int32_t *aux, const bnn_affine_stage *st, int oy_begin, int oy_end, float *out);
void bnn_bconv_affine_pack__{_isa}(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                   const int32_t *aux, const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                   int oy_begin, int oy_end, float *out, bnn_word *bits);
void bnn_bconv_affine_f32_channels__{_isa}(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                  const int32_t *aux, const bnn_affine_stage *st, int m_begin, int m_end, float *out);
void bnn_bconv_affine_pack_channels__{_isa}(const bnn_bconv_params *p, const bnn_word *in, const bnn_word *w,
                                   const int32_t *aux, const bnn_affine_stage *st, const float *thr, const int8_t *dir,
                                   int m_begin, int m_end, float *out, bnn_word *bits);
"""

# vector width VW and block width B of each layout (bconv_blocked.h)
FEATURES = {"avx512": ["avx2", "avx512f", "avx512bw", "avx512_vpopcntdq"], "avx2": ["avx2"]}
SANITIZED_LIB = os.environ.get("BNNCC_X86_SANITIZED_LIB")


CPU = cpu_flags()


def isa_param(isa: str):
    return skip_unless_cpu(isa, FEATURES[isa])


ISAS = [isa_param("avx512"), isa_param("avx2")]


class Lib:
    def __init__(self, path: Path, kernels=None):
        self.k = kernels  # the portable library (pack.c: the reference of the packed affine output)
        self.ffi = cffi.FFI()
        self.ffi.cdef(TYPES + X86_FUNCS)
        self.lib = self.ffi.dlopen(str(path))

    def buf(self, arr, ctype):
        if arr is None:
            return self.ffi.NULL
        assert arr.flags.c_contiguous
        return self.ffi.from_buffer(ctype + "[]", arr)

    def params(self, **kw):
        s = self.ffi.new("bnn_bconv_params *")
        for k, v in kw.items():
            setattr(s, k, int(v))
        return s


@pytest.fixture(scope="module")
def lib(tmp_path_factory, kernels) -> Lib:
    if SANITIZED_LIB:
        return Lib(Path(SANITIZED_LIB), kernels)
    return Lib(build_x86(tmp_path_factory.mktemp("bnncc_x86") / "libbnncc_x86.so", RELEASE), kernels)


# ---------------------------------------------------------------- one case

def random_words(rng, shape, c):
    words = rng.integers(0, 2**63, size=shape + (nwords(c),), dtype=np.uint64) * np.uint64(2)
    words ^= rng.integers(0, 2, size=words.shape, dtype=np.uint64)
    if c % 64:
        words[..., -1] &= np.uint64((1 << (c % 64)) - 1)
    return np.ascontiguousarray(words)


def check_case(lib: Lib, isa: str, rng, C, M, H, W, KH=3, KW=3, SH=1, SW=1, DH=1, DW=1, PT=1, PL=1, PB=None,
               PR=None, pad_bit=PAD_ZERO, splits=(), check_pack=True):
    PB = PT if PB is None else PB
    PR = PL if PR is None else PR
    OH, OW = out_size(H, KH, SH, DH, PT, PB), out_size(W, KW, SW, DW, PL, PR)
    assert OH >= 1 and OW >= 1
    p = lib.params(C=C, H=H, W=W, M=M, OH=OH, OW=OW, KH=KH, KW=KW, SH=SH, SW=SW, DH=DH, DW=DW, PT=PT, PL=PL,
                   pad_bit=pad_bit)
    L = lib.lib
    x = random_words(rng, (H, W), C)
    w = random_words(rng, (M, KH, KW), C)
    nws = getattr(L, f"bnn_bconv_weights_size__{isa}")(p)
    naux = getattr(L, f"bnn_bconv_aux_size__{isa}")(p)
    wp = np.zeros(nws, np.uint64)
    aux = np.zeros(naux, np.int32)
    getattr(L, f"bnn_bconv_pack_weights__{isa}")(p, lib.buf(w, "bnn_word"), lib.buf(wp, "bnn_word"),
                                                 lib.buf(aux, "int32_t"))
    if check_pack:
        wp_np, aux_np = TARGETS[f"x86-{isa}"].kernels.bconv.pack_weights(w, C)       # the compiler's packer, from the documented layout
        np.testing.assert_array_equal(wp, wp_np)
        np.testing.assert_array_equal(aux, aux_np)

    # f32
    ref = np.zeros((M, OH, OW), np.float32)
    L.bnn_bconv_f32(p, lib.buf(x, "bnn_word"), lib.buf(w, "bnn_word"), lib.buf(ref, "float"))
    f32 = getattr(L, f"bnn_bconv_f32__{isa}")
    bounds = [0, *sorted(s for s in splits if 0 < s < OH), OH]
    out = np.full((M, OH, OW), np.nan, np.float32)
    for a, b in zip(bounds[:-1], bounds[1:]):
        f32(p, lib.buf(x, "bnn_word"), lib.buf(wp, "bnn_word"), lib.buf(aux, "int32_t"), a, b, lib.buf(out, "float"))
    np.testing.assert_array_equal(out, ref)
    if OH > 1:  # a partial range leaves the other rows alone
        part = np.full((M, OH, OW), np.nan, np.float32)
        f32(p, lib.buf(x, "bnn_word"), lib.buf(wp, "bnn_word"), lib.buf(aux, "int32_t"), 1, OH, lib.buf(part, "float"))
        assert np.isnan(part[:, :1]).all()
        np.testing.assert_array_equal(part[:, 1:], ref[:, 1:])

    # conv + the affine output stage (bnn_affine_stage) fused: the f32 output followed by the stepwise
    # float32 arithmetic, bit for bit, portable and ISA kernel, by row ranges
    stages = affine_stages(rng, M, OH, OW)
    full = stages[0]                      # scale, bias, residual, scale2, bias2, residual2
    affine = getattr(L, f"bnn_bconv_affine_f32__{isa}")
    for stage in stages:
        st = stage_struct(lib.ffi, stage)
        want = affine_ref(ref, **stage)
        fused = np.full((M, OH, OW), np.nan, np.float32)
        port = np.full((M, OH, OW), np.nan, np.float32)
        for a, b in zip(bounds[:-1], bounds[1:]):
            affine(p, lib.buf(x, "bnn_word"), lib.buf(wp, "bnn_word"), lib.buf(aux, "int32_t"), st, a, b,
                   lib.buf(fused, "float"))
            L.bnn_bconv_affine_f32_rows(p, lib.buf(x, "bnn_word"), lib.buf(w, "bnn_word"), st, a, b,
                                        lib.buf(port, "float"))
        np.testing.assert_array_equal(fused, want)
        np.testing.assert_array_equal(port, want)
    if OH > 1:  # a partial range leaves the other rows alone
        part = np.full((M, OH, OW), np.nan, np.float32)
        affine(p, lib.buf(x, "bnn_word"), lib.buf(wp, "bnn_word"), lib.buf(aux, "int32_t"), stage_struct(lib.ffi, full),
               0, OH - 1, lib.buf(part, "float"))
        assert np.isnan(part[:, -1:]).all()
        np.testing.assert_array_equal(part[:, :-1], affine_ref(ref, **full)[:, :-1])

    # the affine output packed in the same pass (bnn_bconv_affine_pack__X / _rows) against the separate
    # pass bnn_pack_threshold_range_f32 over the affine output: float thresholds at values y takes
    # (ties), one ulp off, or random; dir -1/0/+1; bits start as garbage
    pack = getattr(L, f"bnn_bconv_affine_pack__{isa}")
    for stage in stages:
        want = affine_ref(ref, **stage)
        fthr, fdir = pack_operands(rng, want)
        want_bits = pack_threshold_ref(lib.k, want, fthr, fdir)
        args = (stage_struct(lib.ffi, stage), lib.buf(fthr, "float"), lib.buf(fdir, "int8_t"))
        for fn, wts in ((pack, (lib.buf(wp, "bnn_word"), lib.buf(aux, "int32_t"))), (L.bnn_bconv_affine_pack_rows,
                                                                                  (lib.buf(w, "bnn_word"),))):
            y = np.full((M, OH, OW), np.nan, np.float32)
            got = rng.integers(0, 2**63, size=(OH, OW, nwords(M)), dtype=np.uint64)  # garbage to overwrite
            for a, b in zip(bounds[:-1], bounds[1:]):
                fn(p, lib.buf(x, "bnn_word"), *wts, *args, a, b, lib.buf(y, "float"), lib.buf(got, "bnn_word"))
            np.testing.assert_array_equal(y, want)
            np.testing.assert_array_equal(got, want_bits)
    if OH > 2:  # a partial range leaves the other rows alone (args: the last stage's)
        y = np.full((M, OH, OW), np.nan, np.float32)
        part = np.full((OH, OW, nwords(M)), 12345, np.uint64)
        pack(p, lib.buf(x, "bnn_word"), lib.buf(wp, "bnn_word"), lib.buf(aux, "int32_t"), *args, 1, OH - 1,
             lib.buf(y, "float"), lib.buf(part, "bnn_word"))
        assert (part[0] == 12345).all() and (part[-1] == 12345).all()
        assert np.isnan(y[:, 0]).all() and np.isnan(y[:, -1]).all()
        np.testing.assert_array_equal(part[1:-1], want_bits[1:-1])
        np.testing.assert_array_equal(y[:, 1:-1], want[:, 1:-1])

    # the same two kernels by output channels, one call per word of 64 (the split threads use on
    # small maps): together they write everything; each leaves the other channels and words alone
    f32_channels = getattr(L, f"bnn_bconv_affine_f32_channels__{isa}")
    pack_channels = getattr(L, f"bnn_bconv_affine_pack_channels__{isa}")
    ranges = [(m0, min(m0 + 64, M)) for m0 in range(0, M, 64)]
    for stage in (full, stages[1]):
        want = affine_ref(ref, **stage)
        fthr, fdir = pack_operands(rng, want)
        want_bits = pack_threshold_ref(lib.k, want, fthr, fdir)
        common = (lib.buf(x, "bnn_word"), lib.buf(wp, "bnn_word"), lib.buf(aux, "int32_t"), stage_struct(lib.ffi, stage))
        y_f32 = np.full((M, OH, OW), np.nan, np.float32)
        y_pack = np.full((M, OH, OW), np.nan, np.float32)
        got = rng.integers(0, 2**63, size=(OH, OW, nwords(M)), dtype=np.uint64)  # garbage to overwrite
        for a, b in ranges:
            f32_channels(p, *common, a, b, lib.buf(y_f32, "float"))
            pack_channels(p, *common, lib.buf(fthr, "float"), lib.buf(fdir, "int8_t"), a, b, lib.buf(y_pack, "float"),
                          lib.buf(got, "bnn_word"))
            if a == 0 and b < M:     # the first word alone
                assert np.isnan(y_f32[b:]).all() and np.isnan(y_pack[b:]).all()
                np.testing.assert_array_equal(got[:, :, 0], want_bits[:, :, 0])
        np.testing.assert_array_equal(y_f32, want)
        np.testing.assert_array_equal(y_pack, want)
        np.testing.assert_array_equal(got, want_bits)
        if M > 64:                   # a range from the second word on leaves the first alone
            y = np.full((M, OH, OW), np.nan, np.float32)
            part = np.full((OH, OW, nwords(M)), 12345, np.uint64)
            pack_channels(p, *common, lib.buf(fthr, "float"), lib.buf(fdir, "int8_t"), 64, M, lib.buf(y, "float"),
                          lib.buf(part, "bnn_word"))
            assert np.isnan(y[:64]).all() and (part[:, :, 0] == 12345).all()
            np.testing.assert_array_equal(y[64:], want[64:])
            np.testing.assert_array_equal(part[:, :, 1:], want_bits[:, :, 1:])

    # bits: thresholds around the actual values (ties included), both directions
    acc = ref.astype(np.int64)
    thr = acc[:, rng.integers(0, OH), rng.integers(0, OW)] + rng.integers(-2, 3, size=M)
    thr = np.ascontiguousarray(thr.astype(np.int32))
    dirs = np.ascontiguousarray(rng.choice(np.array([-1, 0, 1], np.int8), size=M))
    bref = np.zeros((OH, OW, nwords(M)), np.uint64)
    L.bnn_bconv_bits(p, lib.buf(x, "bnn_word"), lib.buf(w, "bnn_word"), lib.buf(thr, "int32_t"),
                     lib.buf(dirs, "int8_t"), lib.buf(bref, "bnn_word"))
    bits = getattr(L, f"bnn_bconv_bits__{isa}")
    bout = rng.integers(0, 2**63, size=(OH, OW, nwords(M)), dtype=np.uint64)  # garbage to overwrite
    for a, b in zip(bounds[:-1], bounds[1:]):
        bits(p, lib.buf(x, "bnn_word"), lib.buf(wp, "bnn_word"), lib.buf(aux, "int32_t"), lib.buf(thr, "int32_t"),
             lib.buf(dirs, "int8_t"), a, b, lib.buf(bout, "bnn_word"))
    np.testing.assert_array_equal(bout, bref)
    if OH > 2:
        part = np.full((OH, OW, nwords(M)), 12345, np.uint64)
        bits(p, lib.buf(x, "bnn_word"), lib.buf(wp, "bnn_word"), lib.buf(aux, "int32_t"), lib.buf(thr, "int32_t"),
             lib.buf(dirs, "int8_t"), 1, OH - 1, lib.buf(part, "bnn_word"))
        assert (part[0] == 12345).all() and (part[-1] == 12345).all()
        np.testing.assert_array_equal(part[1:-1], bref[1:-1])


CHANNELS = [1, 3, 63, 64, 65, 100, 128, 130, 256]


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("C", CHANNELS if not SANITIZED_LIB else [3, 65, 130])
def test_channels_grid(lib, isa, C):
    """Every (C, M) pair of CHANNELS, each with a random small geometry, stride, pads and pad_bit."""
    rng = np.random.default_rng(C)
    for M in (CHANNELS if not SANITIZED_LIB else [1, 64, 100]):
        for _ in range(2):
            k = int(rng.choice([1, 2, 3, 3, 3]))
            s = int(rng.choice([1, 1, 2]))
            d = int(rng.choice([1, 1, 1, 2]))
            span = (k - 1) * d + 1
            H, W = int(rng.integers(max(1, span - 2), 10)), int(rng.integers(max(1, span - 2), 10))
            pads = [int(rng.integers(0, 3)) for _ in range(4)]
            while out_size(H, k, s, d, pads[0], pads[2]) < 1 or out_size(W, k, s, d, pads[1], pads[3]) < 1:
                H, W = H + 1, W + 1
            check_case(lib, isa, rng, C, M, H, W, KH=k, KW=k, SH=s, SW=s, DH=d, DW=d, PT=pads[0], PL=pads[1],
                       PB=pads[2], PR=pads[3], pad_bit=int(rng.choice([PAD_ZERO, 0, 1])), splits=(2,))


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("pad_bit", [PAD_ZERO, 0, 1])
@pytest.mark.parametrize("case", [
    # Bi-Real-18 shapes, spatially shrunk: 3x3 pad 1, stride 1 and 2
    dict(C=64, M=64, H=9, W=11), dict(C=64, M=128, H=9, W=9, SH=2, SW=2),
    dict(C=128, M=128, H=7, W=6), dict(C=256, M=256, H=5, W=5), dict(C=512, M=512, H=3, W=4),
    dict(C=256, M=512, H=6, W=7, SH=2, SW=2),
    # rows of >= 16 outputs, 3x3 (avx512: pixel tiles, spanning rows, a partial last tile): stride 1
    # and 2, asymmetric pads, 1 and 2 input words (C < 64: the pad pixel's tail bits), 1 and 2 output words
    dict(C=64, M=64, H=9, W=19), dict(C=64, M=128, H=7, W=33, SH=2, SW=2),
    dict(C=40, M=96, H=6, W=20, PT=0, PL=1, PB=2, PR=2), dict(C=62, M=32, H=5, W=18, PT=2, PL=0, PB=0, PR=0),
    dict(C=128, M=64, H=5, W=17), dict(C=100, M=32, H=6, W=33, SH=2, SW=2),
    # 1x1, no pad / asymmetric pads, stride 2
    dict(C=100, M=40, H=5, W=9, KH=1, KW=1, PT=0, PL=0), dict(C=70, M=24, H=6, W=5, KH=1, KW=1, SH=2, SW=2, PT=1, PL=0),
    # non-square kernels, dilation, big pads (pixels with no in-bounds tap)
    dict(C=65, M=72, H=8, W=5, KH=3, KW=2, DH=2, DW=3, PT=2, PL=3, PB=1, PR=0),
    dict(C=1, M=9, H=2, W=3, KH=3, KW=3, PT=3, PL=2, PB=3, PR=2),
    dict(C=130, M=33, H=4, W=4, KH=5, KW=5, PT=2, PL=2, SH=3, SW=1),
    # dense (fully connected): KH=H, KW=W
    dict(C=512, M=100, H=3, W=3, KH=3, KW=3, PT=0, PL=0), dict(C=200, M=10, H=1, W=1, KH=1, KW=1, PT=0, PL=0),
    # more words than the zero buffer (512 / 1024 words) at the border
    dict(C=64 * 1030 + 5, M=9, H=2, W=2, KH=2, KW=2, PT=1, PL=1, PB=0, PR=0),
], ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_shapes(lib, isa, pad_bit, case):
    rng = np.random.default_rng(hash(tuple(sorted(case.items()))) % 2**32)
    check_case(lib, isa, rng, pad_bit=pad_bit, splits=(1, 2, 5), **case)


def _strided_calls(lib: Lib, isa: str, p, w, stage, thr, dirs, fthr, M):
    """Every kernel of `isa` (or the portable ones) on input x: name -> call(x, bits) -> float output."""
    L, ffi = lib.lib, lib.ffi
    st, ithr = stage_struct(ffi, stage), lib.buf(thr, "int32_t")
    ft, d = lib.buf(fthr, "float"), lib.buf(dirs, "int8_t")
    OH, OW = p.OH, p.OW

    def floats():
        return np.full((M, OH, OW), np.nan, np.float32)

    def run(fn):
        def call(x, bits):
            y = floats()
            fn(x, bits, lib.buf(y, "float"))
            return y
        return call

    if isa == "portable":
        wb = lib.buf(w, "bnn_word")
        return {"f32": run(lambda x, b, y: L.bnn_bconv_f32(p, x, wb, y)),
                "bits": run(lambda x, b, y: L.bnn_bconv_bits(p, x, wb, ithr, d, b)),
                "affine_f32": run(lambda x, b, y: L.bnn_bconv_affine_f32_rows(p, x, wb, st, 0, OH, y)),
                "affine_pack": run(lambda x, b, y: L.bnn_bconv_affine_pack_rows(p, x, wb, st, ft, d, 0, OH, y, b))}
    wp = np.zeros(getattr(L, f"bnn_bconv_weights_size__{isa}")(p), np.uint64)
    aux = np.zeros(getattr(L, f"bnn_bconv_aux_size__{isa}")(p), np.int32)
    getattr(L, f"bnn_bconv_pack_weights__{isa}")(p, lib.buf(w, "bnn_word"), lib.buf(wp, "bnn_word"),
                                                 lib.buf(aux, "int32_t"))
    wb, ab = lib.buf(wp, "bnn_word"), lib.buf(aux, "int32_t")
    k = {name: getattr(L, f"bnn_bconv_{name}__{isa}") for name in
         ("f32", "bits", "affine_f32", "affine_pack", "affine_f32_channels", "affine_pack_channels")}
    return {"f32": run(lambda x, b, y: k["f32"](p, x, wb, ab, 0, OH, y)),
            "bits": run(lambda x, b, y: k["bits"](p, x, wb, ab, ithr, d, 0, OH, b)),
            "affine_f32": run(lambda x, b, y: k["affine_f32"](p, x, wb, ab, st, 0, OH, y)),
            "affine_pack": run(lambda x, b, y: k["affine_pack"](p, x, wb, ab, st, ft, d, 0, OH, y, b)),
            "affine_f32_channels": run(lambda x, b, y: k["affine_f32_channels"](p, x, wb, ab, st, 0, M, y)),
            "affine_pack_channels": run(lambda x, b, y: k["affine_pack_channels"](p, x, wb, ab, st, ft, d, 0, M, y, b))}


@pytest.mark.parametrize("isa", ["portable", *ISAS])
@pytest.mark.parametrize("case", [
    # channel tiles; pixel tiles (avx512: rows of >= 16 outputs, 3x3, even C), with C < 64 too
    dict(C=128, M=128, H=7, W=6), dict(C=64, M=64, H=9, W=19), dict(C=40, M=96, H=6, W=20, SH=2, SW=2),
    # 1x1 stride 2, dilation with big pads, a dense layer (one run of words when the map is dense)
    dict(C=100, M=40, H=5, W=9, KH=1, KW=1, SH=2, SW=2, PT=0, PL=0),
    dict(C=65, M=72, H=8, W=5, KH=3, KW=2, DH=2, DW=3, PT=2, PL=3),
    dict(C=512, M=100, H=3, W=3, PT=0, PL=0),
], ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_strided_maps(lib, isa, case):
    """Input and packed output as word ranges of wider maps (in_stride / out_stride, a SliceBits view
    and an in-place ConcatBits piece): the same outputs as on dense maps, and the words around the
    ranges neither read (they are random) nor written (they keep their garbage)."""
    rng = np.random.default_rng(hash(tuple(sorted(case.items()))) % 2**32)
    g = dict(KH=3, KW=3, SH=1, SW=1, DH=1, DW=1, PT=1, PL=1) | case
    C, M, H, W = g.pop("C"), g.pop("M"), g.pop("H"), g.pop("W")
    OH = out_size(H, g["KH"], g["SH"], g["DH"], g["PT"], g["PT"])
    OW = out_size(W, g["KW"], g["SW"], g["DW"], g["PL"], g["PL"])
    fields = dict(C=C, H=H, W=W, M=M, OH=OH, OW=OW, pad_bit=int(rng.choice([PAD_ZERO, 0, 1])), **g)
    dense = lib.params(**fields)
    x, w = random_words(rng, (H, W), C), random_words(rng, (M, g["KH"], g["KW"]), C)
    stage = affine_stages(rng, M, OH, OW)[0]
    thr = rng.integers(-20, 20, size=M).astype(np.int32)
    dirs = rng.choice(np.array([-1, 0, 1], np.int8), size=M)
    fthr = rng.normal(0, 20, size=M).astype(np.float32)
    nw, nwm = nwords(C), nwords(M)
    for in_pad, out_pad in ((1, 2), (3, 1)):
        wide_x = rng.integers(0, 2**63, size=(H, W, nw + in_pad), dtype=np.uint64)
        wide_x[..., in_pad // 2:in_pad // 2 + nw] = x
        strided = lib.params(**fields, in_stride=nw + in_pad, out_stride=nwm + out_pad)
        want_calls = _strided_calls(lib, isa, dense, w, stage, thr, dirs, fthr, M)
        got_calls = _strided_calls(lib, isa, strided, w, stage, thr, dirs, fthr, M)
        for name, call in want_calls.items():
            bits = np.zeros((OH, OW, nwm), np.uint64)
            want_y = call(lib.buf(x, "bnn_word"), lib.buf(bits, "bnn_word"))
            garbage = rng.integers(0, 2**63, size=(OH, OW, nwm + out_pad), dtype=np.uint64)
            wide_bits = garbage.copy()
            got_y = got_calls[name](lib.buf(wide_x, "bnn_word") + in_pad // 2,
                                    lib.buf(wide_bits, "bnn_word") + out_pad // 2)
            np.testing.assert_array_equal(got_y, want_y, err_msg=name)
            lead = out_pad // 2
            if name in ("f32", "affine_f32", "affine_f32_channels"):
                np.testing.assert_array_equal(wide_bits, garbage, err_msg=name)
                continue
            np.testing.assert_array_equal(wide_bits[..., lead:lead + nwm], bits, err_msg=name)
            np.testing.assert_array_equal(np.delete(wide_bits, np.s_[lead:lead + nwm], axis=2),
                                          np.delete(garbage, np.s_[lead:lead + nwm], axis=2), err_msg=name)


@pytest.mark.parametrize("isa", ISAS)
def test_real_layer_size(lib, isa):
    """One full-size Bi-Real-18 layer (14x14x256 -> 256) with a thread-like split of the rows."""
    if SANITIZED_LIB:
        pytest.skip("too slow under the sanitizers")
    rng = np.random.default_rng(7)
    check_case(lib, isa, rng, 256, 256, 14, 14, pad_bit=PAD_ZERO, splits=(5, 9), check_pack=False)


@pytest.mark.skipif(bool(SANITIZED_LIB) or bool(os.environ.get("BNNCC_SANITIZED")),
                    reason="already a sanitized run")
def test_x86_under_asan_ubsan(tmp_path):
    env = sanitized_env()
    env.update(BNNCC_X86_SANITIZED_LIB=str(build_x86(tmp_path / "libbnncc_x86_asan.so", SANITIZE)))
    rerun_sanitized(env, str(Path(__file__).resolve()),
                    "-k", "channels_grid or (shapes and (C64-M64 or C65-M72 or C1-M9 or C200 or C65925))")


@pytest.mark.parametrize("stem", ["bconv_avx512", "bconv_avx2"])
def test_source_hygiene(stem, tmp_path):
    """As test_build.py asks of the portable sources: own headers only, no heap / stdio, no
    mutable globals, clean with the strict warnings (compiled with its ISA flags)."""
    import re

    from .helpers import SRC, STRICT, X86_SOURCES

    src = SRC / f"{stem}.c"
    text = src.read_text()
    includes = re.findall(r'#\s*include\s*[<"]([^>"]+)[>"]', text)
    assert set(includes) <= {"bnncc/common.h", "bnncc/bconv.h", "bnncc/bconv_blocked.h", "immintrin.h"}, includes
    code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    for banned in ("malloc", "calloc", "realloc", "free(", "alloca", "printf", "FILE", "stdio"):
        assert banned not in code, banned
    obj = tmp_path / f"{stem}.o"
    res = subprocess.run([CC, *STRICT, *X86_SOURCES[stem], "-O2", "-Wstrict-prototypes", "-Wmissing-prototypes",
                          "-Wshadow", "-c", str(src), "-o", str(obj)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    if shutil.which("nm"):
        syms = subprocess.run(["nm", "--defined-only", str(obj)], capture_output=True, text=True).stdout
        assert not [line for line in syms.splitlines() if line.split()[-2] in "BbDdCc"], syms
