"""Sum(x1, x2, ..., xn) as the chain of Adds ((x1 + x2) + x3) + ... + xn that the passes know.

Float addition is not associative, so the chain must add in the order the reference does:
onnxruntime's Sum adds its inputs left to right (tests/e2e/test_sums_of_binary_layers.py compiles a
Sum whose other grouping changes most outputs, bit-exact), and each Add broadcasts as Sum does.
"""
from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ..ir import insert_before, new_node, replace_value, shape_of


def sums_as_adds(graph: ir.Graph) -> None:
    for node in list(graph):
        if node.domain == "" and node.op_type == "Sum":
            _left_to_right(graph, node)


def _left_to_right(graph: ir.Graph, node: ir.Node) -> None:
    total = node.inputs[0]
    dtype = node.outputs[0].dtype
    for term in node.inputs[1:]:
        shape = np.broadcast_shapes(shape_of(total), shape_of(term))
        add = new_node("Add", [total, term], shape=shape, dtype=dtype)
        insert_before(graph, node, add)
        total = add.outputs[0]
    if total is node.inputs[0]:                       # Sum(x) is x
        identity = new_node("Identity", [total], shape=shape_of(total), dtype=dtype)
        insert_before(graph, node, identity)
        total = identity.outputs[0]
    replace_value(node.outputs[0], total)
    graph.remove(node, safe=True)
