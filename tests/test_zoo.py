"""The test-model zoo itself: every model runs in its reference, binarized tensors are ±1,
and every bad model is bad in the way it claims."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from onnx import external_data_helper, numpy_helper

from bnncc.reference import run_reference

try:
    import zoo  # pytest's default rootdir-less import puts tests/ on sys.path
except ImportError:  # pragma: no cover - tests/ made a package
    from tests import zoo

VARIANTS = [pytest.param(fn, kw, id=f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}")
            for name, (fn, variants) in zoo.BUILDERS.items() for kw in variants]


def _const_names(model: onnx.ModelProto) -> set[str]:
    names = {t.name for t in model.graph.initializer}
    for node in model.graph.node:  # tensors computed from constants only (weight quantizers)
        if node.op_type == "Constant" or (node.input and all(i in names for i in node.input)):
            names.update(node.output)
    return names


def binarized_tensors(model: onnx.ModelProto) -> list[str]:
    """Activation tensors a BNN binarizes, found by dialect idiom (weight quantizers excluded)."""
    consts = _const_names(model)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    writers = {name: node for node in model.graph.node for name in node.output}

    def made_by(name: str, op_type: str) -> bool:
        return name in writers and writers[name].op_type == op_type

    found = []
    for node in model.graph.node:
        if node.input and node.input[0] in consts:
            continue
        if node.op_type == "Sub" and made_by(node.input[0], "Mul") and made_by(writers[node.input[0]].input[0], "Cast"):
            found.append(node.output[0])            # 2 * x - 1 of a {0, 1} map
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type in ("Sign", "BipolarQuant", "Where"):
            found.append(node.output[0])
        elif node.op_type == "MultiThreshold" and attrs.get("out_dtype") == b"BIPOLAR":
            found.append(node.output[0])
        elif node.op_type == "Quant" and float(inits[node.input[3]]) == 1.0:
            found.append(node.output[0])
    return found


def run_with_outputs(model: onnx.ModelProto, feeds, names: list[str]) -> list[np.ndarray]:
    """Run a copy of `model` that also outputs the intermediate tensors `names` (returned last)."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for name in names:
        copy.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
        copy.graph.output[-1].type.tensor_type.elem_type = onnx.TensorProto.FLOAT
    return run_reference(copy, feeds)[len(model.graph.output):]


def _declared_shape(model, batch):
    return [[d.dim_value if d.HasField("dim_value") else batch for d in o.type.tensor_type.shape.dim]
            for o in model.graph.output]


@pytest.mark.parametrize("fn,kw", VARIANTS)
def test_builder_runs_in_reference(fn, kw):
    assert fn.__doc__ and "\n" not in fn.__doc__.strip()
    model = fn(0, **kw)
    a, b = model.SerializeToString(), fn(0, **kw).SerializeToString()
    assert a == b, "builders must be deterministic in their seed"
    assert fn(1, **kw).SerializeToString() != a
    feeds = zoo.random_inputs(model, np.random.default_rng(0))
    outs = run_reference(model, feeds)
    assert [list(o.shape) for o in outs] == _declared_shape(model, 1)
    assert all(np.isfinite(o).all() for o in outs)


@pytest.mark.parametrize("fn,kw", VARIANTS)
def test_binarized_tensors_are_pm1_and_balanced(fn, kw):
    model = fn(0, **kw)
    names = binarized_tensors(model)
    assert names, "every zoo model binarizes something"
    dynamic = any(d.dim_param for i in model.graph.input for d in i.type.tensor_type.shape.dim)
    rng = np.random.default_rng(7)
    feeds_list = [zoo.random_inputs(model, rng, batch=4)] if dynamic else \
        [zoo.random_inputs(model, rng) for _ in range(3)]
    values = [run_with_outputs(model, feeds, names) for feeds in feeds_list]
    for i, name in enumerate(names):
        v = np.concatenate([vals[i].ravel() for vals in values])
        assert set(np.unique(v)) <= {-1.0, 1.0}, (name, np.unique(v))
        if v.size >= 24:
            frac = (v > 0).mean()
            assert 0.1 < frac < 0.9, f"{name}: {frac:.2f} of values are +1; BN stats unbalanced"


def test_fastinference_dynamic_batch():
    model = zoo.fastinference_style(3)
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch_size"
    assert {n.op_type for n in model.graph.node} >= {"Shape", "Gather", "Unsqueeze", "Concat", "Greater", "Where"}
    x = np.random.default_rng(0).normal(0, 1, (3, 256)).astype(np.float32)
    (out,) = run_reference(model, {"input": x})
    assert out.shape == (3, 10)
    np.testing.assert_allclose(np.exp(out).sum(1), 1.0, rtol=1e-5)
    (single,) = run_reference(model, {"input": x[1:2]})
    np.testing.assert_allclose(single[0], out[1], rtol=1e-6, atol=1e-6)
    gemms = [t for t in model.graph.initializer if t.name in ("fc_1.bias", "out.bias", "conv1.bias", "conv2.bias")]
    assert len(gemms) == 4 and all(set(np.unique(numpy_helper.to_array(t))) <= {-1.0, 1.0} for t in gemms)


def test_qonnx_bipolar_mlp_quirks():
    model = zoo.qonnx_bipolar_mlp(0)
    assert "onnx.brevitas" not in {o.domain for o in model.opset_import}
    with pytest.raises(Exception):
        onnx.checker.check_model(model)  # undeclared domain: the real TFC file fails the checker too
    inputs = {i.name for i in model.graph.input}
    assert {t.name for t in model.graph.initializer} <= inputs
    ops = [n.op_type for n in model.graph.node]
    assert ops[-5:] == ["Sub", "Pow", "Div", "Mul", "Add"] and "Transpose" in ops
    x = np.random.default_rng(0).random((1, 1, 12, 12)).astype(np.float32)  # TFC inputs are in 0..1
    assert run_reference(model, {"0": x})[0].shape == (1, 10)
    onnx.checker.check_model(zoo.qonnx_bipolar_mlp(0, declare_domain=True))


def test_quant_latent_weights_are_float():
    model = zoo.qonnx_quant_latent(0)
    latent = [numpy_helper.to_array(t) for t in model.graph.initializer if t.name.startswith("latent_w")]
    assert len(latent) == 2 and all(len(np.unique(w)) > 100 for w in latent)
    quants = [n for n in model.graph.node if n.op_type == "Quant"]
    assert all({a.name for a in n.attribute} == {"signed", "narrow", "rounding_mode"} for n in quants)
    # qonnx executes a signed 1-bit Quant as bipolar: x >= 0 -> +scale, else -scale
    from qonnx.custom_op.general.quant import quant

    w = latent[0]
    s = np.full((w.shape[0], 1, 1, 1), 0.1, np.float32)
    q = quant(w, s, np.float32(0), np.float32(1), 1, 0, "ROUND")
    np.testing.assert_array_equal(q, np.where(w >= 0, s, -s))


def test_two_bit_levels():
    for kind, levels in (("quant", {0.0, 0.5, 1.0, 1.5}), ("multithreshold", {0.0, 1.0, 2.0, 3.0})):
        model = zoo.two_bit_activation(0, kind=kind)
        last = [n for n in model.graph.node if n.op_type in ("Quant", "MultiThreshold")][-1].output[0]
        feeds = zoo.random_inputs(model, np.random.default_rng(0))
        (v,) = run_with_outputs(model, feeds, [last])
        assert set(np.unique(v)) <= levels and len(np.unique(v)) >= 3, (kind, np.unique(v))


@pytest.mark.parametrize("value", [-1.0, 1.0])
def test_explicit_pad_border(value):
    model = zoo.explicit_pm1_pad(0, value=value)
    pad = next(n for n in model.graph.node if n.op_type == "Pad").output[0]
    (v,) = run_with_outputs(model, zoo.random_inputs(model, np.random.default_rng(0)), [pad])
    assert v.shape == (1, 12, 10, 10)
    border = np.concatenate([v[..., 0, :].ravel(), v[..., -1, :].ravel(), v[..., :, 0].ravel(), v[..., :, -1].ravel()])
    assert (border == value).all() and set(np.unique(v)) == {-1.0, 1.0}


def test_scaled_weights_are_pm_s_per_channel():
    w = numpy_helper.to_array(next(t for t in zoo.scaled_weights(0).graph.initializer if t.name.startswith("scaled_w")))
    mags = np.abs(w).reshape(w.shape[0], -1)
    assert (mags == mags[:, :1]).all() and len(np.unique(mags[:, 0])) == w.shape[0] and (mags > 0).all()


def test_bn_stats_realistic():
    rng = np.random.default_rng(0)
    gamma, beta, mean, var = zoo.bn_stats(rng, 4000, 100)
    assert abs(mean.std() - 10) < 1 and var.min() >= 50 and var.max() <= 200
    assert 0.05 < (gamma < 0).mean() < 0.4 and abs(beta.std() - 0.2) < 0.02


# ---------------------------------------------------------------------------------------------
# bad models
# ---------------------------------------------------------------------------------------------
BAD = zoo.bad_models()


def test_bad_models_catalogue():
    assert set(BAD) >= {"malformed_protobuf", "missing_initializer", "unsupported_op_lstm", "nan_binary_weights",
                        "shape_mismatch", "external_data_traversal", "absurd_dimension"}
    for name, (model, reason) in BAD.items():
        assert isinstance(model, (bytes, onnx.ModelProto)) and reason, name


@pytest.mark.parametrize("name", ["malformed_protobuf", "truncated_protobuf"])
def test_bad_bytes_do_not_parse(name):
    with pytest.raises(Exception):
        onnx.load_from_string(BAD[name][0])


def _feeds(model):
    return zoo.random_inputs(model, np.random.default_rng(0))


def test_bad_missing_initializer():
    model = BAD["missing_initializer"][0]
    with pytest.raises(onnx.checker.ValidationError, match="fc.weight"):
        onnx.checker.check_model(model)
    with pytest.raises(Exception, match="fc.weight"):
        run_reference(model, _feeds(model))


@pytest.mark.parametrize("name,op", [("unsupported_op_lstm", "LSTM"), ("unsupported_op_nms", "NonMaxSuppression")])
def test_bad_unsupported_op_is_valid_onnx(name, op):
    model, reason = BAD[name]
    onnx.checker.check_model(model)  # valid ONNX; bad only for a BNN compiler
    assert op in [n.op_type for n in model.graph.node] and reason == op


@pytest.mark.parametrize("name", ["nan_binary_weights", "inf_binary_weights"])
def test_bad_nonfinite_binary_weights(name):
    model = BAD[name][0]
    bq = [n for n in model.graph.node if n.op_type == "BipolarQuant"]
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    weights = [inits[n.input[0]] for n in bq if n.input[0] in inits]
    assert weights and not np.isfinite(weights[0]).all()
    # The reference silently maps NaN to -1 and ±Inf to ±1: only the compiler's check can catch it.
    assert np.isfinite(run_reference(model, _feeds(model))[0]).all()


def test_latent_sign_weights_are_fine():
    model = zoo.latent_sign_weights(0)
    latent = numpy_helper.to_array(next(t for t in model.graph.initializer if t.name.startswith("latent_w")))
    assert np.isfinite(latent).all() and (latent != 0).all() and not set(np.unique(latent)) <= {-1.0, 1.0}


def test_bad_shape_mismatch():
    model = BAD["shape_mismatch"][0]
    with pytest.raises(Exception):
        onnx.shape_inference.infer_shapes(model, strict_mode=True)
    with pytest.raises(Exception):
        run_reference(model, {"a": np.zeros((1, 3), np.float32), "b": np.zeros((1, 4), np.float32)})


def test_bad_external_data_traversal(tmp_path):
    model = BAD["external_data_traversal"][0]
    tensor = next(t for t in model.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL)
    assert ".." in dict((e.key, e.value) for e in tensor.external_data)["location"]
    with pytest.raises(Exception):
        external_data_helper.load_external_data_for_model(model, str(tmp_path))
    with pytest.raises(Exception):
        run_reference(model, _feeds(model))


def test_bad_absurd_dimension():
    model = BAD["absurd_dimension"][0]
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert max(dims) >= 2**31


# ---------------------------------------------------------------------------------------------
# random BNNs
# ---------------------------------------------------------------------------------------------
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(zoo.random_bnn())
def test_random_bnn_runs(case):
    model, x = case
    names = binarized_tensors(model)
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    outs = run_reference(copy, {"input": x}) + run_with_outputs(model, {"input": x}, names)
    assert outs[0].shape == tuple(_declared_shape(model, 1)[0]) and np.isfinite(outs[0]).all()
    for name, v in zip(names, outs[1:]):
        assert set(np.unique(v)) <= {-1.0, 1.0}, name
