"""NEON binary convolution kernels (runtime_c/src/bconv_neon.c) against the portable ones (bconv.c),
bit for bit, on both ARM targets: a C check program (c/bconv_neon_check.c) built with the target's
toolchain and run under qemu-user, all cases of an ISA in one run.

The cases come from the kernel's geometry, not from a hand-picked list: channels around multiples
of 64 (input words, tail bits) and output channels around multiples of VW, B and 64 (vectors,
partial blocks, output words), output widths around multiples of the pixel tile TP (full and
partial tiles, tiles that span rows), K around the narrow accumulators' flush length and the border
copy's row length, 1x1 / 3x3 / 7x1 kernels, strides 1 and 2, dilation, pads (down to pixels with no
tap in bounds), all pad_bit values, row ranges and the _channels ranges. Also: the C weight packer
and the compiler's (targets/kernels.py, with the target's B) against a numpy derivation of the layout
formula of bconv_blocked.h.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from bnncc.targets import get_target

from .cross import ARM_TARGETS, build_check, run_check
from .helpers import PAD_ZERO, around, check_case

CHECK = Path(__file__).parent / "c" / "bconv_neon_check.c"
ROWW, ZW = 96, 1024                            # border row copy, zero words (bconv_neon.c)


@dataclass(frozen=True)
class Tile:
    """A target's tile geometry: VW and B from its kernel table (the weight layout), TP pixels per
    tile and FLUSH steps of the narrow accumulators from bconv_neon.c."""

    vw: int
    b: int
    tp: int
    flush: int


def tile(target: str) -> Tile:
    bconv = get_target(target).kernels.bconv
    tp, flush = {"aarch64-neon": (4, 1023), "armv7-neon": (2, 31)}[target]
    return Tile(bconv.vector, bconv.block, tp, flush)


@pytest.fixture(scope="module", params=ARM_TARGETS)
def check(request, tmp_path_factory):
    target = request.param
    exe = build_check(target, CHECK, ["bconv", "bconv_neon"], tmp_path_factory.mktemp(f"neon_{target}"))
    return target, exe


def line(rng, C, H, W, M, KH=3, KW=3, SH=1, SW=1, DH=1, DW=1, PT=1, PL=1, PB=None, PR=None, pad_bit=PAD_ZERO):
    """One stdin line: the shape, a random row range and channel range, a seed."""
    shape = check_case(rng, C, H, W, M, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, pad_bit)
    m0 = 64 * rng.randrange((M + 63) // 64)
    m1 = rng.choice([M, M + 7, m0 + 64]) if m0 + 64 < M else rng.choice([M, m0 + 64])
    return f"{shape} {m0} {m1} {rng.getrandbits(63)}"


def cases(t: Tile) -> list[str]:
    VW, B, tp, FLUSH = t.vw, t.b, t.tp, t.flush
    rng = random.Random(tp)
    out = []
    pad_bits = [PAD_ZERO, 0, 1]
    # channels x output channels, each with a random small geometry (output width around TP multiples)
    for C in around(64, 128) + [1, 3, 200]:
        # every width of a partial block (B + k*VW), whole blocks, output words
        for M in around(VW, B, 2 * B, 64, *(B + k * VW for k in range(1, B // VW))) + [66, 68, 130]:
            k = rng.choice([(1, 1), (3, 3), (3, 3), (7, 1), (2, 3)])
            s, d = rng.choice([1, 1, 2]), rng.choice([1, 1, 1, 2])
            OW = rng.choice(around(tp, 2 * tp, 3 * tp))
            pads = [rng.randrange(0, k[0]), rng.randrange(0, k[1])]
            W = max(1, (OW - 1) * s + (k[1] - 1) * d + 1 - 2 * pads[1])
            h0 = max(1, (k[0] - 1) * d + 1 - 2 * pads[0])
            H = rng.randint(h0, h0 + 4)
            out.append(line(rng, C, H, W, M, KH=k[0], KW=k[1], SH=s, SW=s, DH=d, DW=d, PT=pads[0], PL=pads[1],
                            pad_bit=rng.choice(pad_bits)))
    # output widths around TP and its multiples, 3x3 pad 1 (interior, border and spanning tiles)
    for OW in around(tp, 2 * tp, 3 * tp, 4 * tp):
        for pad_bit in pad_bits:
            out.append(line(rng, 64, 5, OW, 8, pad_bit=pad_bit))
    # K around the flush length (3x3 in kernel-row segments of 3*words(C) words: one segment or
    # several per flush, around FLUSH, each a flush or chunked) and the border row copy (ROWW words:
    # 3x3 with words(C) = 32, 33), 1x1 around FLUSH words, stride 2
    for nw in sorted({2, 3, 4, FLUSH // 3, FLUSH // 3 + 1, FLUSH // 3 + 2, 32, 33}):
        for pad_bit in pad_bits:
            out.append(line(rng, 64 * nw - rng.choice([0, 5]), 4, tp + 3, 6, pad_bit=pad_bit))
    for nw in (FLUSH - 1, FLUSH, FLUSH + 1, 2 * FLUSH + 1):
        out.append(line(rng, 64 * nw - 3, 3, 2 * tp + 1, 5, KH=1, KW=1, PT=0, PL=0))
        out.append(line(rng, 64 * nw, 5, 2 * tp + 3, 4, SH=2, SW=2, pad_bit=rng.choice(pad_bits)))
    # Bi-Real-like layers, shrunk: 3x3 pad 1 stride 1 and 2
    for C, M, s in ((64, 64, 1), (64, 128, 2), (128, 128, 1), (256, 256, 1), (256, 512, 2), (512, 64, 1)):
        for pad_bit in pad_bits:
            out.append(line(rng, C, 5, 2 * tp + 1, M, SH=s, SW=s, pad_bit=pad_bit))
    # dilation, asymmetric and big pads (pixels without an in-bounds tap), 5x5 stride 3 x 1, 7x1 / 1x7
    out += [line(rng, 65, 8, 5, 72, KH=3, KW=2, DH=2, DW=3, PT=2, PL=3, PB=1, PR=0, pad_bit=b) for b in pad_bits]
    out += [line(rng, 1, 2, 3, 9, PT=3, PL=2, PB=3, PR=2, pad_bit=b) for b in pad_bits]
    out += [line(rng, 130, 4, 4, 33, KH=5, KW=5, PT=2, PL=2, SH=3, SW=1, pad_bit=b) for b in pad_bits]
    out += [line(rng, 70, 9, 6, 10, KH=7, KW=1, PT=3, PL=0, pad_bit=b) for b in pad_bits]
    out += [line(rng, 70, 6, 9, 10, KH=1, KW=7, PT=0, PL=3, pad_bit=b) for b in pad_bits]
    # dense layers (KH = H, KW = W), and more words than the zero buffer at the border
    out += [line(rng, 512, 3, 3, 100, PT=0, PL=0), line(rng, 200, 1, 1, 10, KH=1, KW=1, PT=0, PL=0)]
    out += [line(rng, 64 * (ZW + 6) + 5, 2, 2, 9, KH=2, KW=2, PT=1, PL=1, PB=0, PR=0, pad_bit=b) for b in pad_bits]
    return out


def test_against_portable(check):
    target, exe = check
    lines = cases(tile(target))
    output = run_check(target, exe, [], stdin="\n".join(lines) + "\n")
    bad = [l for l in output.splitlines() if not l.startswith("cases ")]
    assert not bad, f"{len(bad)} mismatches, first:\n" + "\n".join(
        f"{b}   <- {lines[int(b.split()[1]) - 1]}" for b in bad[:20])
    assert output.splitlines()[-1] == f"cases {len(lines)}"


def numpy_layout(w: np.ndarray, C: int, VW: int, B: int):
    """The blocked layout of bconv_blocked.h from its formula: w [M][KH][KW][nw] -> packed words, aux."""
    M, KH, KW, nw = w.shape
    T, Mp = KH * KW, -(-M // VW) * VW
    wt = np.zeros((Mp, T, nw), np.uint64)
    wt[:M] = w.reshape(M, T, nw)
    packed = np.zeros(Mp * T * nw, np.uint64)
    for b0 in range(0, Mp, B):
        bw = min(B, Mp - b0)
        # index(m, t, i) = b0*T*nw + (t*nw + i)*bw + (m - b0)
        packed[b0 * T * nw:(b0 + bw) * T * nw] = wt[b0:b0 + bw].transpose(1, 2, 0).reshape(-1)
    pop = np.unpackbits(wt.view(np.uint8), axis=-1).reshape(Mp, T, -1).sum(axis=-1).astype(np.int64)
    aux = np.where(np.arange(Mp)[:, None] < M, C - 2 * pop, 0).T.reshape(-1).astype(np.int32)
    return packed, aux


@pytest.mark.parametrize("shape", [(130, 7, 3, 3), (65, 2, 1, 1), (64, 9, 3, 2), (70, 13, 3, 1)], ids=str)
def test_packer_layout(check, shape):
    target, exe = check
    C, M, KH, KW = shape
    rng = random.Random(1)
    text = run_check(target, exe, ["--dump"], stdin=line(rng, C, KH, KW, M, KH=KH, KW=KW, PT=0, PL=0) + "\n")
    rows = {l[0]: l[2:].split() for l in text.splitlines()}
    nw = -(-C // 64)
    w = np.array(rows["w"], np.uint64).reshape(M, KH, KW, nw)
    t = tile(target)
    packed, aux = numpy_layout(w, C, t.vw, t.b)
    np.testing.assert_array_equal(np.array(rows["p"], np.uint64), packed)
    np.testing.assert_array_equal(np.array(rows["a"], np.int64), aux)
    compiled, compiled_aux = get_target(target).kernels.bconv.pack_weights(w, C)   # what the compiler embeds
    np.testing.assert_array_equal(compiled, packed)
    np.testing.assert_array_equal(compiled_aux, aux)
