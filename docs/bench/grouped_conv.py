#!/usr/bin/env python3
"""Grouped binary convs against the ungrouped conv of the same per-group shape, in one bench run.

The model holds both: a ±1 map of G*P channels through a grouped 3x3 conv (G groups of P -> P
channels), and a second ±1 map of P channels through an ungrouped 3x3 P -> P conv, each followed
by a BatchNormalization and a Sign read by a 1x1 binary conv (so both convs end in the same
packed-bits output stage). `bnncc bench` times every layer; this prints, per shape, the group convs'
GMAC/s against the ungrouped one's, the SliceBits/ConcatBits copies around the groups (none when the
groups are whole words: the group convs read their channels in place and write into the joined map),
and the whole grouped layer (copies included) as a fraction of the ungrouped conv's efficiency.

usage: .venv/bin/python docs/bench/grouped_conv.py [-t TARGET] [--runs R] [GxPxSIDE ...]
       (default: x86-avx512, 100 runs, 4x64x28 2x128x28 8x64x14 4x128x14)
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from bnncc.bench import bench  # noqa: E402
from zoo import _bn, _conv, _Graph, _vi, pm1  # noqa: E402


def paired_model(groups: int, per_group: int, side: int, seed: int = 0) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    g = _Graph()
    c = groups * per_group
    outputs = []
    for x, channels, group, name in (("x", c, groups, "grouped"), ("x_single", per_group, 1, "single")):
        y = _conv(g, g.op("Sign", [x]), g.const(pm1(rng, (channels, per_group, 3, 3)), f"{name}.weight"), 3, pad=1,
                  group=group, hint=name)
        y = g.op("Sign", [_bn(g, rng, y, channels, per_group * 9)])
        outputs.append(g.op("Conv", [y, g.const(pm1(rng, (16, channels, 1, 1)), f"{name}.head")], out=f"y_{name}",
                            kernel_shape=[1, 1]))
    return g.model([_vi("x", [1, c, side, side]), _vi("x_single", [1, per_group, side, side])],
                   [_vi(name, [1, 16, side, side]) for name in outputs], {"": 13})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-t", "--target", default="x86-avx512")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("shapes", nargs="*", default=["4x64x28", "2x128x28", "8x64x14", "4x128x14"])
    args = parser.parse_args()
    for shape in args.shapes:
        groups, per_group, side = (int(v) for v in shape.split("x"))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "paired.onnx"
            onnx.save(paired_model(groups, per_group, side), path)
            layers = bench(path, target=args.target, threads=1, runs=args.runs).layers
        convs = [t for t in layers if t.op_type.startswith("BinaryConv") and "3x3" in t.detail]
        group_convs, single = convs[:-1], convs[-1]          # the groups come first (the Sign of x first)
        copies = sum(t.ms for t in layers if t.op_type in ("SliceBits", "ConcatBits"))
        group_ms = sum(t.ms for t in group_convs)
        group_gmacs = np.mean([t.gmacs_per_s for t in group_convs])
        print(f"{groups} groups of {per_group}->{per_group}, {side}x{side}: group convs {group_gmacs:.0f} GMAC/s, "
              f"ungrouped {single.gmacs_per_s:.0f} GMAC/s ({group_gmacs / single.gmacs_per_s:.2f}x); copies "
              f"{copies * 1e3:.1f} us = {copies / group_ms:.1%} of the group convs; whole grouped layer "
              f"{groups * single.ms / (group_ms + copies):.2f}x the ungrouped efficiency")


if __name__ == "__main__":
    main()
