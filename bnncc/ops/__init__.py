"""bnncc's own operators, in the ONNX domain `ai.bnncc`.

Each operator has a numpy reference (an `onnx.reference` OpRun), so any intermediate graph of
the pipeline runs in `bnncc.interpreter` and can be compared with the stage before it.

Float ±1 level (what the frontend and the binary-layer passes produce):
  Sign(X; rule)                  +1 where `X rule 0` holds, else -1 (rule: ge, gt, le, lt)
  Threshold(X, T, D)             +1 where D[c] > 0 ? X >= T[c] : X <= T[c] (channel axis 1)
  BinaryConv(X, W; conv attrs)   conv of ±1 X with ±1 W, padding value `pad_value` (0 or ±1)
  BinaryMatMul(X, W)             [N, K] x [K, M] of ±1 operands
  MultiThreshold(X, T; ...)      QONNX/FINN multi-threshold (float, for >1-bit activations)
Packed level (after the packing pass; packed tensors are uint64 [N, H, W, words(C)]):
  PackBits(X)                    ±1 float -> packed
  ThresholdPack(X, T, D)         Threshold fused with PackBits
  BinaryConvPacked(P, W[, T, D]) XOR-popcount conv; integer accumulator out, or packed bits via T, D
  BinaryMaxPool(P; pool attrs)   max-pool on packed bits (AND of the -1 bits)
  ConcatBits(P...; channels)     Concat along channels of packed maps (`channels`: each input's count)
  SliceBits(P; channels, start, stop)
                                 channels [start, stop) of a packed map (Slice, or one output of Split)
  ChannelAffine(X, S, B[, R, T, D]) -> Y[, P]
                                 fused BatchNormalization (+ residual Add) (+ ThresholdPack)
  MaxPoolAffine(X, S, B; pool)   MaxPool of a per-channel affine map, computed on the pooled values
  ConvMaxPoolAffine(X, W, Bias, S, B; conv, pool_*)
                                 MaxPoolAffine of a float Conv, one pass over cached rows (x86 targets)
  BinaryConvAffine(P, W, S, B[, R, T, D]) -> Y[, P]
                                 BinaryConvPacked whose accumulator goes straight through ChannelAffine
"""
from .definitions import DOMAIN, REFERENCE_OPS  # noqa: F401
