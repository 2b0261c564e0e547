"""Compare an artifact's outputs with the reference under bnncc's exactness rules, and tell a real
mismatch from a float-threshold tie or bnncc's documented ONNX Sign(0) choice.

The rules are `bnncc.verify.check_output`'s (bit-exact on integer, binary and argmax outputs,
float outputs within 1e-5 of the largest magnitude); a NaN on one side only is a mismatch too.

A *tie*: the reference disagrees with itself in the same places. Each alternative reference
(onnxruntime with all graph optimizations, which fuses Conv+BN and changes rounding; the model
recomputed in float64) is compared with the reference the same way; when one of them deviates at
every element and argmax row where bnncc deviates, bnncc's difference is a rounding tie.
*Documented*: bnncc matches the model with every run-time ONNX Sign mapping 0 to +1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from bnncc.verify import check_output


@dataclass
class Deviation:
    """Where `ours` deviates from the reference: per element and per argmax row; `close_rows`:
    the rows whose argmax differs between values the float rule cannot tell apart (the
    reference's value at our argmax within 1e-5 of its largest magnitude from its maximum)."""
    elements: np.ndarray
    rows: np.ndarray
    detail: str
    close_rows: np.ndarray | None = None

    @property
    def any(self) -> bool:
        return bool(self.elements.any() or self.rows.any())

    @property
    def only_close_argmax(self) -> bool:
        """Every deviation is an argmax between values within float rounding of each other."""
        return (not self.elements.any() and self.close_rows is not None
                and bool(np.all(self.close_rows[self.rows])))

    def within(self, other: "Deviation") -> bool:
        return bool(np.all(other.elements[self.elements]) and np.all(other.rows[self.rows]))


def deviation(ours: np.ndarray, reference: np.ndarray, name: str = "") -> Deviation:
    """Elements and argmax rows of `ours` outside the exactness rules (shapes must have equal sizes)."""
    ours = np.asarray(ours)
    reference = np.asarray(reference).reshape(ours.shape)
    check = check_output(0, name, ours, reference)
    a, b = ours.astype(np.float64), reference.astype(np.float64)
    one_sided_nan = np.isnan(a) != np.isnan(b)
    if check.kind == "exact":
        elements = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    else:
        scale = float(np.max(np.abs(b))) if b.size else 0.0
        with np.errstate(invalid="ignore"):
            elements = (np.abs(a - b) > 1e-5 * max(scale, 1e-30)) | one_sided_nan
    rows = np.zeros(ours.shape[:-1] if ours.ndim else (), dtype=bool)
    close = np.zeros_like(rows)
    if ours.dtype.kind == "f" and ours.ndim >= 1 and ours.shape[-1] > 1:
        rows = ours.argmax(-1) != reference.argmax(-1)
        at_ours = np.take_along_axis(b, ours.argmax(-1)[..., None], -1)[..., 0]
        finite = b[np.isfinite(b)]
        with np.errstate(invalid="ignore"):
            close = b.max(-1) - at_ours <= 1e-5 * (float(np.max(np.abs(finite))) if finite.size else 0.0)
    detail = (f"{name}: {int(elements.sum())}/{elements.size} {check.kind} mismatches, "
              f"max |diff| {check.max_abs_diff:.4g}, {int(np.sum(rows))} argmax rows"
              + (f", {int(one_sided_nan.sum())} NaN on one side only" if one_sided_nan.any() else ""))
    return Deviation(elements.reshape(-1), np.asarray(rows).reshape(-1), detail, np.asarray(close).reshape(-1))


def compare_outputs(ours: list[np.ndarray], reference: list[np.ndarray]) -> tuple[list[Deviation], str]:
    """Per-output deviations, or ([], reason) when the outputs cannot be paired at all."""
    if len(ours) != len(reference):
        return [], f"bnncc gives {len(ours)} outputs, the reference {len(reference)}"
    deviations = []
    for index, (a, b) in enumerate(zip(ours, reference)):
        b = np.asarray(b)
        if np.asarray(a).size != b.size:
            return [], f"output {index}: bnncc shape {list(np.shape(a))}, reference {list(b.shape)}"
        deviations.append(deviation(a, b, f"output {index}"))
    return deviations, ""


def is_tie(ours_vs_ref: list[Deviation], alternative: list[np.ndarray], reference: list[np.ndarray]) -> bool:
    """True when `alternative` deviates from the reference wherever bnncc does (see module docstring)."""
    alt_vs_ref, reason = compare_outputs(alternative, reference)
    if reason:
        return False
    return all(ours.within(alt) for ours, alt in zip(ours_vs_ref, alt_vs_ref))


# ------------------------------------------------------------------------------------------------
# alternative models
# ------------------------------------------------------------------------------------------------
def constant_values(graph: onnx.GraphProto) -> set[str]:
    """Tensors computable without the graph inputs (initializers and what only they feed)."""
    constant = {t.name for t in graph.initializer} | {""}
    changed = True
    while changed:                       # graphs may be out of order: iterate to the fixed point
        changed = False
        for node in graph.node:
            if all(name in constant for name in node.input) and not set(node.output) <= constant:
                constant.update(node.output)
                changed = True
    return constant


def sign_zero_as_plus_one(model: onnx.ModelProto) -> onnx.ModelProto | None:
    """The model with every run-time ONNX Sign(x) written as Sign(Sign(x) + 0.5): 0 -> +1, as bnncc does.
    None when the model has no such Sign."""
    variant = onnx.ModelProto()
    variant.CopyFrom(model)
    graph = variant.graph
    constant = constant_values(graph)
    nodes, changed = [], False
    for index, node in enumerate(graph.node):
        if node.op_type == "Sign" and node.domain in ("", "ai.onnx") and node.input[0] not in constant:
            inner, half, shifted = (f"fuzz_sign{index}_{part}" for part in ("inner", "half", "shifted"))
            graph.initializer.append(numpy_helper.from_array(np.float32(0.5), half))
            nodes += [helper.make_node("Sign", [node.input[0]], [inner]),
                      helper.make_node("Add", [inner, half], [shifted]),
                      helper.make_node("Sign", [shifted], list(node.output), name=node.name)]
            changed = True
        else:
            nodes.append(node)
    if not changed:
        return None
    del graph.node[:]
    graph.node.extend(nodes)
    return variant


def as_float64(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with every float32 tensor, declaration and Cast made float64."""
    variant = onnx.ModelProto()
    variant.CopyFrom(model)
    graph = variant.graph

    def widen(tensor: onnx.TensorProto) -> None:
        if tensor.data_type == TensorProto.FLOAT:
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float64), tensor.name))

    for tensor in graph.initializer:
        widen(tensor)
    for value in [*graph.input, *graph.output, *graph.value_info]:
        if value.type.tensor_type.elem_type == TensorProto.FLOAT:
            value.type.tensor_type.elem_type = TensorProto.DOUBLE
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.TENSOR:
                widen(attribute.t)
            if node.op_type == "Cast" and attribute.name == "to" and attribute.i == TensorProto.FLOAT:
                attribute.i = TensorProto.DOUBLE
    return variant
