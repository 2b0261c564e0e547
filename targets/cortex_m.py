"""Cortex-M microcontroller targets: freestanding C for ARMv7E-M cores (no OS, no threads, no heap),
built by arm-none-eabi-gcc and run bit-exactly as firmware on qemu-system-arm's MPS2 board models.

Binary conv and dense layers: their own kernels on 32-bit words (runtime_c/src/bconv_cm.c: nibble
counts added over 3 words, bytes summed by the DSP extension's USADA8, 4 output channels per input
word), on the portable weight layout. Thresholding and bit packing: runtime_c/src/pack_cm.c (a 32-bit
half word built in a register, one VFP compare per channel). The other families are the portable
kernels; where those count bits (the portable bconv, if a table leaves bconv out) the popcount is SWAR on 32-bit halves
(`__builtin_popcountll` would be a libgcc call; runtime_c/include/bnncc/common.h, measured in README).
"""
from .kernels import BinaryConv, KernelSource, KernelTable
from .target import Target
from .toolchain import Board, Toolchain

# MPS2 FPGA images: 4 MB of ZBT SSRAM at 0 (the boot memory: our "flash") and 4 MB at 0x20000000
# (RAM) on both the AN386 (Cortex-M4) and the AN500 (Cortex-M7).
MPS2_MEMORY = dict(flash=(0x00000000, 4 << 20), ram=(0x20000000, 4 << 20))
MPS2_AN386 = Board("mps2-an386", **MPS2_MEMORY)
MPS2_AN500 = Board("mps2-an500", **MPS2_MEMORY)


def _toolchain(board: Board) -> Toolchain:
    return Toolchain(machine="armv7e-m", processor="arm", triple="arm-none-eabi", gcc_package="gcc-arm-none-eabi",
                     board=board)


# -mthumb and the hard-float ABI with each core's FPU (single precision on the M4, FPv5 on the M7);
# a section per function and per constant, so that linking with --gc-sections keeps only what runs.
# Binary conv on 32-bit words with the DSP extension (runtime_c/src/bconv_cm.c), portable weight layout;
# thresholding and bit packing with each 32-bit half word built in a register (runtime_c/src/pack_cm.c).
KERNELS = KernelTable(bconv=BinaryConv("bconv_cm", "_rows__cm", headers=("bconv", "bconv_cm")),
                      pack=KernelSource("pack_cm", "__cm", headers=("pack_cm",)))
M_FLAGS = ("-O2", "-mthumb", "-mfloat-abi=hard", "-ffunction-sections", "-fdata-sections", "-DBNN_POPCOUNT_SWAR32")
CORTEX_M4 = Target("cortex-m4", "Arm Cortex-M4F microcontrollers (STM32F4, nRF52, ...): freestanding C, "
                   "run as firmware on qemu-system-arm's mps2-an386 board",
                   ("-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", *M_FLAGS), kernels=KERNELS, toolchain=_toolchain(MPS2_AN386))
CORTEX_M7 = Target("cortex-m7", "Arm Cortex-M7 microcontrollers (STM32F7/H7, i.MX RT): freestanding C, "
                   "run as firmware on qemu-system-arm's mps2-an500 board",
                   ("-mcpu=cortex-m7", "-mfpu=fpv5-d16", *M_FLAGS), kernels=KERNELS, toolchain=_toolchain(MPS2_AN500))
TARGETS = (CORTEX_M4, CORTEX_M7)
