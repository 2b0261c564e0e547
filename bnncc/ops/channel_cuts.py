"""Channel ranges of packed maps (a Concat, Slice or Split along the channels of ±1 maps):

    ConcatBits(P_1, ..., P_k; channels)     the inputs' channels one after another (`channels`
                                            lists each input's count)
    SliceBits(P; channels, start, stop)     channels [start, stop) of a map of `channels`

Channels are packed per pixel, so no range of them is contiguous in memory: both copy, each
input range at its bit offset (`bnn_copy_bits`, any offset, tail bits cleared).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from .. import bits
from ..ir import shape_of
from .op import PACKED, REQUIRED, Op


def packed_range_type(node, channels: int):
    n, h, w, _ = shape_of(node.inputs[0])
    return (n, h, w, bits.words(channels)), PACKED


def _copy_bits(s, source, source_bit: int, target, target_bit: int, count: int) -> None:
    _, h, w, in_words = shape_of(source)
    out_words = shape_of(target)[3]
    s.parallel("copy", h * w, f"bnn_copy_bits(hi - lo, {count}, {in_words}, {source_bit}, {out_words}, {target_bit}, "
                              f"{s.operand(source)} + (size_t)lo * {in_words}, "
                              f"{s.operand(target)} + (size_t)lo * {out_words});")


class ConcatBits(Op):
    inputs = ("P...",)
    outputs = ("P",)
    attributes = {"channels": REQUIRED}

    @classmethod
    def output_types(cls, node):
        return [packed_range_type(node, sum(int(c) for c in cls.attrs(node)["channels"]))]

    @staticmethod
    def reference(*packed, channels=None):
        return (bits.pack_nchw(np.concatenate([bits.unpack_nchw(p, c) for p, c in zip(packed, channels)], axis=1)),)

    @classmethod
    def emit_c(cls, s, node):
        """Each input's channels at their bit offset, inputs in order (each keeps the bits below it,
        the last clears the tail); members split the pixels."""
        start = 0
        for value, channels in zip(node.inputs, cls.attrs(node)["channels"]):
            _copy_bits(s, value, 0, node.outputs[0], start, int(channels))
            start += int(channels)

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        compute = partial(lowering.te_kernels.concat_bits, channels=[int(c) for c in cls.attrs(node)["channels"]])
        return lowering.kernel("concat_bits", compute, *[lowering.operand(v) for v in node.inputs])


class SliceBits(Op):
    inputs = ("P",)
    outputs = ("P",)
    attributes = {"channels": REQUIRED, "start": REQUIRED, "stop": REQUIRED}

    @classmethod
    def output_types(cls, node):
        attrs = cls.attrs(node)
        return [packed_range_type(node, int(attrs["stop"]) - int(attrs["start"]))]

    @staticmethod
    def reference(p, channels=None, start=None, stop=None):
        return (bits.pack_nchw(bits.unpack_nchw(p, channels)[:, start:stop]),)

    @classmethod
    def emit_c(cls, s, node):
        attrs = cls.attrs(node)
        start, stop = int(attrs["start"]), int(attrs["stop"])
        _copy_bits(s, node.inputs[0], start, node.outputs[0], 0, stop - start)

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        attrs = cls.attrs(node)
        compute = partial(lowering.te_kernels.slice_bits, start=int(attrs["start"]), stop=int(attrs["stop"]))
        return lowering.kernel("slice_bits", compute, lowering.operand(node.inputs[0]))
