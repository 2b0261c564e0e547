"""Constant folding: evaluate every node whose inputs are all known at compile time.

Shape(x) is known once shapes are static; Identity/Dropout are bypassed. The importer runs it once
before canonicalize too, so that binarizations built on shape sub-graphs show constant operands. Folding runs each
node through the reference interpreter, so it computes exactly what the reference would.
"""
from __future__ import annotations

import numpy as np
import onnx
import onnx_ir as ir
from onnx.reference import ReferenceEvaluator

from bnncc.errors import BnnccError
from bnncc.ir import add_constant, constant, remove_unused, replace_value, shape_of, source_label
from bnncc.ops import DOMAIN, reference_ops

MAX_FOLDED_ELEMENTS = 1 << 26


class FoldConstantsPass(ir.passes.InPlacePass):
    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for node in list(graph):
            if node.graph is None:
                continue
            if node.op_type in ("Identity", "Dropout") and node.domain == "" and not node.outputs[0].is_graph_output():
                replace_value(node.outputs[0], node.inputs[0])
                modified = True
                continue
            values = _fold(node, model.opset_imports)
            if values is None:
                continue
            for output, array in zip(node.outputs, values):
                replace_value(output, add_constant(graph, array, "folded"))
            modified = True
        remove_unused(graph)
        return ir.passes.PassResult(model, modified)


def _fold(node: ir.Node, opsets: dict[str, int]) -> list[np.ndarray] | None:
    if any(v.is_graph_output() for v in node.outputs) or node.domain not in ("", DOMAIN):
        return None             # (the dialects' ops, before canonicalize rewrites them, have no reference here)
    if node.op_type == "Shape" and node.domain == "":
        try:
            shape = shape_of(node.inputs[0])
        except KeyError:
            return None
        start = node.attributes.get("start")
        end = node.attributes.get("end")
        sliced = shape[(start.value if start else None):(end.value if end else None)]
        return [np.array(sliced, dtype=np.int64)]
    arrays = [constant(v) if v is not None else None for v in node.inputs]
    if any(a is None for a, v in zip(arrays, node.inputs) if v is not None):
        return None
    return evaluate(node, arrays, opsets)


def evaluate(node: ir.Node, arrays: list[np.ndarray | None], opsets: dict[str, int]) -> list[np.ndarray]:
    """Run one node on constant inputs with the reference interpreter."""
    proto = ir.serde.serialize_node(node)
    names = [f"in{i}" if a is not None else "" for i, a in enumerate(arrays)]
    outputs = [f"out{i}" for i in range(len(node.outputs))]
    del proto.input[:]
    proto.input.extend(names)
    del proto.output[:]
    proto.output.extend(outputs)
    graph = onnx.helper.make_graph(
        [proto], "fold", [], [onnx.ValueInfoProto(name=o) for o in outputs],
        initializer=[onnx.numpy_helper.from_array(np.asarray(a), n) for a, n in zip(arrays, names) if a is not None])
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid(d, v) for d, v in opsets.items()])
    try:
        results = ReferenceEvaluator(model, new_ops=reference_ops()).run(None, {})
    except Exception as exc:  # the reference raises many types for bad constant inputs
        raise BnnccError(f"cannot evaluate {node.op_type} on its constant inputs ({exc})", node=source_label(node)) from None
    for array in results:
        if np.asarray(array).size > MAX_FOLDED_ELEMENTS:
            raise BnnccError("constant folding produced an absurdly large tensor", node=source_label(node))
    return [np.asarray(a) for a in results]
