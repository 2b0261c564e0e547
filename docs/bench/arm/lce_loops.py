#!/usr/bin/env python3
"""Write the llvm-mca inputs that stand for Larq Compute Engine's aarch64 binary-conv inner loops.

These files are a measurement input, not LCE's code: each is one iteration of LCE's accumulation
loop re-expressed from its instruction mix and dependency structure, with our own register names,
generated below. Source read (github.com/larq/compute-engine):
  larq_compute_engine/core/indirect_bgemm/kernel_8x4x4_aarch64.h @ ea89cf8994b69018ee723a0a23563c37f42000c1
  larq_compute_engine/core/indirect_bgemm/kernel_8x4x2_aarch64.h @ 6e0f432194377803d03d94602819df9f9dd0794e
(select_kernel.h picks 8x4x4 when the 32-bit-word input depth is a multiple of 4, i.e. C % 128 == 0,
8x4x2 when it is a multiple of 2, i.e. C = 64, 192, ...).

Tile: 4 output pixels x 8 output channels, 16-bit accumulators (UADALP .8h <- .16b).
  8x4x4, one iteration = 128 bits of input depth = 4 x 8 x 128 = 4096 binary MACs:
    4 activation q registers (128 depth bits of one pixel each, LD1 .4s with post-increment),
    8 weight q registers (128 depth bits of one channel each, LDR q at offsets 0..112 + one ADD),
    32 EOR (every activation with every weight), 32 CNT, 28 ADDP (a reduction tree: 32 -> 16 -> 8
    -> 4 vectors of byte pairs), 4 UADALP into the accumulators, SUBS + B.GT.
    Order as in the source: EOR/CNT/ADDP of weights 0-3, then of weights 4-7 (which reuse the
    weight registers 0-7 as temporaries, the activation loads interleaved with those CNTs), then
    the last ADDP levels interleaved with the 8 weight loads, then UADALP.
  8x4x2, one iteration = 64 bits of input depth = 4 x 8 x 64 = 2048 binary MACs:
    4 activation q registers, each one 64-bit word in both lanes, filled by two single-lane LD1
    (lane 0, then lane 1 with post-increment; LCE's comment: LD1R of 64-bit elements would use
    the ASIMD pipes on Cortex-A7x), 4 weight q registers (2 channels x 64 bits each, LDR q),
    16 EOR, 16 CNT, 12 ADDP, 4 UADALP, one ADD, SUBS + B.GT.

usage: lce_loops.py OUTDIR
"""
from __future__ import annotations

import sys
from pathlib import Path

# our register names: activations A0-3, weights W0-7, temporaries T0-15, accumulators C0-3
A = [f"v{16 + j}" for j in range(4)]
W = [f"v{20 + k}" for k in range(8)]
T = [f"v{k}" for k in range(16)]
C = [f"v{28 + j}" for j in range(4)]
APTR = ["x10", "x11", "x12", "x13"]
WPTR = "x9"


def eor(d, a, b): return f"eor {d}.16b, {a}.16b, {b}.16b"
def cnt(d): return f"cnt {d}.16b, {d}.16b"
def addp(d, a, b): return f"addp {d}.16b, {a}.16b, {b}.16b"
def uadalp(d, s): return f"uadalp {d}.8h, {s}.16b"
def ldr_w(k, off): return f"ldr q{W[k][1:]}, [{WPTR}, #{off}]"


def interleave(main: list[str], extra: list[str], every: int) -> list[str]:
    """main with one of extra after every `every` instructions (the rest of extra at the end)."""
    out, extra = [], list(extra)
    for i, ins in enumerate(main, 1):
        out.append(ins)
        if extra and i % every == 0:
            out.append(extra.pop(0))
    return out + extra


def loop_8x4x4() -> list[str]:
    body = ["subs w1, w1, #1"]
    # weights 0-3: T[4k + j] = A[j] ^ W[k]
    body += [eor(T[4 * k + j], A[j], W[k]) for k in range(4) for j in range(4)]
    body += [cnt(T[i]) for i in range(16)]
    body += [addp(T[j], T[j], T[4 + j]) for j in range(4)] + [addp(T[8 + j], T[8 + j], T[12 + j]) for j in range(4)]
    # weights 4-7 into T4-7, T12-15 and the weight registers themselves (W6 -> W0-3, W7 -> W4-7)
    dst = [T[4 + j] for j in range(4)] + [T[12 + j] for j in range(4)] + W[0:4] + W[4:8]
    src = [W[4]] * 4 + [W[5]] * 4 + [W[6]] * 4 + [W[7]] * 4
    body += [eor(d, A[i % 4], s) for i, (d, s) in enumerate(zip(dst, src))]
    loads_a = [f"ld1 {{{A[j]}.4s}}, [{APTR[j]}], #16" for j in range(4)]
    body += interleave([cnt(d) for d in dst], loads_a, 4)
    body += [addp(T[4 + j], T[4 + j], T[12 + j]) for j in range(4)] + [addp(T[12 + j], W[j], W[4 + j]) for j in range(4)]
    # last levels of the tree, with the weight loads for the next iteration
    lvl3 = [addp(T[j], T[j], T[8 + j]) for j in range(4)] + [addp(T[4 + j], T[4 + j], T[12 + j]) for j in range(4)]
    body += interleave(lvl3, [ldr_w(k, 16 * k) for k in range(4)], 2)
    lvl4 = [addp(T[j], T[j], T[4 + j]) for j in range(4)]
    body += interleave(lvl4, [ldr_w(4, 64), ldr_w(5, 80)], 2)
    body += interleave([uadalp(C[j], T[j]) for j in range(4)], [ldr_w(6, 96), ldr_w(7, 112)], 2)
    body += [f"add {WPTR}, {WPTR}, #128", "b.gt .Lloop"]
    return body


def loop_8x4x2() -> list[str]:
    body = ["subs w1, w1, #1"]
    eors = [eor(T[4 * k + j], A[j], W[k]) for k in range(4) for j in range(4)]
    body += eors[:12] + [ldr_w(0, 0)] + eors[12:] + [ldr_w(1, 16)]
    lanes = [f"ld1 {{{A[j]}.d}}[0], [{APTR[j]}]" for j in range(4)] + \
            [f"ld1 {{{A[j]}.d}}[1], [{APTR[j]}], #8" for j in range(4)]
    body += interleave([cnt(T[i]) for i in range(16)], lanes, 2)
    lvl1 = [addp(T[j], T[j], T[4 + j]) for j in range(4)] + [addp(T[8 + j], T[8 + j], T[12 + j]) for j in range(4)]
    body += interleave(lvl1, [ldr_w(2, 32), ldr_w(3, 48)], 4)
    body += [addp(T[j], T[j], T[8 + j]) for j in range(4)]
    body += [f"add {WPTR}, {WPTR}, #64"] + [uadalp(C[j], T[j]) for j in range(4)] + ["b.gt .Lloop"]
    return body


def write(out: Path, name: str, body: list[str], macs: int, origin: str) -> None:
    lines = [f"# {name}: one iteration of LCE's {origin} accumulation loop ({macs} binary MACs),",
             "# re-expressed for llvm-mca from its instruction mix and dependencies (lce_loops.py); not LCE's code",
             f"# LLVM-MCA-BEGIN {name}", ".Lloop:", *("\t" + b for b in body), "# LLVM-MCA-END", ""]
    (out / f"{name}.s").write_text("\n".join(lines))


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "out")
    out.mkdir(parents=True, exist_ok=True)
    write(out, "lce_8x4x4", loop_8x4x4(), 4096, "kernel_8x4x4_aarch64.h (C % 128 == 0)")
    write(out, "lce_8x4x2", loop_8x4x2(), 2048, "kernel_8x4x2_aarch64.h (C = 64)")


if __name__ == "__main__":
    main()
