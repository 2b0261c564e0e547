"""Instructions executed by the NEON binary convolution (bnn_bconv_affine_pack__neon) on the
Bi-Real-18 binary conv shapes, under qemu-user with the instruction-count plugin
(../shared/tools/qemu_insn_count.c), per 128 binary MACs and weighted over the network.

    python -m tests.kernels.bconv_neon_insns [path/to/qemu_insn_count.c]

Not a test (pytest does not collect it): a measurement, one qemu run per shape and arch (and one
for the setup alone, subtracted; counts are exact, so one run each suffices).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from .cross import ARM_TARGETS, build_check
from .neon_insns import PLUGIN, count

BENCH = Path(__file__).resolve().parents[2] / "runtime_c" / "bench" / "bconv_neon_insns.c"
# (count in Bi-Real-18, C, input H = W, M, stride): every binary conv is 3x3 pad 1
LAYERS = ((4, 64, 56, 64, 1), (1, 64, 56, 128, 2), (3, 128, 28, 128, 1), (1, 128, 28, 256, 2),
          (3, 256, 14, 256, 1), (1, 256, 14, 512, 2), (3, 512, 7, 512, 1))


def main(plugin_source: Path = PLUGIN) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plugin = Path(tmp) / "libinsncount.so"
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(plugin), str(plugin_source)], check=True)
        for target in ARM_TARGETS:
            exe = build_check(target, BENCH, ["bconv_neon"], Path(tmp))
            total = 0
            for n, C, hw, M, s in LAYERS:
                args = (C, hw, M, s, 1)
                insns = count(target, plugin, exe, *args, "neon") - count(target, plugin, exe, *args, "none")
                out = (hw - 1) // s + 1
                macs = out * out * M * 9 * C
                total += n * insns
                print(f"{target:13} {n}x {C:3}->{M:3} {hw:2}x{hw:<2} s{s}  insns {insns:10}  "
                      f"per 128 MACs {128 * insns / macs:6.2f}", flush=True)
            print(f"{target:13} Bi-Real-18 binary convs: {total:.4g} instructions", flush=True)


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:]))
