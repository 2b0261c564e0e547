"""ARM NEON float Conv / MatMul kernels (runtime_c/src/float_neon.c) against the portable ones, on
both ARM targets, under qemu-user (tests/kernels/cross.py; skipped, naming the tool, without it).

One C program (c/float_neon_check.c) per target, run once on every case below (generated from the
kernel geometry: conv panels of MR = 8 channels, register tiles of 12 pixels (3 vectors of 4),
k blocks of 256 taps, pixel blocks of 384, the padded-copy path from 8 output columns; matmul
panels of NR = 16 columns). For each case it reports the largest |neon - portable| relative to the
sum of |terms| + 0.1 (the portable kernel on |inputs|), whether a channel / column / pool-row range
writes exactly that range, and whether a split equals one call bit for bit; the fused conv +
max-pool must equal the NEON conv followed by the portable max-pool bit for bit. The C packers'
output and scratch sizes are compared with numpy / Python re-derivations of float_panels.h's
formulas (what the compiler computes).
Tolerance: 1e-5 (aarch64 uses fused multiply-adds; both sum in tiles and k blocks, not the
portable kernels' order). Inputs are uniform in [-1, 1): no subnormals, which armv7 NEON flushes;
some pool cases add inf and NaN inputs, for the NEON max-pool rows (armv7).
"""
from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .cross import ARM_TARGETS, build_check, require, run_check
from .helpers import INCLUDE, SRC

MR, NR, LANES, TILE, K_BLOCK, PIXEL_BLOCK, WIDE = 8, 16, 4, 12, 256, 384, 8
TOLERANCE = 1e-5
PROGRAM = Path(__file__).parent / "c" / "float_neon_check.c"
TARGETS = [pytest.param(t, id=t) for t in ARM_TARGETS]


def conv(C, H, W, M, KH=1, KW=1, SH=1, SW=1, DH=1, DW=1, PT=0, PL=0, PB=0, PR=0, bias=1, seed=0):
    return f"conv {C} {H} {W} {M} {KH} {KW} {SH} {SW} {DH} {DW} {PT} {PL} {PB} {PR} {bias} {seed}"


def out_size(n, k, s, d, pa, pb):
    return (n + pa + pb - (k - 1) * d - 1) // s + 1


def direct_cases():
    """1x1 stride 1 (input read in place): channel counts around the panel, pixel counts around the
    vector and the tile, C from 1 up."""
    pixels = [1, 3, LANES, LANES + 1, TILE - 1, TILE, TILE + 1, 2 * TILE + LANES + 1, 49]
    cases = []
    for i, m in enumerate([1, 3, MR - 1, MR, MR + 1, 2 * MR + 1]):
        for j, p in enumerate(pixels):
            h, w = (1, p) if p % 2 else (2, p // 2)
            cases.append(conv(1 + (i * 7 + j * 5) % 20, h, w, m, bias=(i + j) % 2, seed=len(cases)))
    return cases


def im2col_cases():
    """Outputs narrower than WIDE (im2col blocks across rows): kernels 1/3/7, strides 1-3, pads
    (asymmetric), dilation, M around the panel."""
    rng = np.random.default_rng(11)
    cases = []
    while len(cases) < 30:
        k = int(rng.choice([1, 3, 3, 7]))
        kh, kw = (k, k) if rng.integers(0, 4) else (k, int(rng.choice([1, 2, 3])))
        s, d = int(rng.choice([1, 2, 2, 3])), int(rng.choice([1, 1, 2]))
        sw = int(rng.choice([1, 2, s]))
        pads = [int(rng.integers(0, kh)), int(rng.integers(0, kw)), int(rng.integers(0, kh)), int(rng.integers(0, kw))]
        h, w = int(rng.integers(1, 16)), int(rng.integers(1, 16))
        oh, ow = out_size(h, kh, s, d, pads[0], pads[2]), out_size(w, kw, sw, d, pads[1], pads[3])
        if oh < 1 or ow < 1 or ow >= WIDE:
            continue
        cases.append(conv(int(rng.choice([1, 2, 3, 5, 8])), h, w, int(rng.choice([1, 5, MR, MR + 3, 20])), kh, kw, s,
                          sw, d, d, *pads, bias=int(rng.integers(0, 2)), seed=100 + len(cases)))
    return cases


def indirect_cases():
    """Outputs at least WIDE columns (padded phase-split copy, tiles along rows): OW around the
    vector and tile multiples, strides 1/2/3, pads, dilation, the Bi-Real-18 stem shrunk."""
    cases = []
    for i, ow in enumerate([WIDE, TILE - 1, TILE, TILE + 1, 2 * TILE + 3, 3 * TILE + LANES]):
        s, k, d = [(1, 3, 1), (2, 3, 1), (1, 7, 1), (2, 7, 1), (3, 3, 2), (1, 1, 1)][i]
        pad = (k - 1) * d // 2 + (i % 2)
        w = (ow - 1) * s + (k - 1) * d + 1 - 2 * pad
        cases.append(conv(3 + i, 5 + i, w, [5, MR, MR + 1, 2 * MR + 3, 13, 4][i], k, k, s, s, d, d, pad, pad, pad, pad,
                          bias=i % 2, seed=200 + i))
    cases.append(conv(4, 9, 16, 9, 3, 3, 1, 2, 1, 1, 0, 1, 2, 0, seed=210))                 # SH != SW, asymmetric
    cases.append(conv(3, 30, 31, 64, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, seed=211))              # the stem, shrunk
    return cases


def blocking_cases():
    """k blocks (K > 256) and pixel blocks (> 384 pixels) on each path, and the Bi-Real-18 1x1
    shortcut (128 -> 256 at 14x14)."""
    return [
        conv(300, 3, 5, 17, seed=300),                                        # direct, K = 300
        conv(65, 6, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, seed=301),            # im2col, K = 585
        conv(40, 5, 12, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, seed=302),          # indirect, K = 360
        conv(3, 20, 21, 10, seed=303),                                        # direct, 420 pixels
        conv(2, 62, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, seed=304),            # im2col, 434 pixels
        conv(3, 44, 40, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, seed=305),           # indirect, 1760 pixels
        conv(128, 14, 14, 256, seed=306),
    ]


def pool(C, H, W, M, cv, pl, bias=0, affine=1, special=0, seed=0):
    def geometry(g):
        g = dict(KH=1, KW=1, SH=1, SW=1, DH=1, DW=1, PT=0, PL=0, PB=0, PR=0) | g
        return " ".join(str(g[k]) for k in ("KH", "KW", "SH", "SW", "DH", "DW", "PT", "PL", "PB", "PR"))
    return f"pool {C} {H} {W} {M} {geometry(cv)} {geometry(pl)} {bias} {affine} {special} {seed}"


STEM, STEM_POOL = dict(KH=7, KW=7, SH=2, SW=2, PT=3, PL=3, PB=3, PR=3), dict(KH=3, KW=3, SH=2, SW=2, PT=1, PL=1,
                                                                           PB=1, PR=1)


def pool_cases():
    """The conv + max-pool fusion: test_float_x86.py's cases, then the NEON pool rows' shape (3x3/2
    pad 1, W == 2*OW: OW around the vector, M around the panel, inf and NaN in the conv output)."""
    fast = [pool(c, 7, 2 * ow, m, {}, STEM_POOL, bias=ow % 2, special=special, seed=410 + ow)
            for c, ow, m, special in ((2, 1, 3, 0), (3, 4, 8, 0), (4, 5, 9, 0), (2, 7, 17, 0), (1, 8, 5, 1),
                                      (1, 9, 12, 1), (3, 13, 7, 1))]
    return fast + [
        pool(3, 96, 96, 64, STEM, STEM_POOL, seed=420),                      # the stem, 96x96
        pool(3, 40, 40, 64, STEM, STEM_POOL, seed=400),
        pool(3, 41, 37, 13, STEM, STEM_POOL, bias=1, seed=401),
        pool(3, 30, 30, 8, STEM, STEM_POOL, affine=0, seed=402),
        pool(5, 9, 9, 5, dict(KH=3, KW=3, PT=1, PL=1, PB=1, PR=1), dict(KH=2, KW=2, SH=2, SW=2), bias=1, seed=403),
        pool(4, 20, 26, 17, dict(KH=3, KW=3), dict(KH=3, KW=3, SH=2, SW=2, PB=1, PR=1), seed=404),
        pool(2, 22, 19, 9, dict(KH=3, KW=3, DH=2, DW=2, PT=2, PL=2, PB=2, PR=2),
             dict(KH=2, KW=3, DH=2, DW=1, SH=1, SW=2), seed=405),
        pool(6, 23, 23, 16, {}, dict(KH=2, KW=2, SH=3, SW=3), seed=406),
        pool(3, 16, 16, 24, dict(KH=5, KW=5, SH=3, SW=3, PT=2, PL=2), dict(KH=3, KW=3, PT=1, PL=1, PB=1, PR=1),
             seed=407),
    ]


def matmul_cases():
    """M around the tile rows (2 on armv7, 4 on aarch64), K around the 4-k steps, N around the
    vector and the 16-column panel; the Bi-Real-18 head; K = 0."""
    cases = []
    for m in (1, 2, 3, 4, 5, 7):
        for k in (1, 3, 4, 5, 17, 64):
            for n in (1, 3, 4, 5, NR - 1, NR, NR + 1, 2 * NR + 3, 100):
                cases.append(f"matmul {m} {k} {n} {(m + k + n) % 2} {len(cases)}")
    return cases + ["matmul 1 512 1000 1 900", "matmul 13 129 130 0 901", "matmul 5 0 4 1 902", "matmul 2 0 70 0 903"]


PACK_SHAPES = [(1, 1, 1, 1, 1, 1), (9, 3, 3, 3, 7, 20), (8, 2, 1, 7, 5, 16), (17, 5, 1, 1, 3, 33)]
GROUPS = {"direct": direct_cases(), "im2col": im2col_cases(), "indirect": indirect_cases(),
          "blocking": blocking_cases(), "pool": pool_cases(), "matmul": matmul_cases(),
          "pack": [f"pack {m} {c} {kh} {kw} {k} {n} {500 + i}" for i, (m, c, kh, kw, k, n) in enumerate(PACK_SHAPES)]}


@functools.cache
def _results(target: str, out: Path) -> dict[str, list[str]]:
    exe = build_check(target, PROGRAM, ["float_neon", "fconv", "fgemm", "fpool"], out)
    lines = [line for group in GROUPS.values() for line in group]
    output = run_check(target, exe, [], stdin="\n".join(lines) + "\n").splitlines()
    results, i = {}, 0
    for name, group in GROUPS.items():  # pack cases print 4 lines, the others one
        n = sum(4 if case.startswith("pack") else 1 for case in group)
        results[name], i = output[i:i + n], i + n
    assert i == len(output), output[i:]
    return results


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("float_neon")


def results(target: str, out: Path, group: str) -> list[tuple[str, dict[str, str]]]:
    lines = _results(target, out)[group]
    assert len(lines) == len(GROUPS[group]), lines
    return [(case, dict(f.split("=") for f in line.split()[1:])) for case, line in zip(GROUPS[group], lines)]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("group", ["direct", "im2col", "indirect", "blocking", "pool", "matmul"])
def test_kernels_match_portable(target, group, out_dir):
    bad = [(case, r) for case, r in results(target, out_dir, group)
           if not float(r["err"]) <= TOLERANCE or r["range"] != "1" or r.get("split", "1") != "1"
           or r.get("pool", "1") != "1"]
    assert not bad, bad[:10]


def conv_geometry(case: str) -> dict:
    names = ("C", "H", "W", "M", "KH", "KW", "SH", "SW", "DH", "DW", "PT", "PL", "PB", "PR")
    f = dict(zip(names, map(int, case.split()[1:15])))
    f["OH"] = out_size(f["H"], f["KH"], f["SH"], f["DH"], f["PT"], f["PB"])
    f["OW"] = out_size(f["W"], f["KW"], f["SW"], f["DW"], f["PL"], f["PR"])
    return f


def padded_copy_floats(f: dict) -> int:
    rows = (f["OH"] - 1) * f["SH"] + (f["KH"] - 1) * f["DH"] + 1
    phase_cols = -(-((f["OW"] - 1) * f["SW"] + (f["KW"] - 1) * f["DW"] + 1) // f["SW"])
    return f["C"] * f["SW"] * rows * phase_cols


def conv_scratch_floats(f: dict) -> int:
    """float_panels.h: none for 1x1 stride-1 unpadded same-size convs, the padded copy from WIDE
    output columns, else an im2col block of min(K, 256) x roundup(min(pixels, 384), 4)."""
    if (f["KH"], f["KW"], f["SH"], f["SW"], f["PT"], f["PL"]) == (1, 1, 1, 1, 0, 0) and \
            (f["OH"], f["OW"]) == (f["H"], f["W"]):
        return 0
    if f["OW"] >= WIDE:
        return padded_copy_floats(f)
    return min(f["C"] * f["KH"] * f["KW"], K_BLOCK) * -(-min(f["OH"] * f["OW"], PIXEL_BLOCK) // LANES) * LANES


def conv_pool_scratch_floats(case: str) -> int:
    """float_panels.h: the padded copy, (KH-1)*DH+1 conv rows of M*OW floats, BNN_MAXPOOL_WORK."""
    f, v = conv_geometry(case), list(map(int, case.split()[15:]))
    q = dict(zip(("KH", "KW", "SH", "SW", "DH", "DW", "PT", "PL", "PB", "PR"), v))
    pool_ow = out_size(f["OW"], q["KW"], q["SW"], q["DW"], q["PL"], q["PR"])
    return padded_copy_floats(f) + ((q["KH"] - 1) * q["DH"] + 1) * f["M"] * f["OW"] + 16 * (f["OW"] + pool_ow)


@pytest.mark.parametrize("target", TARGETS)
def test_scratch_sizes_match_the_contract(target, out_dir):
    """What the compiler computes to size the arena (the formulas of float_panels.h)."""
    for group in ("direct", "im2col", "indirect", "blocking", "pool"):
        for case, r in results(target, out_dir, group):
            want = conv_pool_scratch_floats(case) if group == "pool" else conv_scratch_floats(conv_geometry(case))
            assert int(r["scratch"]) == want, case


def pack_conv_np(w: np.ndarray) -> np.ndarray:
    """packed[(m/MR)*K*MR + k*MR + m%MR] = w[m][k], channels zero-padded to a multiple of MR."""
    m, k = w.shape
    mp = -(-m // MR) * MR
    wp = np.zeros((mp, k), np.float32)
    wp[:m] = w
    return wp.reshape(mp // MR, MR, k).transpose(0, 2, 1).ravel()


def pack_matmul_np(b: np.ndarray) -> np.ndarray:
    """packed[(j/NR)*K*NR + k*NR + j%NR] = B[k][j], columns zero-padded to a multiple of NR."""
    k, n = b.shape
    np_ = -(-n // NR) * NR
    bp = np.zeros((k, np_), np.float32)
    bp[:, :n] = b
    return bp.reshape(k, np_ // NR, NR).transpose(1, 0, 2).ravel()


@pytest.mark.parametrize("target", TARGETS)
def test_packers_match_the_layouts(target, out_dir):
    lines = _results(target, out_dir)["pack"]
    for i, (m, c, kh, kw, k, n) in enumerate(PACK_SHAPES):
        w, packed_w, b, packed_b = (np.array([int(x, 16) for x in line.split()[1:]], np.uint32).view(np.float32)
                                    for line in lines[4 * i:4 * i + 4])
        np.testing.assert_array_equal(packed_w, pack_conv_np(w.reshape(m, c * kh * kw)))
        np.testing.assert_array_equal(packed_b, pack_matmul_np(b.reshape(k, n)))


STRICT_EXTRA = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes",
                "-Wmissing-prototypes", f"-I{INCLUDE}"]
# zig cc (clang) spells the armv7 CPU as -mcpu: its -march=armv7-a is refused ("unknown CPU")
ZIG_FLAGS = {"aarch64-neon": ["-target", "aarch64-linux-musl"],
             "armv7-neon": ["-target", "arm-linux-musleabihf", "-mcpu=cortex_a8", "-mfpu=neon", "-mfloat-abi=hard"]}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("compiler", ["gcc", "zig"])
def test_builds_warning_free(target, compiler, tmp_path):
    """Strict C99 under the target's cross gcc (its flags) and zig cc; no mutable globals."""
    t = require(target)
    if compiler == "gcc":
        cc = shutil.which(f"{t.toolchain.triple}-gcc")
        if cc is None:
            pytest.skip(f"no {t.toolchain.triple}-gcc")
        command = [cc, *t.cflags]
    else:
        if subprocess.run([sys.executable, "-m", "ziglang", "version"], capture_output=True).returncode:
            pytest.skip("no zig (pip install ziglang)")
        command = [sys.executable, "-m", "ziglang", "cc", *ZIG_FLAGS[target], "-O3"]
    obj = tmp_path / "float_neon.o"
    result = subprocess.run([*command, *STRICT_EXTRA, "-c", str(SRC / "float_neon.c"), "-o", str(obj)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    nm = shutil.which(f"{t.toolchain.triple}-nm") or shutil.which("nm")
    if nm:
        syms = subprocess.run([nm, "--defined-only", str(obj)], capture_output=True, text=True).stdout
        assert not [line for line in syms.splitlines() if line.split()[-2] in "BbDdCc"], syms
