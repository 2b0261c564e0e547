"""What an `ai.bnncc` operator is: one class that holds everything about it.

An operator is a subclass of `Op` (qonnx's CustomOp is the model) with

* its schema: the names of its `inputs` and `outputs` (a trailing "?" marks an optional one) and
  its `attributes` with their defaults (`REQUIRED` for none);
* `output_types(node)`: the static shape and element type of each output, from the input shapes
  and the attributes (the passes never compute an output shape themselves: `make_node` asks);
* `reference(*inputs, **attributes)`: numpy, the oracle every kernel is tested against, which
  `bnncc.interpreter` and constant folding run through onnx.reference;
* its emitters: `emit_c(schedule, node)` writes the calls of runtime_c kernels for the C artifact
  (`bnncc.codegen`), `lower_tvm(lowering, node, batched)` binds a TE kernel in the Relax module
  (`bnncc.tvm`). A backend without an emitter refuses the op with its name.

Defining the class registers it (`OPS`), and the package imports every module in it, so a new
operator is one new module: nothing else lists the operators.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import onnx_ir as ir
from onnx.reference.op_run import OpRun

from ..bits import packed_shape
from ..errors import BnnccError
from ..ir import DOMAIN, attribute, fresh_name, set_shape, shape_of, source_label

REQUIRED = object()     # an attribute without a default
OPS: dict[str, type[Op]] = {}
FLOAT, PACKED = ir.DataType.FLOAT, ir.DataType.UINT64     # element types: float maps, packed bits


class Op:
    inputs: ClassVar[tuple[str, ...]] = ()
    outputs: ClassVar[tuple[str, ...]] = ("Y",)
    attributes: ClassVar[dict[str, object]] = {}

    # Packed maps in place (the C artifact's memory plan, bnncc/codegen/memory_plan.py): whether the
    # op's emitter takes each packed run-time input as it finds it, possibly a word-aligned channel
    # range of a wider map (with that map's words per pixel as the pixel stride, `packed_stride`),
    # and whether it can write its packed output into such a range of a wider map.
    reads_packed_ranges: ClassVar[bool] = False
    writes_packed_ranges: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        OPS[cls.__name__] = cls

    # -- reading a node ------------------------------------------------------------------------
    @classmethod
    def attrs(cls, node: ir.Node) -> dict:
        """The node's attributes as plain Python values, defaults filled in (strings decoded)."""
        values = {}
        for name, default in cls.attributes.items():
            value = attribute(node, name, default)
            if value is REQUIRED:
                raise BnnccError(f"{cls.__name__} needs the attribute {name}", node=source_label(node))
            values[name] = _plain(value)
        return values

    @classmethod
    def input(cls, node: ir.Node, name: str) -> ir.Value | None:
        """The input named `name` in the schema, or None where an optional one is left out."""
        index = [n.rstrip("?") for n in cls.inputs].index(name)
        return node.inputs[index] if index < len(node.inputs) else None

    # -- the definition ------------------------------------------------------------------------
    @classmethod
    def output_types(cls, node: ir.Node) -> list[tuple[tuple[int, ...], ir.DataType]]:
        raise NotImplementedError

    @staticmethod
    def reference(*inputs, **attributes) -> tuple[np.ndarray, ...]:
        raise NotImplementedError

    # -- emitters ------------------------------------------------------------------------------
    @classmethod
    def emit_c(cls, schedule, node: ir.Node) -> None:
        raise BnnccError(f"{cls.__name__} has no kernel in the C artifact", node=source_label(node))

    @classmethod
    def lower_tvm(cls, lowering, node: ir.Node, batched: bool):
        raise BnnccError(f"{cls.__name__} has no TVM lowering", node=source_label(node))


def _plain(value):
    """An attribute value as the references and emitters take it: strings decoded from bytes."""
    return value.decode() if isinstance(value, bytes) else value


def same_as(value: ir.Value, dtype: ir.DataType = FLOAT) -> tuple[tuple[int, ...], ir.DataType]:
    """The output type of an elementwise op on `value`."""
    return shape_of(value), dtype


def packed_like(value: ir.Value) -> tuple[tuple[int, ...], ir.DataType]:
    """The output type of the packed bits of the ±1 map `value` ([N, H, W, words(C)])."""
    return packed_shape(shape_of(value)), PACKED


def make_node(op_type: str, inputs, attributes: dict | None = None, *, name_hint: str | None = None) -> ir.Node:
    """A node of `op_type` whose outputs have the shapes and types its definition gives them."""
    op = OPS[op_type]
    node = ir.node(op_type, inputs, attributes or None, domain=DOMAIN, name=fresh_name(name_hint or op_type))
    types = op.output_types(node)
    node.resize_outputs(len(types))
    node.outputs[0].name = fresh_name(op_type.lower())
    for value, role, (shape, dtype) in zip(node.outputs, op.outputs, types):
        if value.index() > 0:
            value.name = f"{node.outputs[0].name}::{role.rstrip('?').lower()}"
        set_shape(value, shape, dtype)
    return node


def reference_ops() -> list[type[OpRun]]:
    """Every operator's reference as an onnx.reference OpRun (named after the op, as it requires)."""
    def runner(op: type[Op]):
        def _run(self, *inputs, **given):
            return op.reference(*inputs, **{name: _plain(given.get(name, default))
                                            for name, default in op.attributes.items()})
        return _run

    return [type(name, (OpRun,), {"op_domain": DOMAIN, "_run": runner(op)}) for name, op in OPS.items()]
