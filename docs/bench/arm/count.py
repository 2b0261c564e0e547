#!/usr/bin/env python3
"""(a) Instructions executed per Bi-Real-18 image, counted under qemu-user (bnncc.instruction_count),
for four ARM builds of the same model:

  aarch64-portable  the aarch64 toolchain and flags with the portable (generic-c) kernels
  armv7-portable    the same for armv7
  aarch64-neon      the NEON target as shipped
  armv7-neon        the NEON target as shipped

The portable builds are the NEON targets with kernels=PORTABLE and no capabilities (no fusions),
i.e. what generic-c compiles to for that CPU. Binary layers (those with binary MACs) are set
against the least any 128-bit XOR-popcount code needs: EOR + CNT + accumulate = 3 instructions
per 128 binary MACs. Writes count.json (per layer too) and count.md.

usage: .venv/bin/python docs/bench/arm/count.py [MODEL.onnx]
       (default /tmp/bireal18.onnx: .venv/bin/python examples/bireal/bireal.py -o /tmp/bireal18.onnx)
"""
from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

import bnncc  # noqa: E402
import bnncc.targets  # noqa: E402
import bnncc.targets.kernels  # noqa: E402
from bnncc.instruction_count import MIN_INSTRUCTIONS_PER_128_MACS, count_instructions  # noqa: E402


def builds():
    T = bnncc.targets.TARGETS
    portable = lambda name, base: dataclasses.replace(T[base], name=name, kernels=bnncc.targets.kernels.PORTABLE,
                                                      capabilities=frozenset())
    return [("aarch64-portable", portable("aarch64-portable", "aarch64-neon")),
            ("armv7-portable", portable("armv7-portable", "armv7-neon")),
            ("aarch64-neon", T["aarch64-neon"]), ("armv7-neon", T["armv7-neon"])]


def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else "/tmp/bireal18.onnx"
    results = {}
    for name, target in builds():
        t0 = time.time()
        r = count_instructions(model, target)
        d = r.to_dict()
        d["float_layer_instructions"] = sum(l.instructions for l in r.layers if l.float_macs and not l.binary_macs)
        d["other_instructions"] = r.instructions - r.binary_layer_instructions - d["float_layer_instructions"]
        results[name] = d
        print(f"{name}: {r.instructions:,} instructions ({time.time() - t0:.0f} s)", flush=True)
    out = {"model": Path(model).name, "minimum_instructions_per_128_binary_macs": MIN_INSTRUCTIONS_PER_128_MACS,
           "builds": results}
    (HERE / "count.json").write_text(json.dumps(out, indent=1) + "\n")

    any_ = next(iter(results.values()))
    md = [f"Instructions executed per image of {out['model']} (qemu-user count, 1 thread); "
          f"{any_['binary_macs']:,} binary MACs, {any_['float_macs']:,} float MACs; minimum on binary layers = "
          f"{MIN_INSTRUCTIONS_PER_128_MACS} per 128 binary MACs.", "",
          "| build | instructions / image | binary layers | per 128 binary MACs | x minimum | float-MAC layers | other layers |",
          "|---|---:|---:|---:|---:|---:|---:|"]
    for name, d in results.items():
        per = d["binary_instructions_per_128_macs"]
        md.append(f"| {name} | {d['instructions']:,} | {d['binary_layer_instructions']:,} | {per:.2f} | "
                  f"{per / MIN_INSTRUCTIONS_PER_128_MACS:.2f} | {d['float_layer_instructions']:,} | {d['other_instructions']:,} |")
    # per layer: one table per group of builds with the same layers (the portable builds do not fuse)
    groups: dict[tuple, list[str]] = {}
    for name, d in results.items():
        groups.setdefault(tuple((l["op_type"], l["detail"]) for l in d["layers"]), []).append(name)
    for shape, names in groups.items():
        md += ["", f"Per layer, {', '.join(names)} (instructions; binary layers also per 128 binary MACs):", "",
               "| # | layer | " + " | ".join(names) + " |", "|---|---|" + "---:|" * len(names)]
        for i, (op, detail) in enumerate(shape):
            cells = []
            for name in names:
                l = results[name]["layers"][i]
                per = f" ({128 * l['instructions'] / l['binary_macs']:.2f})" if l["binary_macs"] else ""
                cells.append(f"{l['instructions']:,}{per}")
            md.append(f"| {i} | {op} {detail} | " + " | ".join(cells) + " |")
    (HERE / "count.md").write_text("\n".join(md) + "\n")
    print("\n".join(md[:8]))


if __name__ == "__main__":
    main()
