"""Mutations of an ONNX model, one small function each, registered in `MUTATORS`.

A mutator takes a `Mutant` and a numpy Generator, changes the mutant, and returns a one-line,
ASCII description of what it did (names are written with ascii()). It raises `NotApplicable`
when the model has nothing it could change (no Quant node, no attribute of that kind ...), so
the caller draws another. Mutators with stage "model" edit `mutant.model` (a ModelProto);
those with stage "bytes" edit the serialized file (`mutant.data`) and run after every model one.
All randomness comes from the generator: the same generator state gives the same bytes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import onnx
from onnx import AttributeProto, TensorProto, helper, numpy_helper


class NotApplicable(Exception):
    """The mutator finds nothing to change in this model."""


@dataclass
class Mutant:
    """A model being mutated, with the files that go beside it.

    `files` and `links` are keyed by paths relative to the model's folder; "../name" puts a file
    in the folder above (outside the model's folder), which external-data mutations point at."""
    model: onnx.ModelProto
    files: dict[str, bytes] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)       # symlink path -> its target
    data: bytes | None = None                                  # set once a byte mutation ran

    def serialized(self) -> bytes:
        return self.data if self.data is not None else self.model.SerializeToString()


@dataclass(frozen=True)
class Mutator:
    name: str
    stage: str                  # "model" or "bytes"
    weight: float               # relative chance of being drawn
    func: Callable[[Mutant, np.random.Generator], str]

    @property
    def doc(self) -> str:
        return (self.func.__doc__ or "").strip().splitlines()[0]


MUTATORS: dict[str, Mutator] = {}


def mutator(stage: str = "model", weight: float = 1.0):
    def register(func):
        MUTATORS[func.__name__] = Mutator(func.__name__, stage, weight, func)
        return func
    return register


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------
def pick(rng: np.random.Generator, items):
    items = list(items)
    if not items:
        raise NotApplicable
    return items[int(rng.integers(len(items)))]


def node_label(node: onnx.NodeProto) -> str:
    """How descriptions name a node: op type and (cut) name, or the tensor it writes."""
    if node.name or not node.output:
        return f"{node.op_type} {ascii(node.name[:40])}"
    return f"{node.op_type} writing {ascii(node.output[0][:40])}"


def node_outputs(graph: onnx.GraphProto) -> list[str]:
    return [name for node in graph.node for name in node.output if name]


def real_inputs(graph: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    initializers = {t.name for t in graph.initializer}
    return [value for value in graph.input if value.name not in initializers]


def rename_value(graph: onnx.GraphProto, old: str, new: str) -> None:
    """Rename a tensor everywhere it is written or read."""
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for value in [*graph.input, *graph.output, *graph.value_info]:
        if value.name == old:
            value.name = new
    for tensor in graph.initializer:
        if tensor.name == old:
            tensor.name = new


def pick_other(rng: np.random.Generator, options, current):
    """One of `options` that differs from `current` (NaN counts as equal to NaN)."""
    def same(a, b):
        return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    return pick(rng, [o for o in options if not same(o, current)])


def array_of(tensor: onnx.TensorProto) -> np.ndarray:
    """A tensor's values; NotApplicable for external data or a tensor an earlier mutation broke."""
    if tensor.data_location == TensorProto.EXTERNAL:
        raise NotApplicable
    try:
        return numpy_helper.to_array(tensor)
    except Exception as exc:  # noqa: BLE001 - onnx raises several kinds on a bad tensor
        raise NotApplicable from exc


def float_initializers(graph: onnx.GraphProto, min_size: int = 1) -> list[onnx.TensorProto]:
    return [t for t in graph.initializer if t.data_type == TensorProto.FLOAT and t.data_location != TensorProto.EXTERNAL
            and int(np.prod(t.dims, dtype=np.int64)) >= min_size]


def graph_value_infos(graph: onnx.GraphProto, kind: str) -> list[onnx.ValueInfoProto]:
    return {"input": real_inputs(graph), "output": list(graph.output)}[kind]


ODD_INTS = [0, -1, 1, 2, 3, 5, 7, 64, 1000, 2**31 - 1, 2**31, -2**31, 2**32 + 1, 2**62, -2**63]
ODD_FLOATS = [0.0, -0.0, -1.0, 1e-45, 1e-8, 0.5, 2.0, 1e30, -1e30, float("inf"), float("-inf"), float("nan")]
ODD_ELEM_TYPES = [TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.INT64,
                  TensorProto.INT32, TensorProto.INT8, TensorProto.UINT8, TensorProto.BOOL, TensorProto.STRING,
                  TensorProto.UNDEFINED, 99]
ODD_NAMES = ["", "\u540d\u524d/\u00fc-\U0001F600", "a\nb", "line1\r\nline2", "tab\there", "\x1b[31mred\x1b[0m",
             "x" * 100_000, " ", "../../etc/passwd", "%s%n%d", "nul\x00byte", "\u202eevil"]


# ------------------------------------------------------------------------------------------------
# attributes
# ------------------------------------------------------------------------------------------------
def _attributes(graph, *types):
    return [(node, a) for node in graph.node for a in node.attribute if a.type in types]


@mutator()
def attr_int(m: Mutant, rng) -> str:
    """Set one integer attribute (or one entry of an integer list) to an odd value."""
    node, a = pick(rng, _attributes(m.model.graph, AttributeProto.INT, AttributeProto.INTS))
    if a.type == AttributeProto.INT:
        a.i = value = int(pick_other(rng, ODD_INTS, a.i))
        return f"{node_label(node)}.{a.name} = {value}"
    if not a.ints:
        raise NotApplicable
    index = int(rng.integers(len(a.ints)))
    a.ints[index] = value = int(pick_other(rng, ODD_INTS, a.ints[index]))
    return f"{node_label(node)}.{a.name}[{index}] = {value}"


@mutator()
def attr_float(m: Mutant, rng) -> str:
    """Set one float attribute (epsilon, alpha, out_scale ...) to an odd value."""
    node, a = pick(rng, _attributes(m.model.graph, AttributeProto.FLOAT, AttributeProto.FLOATS))
    if a.type == AttributeProto.FLOAT:
        a.f = value = float(pick_other(rng, ODD_FLOATS, a.f))
        return f"{node_label(node)}.{a.name} = {value}"
    if not a.floats:
        raise NotApplicable
    a.floats[0] = value = float(pick_other(rng, ODD_FLOATS, a.floats[0]))
    return f"{node_label(node)}.{a.name}[0] = {value}"


@mutator()
def attr_huge(m: Mutant, rng) -> str:
    """Set every entry of one integer attribute to 2**31 (strides, pads, kernel_shape, group, axis ...)."""
    node, a = pick(rng, _attributes(m.model.graph, AttributeProto.INT, AttributeProto.INTS))
    value = int(pick(rng, [2**31, 2**31 - 1, 2**32, -2**31]))
    if a.type == AttributeProto.INT:
        a.i = value
    else:
        a.ints[:] = [value] * max(1, len(a.ints))
    return f"{node_label(node)}.{a.name} = all {value}"


@mutator()
def attr_list_length(m: Mutant, rng) -> str:
    """Give an integer-list attribute one entry more or fewer (e.g. Conv strides with three entries)."""
    node, a = pick(rng, _attributes(m.model.graph, AttributeProto.INTS))
    before = len(a.ints)
    if before and rng.random() < 0.5:
        del a.ints[int(rng.integers(before))]
    else:
        a.ints.append(int(pick(rng, [0, 1, 2, 3])))
    return f"{node_label(node)}.{a.name}: {before} -> {len(a.ints)} entries"


@mutator()
def attr_add(m: Mutant, rng) -> str:
    """Add an attribute the node does not have: a known one with an odd value, or an unknown one."""
    node = pick(rng, m.model.graph.node)
    present = {a.name for a in node.attribute}
    candidates = [("auto_pad", "SAME_UPPER"), ("auto_pad", "VALID"), ("group", 2), ("ceil_mode", 1),
                  ("dilations", [2, 2]), ("storage_order", 1), ("count_include_pad", 1), ("transA", 1),
                  ("transB", 1), ("axis", -1), ("training_mode", 1), ("fuzz_unknown", 7),
                  ("fuzz_unknown_string", "x"), ("spatial", 0), ("allowzero", 1), ("keepdims", 0)]
    key, value = pick(rng, [c for c in candidates if c[0] not in present])
    node.attribute.append(helper.make_attribute(key, value))
    return f"{node_label(node)} + {key}={value!r}"


@mutator()
def attr_remove(m: Mutant, rng) -> str:
    """Remove one attribute from a node."""
    node, a = pick(rng, [(n, a) for n in m.model.graph.node for a in n.attribute])
    node.attribute.remove(a)
    return f"{node_label(node)} - {a.name}"


@mutator()
def attr_retype(m: Mutant, rng) -> str:
    """Keep an attribute's name but change its type (an int written as a float, a list as a string ...)."""
    node, a = pick(rng, [(n, a) for n in m.model.graph.node for a in n.attribute
                         if a.type in (AttributeProto.INT, AttributeProto.INTS, AttributeProto.FLOAT,
                                       AttributeProto.STRING)])
    replacement = {AttributeProto.INT: 1.5, AttributeProto.INTS: "1,1", AttributeProto.FLOAT: [1, 2],
                   AttributeProto.STRING: 3}[a.type]
    new = helper.make_attribute(a.name, replacement)
    a.CopyFrom(new)
    return f"{node_label(node)}.{a.name} retyped to {AttributeProto.AttributeType.Name(new.type)}"


# ------------------------------------------------------------------------------------------------
# dims
# ------------------------------------------------------------------------------------------------
@mutator()
def input_dim(m: Mutant, rng) -> str:
    """Change one graph-input dimension: an odd value, symbolic, unknown, or a rank change."""
    value = pick(rng, real_inputs(m.model.graph))
    dims = value.type.tensor_type.shape.dim
    choice = pick(rng, ["value", "value", "param", "unknown", "add", "drop", "no-shape"])
    if choice == "no-shape":
        value.type.tensor_type.ClearField("shape")
        return f"input {ascii(value.name)}: shape removed"
    if choice == "add":
        dims.add().dim_value = int(pick(rng, [1, 2, 3]))
        return f"input {ascii(value.name)}: one more dimension"
    if not dims:
        raise NotApplicable
    index = int(rng.integers(len(dims)))
    if choice == "drop":
        del dims[index]
        return f"input {ascii(value.name)}: dimension {index} dropped"
    if choice == "param":
        dims[index].dim_param = pick(rng, ["N", "batch", "", "h w"])
        return f"input {ascii(value.name)}: dim {index} = {ascii(dims[index].dim_param)}"
    if choice == "unknown":
        dims[index].Clear()
        return f"input {ascii(value.name)}: dim {index} unknown"
    current = dims[index].dim_value if dims[index].HasField("dim_value") else None
    number = int(pick_other(rng, [0, 1, 2, 3, 5, 13, 2**24, 2**24 + 1, 2**31, 10**12], current))
    dims[index].dim_value = number
    return f"input {ascii(value.name)}: dim {index} = {number}"


@mutator()
def input_huge(m: Mutant, rng) -> str:
    """Make an input's dimensions each bounded but their product gigabytes (shape discovery must not allocate it)."""
    value = pick(rng, [v for v in real_inputs(m.model.graph) if len(v.type.tensor_type.shape.dim) >= 3])
    dims = value.type.tensor_type.shape.dim
    least = math.ceil(2 ** (32 / (len(dims) - 1)))       # dims 1.. multiply to 2**32 elements at least
    big = max(least, int(pick(rng, [1 << 11, 1 << 16, 1 << 24])))
    for d in dims[1:]:
        d.dim_value = big
    return f"input {ascii(value.name)}: dims 1.. = {big}"


@mutator()
def init_dims(m: Mutant, rng) -> str:
    """Change an initializer's dims: swapped, off by one (size mismatch), rank +-1, negative or huge."""
    tensor = pick(rng, [t for t in m.model.graph.initializer if len(t.dims) >= 1])
    before = list(tensor.dims)
    unequal = [(i, j) for i in range(len(before)) for j in range(i) if before[i] != before[j]]
    choice = pick(rng, ["plus-one", "leading-one", "negative", "huge"] + (["swap"] if unequal else [])
                  + (["flatten"] if len(before) >= 2 else []))
    if choice == "swap":
        i, j = pick(rng, unequal)
        tensor.dims[i], tensor.dims[j] = before[j], before[i]
    elif choice == "plus-one":
        tensor.dims[int(rng.integers(len(before)))] += 1
    elif choice == "leading-one":
        tensor.dims.insert(0, 1)
    elif choice == "flatten":
        tensor.dims[:] = [int(np.prod(before))]
    elif choice == "negative":
        tensor.dims[0] = -max(before[0], 1)
    else:
        tensor.dims[int(rng.integers(len(before)))] = 2**31 + 1
    return f"initializer {ascii(tensor.name)}: dims {before} -> {list(tensor.dims)}"


# ------------------------------------------------------------------------------------------------
# dtypes
# ------------------------------------------------------------------------------------------------
def _retype_value(m: Mutant, rng, kind: str) -> str:
    value = pick(rng, graph_value_infos(m.model.graph, kind))
    elem = int(pick(rng, ODD_ELEM_TYPES))
    value.type.tensor_type.elem_type = elem
    return f"{kind} {ascii(value.name)}: elem_type = {elem}"


@mutator()
def dtype_input(m: Mutant, rng) -> str:
    """Change the declared element type of a graph input."""
    return _retype_value(m, rng, "input")


@mutator()
def dtype_output(m: Mutant, rng) -> str:
    """Change the declared element type of a graph output."""
    return _retype_value(m, rng, "output")


@mutator()
def dtype_initializer(m: Mutant, rng) -> str:
    """Store an initializer as another dtype: converted (float64, int64, float16 ...) or reinterpreted raw bytes."""
    tensor = pick(rng, m.model.graph.initializer)
    array = array_of(tensor)
    if rng.random() < 0.7:
        dtype = pick(rng, ["float64", "float16", "int64", "int32", "int8", "uint8", "bool"])
        with np.errstate(all="ignore"):
            converted = numpy_helper.from_array(array.astype(dtype), tensor.name)
        tensor.CopyFrom(converted)
        return f"initializer {ascii(tensor.name)} converted to {dtype}"
    raw = array.tobytes()
    tensor.ClearField("float_data")
    tensor.ClearField("int64_data")
    tensor.ClearField("int32_data")
    tensor.ClearField("double_data")
    tensor.raw_data = raw
    tensor.data_type = int(pick(rng, [TensorProto.INT32, TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.UINT8]))
    return f"initializer {ascii(tensor.name)}: raw bytes reinterpreted as type {tensor.data_type}"


# ------------------------------------------------------------------------------------------------
# names
# ------------------------------------------------------------------------------------------------
def _all_value_names(graph) -> list[str]:
    names = [v.name for v in [*graph.input, *graph.output]] + [t.name for t in graph.initializer] + node_outputs(graph)
    return sorted(set(n for n in names if n))


@mutator()
def name_odd(m: Mutant, rng) -> str:
    """Rename a tensor everywhere to an odd name: unicode, newline, escape codes, 100k chars, empty, NUL ..."""
    old = pick(rng, _all_value_names(m.model.graph))
    new = pick(rng, ODD_NAMES)
    rename_value(m.model.graph, old, new)
    return f"tensor {ascii(old)} renamed {ascii(new[:40])}{'...' if len(new) > 40 else ''}"


@mutator()
def node_name_odd(m: Mutant, rng) -> str:
    """Give a node an odd name (newlines, escape codes, unicode, 100k chars, empty)."""
    node = pick(rng, m.model.graph.node)
    new = pick(rng, ODD_NAMES)
    before = node_label(node)
    node.name = new
    return f"{before} renamed {ascii(new[:40])}"


@mutator()
def name_duplicate(m: Mutant, rng) -> str:
    """Reuse a name: two nodes writing one tensor, two initializers with one name, an input named like an
    initializer or like a node's output, every node with one name."""
    graph = m.model.graph
    choice = pick(rng, ["two-writers", "two-initializers", "input-shadows-initializer", "input-shadows-output",
                        "node-names"])
    if choice == "two-writers":
        writers = [n for n in graph.node if n.output]
        first, second = pick(rng, writers), pick(rng, writers)
        if first is second:
            raise NotApplicable
        old = second.output[0]
        rename_value(graph, old, first.output[0])
        return f"{node_label(second)} now also writes {ascii(first.output[0])}"
    if choice == "two-initializers":
        first, second = pick(rng, graph.initializer), pick(rng, graph.initializer)
        if first is second:
            raise NotApplicable
        old = second.name
        second.name = first.name
        return f"initializer {ascii(old)} renamed like {ascii(first.name)} (two initializers, one name)"
    if choice == "input-shadows-initializer":
        tensor = pick(rng, graph.initializer)
        graph.input.append(helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims)))
        return f"initializer {ascii(tensor.name)} also listed as a graph input"
    if choice == "input-shadows-output":
        name = pick(rng, node_outputs(graph))
        graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, 4]))
        return f"a graph input named like node output {ascii(name)}"
    for node in graph.node:
        node.name = "same"
    return "every node named 'same'"


@mutator(stage="bytes")
def name_non_utf8(m: Mutant, rng) -> str:
    """Replace a tensor name in the file by bytes that are not UTF-8 (same length, so the protobuf stays valid)."""
    names = [n for n in _all_value_names(m.model.graph) if len(n.encode()) >= 2 and n.isascii()]
    name = pick(rng, names).encode()
    data = m.serialized()
    if name not in data:
        raise NotApplicable
    bad = bytes([0xFF, 0xFE] + [0xC3] * (len(name) - 2))
    m.data = data.replace(name, bad)
    return f"every {ascii(name.decode())} in the file -> non-UTF-8 bytes"


# ------------------------------------------------------------------------------------------------
# node order and wiring
# ------------------------------------------------------------------------------------------------
@mutator()
def shuffle_nodes(m: Mutant, rng) -> str:
    """Put the nodes out of topological order: a random permutation, reversed, or one node moved first."""
    nodes = list(m.model.graph.node)
    if len(nodes) < 2:
        raise NotApplicable
    choice = pick(rng, ["permute", "reverse", "last-first"])
    if choice == "permute":
        order = rng.permutation(len(nodes))
        if list(order) == sorted(order):
            order = order[::-1]
    elif choice == "reverse":
        order = np.arange(len(nodes))[::-1]
    else:
        order = np.r_[len(nodes) - 1, np.arange(len(nodes) - 1)]
    del m.model.graph.node[:]
    m.model.graph.node.extend(nodes[int(i)] for i in order)
    return f"nodes reordered ({choice})"


@mutator()
def rewire_input(m: Mutant, rng) -> str:
    """Connect one node input to another value: a graph input, an initializer, a later node (cycle) or nothing."""
    graph = m.model.graph
    node = pick(rng, [n for n in graph.node if n.input])
    index = int(rng.integers(len(node.input)))
    sources = ([v.name for v in real_inputs(graph)] + [t.name for t in graph.initializer] + node_outputs(graph)
               + ["fuzz_undefined", ""])
    new = pick(rng, sources)
    old = node.input[index]
    node.input[index] = new
    return f"{node_label(node)} input {index}: {ascii(old)} -> {ascii(new)}"


@mutator()
def op_type_swap(m: Mutant, rng) -> str:
    """Replace a node's op by a related one (Sign->Relu, MaxPool->AveragePool, Greater->Less, Add->Sub ...)."""
    related = {"Sign": ["Relu", "Abs", "Neg", "Identity"], "MaxPool": ["AveragePool", "LpPool"],
               "AveragePool": ["MaxPool"], "Greater": ["Less", "GreaterOrEqual", "Equal"],
               "Less": ["Greater"], "Add": ["Sub", "Mul", "Max"], "Sub": ["Add", "Div"], "Mul": ["Add", "Div"],
               "MatMul": ["Gemm", "Add"], "Gemm": ["MatMul"], "Conv": ["ConvTranspose"],
               "BatchNormalization": ["InstanceNormalization"], "Where": ["Max"], "Reshape": ["Expand"],
               "LogSoftmax": ["Softmax", "Identity"], "Softmax": ["LogSoftmax", "Hardmax"],
               "GlobalAveragePool": ["GlobalMaxPool"], "Flatten": ["Identity"], "Transpose": ["Identity"]}
    node = pick(rng, [n for n in m.model.graph.node if n.op_type in related and n.domain in ("", "ai.onnx")])
    before = node_label(node)
    node.op_type = pick(rng, related[node.op_type])
    return f"{before} -> {node.op_type}"


@mutator()
def op_domain(m: Mutant, rng) -> str:
    """Move a node into another domain (a custom, a QONNX, bnncc's own, or the default one)."""
    node = pick(rng, m.model.graph.node)
    before = node.domain
    node.domain = pick(rng, ["", "com.microsoft", "ai.bnncc", "onnx.brevitas", "qonnx.custom_op.general", "fuzz.x"])
    return f"{node_label(node)} domain {ascii(before)} -> {ascii(node.domain)}"


# ------------------------------------------------------------------------------------------------
# graph inputs and outputs
# ------------------------------------------------------------------------------------------------
@mutator()
def add_unused_input(m: Mutant, rng) -> str:
    """Add a graph input that no node reads (static or with a dynamic batch)."""
    name = pick(rng, ["fuzz_unused", "fuzz_unused_\u00e9"])
    shape = pick(rng, [[1, 4], ["N", 4], [1, 3, 2, 2], [7]])
    m.model.graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
    return f"unused input {ascii(name)} {shape}"


@mutator()
def drop_input(m: Mutant, rng) -> str:
    """Remove a graph input (its readers now read an undefined tensor)."""
    value = pick(rng, real_inputs(m.model.graph))
    m.model.graph.input.remove(value)
    return f"input {ascii(value.name)} removed"


@mutator()
def drop_output(m: Mutant, rng) -> str:
    """Remove one graph output (with a single output: a model with no outputs)."""
    value = pick(rng, m.model.graph.output)
    m.model.graph.output.remove(value)
    return f"output {ascii(value.name)} removed, {len(m.model.graph.output)} left"


@mutator()
def no_outputs(m: Mutant, rng) -> str:
    """Remove every graph output."""
    del m.model.graph.output[:]
    return "no outputs"


@mutator()
def expose_intermediate(m: Mutant, rng) -> str:
    """Add an intermediate tensor as a graph output, declared with no shape, a wrong one, or another type."""
    graph = m.model.graph
    taken = {o.name for o in graph.output}
    name = pick(rng, [n for n in node_outputs(graph) if n not in taken])
    shape = pick(rng, [None, [1], [1, 7, 7], [2, 3], ["N"]])
    elem = int(pick(rng, [TensorProto.FLOAT, TensorProto.FLOAT, TensorProto.INT64, TensorProto.UNDEFINED]))
    graph.output.append(helper.make_tensor_value_info(name, elem, shape))
    return f"intermediate {ascii(name)} exposed as output, declared type {elem} shape {shape}"


@mutator()
def expose_initializer(m: Mutant, rng) -> str:
    """Add an initializer as a graph output, declared with its shape, a larger one, or none."""
    graph = m.model.graph
    tensor = pick(rng, graph.initializer)
    real = list(tensor.dims)
    shape = pick(rng, [real, [d * 2 + 1 for d in real] or [5], [1000], None])
    graph.output.append(helper.make_tensor_value_info(tensor.name, tensor.data_type, shape))
    return f"initializer {ascii(tensor.name)} {real} exposed as output declared {shape}"


@mutator()
def expose_input(m: Mutant, rng) -> str:
    """List a graph input as a graph output too (a pass-through output)."""
    value = pick(rng, real_inputs(m.model.graph))
    m.model.graph.output.append(onnx.ValueInfoProto.FromString(value.SerializeToString()))
    return f"input {ascii(value.name)} also an output"


@mutator()
def duplicate_output(m: Mutant, rng) -> str:
    """List one graph output twice."""
    value = pick(rng, m.model.graph.output)
    m.model.graph.output.append(onnx.ValueInfoProto.FromString(value.SerializeToString()))
    return f"output {ascii(value.name)} listed twice"


@mutator()
def shape_output(m: Mutant, rng) -> str:
    """Expose an int64 shape tensor as a graph output: Shape (or Size) of an input or an intermediate."""
    graph = m.model.graph
    source = pick(rng, [v.name for v in real_inputs(graph)] + node_outputs(graph))
    op = pick(rng, ["Shape", "Shape", "Size"])
    graph.node.append(helper.make_node(op, [source], ["fuzz_shape"], name="fuzz_shape_node"))
    graph.output.append(helper.make_tensor_value_info("fuzz_shape", TensorProto.INT64, None if op == "Size" else ["r"]))
    return f"{op}({ascii(source)}) exposed as an int64 output"


@mutator()
def value_info_wrong(m: Mutant, rng) -> str:
    """Annotate an intermediate tensor with a wrong shape or type in value_info."""
    graph = m.model.graph
    name = pick(rng, node_outputs(graph))
    elem = int(pick(rng, [TensorProto.FLOAT, TensorProto.INT64, TensorProto.DOUBLE]))
    shape = pick(rng, [[1], [1, 3, 5, 5], [999, 999], []])
    graph.value_info.append(helper.make_tensor_value_info(name, elem, shape))
    return f"value_info {ascii(name)}: type {elem} shape {shape}"


# ------------------------------------------------------------------------------------------------
# initializers: values, external data, sparse, Constant nodes
# ------------------------------------------------------------------------------------------------
@mutator()
def init_values(m: Mutant, rng) -> str:
    """Change some values of a float initializer: one 0, one -0.0, a sign flip, x2, a tiny, huge, NaN or Inf."""
    tensor = pick(rng, float_initializers(m.model.graph))
    array = array_of(tensor).copy()
    flat = array.reshape(-1)
    index = int(rng.integers(flat.size))
    choice = pick(rng, ["zero", "negative-zero", "flip", "double", "tiny", "huge", "nan", "inf", "one-ulp"])
    if choice == "double":
        flat *= 2
    else:
        flat[index] = {"zero": 0.0, "negative-zero": -0.0, "flip": -flat[index], "tiny": 1e-45,
                       "huge": 3e38, "nan": np.nan, "inf": np.inf,
                       "one-ulp": np.nextafter(flat[index], np.float32(np.inf))}[choice]
    tensor.CopyFrom(numpy_helper.from_array(array, tensor.name))
    return f"initializer {ascii(tensor.name)}: {choice} at {index}"


def _externalize(m: Mutant, rng, location: str, write_as: str | None, offset: int = 0, length_delta: int = 0):
    tensor = pick(rng, float_initializers(m.model.graph, min_size=2))
    raw = array_of(tensor).tobytes()
    if write_as is not None:
        m.files[write_as] = bytes(offset) + raw
    for name in ("float_data", "raw_data"):
        tensor.ClearField(name)
    tensor.data_location = TensorProto.EXTERNAL
    del tensor.external_data[:]
    for key, value in (("location", location), ("offset", str(offset)), ("length", str(len(raw) + length_delta))):
        tensor.external_data.add(key=key, value=value)
    return tensor


@mutator()
def external_inside(m: Mutant, rng) -> str:
    """Move an initializer into an external data file beside the model (valid), optionally at an offset."""
    offset = int(pick(rng, [0, 0, 64, 4096]))
    tensor = _externalize(m, rng, "weights.bin", "weights.bin", offset)
    return f"initializer {ascii(tensor.name)} -> external weights.bin at offset {offset}"


@mutator()
def external_outside(m: Mutant, rng) -> str:
    """Point an initializer's external data outside the model's folder (relative, absolute, through a symlink)."""
    how = pick(rng, ["../outside.bin", "sub/../../outside.bin", "/dev/zero", "/etc/hostname", "link.bin"])
    tensor = _externalize(m, rng, how, "../outside.bin")
    if how == "link.bin":
        m.links["link.bin"] = "../outside.bin"
    return f"initializer {ascii(tensor.name)} -> external {how}"


@mutator()
def external_broken(m: Mutant, rng) -> str:
    """External data that cannot be read as declared: a missing file, an offset past the end, a wrong length."""
    how = pick(rng, ["missing", "offset", "length", "folder"])
    if how == "missing":
        tensor = _externalize(m, rng, "missing.bin", None)
    elif how == "offset":
        tensor = _externalize(m, rng, "weights.bin", None)
        m.files["weights.bin"] = b"\0" * 16
        tensor.external_data[1].value = "1000000"
    elif how == "length":
        tensor = _externalize(m, rng, "weights.bin", "weights.bin", length_delta=int(pick(rng, [-4, 4, 10**12])))
    else:
        tensor = _externalize(m, rng, ".", None)
    return f"initializer {ascii(tensor.name)}: external data {how}"


@mutator()
def sparse_initializer(m: Mutant, rng) -> str:
    """Move an initializer to graph.sparse_initializer (values + linear indices)."""
    graph = m.model.graph
    tensor = pick(rng, float_initializers(graph))
    array = array_of(tensor)
    indices = np.flatnonzero(array).astype(np.int64)
    values = numpy_helper.from_array(array.reshape(-1)[indices], tensor.name)
    sparse = helper.make_sparse_tensor(values, numpy_helper.from_array(indices, ""), list(array.shape))
    graph.initializer.remove(tensor)
    graph.sparse_initializer.append(sparse)
    return f"initializer {ascii(tensor.name)} made sparse ({indices.size}/{array.size} nonzero)"


@mutator()
def constant_odd(m: Mutant, rng) -> str:
    """Replace an initializer by a Constant node with odd attributes (value_floats, value_string, sparse, two, unknown, none)."""
    graph = m.model.graph
    tensor = pick(rng, graph.initializer)
    array = array_of(tensor)
    kind = pick(rng, ["value", "value_float", "value_floats", "value_ints", "value_string", "sparse_value", "two",
                      "unknown", "none"])
    attrs = {"value": {"value": tensor}, "value_float": {"value_float": float(array.reshape(-1)[0])},
             "value_floats": {"value_floats": [float(v) for v in array.reshape(-1)[:4096]]},
             "value_ints": {"value_ints": [int(v) for v in np.nan_to_num(array).reshape(-1)[:4096]]},
             "value_string": {"value_string": "fuzz"},
             "sparse_value": {"sparse_value": helper.make_sparse_tensor(
                 numpy_helper.from_array(array.reshape(-1)[:1].astype(array.dtype), "v"),
                 numpy_helper.from_array(np.zeros(1, np.int64), "i"), list(array.shape))},
             "two": {"value": tensor, "value_float": 1.0}, "unknown": {"value": tensor, "fuzz_attr": 1},
             "none": {}}[kind]
    node = helper.make_node("Constant", [], [tensor.name], name=f"fuzz_constant_{kind}")
    node.attribute.extend(helper.make_attribute(k, v) for k, v in attrs.items())
    graph.initializer.remove(tensor)
    graph.node.insert(0, node)
    return f"initializer {ascii(tensor.name)} -> Constant with {kind}"


# ------------------------------------------------------------------------------------------------
# QONNX attributes and model-level fields
# ------------------------------------------------------------------------------------------------
@mutator(weight=3.0)
def qonnx_attr(m: Mutant, rng) -> str:
    """Set a QONNX attribute to a value qonnx does not expect: narrow/signed not 0/1, odd rounding, layout, dtype."""
    choices = {"Quant": [("narrow", [2, -1, 255, 2**31]), ("signed", [2, -1, 7]),
                         ("rounding_mode", ["FLOOR", "CEIL", "fuzz", ""])],
               "BipolarQuant": [("narrow", [1, 2]), ("signed", [0, 3])],
               "MultiThreshold": [("out_dtype", ["INT2", "UINT8", "FLOAT32", "fuzz"]), ("out_scale", [0.0, -2.0]),
                                  ("out_bias", [0.5, -3.0]), ("data_layout", ["NHWC", "NC", "CHW", "fuzz"])]}
    node = pick(rng, [n for n in m.model.graph.node if n.op_type in choices])
    key, values = pick(rng, choices[node.op_type])
    current = {a.name: helper.get_attribute_value(a) for a in node.attribute}.get(key)
    value = pick_other(rng, values, current.decode() if isinstance(current, bytes) else current)
    value = value.item() if isinstance(value, np.generic) else value
    kept = [a for a in node.attribute if a.name != key]
    del node.attribute[:]
    node.attribute.extend(kept + [helper.make_attribute(key, value)])
    return f"{node_label(node)}.{key} = {value!r}"


@mutator(weight=2.0)
def qonnx_bitwidth(m: Mutant, rng) -> str:
    """Change the bit width (or scale) input of a QONNX Quant node: 0, 1.5, 2, 32, negative."""
    graph = m.model.graph
    node = pick(rng, [n for n in graph.node if n.op_type == "Quant" and len(n.input) >= 4])
    index = int(pick(rng, [3, 3, 1]))
    value = float(pick(rng, [0.0, 1.5, 2.0, 8.0, 32.0, -1.0] if index == 3 else [0.0, -1.0, 1e-30]))
    name = f"fuzz_quant_{index}_{len(graph.initializer)}"
    graph.initializer.append(numpy_helper.from_array(np.float32(value), name))
    node.input[index] = name
    return f"{node_label(node)} input {index} ({'bitwidth' if index == 3 else 'scale'}) = {value}"


@mutator()
def opset_version(m: Mutant, rng) -> str:
    """Change the default-domain opset version (too old, too new, zero, missing)."""
    imports = [o for o in m.model.opset_import if o.domain in ("", "ai.onnx")]
    version = int(pick_other(rng, [1, 6, 7, 10, 12, 18, 21, 22, 99, 0], imports[0].version if imports else None))
    if not imports or version == 0:
        del m.model.opset_import[:]
        return "opset_import removed"
    imports[0].version = version
    return f"default opset = {version}"


@mutator()
def ir_version(m: Mutant, rng) -> str:
    """Change the model's IR version."""
    version = int(pick_other(rng, [0, 1, 3, 4, 11, 99], m.model.ir_version))
    m.model.ir_version = version
    return f"ir_version = {version}"


# ------------------------------------------------------------------------------------------------
# bytes
# ------------------------------------------------------------------------------------------------
def _byte_edit(m: Mutant, edit) -> str:
    data = bytearray(m.serialized())
    if not data:
        raise NotApplicable
    text = edit(data)
    m.data = bytes(data)
    return text


@mutator(stage="bytes", weight=0.4)
def byte_flip(m: Mutant, rng) -> str:
    """Flip 1 to 8 random bits of the file."""
    def edit(data):
        positions = sorted(int(p) for p in rng.integers(len(data), size=int(rng.integers(1, 9))))
        for p in positions:
            data[p] ^= 1 << int(rng.integers(8))
        return f"bits flipped at {positions}"
    return _byte_edit(m, edit)


@mutator(stage="bytes", weight=0.4)
def byte_truncate(m: Mutant, rng) -> str:
    """Cut the file at a random position."""
    def edit(data):
        at = int(rng.integers(len(data)))
        del data[at:]
        return f"truncated at {at}"
    return _byte_edit(m, edit)


@mutator(stage="bytes", weight=0.4)
def byte_splice(m: Mutant, rng) -> str:
    """Insert random bytes, delete a range, or duplicate a chunk."""
    def edit(data):
        at = int(rng.integers(len(data)))
        size = int(rng.integers(1, 64))
        how = pick(rng, ["insert", "delete", "duplicate"])
        if how == "insert":
            data[at:at] = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        elif how == "delete":
            del data[at:at + size]
        else:
            data[at:at] = data[at:at + size]
        return f"{how} {size} bytes at {at}"
    return _byte_edit(m, edit)


@mutator(stage="bytes", weight=0.4)
def byte_varint(m: Mutant, rng) -> str:
    """Overwrite 5 bytes with a huge varint (length and count fields that claim gigabytes)."""
    def edit(data):
        at = int(rng.integers(len(data)))
        data[at:at + 5] = b"\xff\xff\xff\xff\x0f"
        return f"huge varint at {at}"
    return _byte_edit(m, edit)


def model_mutators() -> list[Mutator]:
    return [mu for mu in MUTATORS.values() if mu.stage == "model"]


def byte_mutators() -> list[Mutator]:
    return [mu for mu in MUTATORS.values() if mu.stage == "bytes"]
