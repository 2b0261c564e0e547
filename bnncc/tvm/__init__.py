"""bnncc's TVM backend: the canonical graph (after the target-neutral passes) as a Relax module,
its binary layers as TE/TIR kernels on packed words with XOR + popcount, built by apache-tvm for
`llvm` (CPUs) or `cuda` (NVIDIA GPUs, built without one), batch as a real dimension.

    lower.py         graph -> Relax (float ops: TVM's operators; bnncc ops: their `lower_tvm`)
    kernels.py       the TE kernels those call (the ops' numpy references are their oracle)
    schedules.py     CUDA schedules of those kernels
    cuda_compile.py  CUDA source -> binary with IEEE float flags, through nvcc or NVRTC
    build.py         the Relax pipeline and tvm.compile
    artifact.py      the artifact folder (library, manifest, README), written atomically
    runner.py        load a built library and run it on numpy arrays (TVM runtime only)
    api.py           compile_model / load / TvmModel

Importing this package does not import TVM; `compile_model` needs apache-tvm (`bnncc[tvm]`).
"""
from .api import TARGETS, TvmModel, compile_model, cuda_device_available, load, tvm_available  # noqa: F401
