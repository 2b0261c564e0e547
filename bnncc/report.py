"""The conversion report: what runs binary, what stays float and why, and what it costs."""
from __future__ import annotations

from dataclasses import dataclass, field


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
    binary_macs: int = 0
    float_macs: int = 0
    weight_bytes_float: int = 0
    weight_bytes_packed: int = 0
    arena_bytes: int = 0
    source_bytes: int = 0

    def layer(self, node: str, op_type: str, mode: str, reason: str) -> None:
        self.layers.append(LayerNote(node, op_type, mode, reason))

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
            f"binary MACs per sample: {self.binary_macs:,}",
            f"float MACs per sample:  {self.float_macs:,}",
            f"weights: {self.weight_bytes_float:,} bytes as float32 -> {self.weight_bytes_packed:,} bytes in the artifact",
            f"arena (activations, one sample): {self.arena_bytes:,} bytes",
        ]
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
        }
