"""Lower the final graph, node by node, to calls of runtime_c kernels for one sample.

Each node's emitter (an ai.bnncc op's `emit_c`, `bnncc.ops`; a standard ONNX op's in
`onnx_ops.EMITTERS`) receives the schedule and the node and writes C statements; shapes are static
(batch 1 per call) and all geometry becomes literal constants. Constants become `static const`
arrays named w0, w1, ...; run-time tensors live in the arena at offsets from the memory plan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import onnx_ir as ir

from ..errors import BnnccError
from ..ir import DOMAIN, constant, shape_of, source_label
from ..ops import OPS
from .c_source import C_TYPES, array_definition
from .memory_plan import MemoryPlan, is_view
from .onnx_ops import ANY_LEADING_DIMENSION, EMITTERS

# Heavy layers with threads (Schedule.balanced): the smallest piece is at least an equal share / this.
# Smaller last pieces balance a slow member better; each costs a kernel call (and, for row-split
# convs, re-reading the rows around its edges).
PIECES_PER_MEMBER = 8

@dataclass
class Layer:
    """The C code of one node of the final graph, and what it computes (for reports and bench)."""

    index: int
    op_type: str
    node: str                  # node name, Python-side only (never written to C)
    code: list[str] = field(default_factory=list)
    detail: str = ""           # geometry, e.g. "64->128 3x3/2 out 28x28"
    binary_macs: int = 0
    float_macs: int = 0
    binary_weights: int = 0    # ±1 weights of a binary layer
    weight_bytes: int = 0      # bytes its constants take in the artifact (packed weights + per-channel)


class Schedule:
    """C statements of one sample's forward pass, plus the constant arrays they use.

    The forward pass is SPMD: with `threads` > 1 every member of a thread team runs it, `id` and
    `nt` (member index and team size) select each member's share of a layer (`parallel`), and
    members meet at a barrier after every layer. Layers that are not split run on member 0."""

    def __init__(self, graph: ir.Graph, plan: MemoryPlan, target, threads: int = 1):
        self.graph, self.plan, self.target, self.threads = graph, plan, target, threads
        self.constants: list[str] = []
        self.layers: list[Layer] = []
        self.families: set[str] = set()
        self.scratch_floats = 0          # per-member scratch some kernels need (in the arena)
        self._names: dict[int, str] = {}
        self._inputs = {id(v): f"in{i}" for i, v in enumerate(graph.inputs)}
        self._counter = 0

    # -- operands ---------------------------------------------------------------------------
    def const(self, array: np.ndarray, dtype=None) -> str:
        array = np.asarray(array, dtype=dtype) if dtype is not None else np.asarray(array)
        name = f"w{len(self.constants)}"
        self.constants.append(array_definition(name, np.ascontiguousarray(array)))
        return name

    def operand(self, value: ir.Value) -> str:
        """A C expression pointing at `value` for the current sample."""
        array = constant(value)
        if array is not None:
            key = id(value)
            if key not in self._names:
                self._names[key] = self.const(array.astype(np.float32) if array.dtype == np.float64 else array)
            return self._names[key]
        root, shift = self.plan.root(value), self.plan.shift(value)
        if id(root) in self._inputs:
            itemsize = np.dtype(value.dtype.numpy()).itemsize
            return f"({self._inputs[id(root)]} + {shift // itemsize})" if shift else self._inputs[id(root)]
        ctype = C_TYPES[np.dtype(value.dtype.numpy())]
        return f"(({ctype} *)(arena + {self.plan.offsets[id(root)] + shift}))"

    def params(self, ctype: str, fields: dict) -> str:
        """A static const parameter struct, returned as an address expression."""
        self._counter += 1
        name = f"p{self._counter}"
        body = ", ".join(f".{k} = {int(v)}" for k, v in fields.items())
        self.constants.append(f"static const {ctype} {name} = {{{body}}};\n")
        return f"&{name}"

    def call(self, family: str, text: str) -> None:
        """A statement run by one member (all of it)."""
        self.families.add(family)
        self.layers[-1].code.append(text if self.threads == 1 else f"if (id == 0) {{ {text} }}")

    def parallel(self, family: str, count: int, text: str) -> None:
        """A statement over items [lo, hi) of `count`; each member gets its share (bnn_split)."""
        self.families.add(family)
        if self.threads == 1:
            self.layers[-1].code.append(f"{{ const int lo = 0, hi = {count}; {text} }}")
        else:
            self.layers[-1].code.append(f"{{ int lo, hi; bnn_split({count}, id, nt, &lo, &hi); "
                                        f"if (lo < hi) {{ {text} }} }}")

    def balanced(self, family: str, count: int, text: str, min_piece: int = 1, resumable: bool = False) -> None:
        """A statement over items [lo, hi) of `count` for heavy layers: with threads, members take
        pieces of at least `min_piece` items (bnn_share: of their own range, cut by the members'
        measured speeds, then of what a slower member has left), and never fewer than
        count / (threads * PIECES_PER_MEMBER) items, so that a member's share comes in a few calls.
        resumable: `text` may use `resume`, true when this member's previous piece ended at lo."""
        self.families.add(family)
        if self.threads == 1:
            prelude = "const int resume = 0; " if resumable else ""
            self.layers[-1].code.append(f"{{ const int lo = 0, hi = {count}; {prelude}{text} }}")
            return
        grain = max(min_piece, count // (self.threads * PIECES_PER_MEMBER), 1)
        last = "int last = -1; " if resumable else ""
        resume, record = ("const int resume = lo == last; ", " last = hi;") if resumable else ("", "")
        self.layers[-1].code.append(
            f"{{ bnn_share share; int lo, hi; {last}bnn_share_begin(team, id, {count}, {grain}, &share); "
            f"while (bnn_share_next(&share, &lo, &hi)) {{ {resume}{text}{record} }} }}")

    @property
    def binary_macs(self) -> int:
        return sum(layer.binary_macs for layer in self.layers)

    @property
    def float_macs(self) -> int:
        return sum(layer.float_macs for layer in self.layers)

    # -- driver -----------------------------------------------------------------------------
    def lower(self) -> None:
        for node in self.graph:
            if is_view(node):
                continue
            emitter = _emitter(node)
            if emitter is None:
                raise BnnccError(f"op {node.op_type} cannot run here: it is only supported when it folds "
                                 "into a constant or into a binary layer", node=source_label(node))
            _check_one_sample(node)
            shape = "x".join(str(d) for d in shape_of(node.outputs[0])[1:])
            self.layers.append(Layer(len(self.layers), node.op_type, node.name or "", detail=f"out {shape}"))
            emitter(self, node)
            if not self.layers[-1].code:      # a Concat whose pieces were all written in place
                self.layers.pop()
                continue
            _check_literals(self.layers[-1], node)


def _emitter(node: ir.Node):
    if node.domain == DOMAIN and node.op_type in OPS:
        return OPS[node.op_type].emit_c
    return EMITTERS.get((node.domain, node.op_type))


def _check_one_sample(node: ir.Node) -> None:
    """Most kernels compute one sample: a [1, C, ...] tensor (the batch loop is outside them). Only
    the ops in ANY_LEADING_DIMENSION flatten every dimension they do not work along, so they
    also take tensors whose first dimension is not the batch (a Reshape to [rows, K], say)."""
    if (node.domain, node.op_type) in ANY_LEADING_DIMENSION:
        return
    for value in [*node.inputs[:1], *node.outputs]:
        if value is not None and constant(value) is None and shape_of(value)[:1] not in ((), (1,)):
            raise BnnccError(f"bnncc runs this op one sample at a time, on tensors whose first dimension is the "
                             f"batch; here a tensor has shape {list(shape_of(value))} at batch 1", node=source_label(node))


# A decimal integer in C text (not part of a name, a hexadecimal or a float literal).
DECIMAL_LITERAL = re.compile(r"(?<![\w.])\d+(?![\w.])")
INT_MAX = 2**31 - 1


def _check_literals(layer: Layer, node: ir.Node) -> None:
    """The kernels take sizes, strides and offsets as C ints: no decimal literal the code passes
    them may exceed INT_MAX (the frontend bounds attributes and sizes; this is the last guard)."""
    for line in layer.code:
        if any(int(m.group()) > INT_MAX for m in DECIMAL_LITERAL.finditer(line)):
            raise BnnccError("a size, stride or offset of this layer does not fit a C int (the model is too large "
                             "for bnncc's kernels)", node=source_label(node))
