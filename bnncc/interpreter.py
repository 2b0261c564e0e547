"""Execute any stage of the pipeline: standard ONNX ops by onnx.reference, bnncc ops by their
numpy references. This is how passes are tested: the outputs must not change.

BatchNormalization is replaced by onnxruntime's arithmetic (the reference runtime bnncc must
match bit for bit, `ops.channel_affine.batchnorm_coefficients`): y = x * s + b', each step
rounded to float32, no fused multiply-add. onnx.reference computes
(x - mean) / sqrt(var + eps) * gamma + beta, which rounds differently and flips binarizations
that sit exactly on a threshold.
"""
from __future__ import annotations

import numpy as np
import onnx
import onnx_ir as ir
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun

from .ops import reference_ops
from .ops.channel_affine import batchnorm_coefficients


class BatchNormalization(OpRun):
    op_domain = ""

    def _run(self, x, gamma, beta, mean, var, epsilon=1e-5, momentum=None, spatial=None, training_mode=None,
             is_test=None, consumed_inputs=None):
        scale, bias = batchnorm_coefficients(gamma, beta, mean, var, epsilon)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return ((x * scale.reshape(shape)).astype(np.float32) + bias.reshape(shape),)


def run(model: ir.Model | onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Outputs of `model` (in graph output order) on `feeds`."""
    proto = ir.serde.serialize_model(model) if isinstance(model, ir.Model) else model
    return ReferenceEvaluator(proto, new_ops=reference_ops() + [BatchNormalization]).run(None, feeds)
