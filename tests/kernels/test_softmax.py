"""softmax / logsoftmax / argmax / topk over the middle axis of [outer][n][inner]."""
from __future__ import annotations

import numpy as np
import pytest

from .helpers import run_onnx_node

SHAPES = [(1, 1, 1), (1, 10, 1), (3, 7, 1), (2, 5, 3), (1, 4, 130), (4, 1000, 1), (2, 3, 64)]


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_logsoftmax(kernels, shape):
    k = kernels
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 5).astype(np.float32)
    flat = x.reshape(-1)
    flat[: min(3, flat.size)] = np.array([80.0, -80.0, 0.0], np.float32)[: min(3, flat.size)]
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(axis=1, keepdims=True))
    sm = e / e.sum(axis=1, keepdims=True)
    lsm = x64 - x64.max(axis=1, keepdims=True) - np.log(e.sum(axis=1, keepdims=True))
    out = np.full_like(x, np.nan)
    k.lib.bnn_softmax_f32(*shape, k.f32(x), k.f32(out))
    np.testing.assert_allclose(out, sm, rtol=1e-5, atol=1e-7)
    out = np.full_like(x, np.nan)
    k.lib.bnn_logsoftmax_f32(*shape, k.f32(x), k.f32(out))
    np.testing.assert_allclose(out, lsm, rtol=1e-5, atol=1e-5)
    # large inputs do not overflow
    big = (x + np.float32(1000)).astype(np.float32)
    k.lib.bnn_softmax_f32(*shape, k.f32(big), k.f32(out))
    assert np.isfinite(out).all()


def test_softmax_vs_onnxruntime(kernels):
    pytest.importorskip("onnxruntime")
    k = kernels
    x = np.random.default_rng(1).standard_normal((2, 5, 3, 4)).astype(np.float32)
    for op, fn in (("Softmax", k.lib.bnn_softmax_f32), ("LogSoftmax", k.lib.bnn_logsoftmax_f32)):
        ref = run_onnx_node(op, [x], dict(axis=1))[0]
        out = np.empty_like(x)
        fn(2, 5, 12, k.f32(x), k.f32(out))
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


def tie_heavy(rng, shape):
    return rng.integers(-3, 4, size=shape).astype(np.float32)


@pytest.mark.parametrize("shape", SHAPES)
def test_argmax_ties(kernels, shape):
    k = kernels
    rng = np.random.default_rng(7 + sum(shape))
    for x in (tie_heavy(rng, shape), rng.standard_normal(shape).astype(np.float32)):
        out = np.full((shape[0], shape[2]), -7, np.int64)
        k.lib.bnn_argmax_f32(*shape, 0, k.f32(x), k.i64(out))
        np.testing.assert_array_equal(out, np.argmax(x, axis=1))
        k.lib.bnn_argmax_f32(*shape, 1, k.f32(x), k.i64(out))
        np.testing.assert_array_equal(out, shape[1] - 1 - np.argmax(x[:, ::-1, :], axis=1))


def topk_ref(x, k, largest):
    order = np.argsort(-x if largest else x, axis=1, kind="stable")[:, :k, :]
    return np.take_along_axis(x, order, axis=1), order


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("largest", [1, 0])
def test_topk_ties(kernels, shape, largest):
    k = kernels
    rng = np.random.default_rng(11 + sum(shape) + largest)
    n = shape[1]
    for kk in sorted({0, 1, min(3, n), n}):
        for x in (tie_heavy(rng, shape), rng.standard_normal(shape).astype(np.float32)):
            vals = np.full((shape[0], kk, shape[2]), np.nan, np.float32)
            idx = np.full((shape[0], kk, shape[2]), -7, np.int64)
            k.lib.bnn_topk_f32(*shape, kk, largest, k.f32(x), k.f32(vals), k.i64(idx))
            rv, ri = topk_ref(x, kk, largest)
            np.testing.assert_array_equal(idx, ri)
            np.testing.assert_array_equal(vals, rv)


@pytest.mark.parametrize("largest", [1, 0])
def test_topk_vs_onnxruntime(kernels, largest):
    pytest.importorskip("onnxruntime")
    k = kernels
    x = np.random.default_rng(3).integers(-2, 3, size=(3, 9, 4)).astype(np.float32)
    vals_ref, idx_ref = run_onnx_node("TopK", [x, np.array([4], np.int64)], dict(axis=1, largest=largest, sorted=1),
                                      out_types=(np.float32, np.int64))
    vals = np.empty((3, 4, 4), np.float32)
    idx = np.empty((3, 4, 4), np.int64)
    k.lib.bnn_topk_f32(3, 9, 4, 4, largest, k.f32(x), k.f32(vals), k.i64(idx))
    np.testing.assert_array_equal(vals, vals_ref)
    np.testing.assert_array_equal(idx, idx_ref)
