"""Liveness-based memory planning of one sample's activations into a single arena.

Every run-time tensor gets [offset, offset + size) in the arena; two tensors may share bytes
only when their lifetimes (definition to last use, in schedule order) do not overlap. Views
(Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout) share their input's storage and extend
its lifetime; so do the outputs of a Slice or Split whose ranges are contiguous in one sample
(every dimension before the cut axis is 1, as for the channels of an NCHW map): each is its
input's storage from its range's first byte on (`parents`). The other way round, the inputs of
such a Concat are written by their producers straight into their ranges of its output, which
then lives from the first of them on (a value goes into one Concat at most; graph inputs,
constants and views are copied as before). Packed maps ([H][W][words] per sample) do the same for
channel ranges that start on a word boundary, which are the wider map from that word on with its
words per pixel as their pixel stride (`packed_stride`). A range of whole words (or of whole words
up to the map's end, `_whole_words`) stays in place: a SliceBits is a view when every reader of its
output takes such ranges, and a ConcatBits piece is written in place when its producer writes them
and its other readers take them (the ops' `reads_packed_ranges` / `writes_packed_ranges`: the binary
convs do both, ConcatBits and SliceBits copy from and to ranges). Placement is greedy best-fit
over tensors in decreasing size, the classic offset-assignment heuristic (TFLite's "greedy by size").
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx_ir as ir

from ..bits import WORD_BITS
from ..ir import DOMAIN, attribute, constant, consumers, shape_of
from ..ops import OPS
from ..ops.channel_cuts import piece_ranges, word_shift
from ..ops.slicing import Cut, joined_cuts, slice_cut, split_cuts

ALIGNMENT = 64
VIEW_OPS = ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout")


@dataclass
class MemoryPlan:
    offsets: dict[int, int] = field(default_factory=dict)   # id(root value) -> byte offset
    # id(value) -> (the value whose storage holds it, its first byte there); chains end at a root
    parents: dict[int, tuple[ir.Value, int]] = field(default_factory=dict)
    packed_ranges: set[int] = field(default_factory=set)    # id(value) whose parent is a wider packed map
    arena_size: int = 0

    def root(self, value: ir.Value) -> ir.Value:
        while id(value) in self.parents:
            value = self.parents[id(value)][0]
        return value

    def shift(self, value: ir.Value) -> int:
        """The first byte of `value` in its root's storage."""
        total = 0
        while id(value) in self.parents:
            value, shift = self.parents[id(value)]
            total += shift
        return total

    def packed_stride(self, value: ir.Value) -> int:
        """The words per pixel of the wider packed map that `value` is a word range of, 0 when it is a
        map of its own."""
        top = value
        while id(top) in self.packed_ranges:
            top = self.parents[id(top)][0]
        return 0 if top is value else shape_of(top)[3]

    def in_place(self, piece: ir.Value, whole: ir.Value, shift: int) -> bool:
        """Whether `piece` already lies `shift` bytes into `whole`."""
        return self.root(piece) is self.root(whole) and self.shift(piece) == self.shift(whole) + shift


def nbytes(value: ir.Value) -> int:
    count = int(np.prod([int(d) for d in value.shape], dtype=np.int64))
    return count * np.dtype(value.dtype.numpy()).itemsize


def _bnncc_op(node: ir.Node | None):
    return OPS.get(node.op_type) if node is not None and node.domain == DOMAIN else None


def _read_as_range(value: ir.Value, but: ir.Node | None = None) -> bool:
    """Whether every reader of the packed `value` (but `but`) takes a word range of a wider map."""
    return not value.is_graph_output() and all(
        reader is but or getattr(_bnncc_op(reader), "reads_packed_ranges", False) for reader in consumers(value))


def _packed_slice_shift(node: ir.Node) -> int | None:
    """The first byte of a SliceBits's range in a packed pixel when the slice is a view (whole words,
    read by ops that take ranges), else None."""
    if node.domain != DOMAIN or node.op_type != "SliceBits" or not _read_as_range(node.outputs[0]):
        return None
    start, stop, channels = (int(attribute(node, name)) for name in ("start", "stop", "channels"))
    return word_shift(start) if _whole_words(start, stop, channels) else None


def _whole_words(start: int, stop: int, channels: int) -> bool:
    """Whether channels [start, stop) of a packed map of `channels` are whole words of each pixel, or
    whole words up to the map's end. Every packed range in place is one, so the bits past a range's
    channels belong to no other range: they are the tail bits of the map at the top, 0 as the
    kernels need (an in-place piece ending inside a word would see the next piece there)."""
    return start % WORD_BITS == 0 and (stop % WORD_BITS == 0 or stop >= channels)


def is_view(node: ir.Node) -> bool:
    """A node whose outputs are (parts of) its first input's storage: it runs no code."""
    if node.domain == DOMAIN:
        return _packed_slice_shift(node) is not None
    if node.domain != "":
        return False
    return node.op_type in VIEW_OPS or (node.op_type in ("Slice", "Split") and constant(node.inputs[0]) is None
                                        and all(cut.outer == 1 for cut in _cuts(node)))


def _cuts(node: ir.Node) -> list[Cut]:
    return [slice_cut(node)] if node.op_type == "Slice" else split_cuts(node)


def _view_shifts(node: ir.Node) -> list[int]:
    """The first byte of each output of the view `node` in its input's storage."""
    if node.domain == DOMAIN:
        return [_packed_slice_shift(node)]
    if node.op_type not in ("Slice", "Split"):
        return [0]
    return [range_shift(cut, node.inputs[0]) for cut in _cuts(node)]


def range_shift(cut: Cut, value: ir.Value) -> int:
    """The first byte of the range `cut` in one sample of `value` (contiguous when cut.outer is 1)."""
    return cut.start * cut.step * np.dtype(value.dtype.numpy()).itemsize


def _concat_pieces(node: ir.Node) -> list[tuple[ir.Value, int]]:
    """(input, its first byte in the output) of the inputs of a Concat or ConcatBits that the
    output's storage can hold in place, as far as the node itself tells."""
    if node.domain == "" and node.op_type == "Concat":
        return [(piece, range_shift(cut, node.outputs[0])) for cut, piece in zip(joined_cuts(node), node.inputs)
                if cut.outer == 1]
    if node.domain == DOMAIN and node.op_type == "ConcatBits":
        ranges = piece_ranges(node)
        total = sum(count for _, _, count in ranges)
        return [(piece, word_shift(start)) for piece, start, count in ranges
                if _whole_words(start, start + count, total)
                and getattr(_bnncc_op(piece.producer()), "writes_packed_ranges", False)
                and _read_as_range(piece, but=node)]
    return []


def _place_concat_pieces(graph: ir.Graph, plan: MemoryPlan) -> None:
    """Make each eligible input of a Concat or ConcatBits a part of its output (see the module doc)."""
    for node in graph:
        whole = node.outputs[0] if node.outputs else None
        for piece, shift in _concat_pieces(node):
            producer = piece.producer()
            if producer is None or is_view(producer) or id(piece) in plan.parents or list(node.inputs).count(piece) > 1:
                continue
            plan.parents[id(piece)] = (whole, shift)
            if node.domain == DOMAIN:
                plan.packed_ranges.add(id(piece))


def plan_memory(graph: ir.Graph) -> MemoryPlan:
    plan = MemoryPlan()
    _place_concat_pieces(graph, plan)
    order = list(graph)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    values: dict[int, ir.Value] = {}
    for index, node in enumerate(order):
        for value in node.inputs:
            if value is None or value.const_value is not None:
                continue
            root = plan.root(value)
            last[id(root)] = index
        view = is_view(node)
        for value, shift in zip(node.outputs, _view_shifts(node) if view else [0] * len(node.outputs)):
            if view:
                plan.parents[id(value)] = (node.inputs[0], shift)
                if node.domain == DOMAIN:
                    plan.packed_ranges.add(id(value))
                continue
            root = plan.root(value)        # the value itself, or the Concat output it is written into
            values[id(root)] = root
            first.setdefault(id(root), index)
            last[id(root)] = index
    for value in graph.outputs:
        root = plan.root(value)
        if id(root) in last:
            last[id(root)] = len(order)
    for value in graph.inputs:      # inputs live in the caller's buffer, not in the arena
        values.pop(id(value), None)
    placed: list[tuple[int, int, int, int]] = []   # (offset, end, first, last)
    for key in sorted(values, key=lambda k: (-nbytes(values[k]), first[k])):
        size = -(-nbytes(values[key]) // ALIGNMENT) * ALIGNMENT
        busy = sorted((o, e) for o, e, f, l in placed if not (l < first[key] or last[key] < f))
        offset = 0
        for start, end in busy:
            if offset + size <= start:
                break
            offset = max(offset, end)
        placed.append((offset, offset + size, first[key], last[key]))
        plan.offsets[key] = offset
        plan.arena_size = max(plan.arena_size, offset + size)
    return plan
