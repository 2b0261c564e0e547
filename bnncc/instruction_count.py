"""`bnncc bench` for a target this machine emulates: instructions counted, not time.

Emulated code cannot be timed (qemu's speed says nothing about a board's). What it gives exactly
is the number of instructions the artifact executes for one image, in total and per layer
(runtime_c/bench/qemu_insn_count.c; the layers' from marks an artifact built with
-DBNNCC_MARK_LAYERS makes). Binary layers are set against the least any XOR-popcount code needs
on the target's popcount vectors: one XOR, one popcount and one accumulate per vector of binary
MACs (3 per 128 binary MACs on 128-bit NEON); a core without a popcount instruction has no such
floor.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .compiler import compile
from .errors import BnnccError

MIN_INSTRUCTIONS_PER_VECTOR = 3          # XOR (EOR), popcount (CNT), accumulate, per popcount vector
MIN_INSTRUCTIONS_PER_128_MACS = MIN_INSTRUCTIONS_PER_VECTOR   # on 128-bit vectors (NEON)


@dataclass
class LayerCount:
    index: int
    op_type: str
    detail: str
    instructions: int
    share: float
    binary_macs: int
    float_macs: int


@dataclass
class CountResult:
    model: str
    target: str
    instructions: int                    # one image, one call
    binary_macs: int
    float_macs: int
    binary_layer_instructions: int       # the layers with binary MACs, together
    layers: list[LayerCount] = field(default_factory=list)
    popcount_bits: int = 0               # the target's popcount vector (0: no popcount instruction)

    @property
    def binary_instructions_per_128_macs(self) -> float | None:
        return 128 * self.binary_layer_instructions / self.binary_macs if self.binary_macs else None

    @property
    def minimum_per_128_macs(self) -> float | None:
        """The XOR-popcount floor per 128 binary MACs on the target's popcount vectors (None: none)."""
        return MIN_INSTRUCTIONS_PER_VECTOR * 128 / self.popcount_bits if self.popcount_bits else None

    def to_dict(self) -> dict:
        return {**asdict(self), "binary_instructions_per_128_macs": self.binary_instructions_per_128_macs,
                "minimum_instructions_per_128_binary_macs": self.minimum_per_128_macs, "unit": "instructions"}


def count_instructions(model_path: str | os.PathLike, target: str, progress=None) -> CountResult:
    say = progress or (lambda _message: None)
    compiled = compile(model_path, target=target, threads=1, progress=say)
    if not compiled.target.emulated:
        raise BnnccError(f"{compiled.target.name} runs natively here: bnncc bench times it instead of counting")
    say("build with layer marks")
    marked = compiled.build(extra_flags=("-DBNNCC_MARK_LAYERS",))
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(spec.shape).astype(np.float32) for spec in compiled.inputs]
    say(f"count instructions under {Path(marked.emulator[0]).name}")
    total, per_layer = marked.count_instructions(*inputs)
    marked.close()
    layers = compiled.layers
    if len(per_layer) != len(layers):
        raise BnnccError(f"the counting plugin saw {len(per_layer)} layer marks for {len(layers)} layers")
    counted = [LayerCount(layer.index, layer.op_type, layer.detail, n, n / max(1, total), layer.binary_macs,
                          layer.float_macs) for layer, n in zip(layers, per_layer)]
    return CountResult(Path(model_path).name, compiled.target.name, total, compiled.report.binary_macs,
                       compiled.report.float_macs, sum(c.instructions for c in counted if c.binary_macs), counted,
                       compiled.target.popcount_bits)


def format_count_result(r: CountResult) -> str:
    lines = [f"bnncc bench: {r.model}  target {r.target}  (emulated here: instructions counted by qemu, "
             "not timed; emulated code says nothing about a board's speed)", "",
             f"  instructions per image   {r.instructions:,}",
             f"  binary MACs per image    {r.binary_macs:,}", f"  float MACs per image     {r.float_macs:,}"]
    if r.binary_macs:
        floor = (f"an XOR-popcount minimum on {r.popcount_bits}-bit vectors: {r.minimum_per_128_macs:g}"
                 if r.popcount_bits else "this core has no popcount instruction")
        lines.append(f"  binary layers            {r.binary_layer_instructions:,} instructions = "
                     f"{r.binary_instructions_per_128_macs:.2f} per 128 binary MACs ({floor})")
    lines += ["", f"  {'layer':<5} {'op':<20} {'detail':<34} {'instructions':>14} {'share':>6} {'per 128 bin MACs':>17}"]
    for layer in r.layers:
        per = f"{128 * layer.instructions / layer.binary_macs:.2f}" if layer.binary_macs else ""
        lines.append(f"  {layer.index:<5} {layer.op_type:<20} {layer.detail[:34]:<34} {layer.instructions:>14,} "
                     f"{layer.share:>6.1%} {per:>17}")
    return "\n".join(lines)
