"""From an ONNX file to the canonical onnx_ir graph the passes start from."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import onnx
import onnx_ir as ir
from onnx_ir.passes import common

from bnncc.passes.fold_constants import FoldConstantsPass

from ..errors import BnnccError, printable
from ..ir import set_shape
from ..ir import DOMAIN
from ..reference import uses_qonnx_ops
from .dialects import canonicalize
from .loader import load_onnx
from .shapes import discover_shapes
from .sums import sums_as_adds
from .support import check_supported

DTYPES = {np.dtype(np.float32): ir.DataType.FLOAT, np.dtype(np.int64): ir.DataType.INT64,
          np.dtype(np.bool_): ir.DataType.BOOL, np.dtype(np.int32): ir.DataType.INT32}


@dataclass
class TensorSpec:
    """A graph input or output as the compiled artifact exposes it (batch dimension first)."""

    name: str
    shape: tuple[int, ...]          # per-sample shape with the batch dimension included (as 1)
    dtype: np.dtype
    batched: bool                   # the first dimension is the run-time batch count

    @property
    def sample_size(self) -> int:
        return int(np.prod(self.shape[1:] if self.batched else self.shape, dtype=np.int64))


@dataclass
class ImportedModel:
    source: onnx.ModelProto          # the checked original, for the reference runtime
    model: ir.Model                  # canonical graph, batch 1, static shapes
    inputs: list[TensorSpec] = field(default_factory=list)
    outputs: list[TensorSpec] = field(default_factory=list)

    @property
    def dialect(self) -> str:
        return "qonnx" if uses_qonnx_ops(self.source) else "onnx"


def import_model(source: str | os.PathLike | bytes) -> ImportedModel:
    proto = load_onnx(source)
    check_supported(proto)
    shapes = discover_shapes(proto)
    model = ir.serde.deserialize_model(proto)
    common.LiftConstantsToInitializersPass(lift_all_constants=True, size_limit=0)(model)
    model.opset_imports[DOMAIN] = 1
    graph = model.graph
    for value in graph.inputs:
        shape = [d if isinstance(d, int) else 1 for d in value.shape]
        set_shape(value, [1] + shape[1:] if len(shape) >= 2 else shape)     # the batch: one sample
    for node in graph:
        for value in node.outputs:
            if value.name in shapes:
                shape, dtype = shapes[value.name]
                set_shape(value, shape, DTYPES.get(np.dtype(dtype), ir.DataType.FLOAT))
    imported = ImportedModel(proto, model)
    imported.inputs = [_spec(v, batched=len(v.shape) >= 2) for v in graph.inputs]
    # With a batched input every output that has a leading dimension of 1 (at batch 1) carries the
    # batch too: e.g. ArgMax(keepdims=0) gives [N] from [N, classes].
    any_batched = any(spec.batched for spec in imported.inputs)
    imported.outputs = [_spec(v, batched=any_batched and len(v.shape) >= 1 and v.shape[0] == 1)
                        for v in graph.outputs]
    # Shapes are static now (one sample), so the shape sub-graphs of a dynamic batch (Shape ->
    # Gather -> Unsqueeze -> Concat -> Reshape, Shape -> ConstantOfShape, Expand) fold into
    # per-sample constants, and the binarizations built on them (Where(x >= 0, ones_like(x),
    # -ones_like(x))) show their constant branches to canonicalize.
    FoldConstantsPass()(model)
    sums_as_adds(graph)
    canonicalize(graph)
    return imported


def _spec(value: ir.Value, batched: bool) -> TensorSpec:
    if value.shape is None:
        raise BnnccError(f"tensor {printable(value.name)!r} has no known shape")
    shape = tuple(int(d) for d in value.shape)
    dtype = np.dtype(value.dtype.numpy()) if value.dtype is not None else np.dtype(np.float32)
    if dtype not in (np.dtype(np.float32), np.dtype(np.int64)):
        raise BnnccError(f"graph output {printable(value.name)!r} has type {dtype}; only float32 and int64 are supported")
    return TensorSpec(value.name, shape, dtype, batched=batched)
