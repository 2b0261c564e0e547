"""Fuse a float convolution into the max-pool that reads it (targets with x86 float kernels).

The stem of ResNet-like nets is Conv 7x7/2 -> BatchNormalization -> MaxPool 3x3/2, which the
earlier passes turn into Conv -> `MaxPoolAffine`. Run as two layers, the conv writes its whole
output (3.2 MB at 224x224, more than the L2 cache) and the pool reads it back from memory. As
`ConvMaxPoolAffine(X, W, Bias, S, B)` the kernel computes the conv rows each pool row needs into
a small ring that stays in cache and pools them at once; the conv output never exists whole. The
arithmetic is the same as the two layers' (same conv kernel, same pool), so results do not change.

PyTorch's default export folds the stem's BatchNormalization into the conv's weights and bias,
so a plain MaxPool reads the conv: it becomes the same kernel with S = 1, B = 0 (x * 1 + 0 is x,
but for -0, which becomes +0 and compares equal).

Only ungrouped 2-D convs whose output is read by nothing but the pool are fused.
"""
from __future__ import annotations

import numpy as np
import onnx_ir as ir

from bnncc.ir import (add_constant, attribute, constant, insert_before, is_bnncc, read_only_by,
                      remove_unused, replace_value, shape_of)
from bnncc.ops import make_node
from bnncc.ops.windows import window_attributes


class FuseConvPoolPass(ir.passes.InPlacePass):
    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for node in list(graph):
            if node.graph is not None and (is_bnncc(node, "MaxPoolAffine") or _plain_max_pool(node)):
                modified |= _fuse(graph, node)
        remove_unused(graph)
        return ir.passes.PassResult(model, modified)


def _fuse(graph: ir.Graph, pool: ir.Node) -> bool:
    conv = pool.inputs[0].producer()
    if conv is None or conv.domain != "" or conv.op_type != "Conv" or int(attribute(conv, "group", 1)) != 1:
        return False
    weights = constant(conv.inputs[1]) if len(conv.inputs) > 1 else None
    if weights is None or weights.ndim != 4 or len(shape_of(conv.inputs[0])) != 4:
        return False
    bias = conv.inputs[2] if len(conv.inputs) > 2 else None
    if bias is not None and constant(bias) is None:
        return False
    y = conv.outputs[0]
    if not read_only_by(y, pool):
        return False
    attributes = window_attributes(conv, weights.shape[2:])
    attributes.update({f"pool_{name}": value for name, value in
                       window_attributes(pool, attribute(pool, "kernel_shape")).items()})
    if is_bnncc(pool):
        scale, shift = pool.inputs[1], pool.inputs[2]
    else:
        channels = weights.shape[0]
        scale = add_constant(graph, np.ones(channels, np.float32), "pool_scale")
        shift = add_constant(graph, np.zeros(channels, np.float32), "pool_shift")
    fused = make_node("ConvMaxPoolAffine", [conv.inputs[0], conv.inputs[1], bias, scale, shift], attributes)
    insert_before(graph, pool, fused)
    replace_value(pool.outputs[0], fused.outputs[0])
    graph.remove(pool, safe=True)
    graph.remove(conv, safe=True)
    return True


def _plain_max_pool(node: ir.Node) -> bool:
    """A 2-D MaxPool without the indices output."""
    return node.domain == "" and node.op_type == "MaxPool" and len(shape_of(node.inputs[0])) == 4 and \
        not (len(node.outputs) > 1 and node.outputs[1].uses())
