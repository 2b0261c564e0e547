"""Liveness-based memory planning of one sample's activations into a single arena.

Every run-time tensor gets [offset, offset + size) in the arena; two tensors may share bytes
only when their lifetimes (definition to last use, in schedule order) do not overlap. Views
(Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout) share their input's storage and extend
its lifetime; so do the outputs of a Slice or Split whose ranges are contiguous in one sample
(every dimension before the cut axis is 1, as for the channels of an NCHW map): each is its
input's storage from its range's first byte on (`parents`). The other way round, the inputs of
such a Concat are written by their producers straight into their ranges of its output, which
then lives from the first of them on (a value goes into one Concat at most; graph inputs,
constants and views are copied as before). Placement is greedy best-fit over tensors in
decreasing size, the classic offset-assignment heuristic (TFLite's "greedy by size").
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx_ir as ir

from ..ir import constant
from ..ops.slicing import Cut, joined_cuts, slice_cut, split_cuts

ALIGNMENT = 64
VIEW_OPS = ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout")


@dataclass
class MemoryPlan:
    offsets: dict[int, int] = field(default_factory=dict)   # id(root value) -> byte offset
    # id(value) -> (the value whose storage holds it, its first byte there); chains end at a root
    parents: dict[int, tuple[ir.Value, int]] = field(default_factory=dict)
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

    def in_place(self, piece: ir.Value, whole: ir.Value, shift: int) -> bool:
        """Whether `piece` already lies `shift` bytes into `whole`."""
        return self.root(piece) is self.root(whole) and self.shift(piece) == self.shift(whole) + shift


def nbytes(value: ir.Value) -> int:
    count = int(np.prod([int(d) for d in value.shape], dtype=np.int64))
    return count * np.dtype(value.dtype.numpy()).itemsize


def is_view(node: ir.Node) -> bool:
    """A node whose outputs are (parts of) its first input's storage: it runs no code."""
    if node.domain != "":
        return False
    return node.op_type in VIEW_OPS or (node.op_type in ("Slice", "Split") and constant(node.inputs[0]) is None
                                        and all(cut.outer == 1 for cut in _cuts(node)))


def _cuts(node: ir.Node) -> list[Cut]:
    return [slice_cut(node)] if node.op_type == "Slice" else split_cuts(node)


def _view_shifts(node: ir.Node) -> list[int]:
    """The first byte of each output of the view `node` in its input's storage."""
    if node.op_type not in ("Slice", "Split"):
        return [0]
    return [range_shift(cut, node.inputs[0]) for cut in _cuts(node)]


def range_shift(cut: Cut, value: ir.Value) -> int:
    """The first byte of the range `cut` in one sample of `value` (contiguous when cut.outer is 1)."""
    return cut.start * cut.step * np.dtype(value.dtype.numpy()).itemsize


def _place_concat_pieces(graph: ir.Graph, plan: MemoryPlan) -> None:
    """Make each eligible input of a contiguous Concat a part of its output (see the module doc)."""
    for node in graph:
        if node.domain != "" or node.op_type != "Concat":
            continue
        whole = node.outputs[0]
        for cut, piece in zip(joined_cuts(node), node.inputs):
            producer = piece.producer()
            if cut.outer != 1 or producer is None or is_view(producer) or id(piece) in plan.parents \
                    or list(node.inputs).count(piece) > 1:
                continue
            plan.parents[id(piece)] = (whole, range_shift(cut, whole))


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
