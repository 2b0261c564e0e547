"""Small helpers over onnx_ir used by the frontend and the passes."""
from __future__ import annotations

import itertools

import numpy as np
import onnx_ir as ir

DOMAIN = "ai.bnncc"     # the ONNX domain of bnncc's own operators (bnncc.ops)

_fresh_ids = itertools.count()


def fresh_name(hint: str) -> str:
    """A value name no model string can collide with (model names never reach C anyway)."""
    return f"bnncc::{hint}::{next(_fresh_ids)}"


def constant(value: ir.Value | None) -> np.ndarray | None:
    """The array of an initializer value, or None when the value is computed at run time."""
    if value is None or value.const_value is None:
        return None
    return value.const_value.numpy()


def add_constant(graph: ir.Graph, array: np.ndarray, hint: str = "const") -> ir.Value:
    """Register `array` as a new initializer and return its value."""
    array = np.array(array, order="C")  # (ascontiguousarray would turn a scalar into shape [1])
    tensor = ir.tensor(array, name=fresh_name(hint))
    value = ir.Value(name=tensor.name, shape=ir.Shape(array.shape), type=ir.TensorType(tensor.dtype),
                     const_value=tensor)
    graph.register_initializer(value)
    return value


def shape_of(value: ir.Value) -> tuple[int, ...]:
    """The static shape of a value (shapes are made static by the frontend)."""
    if value.shape is None:
        raise KeyError(f"value {value.name} has no shape")
    return tuple(int(d) for d in value.shape)


def set_shape(value: ir.Value, shape, dtype: ir.DataType = ir.DataType.FLOAT) -> ir.Value:
    value.shape = ir.Shape([int(d) for d in shape])
    value.type = ir.TensorType(dtype)
    return value


def consumers(value: ir.Value) -> list[ir.Node]:
    return [use.node for use in value.uses()]


def read_only_by(value: ir.Value, node: ir.Node) -> bool:
    """`node` is the one reader of `value`, which is no graph output: a fusion may consume it."""
    return consumers(value) == [node] and not value.is_graph_output()


def attribute(node: ir.Node, name: str, default=None):
    """A node attribute as a plain Python value."""
    attr = node.attributes.get(name)
    if attr is None:
        return default
    value = attr.value
    if isinstance(value, ir.TensorProtocol):
        return value.numpy()
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def new_node(op_type: str, inputs, attributes=None, *, domain: str = "", shape=None,
             dtype=ir.DataType.FLOAT, name_hint: str | None = None) -> ir.Node:
    node = ir.node(op_type, inputs, attributes, domain=domain, name=fresh_name(name_hint or op_type))
    node.outputs[0].name = fresh_name(op_type.lower())
    if shape is not None:
        set_shape(node.outputs[0], shape, dtype)
    return node


def replace_value(old: ir.Value, new: ir.Value) -> None:
    """Make every user of `old` (graph outputs included) use `new`; a graph output keeps its name."""
    graph_output_name = old.name if old.is_graph_output() else None
    old.replace_all_uses_with(new, replace_graph_outputs=True)
    if graph_output_name is not None:
        old.name = fresh_name("replaced")
        new.name = graph_output_name


SOURCE = "bnncc.source"     # metadata of a node a pass made: the model node it stands for


def source_label(node: ir.Node) -> str:
    """The model node a node comes from, as errors and reports name it: "name (op)"."""
    return node.metadata_props.get(SOURCE) or f"{node.name} ({node.op_type})"


def insert_before(graph: ir.Graph, anchor: ir.Node, node: ir.Node) -> None:
    """graph.insert_before, and `node` stands for the model node `anchor` stands for."""
    node.metadata_props[SOURCE] = source_label(anchor)
    graph.insert_before(anchor, node)


def insert_after(graph: ir.Graph, anchor: ir.Node, node: ir.Node) -> None:
    """graph.insert_after, and `node` stands for the model node `anchor` stands for."""
    node.metadata_props[SOURCE] = source_label(anchor)
    graph.insert_after(anchor, node)


def is_bnncc(node: ir.Node, op_type: str | None = None) -> bool:
    return node.domain == DOMAIN and (op_type is None or node.op_type == op_type)


def remove_unused(graph: ir.Graph) -> None:
    """Drop nodes whose outputs nobody uses, and initializers nobody reads."""
    used_outputs = {id(v) for v in graph.outputs}
    for node in reversed(list(graph)):
        if not any(v.uses() or id(v) in used_outputs for v in node.outputs):
            graph.remove(node, safe=True)
    for name, value in list(graph.initializers.items()):
        if not value.uses() and not value.is_graph_output():
            del graph.initializers[name]
