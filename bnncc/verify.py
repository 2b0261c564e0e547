"""`bnncc verify`: run the compiled artifact and the reference runtime on the same inputs.

Outputs are compared the way the exactness rules demand: int64 outputs and outputs whose
reference values are all integers (binary ±1, integer accumulators) must match bit for bit, so
must the argmax of every float output over its last axis; other float outputs must agree within
a relative tolerance of 1e-5 of their largest magnitude.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .compiler import CompiledModel
from .errors import BnnccError
from .reference import run_reference

FLOAT_RTOL = 1e-5
# float32 holds every integer up to 2**24 exactly; past it sums round, so integral reference values
# no longer show an exact (integer) computation and the float rule applies.
EXACT_INTEGERS = 2**24


@dataclass
class OutputCheck:
    index: int
    name: str
    kind: str              # "exact" or "float"
    max_abs_diff: float
    mismatches: int        # elements outside the rule (exact: any difference; float: beyond tolerance)
    argmax_mismatches: int
    elements: int

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and self.argmax_mismatches == 0


def random_inputs(model: CompiledModel, samples: int, seed: int = 0) -> list[np.ndarray]:
    """Random inputs (batch `samples` for batched inputs), drawn from each input's QONNX datatype
    annotation where the model has one (FINN dataflow models declare e.g. UINT8 pixels, and
    qonnx refuses values outside the type), standard normal otherwise."""
    rng = np.random.default_rng(seed)
    datatypes = input_datatypes(model.source_model)
    arrays = []
    for spec in model.inputs:
        shape = (samples,) + tuple(spec.shape[1:]) if spec.batched else tuple(spec.shape)
        arrays.append(draw(rng, datatypes.get(spec.name, "FLOAT32"), shape, spec.name))
    return arrays


def input_datatypes(source) -> dict[str, str]:
    """{tensor name: QONNX datatype name} from the graph's quantization annotations (finn_datatype)."""
    return {annotation.tensor_name: entry.value for annotation in source.graph.quantization_annotation
            for entry in annotation.quant_parameter_tensor_names if entry.key == "finn_datatype"}


def draw(rng: np.random.Generator, datatype: str, shape, name: str) -> np.ndarray:
    """Random float32 values of a QONNX datatype: BIPOLAR ±1, BINARY 0/1, TERNARY -1/0/1, INTk and
    UINTk integers over their whole range, FLOAT32 standard normal."""
    choices = {"BIPOLAR": (-1, 1), "BINARY": (0, 1), "TERNARY": (-1, 0, 1)}
    integer = re.fullmatch(r"(U?)INT(\d+)", datatype)
    if datatype in choices:
        values = rng.choice(np.array(choices[datatype], np.float32), size=shape)
    elif integer and 1 <= int(integer.group(2)) <= 24:       # float32 holds every such integer
        bits = int(integer.group(2))
        low, high = (0, 2 ** bits - 1) if integer.group(1) else (-2 ** (bits - 1), 2 ** (bits - 1) - 1)
        values = rng.integers(low, high, size=shape, endpoint=True)
    elif datatype == "FLOAT32":
        values = rng.standard_normal(shape)
    else:
        raise BnnccError(f"input {name!r} is annotated as QONNX datatype {datatype!r}, for which verify draws no "
                         "random values: give inputs with --input and --samples 0")
    return values.astype(np.float32)


def reference_outputs(model: CompiledModel, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Reference outputs, sample by sample (models with a static batch of 1 only take one)."""
    batch = inputs[0].shape[0] if model.inputs[0].batched else 1
    per_sample = []
    for n in range(batch):
        feeds = {spec.name: (array[n:n + 1] if spec.batched else array) for spec, array in zip(model.inputs, inputs)}
        per_sample.append(run_reference(model.source_model, feeds))
    return [np.concatenate([s[i] for s in per_sample]) if model.outputs[i].batched else per_sample[0][i]
            for i in range(len(model.outputs))]


def compare(model: CompiledModel, inputs: list[np.ndarray]) -> list[OutputCheck]:
    ours = model.run(*inputs)
    theirs = reference_outputs(model, inputs)
    return [check_output(i, spec.name, a, b) for i, (spec, a, b) in enumerate(zip(model.outputs, ours, theirs))]


def check_output(index: int, name: str, ours: np.ndarray, reference: np.ndarray) -> OutputCheck:
    reference = np.asarray(reference).reshape(ours.shape)
    same = ours == reference
    if ours.dtype.kind == "f":
        same |= np.isnan(ours) & np.isnan(reference.astype(np.float64))   # NaN where the reference has NaN
    finite = np.isfinite(reference)
    exact = ours.dtype.kind in "iub" or bool(np.all(finite) and np.all(reference == np.round(reference))
                                              and np.all(np.abs(reference) <= EXACT_INTEGERS))
    diff = np.abs(ours.astype(np.float64) - reference.astype(np.float64))
    max_diff = float(np.nanmax(diff)) if diff.size and not np.all(np.isnan(diff)) else 0.0
    if exact:
        mismatches = int(np.sum(~same))
    else:
        scale = float(np.max(np.abs(reference[finite]))) if np.any(finite) else 0.0
        mismatches = int(np.sum(~same & ~(diff <= FLOAT_RTOL * max(scale, 1e-30))))
    argmax_mismatches = 0
    if ours.dtype.kind == "f" and ours.ndim >= 1 and ours.shape[-1] > 1:
        argmax_mismatches = int(np.sum(ours.argmax(-1) != reference.argmax(-1)))
    return OutputCheck(index, name, "exact" if exact else "float", max_diff, mismatches, argmax_mismatches,
                       int(ours.size))
