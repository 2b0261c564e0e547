#!/usr/bin/env python3
"""(c) ESTIMATE of Bi-Real-18 latency on a Raspberry Pi 4 (Cortex-A72, 1.5 GHz), 1 and 4 threads.

Not a measurement: no ARM hardware here. Inputs, all produced by this folder's scripts:
  count.json  per-layer instructions of the aarch64-neon build (qemu count, count.py)
  mca.json    llvm-mca (cortex-a72) cycles and instructions per iteration of the hot loops (mca.py)
Model, per layer:
  binary conv: its MACs run in the inner loop of the instance that serves it (3x3, any stride:
      word_row{3*C/64}, the word-major tiles of the affine_pack kernel Bi-Real-18 runs, or else
      acc_row{3*C/64} for stride 1, acc_in_taps for stride 2); border tiles are costed as interior
      ones, at that loop's llvm-mca cycles per 128 MACs;
      the layer's remaining instructions (output stage, borders, setup) at IPC_REST;
  float stem conv (+ fused pool): its float MACs in the conv FMA loop at its llvm-mca cycles per
      iteration; the rest at IPC_REST;
  every other layer: all instructions at IPC_REST.
  4 threads: the 1-thread time / (4 x EFFICIENCY).
Each assumption has a low / central / high value; the low and high estimates take every
assumption at its optimistic / pessimistic end together (so the range is wide on purpose).

usage: python3 docs/bench/arm/estimate.py     (after mca.py and count.py)
"""
from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
GHZ = 1.5
# (optimistic, central, pessimistic)
IPC_REST = (1.5, 1.0, 0.7)        # scalar/mixed code outside the hot loops on a 3-wide A72
LOOP_ERR = (0.90, 1.00, 1.30)     # llvm-mca's A57 model for A72, L1-resident data -> real loop (cache misses, model error)
EFFICIENCY = (0.90, 0.80, 0.65)
# LCE's published latencies (github.com/larq/compute-engine README.md, "Performance"; ms): no Pi 4
# figure for Bi-RealNet is published, only Pixel 1; the QuickNets give the Pi 4 / Pixel 1 ratio
LCE_BIREAL_PIXEL1_MS = 41.6
LCE_QUICKNET = {  # model: (Pi 4B 1 thread, Pixel 1 1 thread, Pi 4B 4 threads)
    "QuickNetSmall": (27.7, 16.8, 12.1), "QuickNet": (45.0, 25.5, 20.8), "QuickNetLarge": (77.0, 44.2, 31.7)}   # 4-thread parallel efficiency (x86, 2 threads: 0.90 median, 0.976 in docs/bench)


def loop_for(detail: str, have: set[str]) -> str:
    m = re.match(r"(\d+)->(\d+) (\d+)x(\d+)/(\d+)", detail)
    cin, kh, kw, s = int(m.group(1)), int(m.group(3)), int(m.group(4)), int(m.group(5))
    # the affine_pack kernel's word-major tiles (its run_hook: 3x3 with DW == 1, any stride)
    if (kh, kw) == (3, 3) and f"word_row{kw * cin // 64}" in have:
        return f"word_row{kw * cin // 64}"
    if s != 1:
        return "acc_in_taps"
    if (kh, kw) == (3, 3) and f"acc_row{kw * cin // 64}" in have:
        return f"acc_row{kw * cin // 64}"
    return "acc_rows"


def estimate(layers, loops, fl, which: int) -> tuple[float, list]:
    ipc, err = IPC_REST[which], LOOP_ERR[which]
    total, rows = 0.0, []
    for l in layers:
        n, cyc, how = l["instructions"], 0.0, "rest"
        if l["binary_macs"]:
            name = loop_for(l["detail"], set(loops))
            lp = loops[name]["cpu"]["cortex-a72"]
            iters = l["binary_macs"] / loops[name]["binary_macs"]
            in_loop = min(n, iters * lp["instructions_per_iteration"])
            cyc = iters * lp["cycles_per_iteration"] * err + (n - in_loop) / ipc
            how = f"{name}: {in_loop / n:.0%} of instr in loop"
        elif l["float_macs"] and l["op_type"].startswith("Conv") and fl:
            lp = fl["cpu"]["cortex-a72"]
            iters = l["float_macs"] / fl["float_macs"]
            in_loop = min(n, iters * lp["instructions_per_iteration"])
            cyc = iters * lp["cycles_per_iteration"] * err + (n - in_loop) / ipc
            how = f"float FMA loop: {in_loop / n:.0%} of instr in loop"
        else:
            cyc = n / ipc
        total += cyc
        rows.append({"index": l["index"], "layer": f"{l['op_type']} {l['detail']}", "instructions": n,
                     "cycles": cyc, "ms": cyc / GHZ / 1e6, "how": how})
    return total, rows


def main() -> None:
    count = json.loads((HERE / "count.json").read_text())
    mca = json.loads((HERE / "mca.json").read_text())
    layers = count["builds"]["aarch64-neon"]["layers"]
    loops = {r["loop"]: r for r in mca["rows"] if not r["loop"].startswith("lce")}
    fl = mca.get("float_fma")
    if fl:
        fl["cpu"]["cortex-a72"]["instructions_per_iteration"] = fl["cpu"]["cortex-a72"].get(
            "instructions_per_iteration", fl["instructions"])
    res = {"ghz": GHZ, "assumptions": {"ipc_rest": IPC_REST, "loop_error": LOOP_ERR, "efficiency_4t": EFFICIENCY},
           "label": "ESTIMATE (not measured): Raspberry Pi 4, Cortex-A72 @ 1.5 GHz"}
    for which, key in enumerate(("optimistic", "central", "pessimistic")):
        cyc, rows = estimate(layers, loops, fl, which)
        ms1 = cyc / GHZ / 1e6
        res[key] = {"ms_1_thread": ms1, "ms_4_threads": ms1 / (4 * EFFICIENCY[which])}
        if key == "central":
            res["layers_central"] = rows
    # the inner loops alone, weighted by Bi-Real-18's binary MACs: ours (the instance per layer) vs LCE's
    # (8x4x4 when C % 128 == 0, else 8x4x2, as its select_kernel.h)
    lce = {r["loop"]: r for r in mca["rows"] if r["loop"].startswith("lce")}
    w = {"macs": 0, "ours": 0.0, "lce": 0.0}
    for l in layers:
        if l["binary_macs"]:
            cin = int(re.match(r"(\d+)->", l["detail"]).group(1))
            ours = loops[loop_for(l["detail"], set(loops))]["cpu"]["cortex-a72"]["cycles_per_128_macs"]
            theirs = lce["lce_8x4x4" if cin % 128 == 0 else "lce_8x4x2"]["cpu"]["cortex-a72"]["cycles_per_128_macs"]
            w["macs"] += l["binary_macs"]
            w["ours"] += l["binary_macs"] * ours
            w["lce"] += l["binary_macs"] * theirs
    res["inner_loop_weighted_a72"] = {"ours_cycles_per_128_macs": w["ours"] / w["macs"],
                                      "lce_cycles_per_128_macs": w["lce"] / w["macs"], "ratio": w["ours"] / w["lce"]}
    ratios = {m: v[0] / v[1] for m, v in LCE_QUICKNET.items()}
    res["lce"] = {"published_ms": {"BiRealNet_pixel1": LCE_BIREAL_PIXEL1_MS, **{m: dict(zip(
        ("pi4_1t", "pixel1_1t", "pi4_4t"), v)) for m, v in LCE_QUICKNET.items()}},
        "pi4_over_pixel1": ratios,
        "extrapolated_bireal_pi4_1t_ms": [LCE_BIREAL_PIXEL1_MS * min(ratios.values()),
                                          LCE_BIREAL_PIXEL1_MS * max(ratios.values())]}
    (HERE / "estimate.json").write_text(json.dumps(res, indent=1) + "\n")
    c, o, p = res["central"], res["optimistic"], res["pessimistic"]
    md = [f"**ESTIMATE, not a measurement** (Raspberry Pi 4, Cortex-A72 at {GHZ} GHz, aarch64-neon build):", "",
          "| threads | central | range (optimistic .. pessimistic) |", "|---|---:|---:|",
          f"| 1 | {c['ms_1_thread']:.1f} ms | {o['ms_1_thread']:.1f} .. {p['ms_1_thread']:.1f} ms |",
          f"| 4 | {c['ms_4_threads']:.1f} ms | {o['ms_4_threads']:.1f} .. {p['ms_4_threads']:.1f} ms |", "",
          "Inner loops alone, weighted by Bi-Real-18's binary MACs (llvm-mca, cortex-a72 model): ours "
          f"{res['inner_loop_weighted_a72']['ours_cycles_per_128_macs']:.2f}, LCE's "
          f"{res['inner_loop_weighted_a72']['lce_cycles_per_128_macs']:.2f} cycles per 128 binary MACs "
          f"(ratio {res['inner_loop_weighted_a72']['ratio']:.2f}).", "",
          "LCE, published (README.md of larq/compute-engine): Bi-RealNet "
          f"{LCE_BIREAL_PIXEL1_MS} ms on a Pixel 1, no Raspberry Pi 4 figure; QuickNet family on the Pi 4B, "
          "1 thread / 4 threads (Pixel 1, 1 thread): " + "; ".join(
              f"{m} {v[0]} / {v[2]} ms ({v[1]} ms)" for m, v in LCE_QUICKNET.items()) + ".", "",
          "Our extrapolation, NOT an LCE figure: Pi 4 / Pixel 1 single-thread ratio of the QuickNets " +
          ", ".join(f"{r:.2f}" for r in ratios.values()) + f"; Bi-RealNet at those ratios: "
          f"{res['lce']['extrapolated_bireal_pi4_1t_ms'][0]:.1f} .. {res['lce']['extrapolated_bireal_pi4_1t_ms'][1]:.1f} ms "
          "on one Pi 4 core.", "",
          "Central estimate per layer (1 thread):", "", "| # | layer | instructions | est. ms | model |", "|---|---|---:|---:|---|"]
    md += [f"| {r['index']} | {r['layer']} | {r['instructions']:,} | {r['ms']:.2f} | {r['how']} |"
           for r in res["layers_central"]]
    (HERE / "estimate.md").write_text("\n".join(md) + "\n")
    print("\n".join(md[:7]))


if __name__ == "__main__":
    main()
