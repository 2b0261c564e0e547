"""Cortex-M packing kernels (runtime_c/src/pack_cm.c) against the portable ones (pack.c), bit for bit,
on the emulated boards: a check program (c/pack_cm_check.c) built as firmware, run on qemu-system-arm,
all cases in one run (the harness of tests/kernels/cross.py).

The cases come from the kernel's geometry: channels around the 32-channel halves of 64-bit words (empty
upper halves, tails), dense inputs (HW = 1) and maps, pixel ranges that start and end inside the map,
each half's directions all > 0, all <= 0 or mixed (its three loops), and the affine variants (residual
or not, bits or not, y aliasing x or the residual); the data hold NaN, +-0, +-inf, subnormals and ties.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from .cross import build_firmware_check, run_firmware_cases

CHECK = Path(__file__).parent / "c" / "pack_cm_check.c"

CHANNELS = (1, 3, 4, 5, 16, 31, 32, 33, 63, 64, 65, 96, 97, 128, 200, 784)
PIXELS = (1, 2, 5, 9, 16)


def cases() -> list[str]:
    rng = random.Random(7)
    out = []
    for c in CHANNELS:
        for hw in PIXELS:
            p0 = rng.choice([0, 0, rng.randrange(hw)])
            p1 = rng.choice([hw, rng.randint(p0 + 1, hw)])
            for dirs in (0, 1, 2):
                out.append(f"{c} {hw} {p0} {p1} {dirs} 0 0 0 0 {rng.getrandbits(31)}")
            out.append(f"{c} {hw} {p0} {p1} {rng.randrange(3)} 1 {rng.randrange(2)} {int(rng.randrange(4) > 0)} "
                       f"{rng.randrange(3)} {rng.getrandbits(31)}")
    return out


@pytest.mark.parametrize("target", ("cortex-m4", "cortex-m7"))
def test_against_portable(target, tmp_path):
    firmware = build_firmware_check(target, CHECK, ["pack", "pack_cm"], tmp_path)
    run_firmware_cases(firmware, cases(), tmp_path)
