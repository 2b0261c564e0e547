"""Instructions executed by the NEON packing/pool kernels vs the portable ones, under qemu-user with
the instruction-count plugin (../shared/tools/qemu_insn_count.c), on Bi-Real-18 sizes.

    python -m tests.kernels.neon_insns [path/to/qemu_insn_count.c]

Not a test (pytest does not collect it): a measurement, one qemu run per kernel, size and build;
the setup alone (impl "none") is subtracted.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from bnncc.targets import get_target

from .cross import ARM_TARGETS, build_check

BENCH = Path(__file__).parent / "c" / "pack_neon_bench.c"
PLUGIN = Path(__file__).resolve().parents[3] / "shared" / "tools" / "qemu_insn_count.c"
MAPS = ((64, 56, 56), (128, 28, 28), (256, 14, 14), (512, 7, 7))
RUNS = [(k, m) for k in ("pack", "affine", "binarize") for m in MAPS] + [("pool", (64, 112, 112))]


def count(target: str, plugin: Path, exe: Path, *args) -> int:
    command = [*get_target(target).toolchain.emulator(), "-plugin", str(plugin), "-d", "plugin", str(exe),
               *map(str, args)]
    stderr = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    return int(next(line.split()[1] for line in stderr.splitlines() if line.startswith("insns")))


def main(plugin_source: Path = PLUGIN) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plugin = Path(tmp) / "libinsncount.so"
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(plugin), str(plugin_source)], check=True)
        for target in ARM_TARGETS:
            exe = build_check(target, BENCH, ["pack", "pack_neon", "bpool", "bpool_neon"], Path(tmp))
            for kernel, shape in RUNS:
                base = count(target, plugin, exe, kernel, "none", *shape)
                portable, neon = (count(target, plugin, exe, kernel, impl, *shape) - base
                                  for impl in ("portable", "neon"))
                print(f"{target:13} {kernel:9} {'x'.join(map(str, shape)):10} portable {portable:9} "
                      f"neon {neon:9}  x{portable / neon:.2f}")


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:]))
