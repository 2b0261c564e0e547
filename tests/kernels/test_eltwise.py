"""Element-wise kernels vs numpy."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from .helpers import BINARY_OPS, OP

NP_BINARY = {
    "BNN_ADD": np.add, "BNN_SUB": np.subtract, "BNN_MUL": np.multiply, "BNN_DIV": np.divide,
    "BNN_POW": np.power, "BNN_MAX": np.maximum, "BNN_MIN": np.minimum,
    "BNN_PRELU": lambda a, b: np.where(a < 0, a * b, a),
}


def bcast_strides(shape, out_shape):
    """Element strides of a contiguous `shape` broadcast (numpy rules) to out_shape."""
    rank = len(out_shape)
    full = (1,) * (rank - len(shape)) + tuple(shape)
    strides, acc = [0] * rank, 1
    for d in range(rank - 1, -1, -1):
        strides[d] = 0 if full[d] == 1 and out_shape[d] != 1 else acc
        acc *= full[d]
    return strides


@st.composite
def bcast_case(draw):
    rank = draw(st.integers(0, 6))
    out_shape = draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank))
    shapes = []
    for _ in range(2):
        r = draw(st.integers(0, rank))
        tail = out_shape[rank - r:]
        shapes.append([d if draw(st.booleans()) else 1 for d in tail])
    op = draw(st.sampled_from([*BINARY_OPS, "BNN_POW"]))
    return op, out_shape, shapes[0], shapes[1]


@given(bcast_case(), st.randoms(use_true_random=False))
def test_binary_broadcast(kernels, case, rnd):
    k = kernels
    op, out_shape, sa, sb = case
    rng = np.random.default_rng(rnd.getrandbits(32))
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    if op == "BNN_POW":
        a = np.abs(a) + np.float32(0.1)
    if op == "BNN_DIV":
        b = np.where(b == 0, np.float32(1), b)
    a, b = np.array(a, order="C"), np.array(b, order="C")  # (ascontiguousarray makes 0-d arrays 1-d)
    out = np.full(out_shape, np.nan, np.float32)
    operands = (len(out_shape), k.ints(out_shape), k.f32(a), k.ints(bcast_strides(sa, out_shape)), k.f32(b),
                k.ints(bcast_strides(sb, out_shape)), k.f32(out))
    if op == "BNN_POW":                     # its own entry point (other ops link no powf)
        k.lib.bnn_pow_f32(*operands)
    else:
        k.lib.bnn_binary_f32(OP[op], *operands)
    with np.errstate(all="ignore"):
        ref = NP_BINARY[op](a, b).astype(np.float32)
    ref = np.broadcast_to(ref, out_shape)
    if op == "BNN_POW":
        np.testing.assert_allclose(out, ref, rtol=1e-6)
    else:  # correctly rounded IEEE operations: bit exact
        np.testing.assert_array_equal(out, ref)


def test_binary_nan_and_special(kernels):
    k = kernels
    a = np.array([np.nan, 1.0, -2.0, 3.0, -0.0, -np.inf], np.float32)
    b = np.array([1.0, np.nan, 0.5, -1.0, 2.0, 2.0], np.float32)
    for op in ("BNN_MAX", "BNN_MIN", "BNN_PRELU", "BNN_ADD", "BNN_DIV"):
        out = np.empty(6, np.float32)
        k.lib.bnn_binary_f32(OP[op], 1, k.ints([6]), k.f32(a), k.ints([1]), k.f32(b), k.ints([1]), k.f32(out))
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(out, NP_BINARY[op](a, b).astype(np.float32), err_msg=op)
    # rank 0 and an empty dimension
    out = np.full(1, 7.0, np.float32)
    k.lib.bnn_binary_f32(OP["BNN_SUB"], 0, k.ints([]), k.f32(a[2:3].copy()), k.ints([]), k.f32(b[2:3].copy()),
                         k.ints([]), k.f32(out))
    assert out[0] == np.float32(-2.5)
    k.lib.bnn_binary_f32(OP["BNN_ADD"], 2, k.ints([3, 0]), k.f32(a), k.ints([0, 1]), k.f32(b), k.ints([0, 1]),
                         k.f32(out))
    assert out[0] == np.float32(-2.5)


def sigmoid64(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


NP_UNARY = {
    "BNN_RELU": lambda x: np.maximum(x, np.float32(0)), "BNN_NEG": np.negative, "BNN_ABS": np.abs,
    "BNN_SQRT": np.sqrt, "BNN_EXP": np.exp, "BNN_LOG": np.log, "BNN_SIGMOID": sigmoid64, "BNN_TANH": np.tanh,
    "BNN_ROUND": np.round, "BNN_CEIL": np.ceil, "BNN_FLOOR": np.floor, "BNN_RECIPROCAL": lambda x: np.float32(1) / x,
    "BNN_SIGN": np.sign, "BNN_IDENTITY": lambda x: x,
}
EXACT = {"BNN_RELU", "BNN_NEG", "BNN_ABS", "BNN_SQRT", "BNN_ROUND", "BNN_CEIL", "BNN_FLOOR", "BNN_RECIPROCAL",
         "BNN_SIGN", "BNN_IDENTITY"}


@pytest.mark.parametrize("op", list(NP_UNARY))
def test_unary(kernels, op):
    k = kernels
    rng = np.random.default_rng(OP[op])
    x = np.concatenate([
        (rng.standard_normal(500) * 4).astype(np.float32),
        np.array([0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -1.5, -2.5, 3.5, 1e-30, -1e-30, 88.0, -88.0, 100.0, -100.0,
                  2.0**23 + 1, -(2.0**23) - 1, 0.49999997, np.inf, -np.inf, np.nan], np.float32)])
    if op in ("BNN_SQRT", "BNN_LOG"):
        x = np.abs(x)
    out = np.empty_like(x)
    k.lib.bnn_unary_f32(OP[op], x.size, k.f32(x), k.f32(out))
    with np.errstate(all="ignore"):
        ref = NP_UNARY[op](x)
    if op in EXACT:
        np.testing.assert_array_equal(out, ref.astype(np.float32))
        if op == "BNN_ROUND":  # sign of zero kept, like numpy
            assert np.array_equal(np.signbit(out), np.signbit(ref))
    else:
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-30)
    # in place
    y = x.copy()
    k.lib.bnn_unary_f32(OP[op], y.size, k.f32(y), k.f32(y))
    np.testing.assert_array_equal(y, out)


def test_clip(kernels):
    k = kernels
    x = np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 7.0, np.nan, np.inf, -np.inf], np.float32)
    out = np.empty_like(x)
    k.lib.bnn_clip_f32(x.size, k.f32(x), -1.0, 1.0, k.f32(out))
    np.testing.assert_array_equal(out, np.clip(x, -1, 1))
    k.lib.bnn_clip_f32(x.size, k.f32(x), 0.0, float("inf"), k.f32(out))
    np.testing.assert_array_equal(out, np.clip(x, 0, np.inf))


@given(st.integers(1, 70), st.integers(1, 50), st.randoms(use_true_random=False))
def test_affine_channel(kernels, c, hw, rnd):
    k = kernels
    rng = np.random.default_rng(rnd.getrandbits(32))
    x = rng.standard_normal((c, hw)).astype(np.float32)
    s = rng.standard_normal(c).astype(np.float32)
    b = rng.standard_normal(c).astype(np.float32)
    out = np.empty_like(x)
    k.lib.bnn_affine_channel_f32(c, hw, k.f32(x), k.f32(s), k.f32(b), k.f32(out))
    # numpy float32: product rounded, then sum rounded -> must match bit for bit
    np.testing.assert_array_equal(out, (x * s[:, None]) + b[:, None])


def test_affine_channel_no_fma(kernels):
    k = kernels
    # (1+2^-12)^2 = 1 + 2^-11 + 2^-24 rounds (tie to even) to 1 + 2^-11
    x = np.array([[1.0 + 2.0**-12]], np.float32)
    s = np.array([1.0 + 2.0**-12], np.float32)
    b = np.array([-(1.0 + 2.0**-11)], np.float32)
    out = np.empty_like(x)
    k.lib.bnn_affine_channel_f32(1, 1, k.f32(x), k.f32(s), k.f32(b), k.f32(out))
    assert out[0, 0] == 0.0  # an FMA would give 2^-24


@given(st.integers(1, 20), st.integers(1, 30), st.integers(0, 9), st.booleans(), st.randoms(use_true_random=False))
def test_multithreshold(kernels, c, hw, t, channels_last, rnd):
    k = kernels
    rng = np.random.default_rng(rnd.getrandbits(32))
    thr = np.sort(rng.integers(-4, 5, size=(c, t)), axis=1).astype(np.float32) / 2
    x = (rng.integers(-10, 11, size=(c, hw)).astype(np.float32) / 4)  # many exact ties with thr
    x[rng.random(x.shape) < 0.05] = np.nan
    scale, bias = np.float32(0.5), np.float32(-1.5)
    counts = (x[:, :, None] >= thr[:, None, :]).sum(axis=2).astype(np.float32)
    ref = scale * counts + bias
    xin = np.ascontiguousarray(x.T) if channels_last else x
    out = np.empty_like(xin)
    k.lib.bnn_multithreshold_f32(c, hw, int(channels_last), k.f32(xin), t, k.f32(np.ascontiguousarray(thr)),
                                 float(scale), float(bias), k.f32(out))
    np.testing.assert_array_equal(out, ref.T if channels_last else ref)
