"""TVM targets (bnncc/tvm): the same graph lowered to TIR popcount kernels, built by LLVM or for CUDA."""
from .target import Target

TVM_LLVM = Target("tvm-llvm", "TVM: bnncc's popcount kernels in TIR, TVM's float operators, built by LLVM for this "
                  "CPU (needs bnncc[tvm])", (), backend="tvm", options=(("kind", "llvm"),))
TVM_CUDA = Target("tvm-cuda", "TVM for NVIDIA GPUs (sm_90 unless set): builds without a GPU, runs on one "
                  "(needs bnncc[tvm-cuda])", (), backend="tvm", options=(("arch", "sm_90"), ("kind", "cuda")))
TARGETS = (TVM_LLVM, TVM_CUDA)
