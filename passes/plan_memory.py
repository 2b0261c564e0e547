"""Liveness-based memory planning of one sample's activations into a single arena.

Every run-time tensor gets [offset, offset + size) in the arena; two tensors may share bytes
only when their lifetimes (definition to last use, in schedule order) do not overlap. Views
(Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout) share their input's storage and extend
its lifetime. Placement is greedy best-fit over tensors in decreasing size, the classic
offset-assignment heuristic (TFLite's "greedy by size").
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx_ir as ir

ALIGNMENT = 64
VIEW_OPS = ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout")


@dataclass
class MemoryPlan:
    offsets: dict[int, int] = field(default_factory=dict)   # id(root value) -> byte offset
    roots: dict[int, ir.Value] = field(default_factory=dict)  # id(value) -> value owning its storage
    arena_size: int = 0

    def root(self, value: ir.Value) -> ir.Value:
        return self.roots.get(id(value), value)


def nbytes(value: ir.Value) -> int:
    count = int(np.prod([int(d) for d in value.shape], dtype=np.int64))
    return count * np.dtype(value.dtype.numpy()).itemsize


def is_view(node: ir.Node) -> bool:
    return node.domain == "" and node.op_type in VIEW_OPS


def plan_memory(graph: ir.Graph) -> MemoryPlan:
    plan = MemoryPlan()
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
        for value in node.outputs:
            if is_view(node):
                plan.roots[id(value)] = plan.root(node.inputs[0])
                continue
            values[id(value)] = value
            first[id(value)] = last[id(value)] = index
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
