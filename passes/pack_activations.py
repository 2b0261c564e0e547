"""Switch binary layers to packed operands and keep activations packed between them.

For every BinaryConv / BinaryMatMul input X (a ±1 float tensor) we find a packed source:
  Threshold(Y)           -> ThresholdPack(Y)         (binarize straight into bits)
  MaxPool(X') of ±1      -> BinaryMaxPool(packed X') (max of ±1 = AND of the -1 bits)
  Concat / Slice / Split of such ±1 maps along channels
                         -> ConcatBits / SliceBits of their packed sources (the float ±1 maps
                            between them need never exist)
  anything else ±1       -> PackBits(X)
A BinaryMatMul whose input is Reshape/Flatten of a packed [1, C, H, W] tensor becomes a
BinaryConvPacked whose kernel covers the whole H x W map: the flatten order (c, h, w) of the
weights is permuted once here to the packed layout (h, w, c), so nothing is unpacked.
Finally an accumulator read only by a ThresholdPack is fused into its binary layer, which then
writes bits. Float consumers keep the float ops they had (no unpacking is ever needed).
"""
from __future__ import annotations

import numpy as np
import onnx_ir as ir

from bnncc import bits
from bnncc.ir import (add_constant, attribute, constant, insert_after, insert_before, is_bnncc,
                      read_only_by, remove_unused, replace_value, shape_of)
from bnncc.ops import make_node
from bnncc.ops.slicing import joined_cuts, slice_cut, split_cuts
from bnncc.ops.windows import window_attributes

class PackActivationsPass(ir.passes.InPlacePass):
    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        self.packed: dict[int, ir.Value] = {}
        modified = False
        for node in list(graph):
            if is_bnncc(node, "BinaryConv"):
                self._conv(graph, node)
                modified = True
            elif is_bnncc(node, "BinaryMatMul"):
                self._dense(graph, node)
                modified = True
        remove_unused(graph)
        for node in list(graph):
            if node.graph is not None and is_bnncc(node, "ThresholdPack"):
                _fuse_threshold(graph, node)
        remove_unused(graph)
        return ir.passes.PassResult(model, modified)

    def packed_source(self, graph: ir.Graph, value: ir.Value) -> ir.Value:
        """A packed value holding the ±1 tensor `value` (created once, next to its producer)."""
        key = id(value)
        if key in self.packed:
            return self.packed[key]
        node = value.producer()
        if is_bnncc(node, "Threshold"):
            new = make_node("ThresholdPack", list(node.inputs))
        elif node.domain == "" and node.op_type == "MaxPool" and len(shape_of(value)) == 4 and len(node.outputs) == 1:
            source = self.packed_source(graph, node.inputs[0])
            new = make_node("BinaryMaxPool", [source], _pool_attributes(node))
        elif _channel_cut(node) and _has_packed_source(value):
            new = self._packed_cut(graph, node, value)
        else:
            new = make_node("PackBits", [value])
            node = None
        if node is None:
            insert_after(graph, value.producer(), new) if value.producer() else graph.insert_before(graph.node(0), new)
        else:
            insert_after(graph, node, new)
        self.packed[key] = new.outputs[0]
        return new.outputs[0]

    def _packed_cut(self, graph: ir.Graph, node: ir.Node, value: ir.Value) -> ir.Node:
        """ConcatBits of the inputs' packed sources, or SliceBits of the input's for `value`."""
        if node.op_type == "Concat":
            sources = [self.packed_source(graph, v) for v in node.inputs]
            return make_node("ConcatBits", sources, {"channels": [shape_of(v)[1] for v in node.inputs]})
        cut = slice_cut(node) if node.op_type == "Slice" else split_cuts(node)[value.index()]
        return make_node("SliceBits", [self.packed_source(graph, node.inputs[0])],
                         {"channels": cut.shape[1], "start": cut.start, "stop": cut.stop})

    def _conv(self, graph: ir.Graph, node: ir.Node) -> None:
        x, w = node.inputs
        signs = constant(w)
        pad_value = float(attribute(node, "pad_value", 0.0))
        attributes = {
            "channels": int(signs.shape[1]),
            "kernel_shape": list(attribute(node, "kernel_shape")),
            "strides": list(attribute(node, "strides", [1, 1])),
            "pads": list(attribute(node, "pads", [0, 0, 0, 0])),
            "dilations": list(attribute(node, "dilations", [1, 1])),
            "pad_bit": {0.0: -1, 1.0: 0, -1.0: 1}[pad_value],
        }
        source = self.packed_source(graph, x)
        self._replace(graph, node, source, bits.pack_conv_weights(signs), attributes)

    def _dense(self, graph: ir.Graph, node: ir.Node) -> None:
        x, w = node.inputs
        signs = constant(w)                          # [K, M]
        k, m = signs.shape
        flattened = x.producer()
        spatial = flattened.inputs[0] if flattened is not None and flattened.op_type in ("Flatten", "Reshape") \
            and flattened.domain == "" else None
        if spatial is not None and len(shape_of(spatial)) == 4 and _has_packed_source(spatial):
            _, c, h, wd = shape_of(spatial)
            weights = signs.T.reshape(m, c, h, wd)
            source = self.packed_source(graph, spatial)
        else:
            c, h, wd = k, 1, 1
            weights = signs.T.reshape(m, k, 1, 1)
            source = self.packed_source(graph, x)
        attributes = {"channels": c, "kernel_shape": [h, wd], "strides": [1, 1], "pads": [0, 0, 0, 0],
                      "dilations": [1, 1], "pad_bit": -1, "dense": 1}
        self._replace(graph, node, source, bits.pack_conv_weights(weights), attributes)

    def _replace(self, graph, node, source, packed_weights, attributes) -> None:
        new = make_node("BinaryConvPacked", [source, add_constant(graph, packed_weights, "packed_weights")],
                        attributes)
        insert_before(graph, node, new)
        replace_value(node.outputs[0], new.outputs[0])
        graph.remove(node, safe=True)


def _has_packed_source(value: ir.Value) -> bool:
    node = value.producer()
    if node is None:
        return False
    if is_bnncc(node, "Threshold"):
        return True
    if _channel_cut(node):
        inputs = node.inputs if node.op_type == "Concat" else node.inputs[:1]
        return all(_has_packed_source(v) for v in inputs)
    return node.domain == "" and node.op_type == "MaxPool" and _has_packed_source(node.inputs[0])


def _channel_cut(node: ir.Node) -> bool:
    """A Concat, Slice or Split along the channels of [N, C] or [N, C, H, W] maps."""
    if node.domain != "" or node.op_type not in ("Concat", "Slice", "Split") or \
            len(shape_of(node.outputs[0])) not in (2, 4):
        return False
    cuts = {"Concat": joined_cuts, "Split": split_cuts, "Slice": lambda n: [slice_cut(n)]}[node.op_type](node)
    return cuts[0].axis == 1


def _pool_attributes(node: ir.Node) -> dict:
    return {"channels": int(shape_of(node.inputs[0])[1]), **window_attributes(node, attribute(node, "kernel_shape"))}


def _fuse_threshold(graph: ir.Graph, pack: ir.Node) -> None:
    """BinaryConvPacked -> acc -> ThresholdPack  ==>  BinaryConvPacked(..., T, D) -> bits."""
    acc = pack.inputs[0]
    conv = acc.producer()
    if conv is None or not is_bnncc(conv, "BinaryConvPacked") or len(conv.inputs) > 2:
        return
    if not read_only_by(acc, pack):
        return
    thresholds, directions = constant(pack.inputs[1]), constant(pack.inputs[2])
    fused = make_node("BinaryConvPacked", [conv.inputs[0], conv.inputs[1],
                                           add_constant(graph, thresholds.astype(np.float32), "thresholds"),
                                           add_constant(graph, directions, "directions")],
                      {name: attr.value for name, attr in conv.attributes.items()})
    insert_before(graph, pack, fused)
    replace_value(pack.outputs[0], fused.outputs[0])
    graph.remove(pack, safe=True)
    graph.remove(conv, safe=True)
