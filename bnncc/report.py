"""The conversion report: what runs binary, what stays float and why, and what it costs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import onnx

from .codegen.memory_plan import is_view
from .frontend.structure import SHAPE_ONLY


@dataclass
class LayerNote:
    node: str          # the source node's name (Python-side only; never reaches C)
    op_type: str
    mode: str          # "binary" or "float"
    reason: str


@dataclass
class ConversionReport:
    model_name: str = ""
    target: str = ""
    layers: list[LayerNote] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    binary_macs: int | None = 0       # None: not counted by the target's backend (TVM)
    float_macs: int | None = 0
    weight_bytes_float: int = 0
    weight_bytes_packed: int = 0
    arena_bytes: int | None = 0       # None: the backend plans its own memory (TVM)
    source_bytes: int = 0
    memory: Any = None                # a board target's flash and RAM (firmware.DeviceMemory), measured

    def layer(self, node: str, op_type: str, mode: str, reason: str) -> None:
        self.layers.append(LayerNote(node, op_type, mode, reason))

    @property
    def has_binary_layer(self) -> bool:
        return any(n.mode == "binary" for n in self.layers)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def __str__(self) -> str:
        lines = [f"bnncc conversion report: {self.model_name} (target {self.target or '-'})", "", "layers:"]
        width = max([len(n.node) for n in self.layers] + [4])
        op_width = max([len(n.op_type) for n in self.layers] + [4])
        for n in self.layers:
            lines.append(f"  {n.node:<{width}}  {n.op_type:<{op_width}}  {n.mode:<6}  {n.reason}")
        lines += [
            "",
            f"binary MACs per sample: {_count(self.binary_macs)}",
            f"float MACs per sample:  {_count(self.float_macs)}",
            f"weights: {self.weight_bytes_float:,} bytes as float32 -> {self.weight_bytes_packed:,} bytes in the artifact",
            f"arena (activations, one sample): {_count(self.arena_bytes, ' bytes')}",
        ]
        if self.memory is not None:
            m = self.memory
            lines += [f"flash on the board: {m.flash:,} bytes = code {m.code:,} + weights and constants {m.constants:,}"
                      f" + initialized data {m.data:,} (the float model's weights: {self.weight_bytes_float:,} bytes)",
                      f"RAM on the board:   {m.ram:,} bytes = arena {m.arena:,} + static data {m.data + m.bss:,} + "
                      f"stack {m.stack:,} (deepest call chain, gcc -fcallgraph-info)",
                      f"  (sections of the model linked alone by {self.target}'s toolchain; library calls: "
                      f"{', '.join(m.library_calls) or 'none'})"]
        if self.notes:
            lines += ["", "notes:"] + [f"  - {t}" for t in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "model": self.model_name, "target": self.target,
            "layers": [vars(n) for n in self.layers], "notes": list(self.notes),
            "binary_macs": self.binary_macs, "float_macs": self.float_macs,
            "weight_bytes_float": self.weight_bytes_float, "weight_bytes_packed": self.weight_bytes_packed,
            "arena_bytes": self.arena_bytes,
            **({"memory": self.memory.to_dict()} if self.memory is not None else {}),
        }


def listed(labels: list[str], most: int = 6) -> str:
    """Node labels for a note, each once (the layers a pass made from one node share its label):
    the first `most`, then "..."."""
    labels = list(dict.fromkeys(labels))
    return ", ".join(labels[:most]) + (", ..." if len(labels) > most else "")


def _count(value: int | None, unit: str = "") -> str:
    return "not counted by this target's backend" if value is None else f"{value:,}{unit}"


NO_BINARY_LAYER = ("no layer of this model runs binary (bnncc found no ±1 or ±s weights on a ±1 input): the whole "
                   "model runs as float kernels")

BINARIZATIONS = {"Sign", "Where", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "BipolarQuant", "Quant",
                 "MultiThreshold"}
FOLDABLE = {"Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice", "Transpose", "Identity",
            "Dropout", "ConstantOfShape", "Range", "Expand", "Equal", "Not", "Flatten", "Reshape"}


def source_layers(source, final_graph, lowered: list[LayerNote]) -> list[LayerNote]:
    """One line per node of the original model, in its order: binary, float, or folded away
    (`lowered`: the notes the passes wrote, by node name; `final_graph`: what remains to run)."""
    by_name = {note.node: note for note in lowered}
    remaining = {node.name for node in final_graph if node.name}
    views = {node.name for node in final_graph if node.name and is_view(node)}
    constant = {t.name for t in source.graph.initializer}
    multi_bit = multi_bit_activations(source)
    notes = []
    for index, node in enumerate(source.graph.node):
        label = node.name
        if all(name in constant for name in node.input if name):
            constant.update(node.output)
            notes.append(LayerNote(label, node.op_type, "folded", "computed at compile time (constant inputs)"))
        elif node.op_type in SHAPE_ONLY:
            constant.update(node.output)         # a sample's shape is fixed at compile time
            notes.append(LayerNote(label, node.op_type, "folded", "computed at compile time (one sample's shape)"))
        elif label in multi_bit:
            notes.append(LayerNote(label, node.op_type, "float", f"{multi_bit[label]} activation: stays float "
                                   "(only 1-bit activations run binary)"))
        elif label in by_name:
            notes.append(by_name[label])
        elif node.name and node.name in views:
            notes.append(LayerNote(label, node.op_type, "folded", "a free view of its input (no copy)"))
        elif node.name and node.name in remaining:
            notes.append(LayerNote(label, node.op_type, "float", "runs as a float kernel"))
        elif node.op_type == "MaxPool":
            notes.append(LayerNote(label, node.op_type, "binary", "max-pool on packed bits (AND of the -1 bits)"))
        elif node.op_type in BINARIZATIONS:
            notes.append(LayerNote(label, node.op_type, "binary",
                                   "binarization: folded into a per-channel threshold that writes packed bits"))
        elif node.op_type in FOLDABLE:
            notes.append(LayerNote(label, node.op_type, "folded", "shape arithmetic or a free view"))
        else:
            notes.append(LayerNote(label, node.op_type, "folded",
                                   "folded into the threshold, scale or output stage of a binary layer"))
    return notes


def multi_bit_activations(source) -> dict[str, str]:
    """Quantizers of run-time values with more than two levels (Quant of 2+ bits, MultiThreshold with
    several thresholds per channel), by node name: what they quantize to, e.g. "2-bit"."""
    values = {t.name: onnx.numpy_helper.to_array(t) for t in source.graph.initializer}
    found = {}
    for node in source.graph.node:
        if node.input and node.input[0] in values:
            continue            # a weight quantizer, folded at compile time
        if node.op_type == "Quant" and len(node.input) > 3 and node.input[3] in values:
            bits = values[node.input[3]]
            if bits.size == 1 and float(bits.item()) > 1:
                found[node.name] = f"{float(bits.item()):g}-bit"
        elif node.op_type == "MultiThreshold" and len(node.input) > 1 and node.input[1] in values:
            thresholds = values[node.input[1]]
            if thresholds.ndim == 2 and thresholds.shape[1] > 1:
                found[node.name] = f"{thresholds.shape[1] + 1}-level"
    return found


def parameter_bytes(source) -> int:
    """Bytes of the model's parameters as stored (initializers and Constant nodes)."""
    tensors = list(source.graph.initializer)
    tensors += [a.t for n in source.graph.node if n.op_type == "Constant" for a in n.attribute if a.name == "value"]
    return sum(onnx.numpy_helper.to_array(t).nbytes for t in tensors)
