"""bnncc's own operators, in the ONNX domain `ai.bnncc`, one definition each (`op.Op`): schema,
output types, numpy reference and the emitters of both backends, in the module of its family.

Float ±1 level (what the frontend and lower_binary_layers produce):
  sign.Sign, threshold.Threshold, binary_layers.BinaryConv / BinaryMatMul,
  multithreshold.MultiThreshold (multi-bit activations, float)
Packed level (packed tensors are uint64 [N, H, W, words(C)], `bnncc.bits`):
  threshold.PackBits / ThresholdPack, packed_conv.BinaryConvPacked / BinaryConvAffine,
  binary_maxpool.BinaryMaxPool, channel_cuts.ConcatBits / SliceBits
Fused float stages:
  channel_affine.ChannelAffine, maxpool_affine.MaxPoolAffine / ConvMaxPoolAffine

Importing the package imports every module in it, which registers the operators they define: a
new operator is a new module here and nothing else (`OPS`, `make_node`, `reference_ops`).
"""
import importlib
import pkgutil

from ..ir import DOMAIN  # noqa: F401
from .op import FLOAT, OPS, PACKED, Op, make_node, reference_ops  # noqa: F401

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
