"""Channel ranges of packed maps (a Concat, Slice or Split along the channels of ±1 maps):

    ConcatBits(P_1, ..., P_k; channels)     the inputs' channels one after another (`channels`
                                            lists each input's count)
    SliceBits(P; channels, start, stop)     channels [start, stop) of a map of `channels`

Channels are packed per pixel, so no range of them is contiguous in memory, but a range that
starts on a word boundary is the wider map itself from that word on, with the wider map's words
per pixel as its pixel stride. Where every reader takes such ranges (`reads_packed_ranges`: the
binary convs) a word-aligned SliceBits is a view, and a producer that writes them
(`writes_packed_ranges`) writes a word-aligned ConcatBits piece in place (the C artifact's memory
plan, bnncc/codegen/memory_plan.py). The other pieces are copied, each input range at its bit
offset (`bnn_copy_bits`, any offset, tail bits cleared; a source or target may itself be such a
range of a wider map).
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


def piece_ranges(node) -> list[tuple[object, int, int]]:
    """(input, first channel in the output, channels) of each input of a ConcatBits."""
    counts = [int(c) for c in ConcatBits.attrs(node)["channels"]]
    starts = np.cumsum([0, *counts[:-1]])
    return [(value, int(start), count) for value, start, count in zip(node.inputs, starts, counts)]


def word_shift(channel: int) -> int | None:
    """The first byte of channel range [channel, ...) in a packed pixel, None off a word boundary."""
    return channel // bits.WORD_BITS * (bits.WORD_BITS // 8) if channel % bits.WORD_BITS == 0 else None


def _copy_bits(s, source, source_bit: int, target, target_bit: int, count: int) -> None:
    _, h, w, _ = shape_of(source)
    # words per pixel: the map's own, or those of the wider map it is a word range of
    in_words, out_words = (s.plan.packed_stride(v) or shape_of(v)[3] for v in (source, target))
    s.parallel("copy", h * w, f"bnn_copy_bits(hi - lo, {count}, {in_words}, {source_bit}, {out_words}, {target_bit}, "
                              f"{s.operand(source)} + (size_t)lo * {in_words}, "
                              f"{s.operand(target)} + (size_t)lo * {out_words});")


class ConcatBits(Op):
    inputs = ("P...",)
    outputs = ("P",)
    attributes = {"channels": REQUIRED}
    reads_packed_ranges = writes_packed_ranges = True       # bnn_copy_bits' words per pixel

    @classmethod
    def output_types(cls, node):
        return [packed_range_type(node, sum(int(c) for c in cls.attrs(node)["channels"]))]

    @staticmethod
    def reference(*packed, channels=None):
        return (bits.pack_nchw(np.concatenate([bits.unpack_nchw(p, c) for p, c in zip(packed, channels)], axis=1)),)

    @classmethod
    def emit_c(cls, s, node):
        """Each input's channels at their bit offset, inputs in order (each keeps the bits below it,
        the last clears the tail), but for the pieces the memory plan put in place; members split the
        pixels."""
        whole = node.outputs[0]
        for value, start, channels in piece_ranges(node):
            shift = word_shift(start)
            if shift is None or not s.plan.in_place(value, whole, shift):
                _copy_bits(s, value, 0, whole, start, channels)

    @classmethod
    def lower_tvm(cls, lowering, node, batched):
        compute = partial(lowering.te_kernels.concat_bits, channels=[int(c) for c in cls.attrs(node)["channels"]])
        return lowering.kernel("concat_bits", compute, *[lowering.operand(v) for v in node.inputs])


class SliceBits(Op):
    inputs = ("P",)
    outputs = ("P",)
    attributes = {"channels": REQUIRED, "start": REQUIRED, "stop": REQUIRED}
    reads_packed_ranges = True

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
