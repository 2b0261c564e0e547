"""Bad or hostile models through the Python API: a clear BnnccError, and never partial output."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import bnncc
import zoo

BAD = zoo.bad_models()


def write_model(model: bytes | onnx.ModelProto, path: Path) -> Path:
    path.write_bytes(model if isinstance(model, bytes) else model.SerializeToString())
    return path


def leftovers(folder: Path) -> list[str]:
    """Staging or backup folders write_folder may have left next to the output."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".out-"))


def compile_error(path_or_bytes, tmp_path: Path, **kwargs) -> str:
    with pytest.raises(bnncc.BnnccError) as info:
        bnncc.compile(path_or_bytes, target="generic-c", output_dir=tmp_path / "out", **kwargs)
    message = str(info.value)
    assert message and "\n" not in message, f"error message is not one line: {message!r}"
    return message


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_model_raises_clear_error(name, tmp_path):
    model, substring = BAD[name]
    path = write_model(model, tmp_path / f"{name}.onnx")
    message = compile_error(path, tmp_path)
    assert substring.lower() in message.lower(), f"{name}: {message!r} does not mention {substring!r}"
    assert not (tmp_path / "out").exists(), "a failed compile created the output folder"
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_model_keeps_previous_artifact(name, tmp_path):
    model, _ = BAD[name]
    path = write_model(model, tmp_path / f"{name}.onnx")
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.c").write_text("int old;\n")
    (out / "bnncc.json").write_text("{}\n")          # the manifest makes it an artifact compile may replace
    compile_error(path, tmp_path)
    assert sorted(p.name for p in out.iterdir()) == ["bnncc.json", "old.c"]
    assert (out / "old.c").read_text() == "int old;\n"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["malformed_protobuf", "truncated_protobuf", "unsupported_op_lstm",
                                  "nan_binary_weights", "shape_mismatch", "absurd_dimension"])
def test_bad_model_as_bytes(name, tmp_path):
    model, substring = BAD[name]
    data = model if isinstance(model, bytes) else model.SerializeToString()
    assert substring.lower() in compile_error(data, tmp_path).lower()
    assert not (tmp_path / "out").exists()


def test_external_data_needs_a_path(tmp_path):
    model, _ = BAD["external_data_traversal"]
    assert "external" in compile_error(model.SerializeToString(), tmp_path)


def test_missing_external_data_file(tmp_path):
    model, _ = BAD["external_data_traversal"]
    tensor = next(t for t in model.graph.initializer if t.name == "fc.weight")
    tensor.external_data[0].value = "weights.bin"  # inside the folder, but absent
    message = compile_error(write_model(model, tmp_path / "m.onnx"), tmp_path)
    assert "fc.weight" in message and "missing" in message


def test_absolute_external_data_path(tmp_path):
    model, _ = BAD["external_data_traversal"]
    tensor = next(t for t in model.graph.initializer if t.name == "fc.weight")
    tensor.external_data[0].value = "/etc/passwd"
    message = compile_error(write_model(model, tmp_path / "m.onnx"), tmp_path)
    assert "leaves the model's folder" in message


def test_failure_while_writing_leaves_no_staging(tmp_path):
    """The output path exists as a file: the error comes after the staging folder was filled."""
    path = write_model(zoo.plain_sign_mlp(0), tmp_path / "m.onnx")
    (tmp_path / "out").write_text("precious")
    message = compile_error(path, tmp_path)
    assert "not a folder" in message
    assert (tmp_path / "out").read_text() == "precious"
    assert leftovers(tmp_path) == []


def test_good_compile_replaces_old_artifact_without_leftovers(tmp_path):
    path = write_model(zoo.plain_sign_mlp(0), tmp_path / "m.onnx")
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.c").write_text("int old;\n")
    (out / "bnncc.json").write_text("{}\n")          # the manifest makes it an artifact compile may replace
    model = bnncc.compile(path, target="generic-c", output_dir=out, name="net")
    assert model.output_dir == out.resolve()
    assert not (out / "old.c").exists() and (out / "net.c").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "out"]


# ------------------------------------------------------------------------------------------
# specific failures
# ------------------------------------------------------------------------------------------
def test_unsupported_op_names_node_and_op(tmp_path):
    g = zoo._Graph()
    x = g.op("Sign", ["x"], hint="sign")
    g.nodes.append(helper.make_node("Det", [x], ["y"], name="my_determinant"))
    model = g.model([zoo._vi("x", [1, 4, 4])], [zoo._vi("y", [1])], {"": 13})
    message = compile_error(write_model(model, tmp_path / "m.onnx"), tmp_path)
    assert "my_determinant" in message and "Det" in message
    assert "not supported" in message


def test_unsupported_op_unnamed_node_gets_index(tmp_path):
    model, _ = BAD["unsupported_op_nms"]
    message = compile_error(write_model(model, tmp_path / "m.onnx"), tmp_path)
    assert "#0" in message and "NonMaxSuppression" in message


def test_shape_error_names_node(tmp_path):
    model, _ = BAD["shape_mismatch"]
    message = compile_error(write_model(model, tmp_path / "m.onnx"), tmp_path)
    assert "Add" in message and "#0" in message
    model.graph.node[0].name = "the_bad_add"
    message = compile_error(write_model(model, tmp_path / "m.onnx"), tmp_path)
    assert "the_bad_add" in message


def _identity_model(shape) -> onnx.ModelProto:
    node = helper.make_node("Sign", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [zoo._vi("x", shape)], [zoo._vi("y", shape)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


@pytest.mark.parametrize("shape,expected", [
    ([1, 10**12], "absurd dimension"),
    ([1, 1 << 25], "absurd dimension"),
    ([1, 0], "absurd dimension"),
    ([1, "features"], "dynamic"),
])
def test_absurd_input_dims_refused(shape, expected, tmp_path):
    path = write_model(_identity_model(shape), tmp_path / "m.onnx")
    message = compile_error(path, tmp_path)
    assert expected in message and "'x'" in message


def test_absurd_initializer_dims_refused(tmp_path):
    model = zoo.plain_sign_mlp(0)
    tensor = model.graph.initializer[0]
    del tensor.dims[:]
    tensor.dims.extend([1 << 20, 1 << 20])
    message = compile_error(write_model(model, tmp_path / "m.onnx"), tmp_path)
    assert tensor.name in message and "absurd" in message


def test_initializer_size_lie_refused(tmp_path):
    model = zoo.plain_sign_mlp(0)
    tensor = model.graph.initializer[0]
    tensor.CopyFrom(numpy_helper.from_array(np.ones(7, np.float32), tensor.name))
    tensor.dims[:] = [64, 48]
    message = compile_error(write_model(model, tmp_path / "m.onnx"), tmp_path)
    assert tensor.name in message


def test_non_float_input_refused(tmp_path):
    node = helper.make_node("Identity", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.INT32, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.INT32, [1, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    message = compile_error(write_model(model, tmp_path / "m.onnx"), tmp_path)
    assert "'x'" in message and "float32" in message


def test_nonexistent_path(tmp_path):
    missing = tmp_path / "no_such_model.onnx"
    message = compile_error(missing, tmp_path)
    assert "does not exist" in message and "no_such_model.onnx" in message
    assert list(tmp_path.iterdir()) == []


def test_folder_given_as_model(tmp_path):
    (tmp_path / "dir.onnx").mkdir()
    message = compile_error(tmp_path / "dir.onnx", tmp_path)
    assert "dir.onnx" in message


@pytest.mark.parametrize("data,expected", [(b"", "no ONNX graph"), (b"\xff" * 64, "parse")])
def test_empty_or_garbage_file(data, expected, tmp_path):
    message = compile_error(write_model(data, tmp_path / "m.onnx"), tmp_path)
    assert expected.lower() in message.lower()


def test_unknown_target(tmp_path):
    path = write_model(zoo.plain_sign_mlp(0), tmp_path / "m.onnx")
    with pytest.raises(bnncc.BnnccError, match="cuda"):
        bnncc.compile(path, target="cuda", output_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
