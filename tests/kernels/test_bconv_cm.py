"""Cortex-M binary convolution kernels (runtime_c/src/bconv_cm.c) against the portable ones (bconv.c),
bit for bit, on the emulated boards: a check program (c/bconv_cm_check.c) built as firmware with the
target's toolchain and bnncc/firmware.py's start-up code and linker script, run on qemu-system-arm,
all cases in one run.

The cases come from the kernel's geometry: channels around multiples of 32 and 64 (32-bit words, the
skipped upper half when C <= 32, tail bits), around the 31-word chunks of the
byte accumulators (in one tap and across the taps of a dense layer), output channels around the
4-channel blocks and the 32-bit halves of output words, 1x1 / 3x3 / 5x5 / 7x1 kernels, strides,
dilations (runs of one tap), pads down to pixels without an in-bounds tap with every pad_bit, dense
layers, and row ranges.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from .cross import build_firmware_check, run_firmware_cases
from .helpers import PAD_ZERO, around, check_case

CHECK = Path(__file__).parent / "c" / "bconv_cm_check.c"
TARGETS = ("cortex-m4", "cortex-m7")
CHUNK, MB = 31, 4             # words per byte accumulator, channels per block (bconv_cm.c)


@pytest.fixture(scope="module", params=TARGETS)
def firmware(request, tmp_path_factory):
    return build_firmware_check(request.param, CHECK, ["bconv", "bconv_cm"],
                                tmp_path_factory.mktemp(f"bconv_{request.param}"))


def line(rng, C, H, W, M, KH=3, KW=3, SH=1, SW=1, DH=1, DW=1, PT=1, PL=1, PB=None, PR=None, pad_bit=PAD_ZERO,
         opposite=0):
    """One case line: the shape, a random row range, a seed, and whether every product is -1."""
    shape = check_case(rng, C, H, W, M, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, pad_bit)
    return f"{shape} {rng.getrandbits(31)} {opposite}"


def cases() -> list[str]:
    rng = random.Random(13)
    pad_bits = [PAD_ZERO, 0, 1]
    out = []
    # input channels x output channels, each with a random small geometry
    for C in around(32, 64, 96, 128) + [1, 3, 200]:
        for M in around(MB, 2 * MB, 32, 64) + [66, 97]:
            k = rng.choice([(1, 1), (3, 3), (3, 3), (7, 1), (2, 3)])
            s, d = rng.choice([1, 1, 2]), rng.choice([1, 1, 1, 2])
            pads = [rng.randrange(0, k[0]), rng.randrange(0, k[1])]
            W = max(1, rng.randint(2, 7) * s + (k[1] - 1) * d + 1 - 2 * pads[1])
            h0 = max(1, (k[0] - 1) * d + 1 - 2 * pads[0])
            out.append(line(rng, C, rng.randint(h0, h0 + 3), W, M, KH=k[0], KW=k[1], SH=s, SW=s, DH=d, DW=d,
                            PT=pads[0], PL=pads[1], pad_bit=rng.choice(pad_bits)))
    # runs around the 3-word groups and 30-word chunks: 1x1 (one tap), 3x3 rows, and dense layers
    for words in around(3, CHUNK, 2 * CHUNK) + [1]:
        C = 32 * words - rng.choice([0, 0, 7])
        out.append(line(rng, C, 2, 3, 4, KH=1, KW=1, PT=0, PL=0))
        out.append(line(rng, C, 4, 5, 3, pad_bit=rng.choice(pad_bits)))
        out.append(line(rng, C, 2, 2, 3, KH=2, KW=2, PT=0, PL=0, opposite=1))     # full counters
    for taps, C in ((25, 32), (25, 31), (9, 64), (13, 60), (16, 100), (1, 784), (4, 1600)):
        side = int(taps ** 0.5)
        H, W = (side, taps // side) if side * (taps // side) == taps else (1, taps)
        out.append(line(rng, C, H, W, rng.choice([10, 64, 33]), KH=H, KW=W, PT=0, PL=0))
        out.append(line(rng, C, H, W, 5, KH=H, KW=W, PT=0, PL=0, opposite=1))
    # pads and pad_bit: dilation (one run per tap), C <= 32 strided runs, pixels with no tap in bounds
    for C in (20, 32, 70):
        out += [line(rng, C, 8, 5, 9, KH=3, KW=2, DH=2, DW=3, PT=2, PL=3, PB=1, PR=0, pad_bit=b) for b in pad_bits]
        out += [line(rng, C, 2, 3, 7, PT=3, PL=2, PB=3, PR=2, pad_bit=b) for b in pad_bits]
        out += [line(rng, C, 4, 4, 33, KH=5, KW=5, PT=2, PL=2, SH=3, SW=1, pad_bit=b) for b in pad_bits]
        out += [line(rng, C, 6, 9, 10, KH=1, KW=7, PT=0, PL=3, pad_bit=b) for b in pad_bits]
    return out


def test_against_portable(firmware, tmp_path):
    run_firmware_cases(firmware, cases(), tmp_path)
