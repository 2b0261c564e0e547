"""x86-64 targets: AVX2 (vpshufb popcount) and AVX-512 VPOPCNTDQ kernels, run on this host through cffi."""
from .kernels import BlockedBinaryConv, FloatPanels, KernelTable
from .target import FUSES_CONV_POOL, Target


def _kernels(isa: str, vector: int, block: int, mr: int, nr: int, lanes: int, wide: int) -> KernelTable:
    return KernelTable(
        bconv=BlockedBinaryConv(f"bconv_{isa}", f"__{isa}", headers=("bconv", "bconv_blocked"),
                                private_headers=("bconv_blocked_impl",), vector=vector, block=block),
        float=FloatPanels(f"float_{isa}", f"__{isa}", headers=("fconv", "fpool", "float_panels"),
                          private_headers=("float_panels_impl",), needs=("fpool",), mr=mr, nr=nr, lanes=lanes,
                          wide=wide))


AVX2 = Target("x86-avx2", "x86-64 with AVX2 + FMA: vpshufb popcount, FMA float kernels",
              ("-O3", "-mavx2", "-mfma", "-mpopcnt"),
              kernels=_kernels("avx2", vector=4, block=8, mr=4, nr=32, lanes=8, wide=6),
              capabilities=frozenset({FUSES_CONV_POOL}), requires=("avx2", "fma", "popcnt"))
AVX512 = Target("x86-avx512", "x86-64 with AVX-512 F/BW + VPOPCNTDQ: vector popcount, 512-bit FMA",
                ("-O3", "-mavx512f", "-mavx512bw", "-mavx512vpopcntdq", "-mavx2", "-mfma", "-mpopcnt"),
                kernels=_kernels("avx512", vector=8, block=32, mr=8, nr=64, lanes=16, wide=12),
                capabilities=frozenset({FUSES_CONV_POOL}),
                requires=("avx512f", "avx512bw", "avx512_vpopcntdq", "avx2", "fma", "popcnt"))
TARGETS = (AVX2, AVX512)            # fastest last
MACHINES = ("x86_64", "AMD64")
