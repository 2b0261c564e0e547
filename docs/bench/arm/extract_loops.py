#!/usr/bin/env python3
"""Cut the binary-conv inner loops out of the compiler's assembly of runtime_c/src/bconv_neon.c
(and the float conv's FMA loop out of runtime_c/src/float_neon.c, for the estimate).

Compiles the kernel as the aarch64-neon target does (aarch64-linux-gnu-gcc -O3 -std=c99
-ffp-contract=off -Iruntime_c/include -S), splits the assembly into functions and, in every
function with popcounts (the accumulate instances acc_*, the word-major tiles word_*, ...), finds
the loops: a label L and the last conditional branch back to L
with no other branch in between (straight-line code, the steady state of the (tap, word) steps;
labels inside are entry points of a rotated loop and stay in).
The loop with the most CNTs of a function is its inner loop. Each is written as its own file with
LLVM-MCA-BEGIN/END marks around the body, so that it follows the source whenever the kernel
changes. Binary MACs of one iteration are counted from the code itself: every `cnt vN.16b`
popcounts one 128-bit XOR, i.e. 128 binary MACs (checked against TP x NV x 2 channels x 64 bits
x steps per iteration from the source's #defines, see mca.py).

float_neon.c: the straight-line loop with the most `fmla vN.4s` in its conv functions (the conv
panel's micro-kernel, which the stem conv runs); 4 float MACs per FMLA.

usage: extract_loops.py OUTDIR   (run from anywhere; paths are relative to the repository root)
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SRC = "runtime_c/src/bconv_neon.c"
FSRC = "runtime_c/src/float_neon.c"
CC = "aarch64-linux-gnu-gcc"
CFLAGS = ["-O3", "-std=c99", "-ffp-contract=off", "-Iruntime_c/include"]

FUNC = re.compile(r"^([A-Za-z_][\w.$]*):")                # a symbol at column 0
LABEL = re.compile(r"^\s*(\d+|\.?[A-Za-z_][\w.$]*):")      # also inline asm's numeric local labels
BRANCH = re.compile(r"^\s+(b\.\w+|bne|beq|blt|bgt|ble|bge|bhi|bls|blo|bhs|bcc|bcs|cbnz|cbz|tbnz|tbz)\s+(.*)$")
UNCOND = re.compile(r"^\s+(b|br|ret|bl|blr)(\s|$)")
CNT = re.compile(r"^\s+cnt\s+v\d+\.16b")
FMLA = re.compile(r"^\s+fmla\s+v\d+\.4s")


def compile_asm(out: Path, src: str) -> Path:
    asm = out / (Path(src).stem + ".aarch64.s")
    subprocess.run([CC, *CFLAGS, "-S", src, "-o", str(asm)], cwd=ROOT, check=True)
    return asm


def functions(lines: list[str]) -> dict[str, list[str]]:
    funcs, name = {}, None
    for line in lines:
        m = FUNC.match(line)
        if m:
            name = m.group(1)
            funcs[name] = []
        elif name is not None:
            funcs[name].append(line)
    return funcs


def is_instruction(line: str) -> bool:
    s = line.strip()
    return bool(s) and not s.startswith((".", "//", "#", "@")) and not LABEL.match(s)


def loops(body: list[str]) -> list[tuple[str, list[str]]]:
    """(label, instructions) of each straight-line loop: label, no branch but the one back to it."""
    found = []
    for i, line in enumerate(body):
        m = LABEL.match(line)
        if not m:
            continue
        label = m.group(1)
        for j in range(i + 1, len(body)):
            b = BRANCH.match(body[j])
            target = b.group(2).split(",")[-1].strip() if b else None
            if target and re.fullmatch(r"\d+b", target):
                target = target[:-1]  # numeric local label, backwards
            if target == label:
                found.append((label, [l.rstrip() for l in body[i + 1:j + 1] if is_instruction(l)]))
                break
            if b or UNCOND.match(body[j]):
                break
    return found


def named(label: str, ins: list[str]) -> tuple[str, list[str]]:
    """A numeric local label (inline asm's `1:` ... `b.ne 1b`) renamed, which llvm-mca needs."""
    if not label.isdigit():
        return label, ins
    new = f".Lasm{label}"
    return new, [re.sub(rf"(\s|,){label}b\s*$", rf"\g<1>{new}", l) for l in ins]


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs/bench/arm/out").resolve()
    out.mkdir(parents=True, exist_ok=True)
    asm = compile_asm(out, SRC)
    funcs = functions(asm.read_text().splitlines())
    index = {}
    for name, body in funcs.items():
        cands = [(lab, ins) for lab, ins in loops(body) if any(CNT.match(l) for l in ins)]
        if not cands:
            continue
        label, ins = named(*max(cands, key=lambda c: sum(bool(CNT.match(l)) for l in c[1])))
        fname = name.split(".")[0]
        cnts = sum(bool(CNT.match(l)) for l in ins)
        text = [f"# steady-state inner loop of {name} in {SRC}, cut from {asm.name} (label {label})",
                f"# LLVM-MCA-BEGIN {fname}", f"{label}:", *ins, "# LLVM-MCA-END", ""]
        path = out / f"ours_{fname}.s"
        path.write_text("\n".join(text))
        index[fname] = {"file": path.name, "label": label, "instructions": len(ins), "cnt": cnts,
                        "binary_macs": 128 * cnts, "loops_with_cnt": len(cands)}
    fasm = compile_asm(out, FSRC)
    best = None
    for name, body in functions(fasm.read_text().splitlines()).items():
        if "conv" not in name:  # the conv kernels, not the matmul's
            continue
        for label, ins in loops(body):
            n = sum(bool(FMLA.match(l)) for l in ins)
            if n and (best is None or n > best[0]):
                best = (n, name, label, ins)
    if best:
        n, name, label, ins = best
        label, ins = named(label, ins)
        text = [f"# the float conv's FMA inner loop: {name} in {FSRC}, cut from {fasm.name} (label {label})",
                "# LLVM-MCA-BEGIN float_fma", f"{label}:", *ins, "# LLVM-MCA-END", ""]
        (out / "ours_float_fma.s").write_text("\n".join(text))
        index["float_fma"] = {"file": "ours_float_fma.s", "function": name, "label": label,
                              "instructions": len(ins), "fmla": n, "float_macs": 4 * n}
    (out / "ours_loops.json").write_text(json.dumps(index, indent=2) + "\n")
    for k, v in index.items():
        if "cnt" in v:
            print(f"{k:18s} {v['instructions']:4d} instructions, {v['cnt']:3d} CNT = {v['binary_macs']:5d} MACs/iter"
                  f"  ({v['loops_with_cnt']} loops with CNT)")
        else:
            print(f"{k:18s} {v['instructions']:4d} instructions, {v['fmla']:3d} FMLA = {v['float_macs']} float MACs/iter"
                  f"  ({v['function']})")


if __name__ == "__main__":
    main()
