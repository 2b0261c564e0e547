"""Load an untrusted ONNX file into a checked ModelProto.

Model files are untrusted input: sizes are bounded, external data may only live inside the
model's folder, and every failure becomes a BnnccError that says what is wrong.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import numpy_helper

from ..errors import BnnccError, printable
from ..reference import QONNX_DOMAINS
from .structure import check_and_sort

MAX_MODEL_BYTES = 2 << 30          # protobuf's own limit
MAX_TENSOR_ELEMENTS = 1 << 28      # 1 GiB of float32
MAX_DIM = 1 << 24
MAX_INPUT_ELEMENTS = 1 << 26       # one sample of a graph input: 256 MiB of float32

# Custom domains real exporters use without declaring them in opset_import.
CUSTOM_DOMAINS = QONNX_DOMAINS + ("ai.bnncc",)


def load_onnx(source: str | os.PathLike | bytes) -> onnx.ModelProto:
    """Parse, bound-check and normalize a model (see module docstring)."""
    if isinstance(source, bytes):
        data, folder = source, None
    else:
        path = Path(source)
        if not path.is_file():
            raise BnnccError(f"model file {str(path)!r} does not exist")
        if path.stat().st_size > MAX_MODEL_BYTES:
            raise BnnccError(f"model file is larger than {MAX_MODEL_BYTES} bytes")
        data, folder = path.read_bytes(), path.resolve().parent
    try:
        model = onnx.ModelProto.FromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise BnnccError(f"cannot parse the model: not a valid ONNX protobuf file ({exc})") from None
    if not model.HasField("graph") or not model.graph.node:
        raise BnnccError("the file parses but holds no ONNX graph (no nodes)")
    _check_text(model)
    _densify_sparse_initializers(model)
    _load_external_data(model, folder)
    _check_tensors(model)
    _name_unnamed_nodes(model)
    _check_opsets(model)
    _declare_custom_domains(model)
    _drop_initializers_from_inputs(model)
    _check_inputs(model)
    check_and_sort(model)
    return model


def _check_text(message, path: str = "model") -> None:
    """Every string field must be valid UTF-8 (protobuf hands invalid ones over as bytes)."""
    for field, value in message.ListFields():
        where = f"{path}.{field.name}"
        items = value if _repeated(field) else [value]
        for index, item in enumerate(items):
            place = f"{where}[{index}]" if _repeated(field) else where
            if field.type == field.TYPE_STRING and isinstance(item, bytes):
                raise BnnccError(f"{place} is not valid UTF-8 text: '{printable(item)}' (ONNX names and strings "
                                 "must be UTF-8)")
            if field.type == field.TYPE_MESSAGE:
                _check_text(item, place)


def _repeated(field) -> bool:
    if hasattr(field, "is_repeated"):        # protobuf >= 5; older versions only have `label`
        return field.is_repeated
    return field.label == field.LABEL_REPEATED


def _densify_sparse_initializers(model: onnx.ModelProto) -> None:
    """Sparse initializers become ordinary (dense) ones: values [NNZ] at indices given either as
    [NNZ] flat positions or as [NNZ, rank] coordinates, zeros elsewhere."""
    for sparse in model.graph.sparse_initializer:
        name = sparse.values.name
        shape = [int(d) for d in sparse.dims]
        count = int(np.prod(shape, dtype=np.float64))
        if any(d < 0 for d in shape) or count > MAX_TENSOR_ELEMENTS:
            raise BnnccError(f"sparse initializer {printable(name)!r} has absurd dimensions {shape}")
        try:
            values = numpy_helper.to_array(sparse.values).reshape(-1)
            indices = numpy_helper.to_array(sparse.indices).astype(np.int64)
        except Exception as exc:  # malformed raw_data and the like
            raise BnnccError(f"sparse initializer {printable(name)!r} cannot be decoded ({exc})") from None
        if indices.ndim == 2 and indices.shape == (values.size, len(shape)) and shape:
            if np.any(indices < 0) or np.any(indices >= np.array(shape)):
                raise BnnccError(f"sparse initializer {printable(name)!r} has indices outside its shape {shape}")
            indices = np.ravel_multi_index(tuple(indices.T), shape)
        elif indices.shape != (values.size,) or np.any(indices < 0) or np.any(indices >= count):
            raise BnnccError(f"sparse initializer {printable(name)!r}: its indices do not match its values and "
                             f"shape {shape}")
        dense = np.zeros(count, dtype=values.dtype)
        dense[indices] = values
        model.graph.initializer.append(numpy_helper.from_array(dense.reshape(shape), name))
    del model.graph.sparse_initializer[:]


def _load_external_data(model: onnx.ModelProto, folder: Path | None) -> None:
    external = [t for t in _all_tensors(model) if t.data_location == onnx.TensorProto.EXTERNAL]
    if not external:
        return
    if folder is None:
        raise BnnccError("the model refers to external data files, which needs a model path, not bytes")
    for tensor in external:
        location = dict((e.key, e.value) for e in tensor.external_data).get("location", "")
        target = (folder / location).resolve()
        if os.path.isabs(location) or not target.is_relative_to(folder):
            raise BnnccError(f"initializer {printable(tensor.name)!r}: external data path {printable(location)!r} leaves the model's folder")
        if not target.is_file():
            raise BnnccError(f"initializer {printable(tensor.name)!r}: external data file {printable(location)!r} is missing")
    try:
        onnx.external_data_helper.load_external_data_for_model(model, str(folder))
    except (OSError, ValueError) as exc:
        raise BnnccError(f"cannot read external data: {exc}") from None


def _all_tensors(model: onnx.ModelProto):
    yield from model.graph.initializer
    for node in model.graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.TENSOR:
                yield attribute.t


def _check_tensors(model: onnx.ModelProto) -> None:
    for tensor in _all_tensors(model):
        count = int(np.prod(tensor.dims, dtype=np.float64)) if tensor.dims else 1
        if any(d < 0 for d in tensor.dims) or count > MAX_TENSOR_ELEMENTS:
            raise BnnccError(f"initializer {printable(tensor.name)!r} has absurd dimensions {list(tensor.dims)}")
        try:
            array = numpy_helper.to_array(tensor)
        except Exception as exc:  # malformed raw_data and the like
            raise BnnccError(f"initializer {printable(tensor.name)!r} cannot be decoded ({exc})") from None
        if array.size != count:
            raise BnnccError(f"initializer {printable(tensor.name)!r} holds {array.size} values but its shape needs {count}")
        if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
            raise BnnccError(f"initializer {printable(tensor.name)!r} contains NaN or Inf")


def _name_unnamed_nodes(model: onnx.ModelProto) -> None:
    """Errors and reports name nodes; give the unnamed ones "<op>#<index>"."""
    for index, node in enumerate(model.graph.node):
        if not node.name:
            node.name = f"{node.op_type}#{index}"


def _check_opsets(model: onnx.ModelProto) -> None:
    """The standard ops' meaning depends on the default domain's opset: it must be declared, and be
    one onnx knows (from the first, 1, to the newest of the installed onnx)."""
    newest = onnx.defs.onnx_opset_version()
    versions = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if not versions:
        raise BnnccError("the model declares no opset for the standard ONNX domain (opset_import)")
    if len(set(versions)) > 1 or not 1 <= versions[0] <= newest:
        raise BnnccError(f"the model's standard ONNX opset {versions} is not one onnx knows (1 to {newest})")


def _declare_custom_domains(model: onnx.ModelProto) -> None:
    declared = {o.domain for o in model.opset_import}
    for domain in sorted({n.domain for n in model.graph.node} - declared):
        if domain in CUSTOM_DOMAINS:
            model.opset_import.append(onnx.helper.make_opsetid(domain, 1))


def _drop_initializers_from_inputs(model: onnx.ModelProto) -> None:
    """Old exporters (IR < 4) list every initializer as a graph input too."""
    initializers = {t.name for t in model.graph.initializer}
    real = [i for i in model.graph.input if i.name not in initializers]
    del model.graph.input[:]
    model.graph.input.extend(real)


def _check_inputs(model: onnx.ModelProto) -> None:
    if not model.graph.input:
        raise BnnccError("the graph has no inputs")
    for value in model.graph.input:
        tensor_type = value.type.tensor_type
        if tensor_type.elem_type != onnx.TensorProto.FLOAT:
            raise BnnccError(f"graph input {printable(value.name)!r} is not float32 (only float32 inputs are supported)")
        dims = tensor_type.shape.dim
        if not tensor_type.HasField("shape"):
            raise BnnccError(f"graph input {printable(value.name)!r} has no shape")
        name = printable(value.name)
        for index, dim in enumerate(dims):
            if dim.HasField("dim_value") and not 0 < dim.dim_value <= MAX_DIM:
                raise BnnccError(f"graph input {name!r} has absurd dimension {dim.dim_value}")
            if (index > 0 or len(dims) == 1) and not dim.HasField("dim_value"):
                raise BnnccError(f"graph input {name!r}: only the batch dimension (the first of a rank >= 2 "
                                 "input) may be dynamic")
        sample = int(np.prod([d.dim_value for d in dims[1:]], dtype=np.float64))
        if sample > MAX_INPUT_ELEMENTS:
            raise BnnccError(f"graph input {name!r} has {sample} elements per sample, more than bnncc's "
                             f"limit of {MAX_INPUT_ELEMENTS}")
