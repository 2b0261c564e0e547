"""Sign: the frontend's one form of every binarization idiom, +1 where `X rule 0` holds, else -1.

`rule` keeps the source's decision at 0: ge (BipolarQuant, Sign read as x >= 0), gt, le, lt
(Greater/Less + Where). The kernel is a threshold per channel: x >= 0 is x >= +0.0, x > 0 is
x >= the smallest subnormal, and x <= 0 / x < 0 the same downwards.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from ..bits import pm1
from ..codegen.emit import binarize_channels, channels_hw, threshold_arrays
from .op import Op, same_as

SMALLEST_SUBNORMAL = np.float32(np.finfo(np.float32).smallest_subnormal)
C_THRESHOLDS = {"ge": (0.0, 1), "gt": (SMALLEST_SUBNORMAL, 1), "le": (0.0, -1), "lt": (-SMALLEST_SUBNORMAL, -1)}


def sign_decision(x: np.ndarray, rule: str) -> np.ndarray:
    """Boolean 'is +1' for the comparison of x with 0 named by `rule`."""
    compare = {"ge": np.greater_equal, "gt": np.greater, "le": np.less_equal, "lt": np.less}[rule]
    return compare(x, 0)


class Sign(Op):
    inputs = ("X",)
    attributes = {"rule": "ge", "zero_maps_to_zero": 0}

    @classmethod
    def output_types(cls, node):
        return [same_as(node.inputs[0])]

    @staticmethod
    def reference(x, rule="ge", zero_maps_to_zero=0):
        return (pm1(sign_decision(x, rule)),)

    @classmethod
    def emit_c(cls, s, node):
        c, hw = channels_hw(node.inputs[0])
        threshold, direction = C_THRESHOLDS[cls.attrs(node)["rule"]]
        thr, dirs = threshold_arrays(s, np.full(c, threshold), np.full(c, direction))
        binarize_channels(s, s.operand(node.inputs[0]), c, hw, thr, dirs, s.operand(node.outputs[0]))

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        compute = partial(lowering.te_kernels.sign, rule=cls.attrs(node)["rule"])
        return lowering.kernel("sign", compute, lowering.operand(node.inputs[0]))
