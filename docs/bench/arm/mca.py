#!/usr/bin/env python3
"""(b) llvm-mca: cycles per 128 binary MACs of bnncc's aarch64 binary-conv inner loops and of LCE's.

Steps (all inputs regenerated from the current tree, outputs under docs/bench/arm/out/):
  1. extract_loops.py: compile runtime_c/src/bconv_neon.c (and float_neon.c) for aarch64 as the
     target does and cut the steady-state inner loop of every accumulate instance (ours_*.s);
  2. lce_loops.py: write the loops standing for LCE's 8x4x4 and 8x4x2 kernels (lce_*.s);
  3. llvm-mca -mtriple=aarch64 -mcpu=CPU -iterations=1000 on each: cycles per iteration = Total
     Cycles / 1000; binary MACs per iteration = 128 x (number of CNT .16b), checked against the
     source's tile (TP pixels x NV vectors x 2 channels x 64 bits per step);
  4. mca.json (everything) and mca.md (the table).

usage: python3 docs/bench/arm/mca.py
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
OUT = HERE / "out"
CPUS = ("cortex-a53", "cortex-a72", "cortex-a76")
ITER = 1000

# which of our instances runs which Bi-Real-18 layers (3x3 convs: L = 3 taps x words(C))
ROLE = {
    "acc_row3": "block-major 3x3 s1 interior, C=64 (L=3)", "acc_row6": "block-major 3x3 s1 interior, C=128 (L=6)",
    "acc_row12": "block-major 3x3 s1 interior, C=256 (L=12)", "acc_row24": "block-major 3x3 s1 interior, C=512 (L=24)",
    "acc_rows": "s1 interior, other L (generic)",
    "word_row3": "word-major (affine_pack) 3x3 interior, C=64", "word_row6": "word-major (affine_pack) 3x3 interior, C=128",
    "word_row12": "word-major (affine_pack) 3x3 interior, C=256", "word_row24": "word-major (affine_pack) 3x3 interior, C=512",
    "word_brow3": "word-major (affine_pack) 3x3 border, C=64", "word_brow6": "word-major (affine_pack) 3x3 border, C=128",
    "word_brow12": "word-major (affine_pack) 3x3 border, C=256", "word_brow24": "word-major (affine_pack) 3x3 border, C=512",
    "acc_in_taps": "stride 2 interior (per tap)", "acc_1v_rows": "tile of 1 vector (M tail), interior rows",
    "acc_1v_in_taps": "1 vector, stride 2 interior", "acc_1v": "1 vector, border", "acc_1p": "1 pixel (pixel tail), rows",
    "acc_1p_taps": "1 pixel, taps", "acc_1p1v": "1 pixel, 1 vector",
    "acc_brow3": "3x3 s1 border, C=64", "acc_brow6": "3x3 s1 border, C=128",
    "acc_brow12": "3x3 s1 border, C=256", "acc_brow24": "3x3 s1 border, C=512",
    "acc_brows": "s1 border, other L", "acc_taps": "stride 2 border",
}
LCE = {"lce_8x4x4": ("LCE 8x4x4 (C % 128 == 0)", 4096), "lce_8x4x2": ("LCE 8x4x2 (C = 64)", 2048)}


def run(cmd: list[str]) -> str:
    return subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def tile_from_source() -> dict:
    """TP, NV, VW of the aarch64 build, read from bconv_neon.c's #defines (TP and NV in its
    aarch64 section)."""
    src = (ROOT / "runtime_c/src/bconv_neon.c").read_text()
    a64 = src.split("#if defined(__aarch64__)", 1)[1].split("#else", 1)[0]
    get = lambda text, k: int(re.search(rf"#define {k}\s+\(?(\d+)", text).group(1))
    tp, nv, vw = get(a64, "TP"), get(a64, "NV"), get(src, "VW")
    return {"TP": tp, "NV": nv, "VW": vw, "macs_per_step": tp * nv * vw * 64}


def mca(path: Path, cpu: str) -> dict:
    text = run(["llvm-mca", "-mtriple=aarch64", f"-mcpu={cpu}", f"-iterations={ITER}", str(path)])
    num = lambda k: float(re.search(rf"^{k}:\s+([\d.]+)", text, re.M).group(1))
    units = dict(re.findall(r"^(\[[\d.]+\])\s+- (\S+)", text, re.M))
    lines = text.split("Resource pressure per iteration:", 1)[1].strip().splitlines()
    pressure = {units[k]: (0.0 if v == "-" else float(v)) for k, v in zip(lines[0].split(), lines[1].split())}
    return {"total_cycles": num("Total Cycles"), "cycles_per_iteration": num("Total Cycles") / ITER,
            "instructions_per_iteration": num("Instructions") / ITER, "uops_per_iteration": num("Total uOps") / ITER,
            "ipc": num("IPC"), "block_rthroughput": num("Block RThroughput"), "pressure_per_iteration": pressure}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in [*OUT.glob("ours_*.s"), *OUT.glob("lce_*.s"), *OUT.glob("whatif_*.s")]:
        old.unlink()  # instances the kernel no longer has must not linger
    subprocess.run([sys.executable, str(HERE / "extract_loops.py"), str(OUT)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, str(HERE / "lce_loops.py"), str(OUT)], check=True)
    ours = json.loads((OUT / "ours_loops.json").read_text())
    tile = tile_from_source()
    version = next(l.strip() for l in run(["llvm-mca", "--version"]).splitlines() if "LLVM version" in l)
    rows = []
    for name, (label, macs) in LCE.items():
        rows.append({"loop": name, "what": label, "file": f"out/{name}.s", "binary_macs": macs})
    for name, info in ours.items():
        if "cnt" not in info:
            continue
        steps = info["binary_macs"] / tile["macs_per_step"]
        rows.append({"loop": name, "what": "bnncc " + ROLE.get(name, name), "file": f"out/{info['file']}",
                     "binary_macs": info["binary_macs"], "steps_per_iteration": steps})
    for r in rows:
        r["cpu"] = {}
        for cpu in CPUS:
            m = mca(HERE / r["file"], cpu)
            m["cycles_per_128_macs"] = m["cycles_per_iteration"] * 128 / r["binary_macs"]
            m["instructions_per_128_macs"] = m["instructions_per_iteration"] * 128 / r["binary_macs"]
            r["cpu"][cpu] = m
    ref = {r["loop"]: r["cpu"]["cortex-a72"]["cycles_per_128_macs"] for r in rows if r["loop"].startswith("lce")}
    for r in rows:
        a72 = r["cpu"]["cortex-a72"]["cycles_per_128_macs"]
        r["vs_lce_8x4x4_a72"] = a72 / ref["lce_8x4x4"]
        r["vs_lce_8x4x2_a72"] = a72 / ref["lce_8x4x2"]
    res = {"llvm_mca": version, "iterations": ITER, "tile": tile,
           "float_fma": ours.get("float_fma"), "rows": rows}
    if "float_fma" in ours:
        res["float_fma"]["cpu"] = {cpu: mca(OUT / "ours_float_fma.s", cpu) for cpu in CPUS}
    (HERE / "mca.json").write_text(json.dumps(res, indent=1) + "\n")

    md = [f"llvm-mca ({res['llvm_mca']}), {ITER} iterations; cycles per 128 binary MACs "
          "(= cycles per iteration x 128 / binary MACs per iteration); ratio = our A72 cycles / LCE's.", "",
          "A72 columns also per 128 MACs: uops, and the busiest of the model's two ASIMD pipes "
          "(A57UnitW/X, F0/F1) and its load pipe (A57UnitL).", "",
          "| loop | runs | MACs/iter | instr/128 MACs | A53 cyc/128 | A72 cyc/128 | A76 cyc/128 | A72 IPC | A72 uops/128 | A72 ASIMD pipe/128 | A72 load pipe/128 | vs LCE 8x4x4 (A72) | vs LCE 8x4x2 (A72) |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        c, k = r["cpu"], 128 / r["binary_macs"]
        md.append(f"| `{r['loop']}` | {r['what']} | {r['binary_macs']} | {c['cortex-a72']['instructions_per_128_macs']:.2f} | "
                  f"{c['cortex-a53']['cycles_per_128_macs']:.2f} | {c['cortex-a72']['cycles_per_128_macs']:.2f} | "
                  f"{c['cortex-a76']['cycles_per_128_macs']:.2f} | {c['cortex-a72']['ipc']:.2f} | "
                  f"{k * c['cortex-a72']['uops_per_iteration']:.2f} | "
                  f"{k * max(c['cortex-a72']['pressure_per_iteration'].get(u, 0) for u in ('A57UnitW', 'A57UnitX')):.2f} | "
                  f"{k * c['cortex-a72']['pressure_per_iteration'].get('A57UnitL', 0):.2f} | "
                  f"{r['vs_lce_8x4x4_a72']:.2f} | {r['vs_lce_8x4x2_a72']:.2f} |")
    if res.get("float_fma"):
        f = res["float_fma"]
        md += ["", f"Float conv FMA loop (`{f['function']}`, {f['fmla']} FMLA = {f['float_macs']} float MACs/iter): "
               + ", ".join(f"{cpu} {f['cpu'][cpu]['cycles_per_iteration']:.1f} cycles/iter, IPC {f['cpu'][cpu]['ipc']:.2f}"
                           for cpu in CPUS)]
    (HERE / "mca.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
