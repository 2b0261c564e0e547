"""Static shapes of every tensor, found by running the model once in onnxruntime at batch 1.

ONNX shape inference stops at custom ops (BipolarQuant, Quant, MultiThreshold); they are all
elementwise, so for this run they are stood in for by Identity on their first input. Running the
graph also proves its shapes are consistent: a bad model fails here with onnxruntime's reason.
"""
from __future__ import annotations

import re

import numpy as np
import onnx

from ..errors import BnnccError, printable
from ..onnxruntime_session import session
from .loader import MAX_TENSOR_ELEMENTS
from .support import STANDARD_DOMAINS


def discover_shapes(model: onnx.ModelProto) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """name -> (shape, dtype) of every node output, for batch 1."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    graph = probe.graph
    for index, node in enumerate(graph.node):
        if not node.name:  # so that onnxruntime's message names the node as bnncc does elsewhere
            node.name = f"#{index} ({node.op_type})"
        if node.domain not in STANDARD_DOMAINS:
            stand_in = onnx.helper.make_node("Identity", [node.input[0]], [node.output[0]], name=node.name)
            node.CopyFrom(stand_in)
    feeds = {}
    rng = np.random.default_rng(0)
    for value in graph.input:
        dims = value.type.tensor_type.shape.dim
        shape = [1 if i == 0 and not d.HasField("dim_value") else d.dim_value for i, d in enumerate(dims)]
        if len(shape) >= 2:            # the batch (see importer): one sample
            shape[0] = 1
        del value.type.tensor_type.shape.dim[:]
        value.type.tensor_type.shape.dim.extend(onnx.TensorShapeProto.Dimension(dim_value=d) for d in shape)
        feeds[value.name] = rng.standard_normal(shape, dtype=np.float32)
    _check_inferred_sizes(probe)
    existing = {o.name for o in graph.output}
    wanted = [name for node in graph.node for name in node.output if name and name not in existing]
    graph.output.extend(onnx.ValueInfoProto(name=name) for name in wanted)
    del graph.value_info[:]
    try:
        results = session(probe.SerializeToString(), log_level=4).run(None, feeds)
    except Exception as exc:  # onnxruntime reports bad graphs with several exception types
        raise _inconsistent(exc, graph) from None
    names = [o.name for o in graph.output]
    return {name: (tuple(r.shape), r.dtype) for name, r in zip(names, results)}


def _check_inferred_sizes(probe: onnx.ModelProto) -> None:
    """Refuse, before onnxruntime allocates them, tensors that ONNX shape inference already knows
    to be absurdly large (a huge Pad, Expand or ConstantOfShape would take all memory)."""
    bare = onnx.ModelProto()
    bare.CopyFrom(probe)               # declared shapes of outputs and value_info are not trusted
    del bare.graph.value_info[:]
    for value in bare.graph.output:
        value.ClearField("type")
    try:
        inferred = onnx.shape_inference.infer_shapes(bare, data_prop=True)
    except Exception:  # inference is only a pre-check: onnxruntime gives the real verdict
        return
    writers = {name: node for node in inferred.graph.node for name in node.output}
    for value in [*inferred.graph.value_info, *inferred.graph.output]:
        dims = value.type.tensor_type.shape.dim
        elements = np.prod([d.dim_value for d in dims if d.HasField("dim_value")], dtype=np.float64)
        if elements > MAX_TENSOR_ELEMENTS:
            node = writers.get(value.name)
            raise BnnccError(f"its output {printable(value.name)!r} would hold {int(elements)} elements, more than "
                             f"bnncc's limit of {MAX_TENSOR_ELEMENTS}",
                             node=f"{node.name} ({node.op_type})" if node is not None else None)


# Where onnxruntime's messages name the failing node.
NODE_MENTIONS = (re.compile(r"node \(([^)]*)\)", re.IGNORECASE), re.compile(r"Name:'([^']*)'"),
                 re.compile(r'In Node, \("([^"]*)"'), re.compile(r"node name \(([^)]*)\)"))
# Boilerplate around the reason: the error code prefix and the C++ source location and function.
NOISE = (re.compile(r"^\[ONNXRuntimeError\] : \d+ : \w+ : "), re.compile(r"This is an invalid model\. "),
         re.compile(r"/onnxruntime_src/\S+:\d+ [^(]*\([^)]*\)( const)? "))


def _inconsistent(exc: Exception, graph: onnx.GraphProto) -> BnnccError:
    """onnxruntime's refusal as one line: its reason without boilerplate, naming the node it names."""
    lines = str(exc).strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    for pattern in NOISE:
        reason = pattern.sub("", reason)
    op_types = {node.name: node.op_type for node in graph.node}
    named = next((m.group(1) for p in NODE_MENTIONS for m in p.finditer(reason) if m.group(1) in op_types), None)
    node = f"{named} ({op_types[named]})" if named else None
    return BnnccError(f"the graph is inconsistent here (onnxruntime: {reason[:400]})", node=node)
