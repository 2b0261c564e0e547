"""ARM targets: NEON kernels for aarch64 (ARMv8-A) and armv7 (ARMv7-A hard-float), cross-compiled
from any host and run under qemu-user where the host is not ARM (targets/toolchain.py)."""
from dataclasses import replace

from .kernels import BlockedBinaryConv, FloatPanels, KernelSource, KernelTable
from .target import FUSES_CONV_POOL, Target
from .toolchain import AARCH64, ARMV7

# Flags: aarch64's baseline (ARMv8-A) has NEON; armv7 adds it with -mfpu=neon (hard-float ABI). No
# -march: Debian's and Ubuntu's armhf compilers default to ARMv7-A, and zig cc reads -march as a CPU
# name (a gcc defaulting to ARMv6, as Raspberry Pi OS's, needs CFLAGS='-O3 -march=armv7-a').

# one source for both; its blocks (bconv_neon.c's BLK) are 8 channels on aarch64 (32 q registers: a
# tile of 4 pixels x 8 channels), 4 on armv7 (16 q registers: 2 pixels x 4 channels)
AARCH64_BCONV = BlockedBinaryConv("bconv_neon", "__neon", headers=("bconv", "bconv_blocked"),
                                  private_headers=("bconv_blocked_impl",), vector=2, block=8)
ARMV7_BCONV = replace(AARCH64_BCONV, block=4)
FLOAT = FloatPanels("float_neon", "__neon", headers=("fconv", "fpool", "float_panels"),
                    private_headers=("float_panels_impl",), needs=("fpool",), mr=8, nr=16, lanes=4, wide=8)
PACK = KernelSource("pack_neon", "__neon", headers=("pack_neon",))
BPOOL = KernelSource("bpool_neon", "__neon", headers=("bpool_neon",))
# aarch64: gcc vectorizes the portable binarize loop as well as the NEON one does (tests/kernels/neon_insns.py)
AARCH64_KERNELS = KernelTable(bconv=AARCH64_BCONV, float=FLOAT, pack=PACK, bpool=BPOOL)
ARMV7_KERNELS = KernelTable(bconv=ARMV7_BCONV, float=FLOAT, pack=PACK, binarize=PACK, bpool=BPOOL)

AARCH64_NEON = Target("aarch64-neon", "ARMv8-A 64-bit (Cortex-A53 and up: Raspberry Pi 3/4/5, phones, Jetson): "
                      "NEON kernels, cross-compiled, run under qemu-aarch64 on other hosts",
                      ("-O3",), kernels=AARCH64_KERNELS,
                      capabilities=frozenset({FUSES_CONV_POOL}), requires=("asimd",), toolchain=AARCH64,
                      popcount_bits=128)
ARMV7_NEON = Target("armv7-neon", "ARMv7-A hard-float with NEON (Cortex-A7/A9/A15, or a 32-bit OS on an A53): "
                    "NEON kernels, cross-compiled, run under qemu-arm on other hosts",
                    ("-O3", "-mfpu=neon", "-mfloat-abi=hard"), kernels=ARMV7_KERNELS,
                    capabilities=frozenset({FUSES_CONV_POOL}), requires=("neon",), toolchain=ARMV7,
                    popcount_bits=128)
TARGETS = (ARMV7_NEON, AARCH64_NEON)
