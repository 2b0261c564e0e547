"""NEON packing kernels (pack_neon.c) and binary max-pool (bpool_neon.c) vs the portable ones, bit
for bit, on aarch64 and armv7 (under qemu-user off ARM): one check program per target, the cases
from the kernels' geometry (4 pixels per vector, 8 or 16 per step, 32-channel halves of 64-bit
words; pool blocks of 8 and 2 words), data with NaN, +-0, +-inf, subnormals and ties."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from .cross import ARM_TARGETS, build_check, run_check

PROGRAM = Path(__file__).parent / "c" / "pack_neon_check.c"
SOURCES = ["pack", "pack_neon", "bpool", "bpool_neon"]

CHANNELS = (1, 3, 4, 5, 16, 31, 32, 33, 63, 64, 65, 96, 127, 128, 129, 200)
PIXELS = (1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 20, 31, 32, 33, 49)


def pixel_ranges(hw: int) -> list[tuple[int, int]]:
    """The whole map, and sub-ranges that start and end off the vector and step boundaries."""
    ranges = {(0, hw), (hw // 2, hw), (0, (hw + 1) // 2)}
    if hw > 6:
        ranges |= {(1, hw - 1), (3, hw - 2), (5, 6)}
    return sorted(r for r in ranges if r[0] < r[1])


def pack_cases() -> list[str]:
    lines, seed = [], 1
    for c in CHANNELS:
        for hw in PIXELS:
            for p0, p1 in pixel_ranges(hw):
                lines.append(f"pack {c} {hw} {p0} {p1} {seed}")
                # residual, bits, alias (y is x, y is the residual) rotate with the seed
                lines.append(f"affine {c} {hw} {p0} {p1} {seed % 2} {int(seed % 5 != 0)} {seed % 3} {seed}")
                seed += 1
            lines.append(f"binarize {c} {hw} {seed}")
    return lines


def pool_cases() -> list[str]:
    """Words per pixel 1, 2, odd, 8 and more; windows that fit, overhang, dilate, or miss the map."""
    geometries = [  # (H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR)
        (9, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1), (8, 8, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0),
        (7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), (9, 10, 3, 2, 2, 3, 2, 2, 2, 1, 0, 2),
        (5, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0), (4, 5, 2, 2, 2, 2, 1, 1, 3, 3, 3, 3),
        (6, 7, 5, 4, 3, 2, 1, 2, 2, 0, 2, 3),
    ]
    lines, seed = [], 1
    for c in (1, 63, 64, 65, 128, 129, 200, 300, 512, 513, 1100):
        for h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr in geometries:
            oh = (h + pt + pb - ((kh - 1) * dh + 1)) // sh + 1
            ow = (w + pl + pr - ((kw - 1) * dw + 1)) // sw + 1
            for oy0, oy1 in {(0, oh), (oh // 2, oh)}:
                lines.append(f"pool {c} {h} {w} {oh} {ow} {kh} {kw} {sh} {sw} {dh} {dw} {pt} {pl} {oy0} {oy1} {seed}")
                seed += 1
    return lines


@pytest.mark.parametrize("target", ARM_TARGETS)
def test_neon_pack_and_pool_match_portable(target, tmp_path):
    exe = build_check(target, PROGRAM, SOURCES, tmp_path)
    cases = pack_cases() + pool_cases()
    out = run_check(target, exe, [], stdin="\n".join(cases) + "\n", timeout=300)
    assert not re.search(r"^(mismatch|bad case)", out, re.M), out[-3000:]
    assert f"cases {len(cases)} mismatches 0" in out, out[-3000:]
