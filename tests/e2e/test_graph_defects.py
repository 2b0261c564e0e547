"""Regression tests for the model defects a mutation campaign found (issue 9), each from its
minimal case: graphs that compiled into wrong code, crashed the compiler, or built badly."""
from __future__ import annotations

import copy

import numpy as np
import onnx
import onnx_ir as ir
import pytest
from onnx import TensorProto, helper, numpy_helper

import bnncc
import zoo
from bnncc.reference import run_reference
from bnncc.verify import check_output


def compile_error(model: onnx.ModelProto | bytes) -> str:
    data = model if isinstance(model, bytes) else model.SerializeToString()
    with pytest.raises(bnncc.BnnccError) as info:
        bnncc.compile(data, target="generic-c")
    message = str(info.value)
    assert message and "\n" not in message and "\r" not in message, f"not one line: {message!r}"
    return message


def assert_exact(model: onnx.ModelProto, reference_model: onnx.ModelProto, batch: int = 1, seed: int = 0) -> None:
    """Compile `model` and compare it with `reference_model` run by its reference runtime."""
    compiled = bnncc.compile(model.SerializeToString(), target="generic-c")
    feeds = zoo.random_inputs(reference_model, np.random.default_rng(seed), batch=batch)
    ours = compiled.run(*feeds.values())
    theirs = run_reference(reference_model, feeds)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        check = check_output(i, "", a, b)
        assert check.ok, f"output {i}: {check.mismatches} mismatches, max |diff| {check.max_abs_diff}"


def tiny(nodes, inputs, outputs, initializers=(), opset: int = 13) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def vi(name: str, shape, dtype=TensorProto.FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, dtype, shape)


def first(model: onnx.ModelProto, op_type: str) -> onnx.NodeProto:
    return next(n for n in model.graph.node if n.op_type == op_type)


def set_ints(node: onnx.NodeProto, name: str, values) -> None:
    for attribute in node.attribute:
        if attribute.name == name:
            attribute.ints[:] = values
            return
    node.attribute.append(helper.make_attribute(name, list(values)))


# ------------------------------------------------------------------------------------------
# 1. nodes out of topological order are sorted, as onnxruntime sorts them
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("build", [zoo.plain_sign_mlp, zoo.fastinference_style, zoo.bireal_block])
@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_nodes_out_of_order_are_sorted(build, order):
    source = build(seed=2)
    shuffled = copy.deepcopy(source)
    nodes = list(shuffled.graph.node)
    if order == "reversed":
        nodes.reverse()
    else:
        np.random.default_rng(5).shuffle(nodes)
    del shuffled.graph.node[:]
    shuffled.graph.node.extend(nodes)
    batch = 3 if zoo.input_shapes(source, batch=3) != zoo.input_shapes(source, batch=1) else 1
    assert_exact(shuffled, source, batch=batch)


def test_cycle_is_refused():
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="first"), helper.make_node("Relu", ["a"], ["b"]),
             helper.make_node("Sign", ["b"], ["y"])]
    message = compile_error(tiny(nodes, [vi("x", [1, 4])], [vi("y", [1, 4])]))
    assert "cycle" in message and "first" in message


def test_two_writers_of_one_name_are_refused():
    nodes = [helper.make_node("Sign", ["x"], ["t"], name="one"), helper.make_node("Relu", ["x"], ["t"], name="two"),
             helper.make_node("Neg", ["t"], ["y"])]
    message = compile_error(tiny(nodes, [vi("x", [1, 4])], [vi("y", [1, 4])]))
    assert "'t'" in message and "written twice" in message and "one" in message and "two" in message


def test_node_output_named_like_an_initializer_is_refused():
    model = zoo.plain_sign_mlp(0)
    model.graph.node[0].output[0] = model.graph.initializer[0].name
    assert "written twice" in compile_error(model)


def test_read_of_an_undefined_tensor_names_node_and_tensor():
    nodes = [helper.make_node("Add", ["x", "ghost"], ["y"], name="adder")]
    message = compile_error(tiny(nodes, [vi("x", [1, 4])], [vi("y", [1, 4])]))
    assert "adder" in message and "'ghost'" in message


# ------------------------------------------------------------------------------------------
# 3, 5, 12. outputs that are constants or shapes, outputs nothing computes, no outputs
# ------------------------------------------------------------------------------------------
def test_initializer_output_with_a_larger_declared_shape_is_refused():
    """The C used to copy the declared 100 floats out of a 3-float array."""
    model = tiny([helper.make_node("Sign", ["x"], ["y"])], [vi("x", [1, 4])], [vi("y", [1, 4]), vi("w", [1, 100])],
                 [numpy_helper.from_array(np.ones((1, 3), np.float32), "w")])
    message = compile_error(model)
    assert "'w'" in message and "does not depend" in message


@pytest.mark.parametrize("declared", [[2], None])
def test_shape_tensor_output_is_refused(declared):
    """An int64 Shape output used to be copied as float (build failure or wrong values)."""
    nodes = [helper.make_node("Sign", ["x"], ["y"]), helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Identity", ["s"], ["s2"])]
    model = tiny(nodes, [vi("x", ["N", 4])], [vi("y", ["N", 4]), vi("s2", declared, TensorProto.INT64)])
    assert "'s2'" in compile_error(model)


def test_untyped_constant_output_is_refused():
    constant = helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(np.ones(3, np.float32)))
    model = tiny([helper.make_node("Sign", ["x"], ["y"]), constant], [vi("x", [1, 4])],
                 [vi("y", [1, 4]), onnx.ValueInfoProto(name="c")])
    assert "'c'" in compile_error(model)


def test_output_nothing_computes_is_refused():
    model = tiny([helper.make_node("Sign", ["x"], ["y"])], [vi("x", [1, 4])], [vi("y", [1, 4]), vi("nobody", [1, 4])])
    message = compile_error(model)
    assert "'nobody'" in message and "not computed" in message


def test_graph_without_outputs_is_refused():
    model = zoo.plain_sign_mlp(0)
    del model.graph.output[:]
    assert "no outputs" in compile_error(model)


def test_unused_input_compiles_and_builds_with_werror():
    """An input no node reads used to leave an unused C parameter (-Werror build failure)."""
    model = tiny([helper.make_node("Sign", ["x"], ["y"])], [vi("x", ["N", 4]), vi("unused", ["N", 3])],
                 [vi("y", ["N", 4])])
    compiled = bnncc.compile(model.SerializeToString(), target="generic-c")
    x = np.array([[-2, 0.5, 0, 3]] * 2, np.float32)
    y, = compiled.run(x, np.zeros((2, 3), np.float32))
    assert np.array_equal(y, np.where(x >= 0, 1.0, -1.0))  # ONNX Sign(0) = 0 becomes +1 (reported)


def test_graph_input_exposed_as_output_is_copied():
    model = tiny([helper.make_node("Sign", ["x"], ["y"])], [vi("x", [1, 4])], [vi("y", [1, 4]), vi("x", [1, 4])])
    x = np.array([[1.5, -2, 3, -4]], np.float32)
    y, copied = bnncc.compile(model.SerializeToString(), target="generic-c").run(x)
    assert np.array_equal(copied, x) and np.array_equal(y, np.sign(x))


# ------------------------------------------------------------------------------------------
# 4. QONNX flags other than 0/1
# ------------------------------------------------------------------------------------------
def quant_model(narrow: int, signed: int) -> onnx.ModelProto:
    g = zoo._Graph()
    y = zoo._quant(g, "x", np.float32(0.5), bits=3, signed=signed, narrow=narrow)
    g.op("Identity", [y], out="y")
    return g.model([zoo._vi("x", [1, 16])], [zoo._vi("y", [1, 16])], {"": 13, zoo.QONNX: 1}, check=False)


@pytest.mark.parametrize("narrow,signed", [(2, 1), (-1, 1), (0, 2), (1, 7)])
def test_quant_flags_other_than_0_or_1_are_refused(narrow, signed):
    message = compile_error(quant_model(narrow, signed))
    assert ("narrow" if narrow not in (0, 1) else "signed") in message and "0 or 1" in message


@pytest.mark.parametrize("narrow,signed", [(0, 1), (1, 1), (0, 0), (1, 0)])
def test_quant_flags_0_and_1_match_qonnx(narrow, signed):
    model = quant_model(narrow, signed)
    compiled = bnncc.compile(model.SerializeToString(), target="generic-c")
    x = np.linspace(-4, 4, 16, dtype=np.float32)[None]
    ours, = compiled.run(x)
    theirs, = run_reference(model, {"x": x})
    assert np.array_equal(ours, theirs)


# ------------------------------------------------------------------------------------------
# 6, 10. attributes: out of range, inconsistent, unknown
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op_type", ["Conv", "MaxPool"])
@pytest.mark.parametrize("value", [2**31, 2**40, -(2**31)])
def test_huge_strides_are_refused(op_type, value):
    """A stride of 2**31 used to reach the C as an int (signed overflow under UBSan)."""
    model = zoo.fastinference_style(0)
    set_ints(first(model, op_type), "strides", [value, value])
    message = compile_error(model)
    assert "strides" in message and op_type in message


@pytest.mark.parametrize("name,values", [("strides", [1, 1, 1]), ("kernel_shape", [3, 3, 3]), ("pads", [0, 0, 0]),
                                         ("dilations", [1])])
def test_window_attributes_of_the_wrong_length_are_refused(name, values):
    model = zoo.fastinference_style(0)
    set_ints(first(model, "Conv"), name, values)
    message = compile_error(model)
    assert name in message and "Conv" in message


def test_window_attributes_below_their_minimum_are_refused():
    model = zoo.fastinference_style(0)
    set_ints(first(model, "MaxPool"), "strides", [0, 2])
    assert "strides" in compile_error(model)


def test_one_dimensional_conv_is_refused_cleanly():
    w = numpy_helper.from_array(np.ones((2, 1, 3), np.float32), "w")
    model = tiny([helper.make_node("Conv", ["x", "w"], ["y"])], [vi("x", [1, 1, 8])], [vi("y", [1, 2, 6])], [w])
    assert "2-D" in compile_error(model)


@pytest.mark.parametrize("attributes", [{"value_float": 2.0, "bogus": 1}, {}, {"value_string": "seven"}])
def test_constant_with_unknown_or_missing_attributes_is_refused(attributes):
    model = zoo.fastinference_style(0)
    constant = first(model, "Constant")
    del constant.attribute[:]
    constant.attribute.extend(helper.make_attribute(k, v) for k, v in attributes.items())
    message = compile_error(model)
    assert "Constant" in message and "exactly one" in message


# ------------------------------------------------------------------------------------------
# 10. undecodable names, sparse initializers, absurd sizes
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["node name", "tensor name"])
def test_names_that_are_not_utf8_are_refused(where):
    model = zoo.plain_sign_mlp(0)
    marker = b"NAMEMARKER"
    if where == "node name":
        model.graph.node[0].name = marker.decode()
    else:
        model.graph.node[0].output[0] = model.graph.node[1].input[0] = marker.decode()
    data = model.SerializeToString().replace(marker, b"\xff\xfeAMEMAR\xc3(")  # same length: still a valid protobuf
    message = compile_error(data)
    assert "UTF-8" in message and "\\xff" in message


@pytest.mark.parametrize("layout", ["flat", "coordinates"])
def test_sparse_initializer_is_densified(layout):
    source = zoo.plain_sign_mlp(4)
    sparse = copy.deepcopy(source)
    dense = numpy_helper.to_array(sparse.graph.initializer[0])
    positions = np.flatnonzero(dense)
    indices = positions if layout == "flat" else np.stack(np.unravel_index(positions, dense.shape), axis=1)
    values = numpy_helper.from_array(dense.reshape(-1)[positions], sparse.graph.initializer[0].name)
    sparse.graph.sparse_initializer.append(
        helper.make_sparse_tensor(values, numpy_helper.from_array(indices.astype(np.int64)), list(dense.shape)))
    del sparse.graph.initializer[0]
    assert_exact(sparse, source)


def test_sparse_initializer_with_indices_outside_its_shape_is_refused():
    model = zoo.plain_sign_mlp(0)
    values = numpy_helper.from_array(np.ones(2, np.float32), model.graph.initializer[0].name)
    dims = list(model.graph.initializer[0].dims)
    model.graph.sparse_initializer.append(helper.make_sparse_tensor(
        values, numpy_helper.from_array(np.array([0, 10**9], np.int64)), dims))
    del model.graph.initializer[0]
    assert "indices" in compile_error(model)


def test_input_whose_sample_needs_gigabytes_is_refused_before_allocating():
    """Shape discovery used to allocate such inputs (12 GiB, then the OOM killer)."""
    model = tiny([helper.make_node("Sign", ["x"], ["y"])], [vi("x", [1, 4096, 4096, 200])],
                 [vi("y", [1, 4096, 4096, 200])])
    message = compile_error(model)
    assert "'x'" in message and "elements" in message


@pytest.mark.parametrize("op_type", ["Expand", "ConstantOfShape"])
def test_intermediate_tensor_of_absurd_size_is_refused_before_allocating(op_type):
    shape = numpy_helper.from_array(np.array([1 << 16, 1 << 16, 4], np.int64), "s")
    if op_type == "Expand":
        nodes = [helper.make_node("Expand", ["x", "s"], ["big"], name="blowup"), helper.make_node("Sign", ["big"], ["y"])]
    else:
        nodes = [helper.make_node("ConstantOfShape", ["s"], ["c"], name="blowup"),
                 helper.make_node("Add", ["x", "c"], ["y"])]
    message = compile_error(tiny(nodes, [vi("x", [1, 4])], [vi("y", None)], [shape]))
    assert "blowup" in message and "elements" in message


# ------------------------------------------------------------------------------------------
# 11. model text in messages stays on one line
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["evil\nname", "carriage\rreturn", "tab\there", "x" * 500, "nul\x00byte"])
def test_node_names_are_escaped_in_messages(name):
    model = zoo.plain_sign_mlp(0)
    model.graph.node[1].name = name
    model.graph.node[1].op_type = "Det"
    message = compile_error(model)
    assert "Det" in message and len(message) < 300
    assert name not in message or name.isprintable()


def test_onnxruntime_refusal_names_the_node_without_its_source_location():
    shape = numpy_helper.from_array(np.array([1, 7], np.int64), "target")
    nodes = [helper.make_node("Reshape", ["x", "target"], ["r"], name="bad_reshape"), helper.make_node("Sign", ["r"], ["y"])]
    message = compile_error(tiny(nodes, [vi("x", [1, 4])], [vi("y", [1, 7])], [shape]))
    assert message.startswith("node bad_reshape (Reshape): ")
    assert "onnxruntime_src" not in message and "ONNXRuntimeError" not in message and "reshape" in message.lower()


def test_generated_code_never_passes_a_literal_beyond_int_max():
    """The last guard behind the attribute bounds: a layer's C may not carry a decimal literal
    that overflows the kernels' int parameters; hexadecimal and float literals are not ints."""
    from bnncc.codegen.schedule import Layer, _check_literals

    node = ir.node("Relu", [], name="wide_layer")
    fine = Layer(0, "Conv", "wide_layer", code=["f(w12, 0x1.8p+1f, 2147483647, 0xffffffffffu, 1e-5f);"])
    _check_literals(fine, node)
    for text in ["f(w0, 2147483648);", "g(in0 + 4294967296);"]:
        with pytest.raises(bnncc.BnnccError, match="wide_layer.*does not fit a C int"):
            _check_literals(Layer(0, "Conv", "wide_layer", code=[text]), node)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_float_attributes_that_are_not_finite_are_refused(value):
    """A NaN epsilon made the reference all NaN while the folded thresholds ignored it."""
    model = zoo.bireal_block(0)
    batchnorm = first(model, "BatchNormalization")
    next(a for a in batchnorm.attribute if a.name == "epsilon").f = value
    message = compile_error(model)
    assert "epsilon" in message and "finite" in message


def rows_model(rows: int, binarizer: str) -> onnx.ModelProto:
    """x [1, rows*48] -> Reshape [rows, 48] -> binarize -> MatMul ±1 -> BN -> binarize -> MatMul ±1."""
    rng = np.random.default_rng(0)
    g = zoo._Graph()
    x = g.op("Reshape", ["x", g.const([rows, 48], dtype=np.int64)])
    x = g.op("MatMul", [zoo._binarize(g, x, binarizer), g.const(zoo.pm1(rng, (48, 40)), "w1")])
    x = zoo._bn(g, rng, x, 40, 48, style="muladd", rank=2)
    g.op("MatMul", [zoo._binarize(g, x, binarizer), g.const(zoo.pm1(rng, (40, 10)), "w2")], out="y")
    return g.model([zoo._vi("x", [1, rows * 48])], [zoo._vi("y", [rows, 10])], {"": 13, zoo.BREVITAS: 1}, check=False)


@pytest.mark.parametrize("binarizer", ["where", "bipolar"])
def test_several_rows_per_sample_are_refused_not_miscomputed(binarizer):
    """A [3, 48] tensor at batch 1 used to go through the per-sample binary kernels as one row:
    rows 1 and 2 of the output were garbage."""
    message = compile_error(rows_model(3, binarizer))
    assert "[3, 48]" in message and "one sample at a time" in message
    assert "bnncc::" not in message, "the error must name the model's node, not one a pass made"


def test_one_row_per_sample_still_runs_binary():
    model = rows_model(1, "where")
    compiled = bnncc.compile(model.SerializeToString(), target="generic-c")
    assert [layer.mode for layer in compiled.report.layers if layer.op_type == "MatMul"] == ["binary", "binary"]
    assert_exact(model, model)


def test_output_that_is_an_input_through_dropout_builds_with_werror():
    """The graph computes nothing in the arena: its C used to leave `arena` unused (-Werror)."""
    model = tiny([helper.make_node("Dropout", ["x"], ["y", ""])], [vi("x", [1, 8])], [vi("y", [1, 8])])
    x = np.linspace(-1, 1, 8, dtype=np.float32)[None]
    y, = bnncc.compile(model.SerializeToString(), target="generic-c").run(x)
    assert np.array_equal(y, x)


def two_input_model(extra_shape) -> onnx.ModelProto:
    """y = Sign(x) MatMul ±1 W, plus z = a second input through Relu; x batched, the second not."""
    rng = np.random.default_rng(3)
    w = numpy_helper.from_array(zoo.pm1(rng, (16, 4)), "w")
    nodes = [helper.make_node("Sign", ["x"], ["s"]), helper.make_node("MatMul", ["s", "w"], ["y"]),
             helper.make_node("Relu", ["extra"], ["z"])]
    return tiny(nodes, [vi("x", ["N", 16]), vi("extra", extra_shape)], [vi("y", ["N", 4]), vi("z", extra_shape)], [w])


def test_rank_one_input_keeps_its_declared_size():
    """A [7] input used to be specced [1] (its first dimension taken for the batch)."""
    model = two_input_model([7])
    compiled = bnncc.compile(model.SerializeToString(), target="generic-c")
    assert [tuple(s.shape) for s in compiled.inputs] == [(1, 16), (7,)]
    x = np.random.default_rng(0).standard_normal((1, 16)).astype(np.float32)
    extra = np.linspace(-3, 3, 7, dtype=np.float32)
    y, z = compiled.run(x, extra)
    expected_y, expected_z = run_reference(model, {"x": x, "extra": extra})
    assert np.array_equal(y, expected_y) and np.array_equal(z, expected_z)


def test_input_without_batch_is_shared_by_every_sample():
    """With a batched input beside it, run() at batch 3 used to refuse ('same batch size'); the C
    read such an input at a sample's offset."""
    model = two_input_model([7])
    del model.graph.output[1]
    model.graph.node.pop()                                   # only y, so the outputs are all batched
    compiled = bnncc.compile(model.SerializeToString(), target="generic-c")
    x = np.random.default_rng(1).standard_normal((3, 16)).astype(np.float32)
    y, = compiled.run(x, np.ones(7, np.float32))
    for n in range(3):
        expected, = run_reference(model, {"x": x[n:n + 1], "extra": np.ones(7, np.float32)})
        assert np.array_equal(y[n:n + 1], expected)


def test_dynamic_rank_one_input_is_refused():
    assert "dynamic" in compile_error(two_input_model(["K"]))


def test_model_without_a_standard_opset_is_refused():
    model = zoo.finn_multithreshold(0)
    del model.opset_import[:]
    assert "opset" in compile_error(model)


def test_custom_op_attribute_of_the_wrong_type_is_refused():
    model = zoo.finn_multithreshold(0)
    node = first(model, "MultiThreshold")
    for attribute in node.attribute:
        if attribute.name == "out_bias":
            attribute.CopyFrom(helper.make_attribute("out_bias", [-1, 1]))
    message = compile_error(model)
    assert "out_bias" in message and "MultiThreshold" in message


def test_batchnorm_that_gives_nan_before_a_binarization_is_refused():
    """var + epsilon < 0: the reference outputs NaN, the artifact used to output finite values."""
    model = zoo.larq_ste_sign_conv(0)
    next(a for a in first(model, "BatchNormalization").attribute if a.name == "epsilon").f = -1e30
    message = compile_error(model)
    assert "NaN" in message and "Sign" in message


def test_batchnorm_read_by_a_maxpool_and_exposed_as_an_output():
    """The stem's BatchNormalization also a graph output: fusing it into the max-pool removed a
    node whose output the graph still returns (a traceback)."""
    model = zoo.bireal_block(0, stem="resnet")
    batchnorm = first(model, "BatchNormalization")
    model.graph.output.append(vi(batchnorm.output[0], None))
    compiled = bnncc.compile(model.SerializeToString(), target="generic-c")
    x = np.random.default_rng(2).standard_normal(tuple(compiled.inputs[0].shape)).astype(np.float32)
    ours = compiled.run(x)
    theirs = run_reference(model, {model.graph.input[0].name: x})
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert check_output(i, "", a, b).ok, i


@pytest.mark.parametrize("out_scale,out_bias", [(2.0, -1e30), (0.0, -1.0)])
def test_multithreshold_whose_levels_collapse_is_refused(out_scale, out_bias):
    """out_bias -1e30 made every level -1e30 in float32: all later sums were rounding noise, and the
    artifact's noise differed from the reference's (fuzz case 0-4032)."""
    model = zoo.finn_multithreshold(0)
    node = first(model, "MultiThreshold")
    for attribute in node.attribute:
        if attribute.name == "out_scale":
            attribute.f = out_scale
        if attribute.name == "out_bias":
            attribute.f = out_bias
    message = compile_error(model)
    assert "levels" in message and "MultiThreshold" in message
