"""The graph's wiring, checked and put in order before anything reads it.

ONNX requires every tensor name to be written once (by a graph input, an initializer or one node
output) and the nodes to be listed in topological order. Files break both rules (hand edits,
merges, other tools' bugs). A node listed before the one that writes its input would make a
compiler that follows file order read memory nothing wrote, so the nodes are sorted here, as
onnxruntime sorts them; two writers of one name or a cycle have no meaning and are refused.

Every graph output must also be computed from the values of the graph inputs: an output that
is a constant, or that only a Shape/Size of an input reaches, is refused (the compiled artifact
computes outputs from inputs; a constant output has no batch dimension and a shape tensor
depends on the batch size).
"""
from __future__ import annotations

import heapq

import onnx

from ..errors import BnnccError, printable

# Ops whose output depends on the shape of their input, not on its values.
SHAPE_ONLY = {"Shape", "Size"}


def node_label(node: onnx.NodeProto, index: int) -> str:
    return f"{node.name or '#' + str(index)} ({node.op_type})"


def check_and_sort(model: onnx.ModelProto) -> None:
    """Refuse duplicate writers, undefined reads, cycles and outputs not computed from the
    inputs; reorder the nodes topologically (stable: a sorted graph keeps its order)."""
    graph = model.graph
    writers = _writers(graph)
    given = {i.name for i in graph.input} | {t.name for t in graph.initializer}
    _check_reads(graph, writers, given)
    _sort(graph, writers)
    _check_outputs(graph, writers, given)


def _writers(graph: onnx.GraphProto) -> dict[str, int]:
    """name -> index of the node writing it; raises on any name written twice."""
    owners: dict[str, str] = {}
    for value in graph.input:
        _claim(owners, value.name, f"graph input {printable(value.name)!r}")
    for tensor in graph.initializer:
        _claim(owners, tensor.name, f"initializer {printable(tensor.name)!r}")
    writers = {}
    for index, node in enumerate(graph.node):
        for name in node.output:
            if name:
                _claim(owners, name, f"node {printable(node_label(node, index))}")
                writers[name] = index
    return writers


def _claim(owners: dict[str, str], name: str, owner: str) -> None:
    if name in owners:
        raise BnnccError(f"tensor {printable(name)!r} is written twice, by {owners[name]} and by {owner}; "
                         "ONNX requires one writer per name")
    owners[name] = owner


def _check_reads(graph: onnx.GraphProto, writers: dict[str, int], given: set[str]) -> None:
    for index, node in enumerate(graph.node):
        for name in node.input:
            if name and name not in writers and name not in given:
                raise BnnccError(f"reads tensor {printable(name)!r}, which no node, graph input or initializer "
                                 "defines", node=node_label(node, index))


def _sort(graph: onnx.GraphProto, writers: dict[str, int]) -> None:
    """Kahn's algorithm, always taking the ready node that comes first in the file."""
    nodes = list(graph.node)
    waiting = [0] * len(nodes)
    readers: list[list[int]] = [[] for _ in nodes]
    for index, node in enumerate(nodes):
        sources = {writers[name] for name in node.input if name in writers}
        waiting[index] = len(sources)
        for source in sources:
            readers[source].append(index)
    ready = [index for index, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        index = heapq.heappop(ready)
        order.append(index)
        for reader in readers[index]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, reader)
    if len(order) < len(nodes):
        stuck = min(set(range(len(nodes))) - set(order))
        raise BnnccError("the graph has a cycle through this node", node=node_label(nodes[stuck], stuck))
    if order != list(range(len(nodes))):
        del graph.node[:]
        graph.node.extend(nodes[i] for i in order)


def _check_outputs(graph: onnx.GraphProto, writers: dict[str, int], given: set[str]) -> None:
    if not graph.output:
        raise BnnccError("the graph has no outputs")
    inputs = {i.name for i in graph.input}
    varying = set(inputs)         # tensors whose values depend on the values of a graph input
    for node in graph.node:       # (sorted: writers come first)
        if node.op_type not in SHAPE_ONLY and any(name in varying for name in node.input):
            varying.update(name for name in node.output if name)
    for value in graph.output:
        name = printable(value.name)
        if value.name not in writers and value.name not in given:
            raise BnnccError(f"graph output {name!r} is not computed by any node")
        if value.name not in varying:
            raise BnnccError(f"graph output {name!r} does not depend on the values of any graph input (it is a "
                             "constant or a shape); bnncc compiles outputs computed from the inputs")
