"""pack / unpack / binarize against numpy, with hypothesis."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .helpers import nwords, pack_bits, tail_bits, unpack_bits


def decision_bits(x, thr, d):
    """x [C][HW] -> bit (True = -1) [C][HW] per the spec (NaN -> -1)."""
    with np.errstate(invalid="ignore"):
        plus = np.where(d[:, None] > 0, x >= thr[:, None], x <= thr[:, None])
    return ~plus


@st.composite
def pack_case(draw):
    c = draw(st.integers(1, 200))
    hw = draw(st.integers(1, 80))
    # small value set so ties x == thr are frequent; plus NaN and +-inf
    vals = st.sampled_from([-2.0, -1.0, -0.5, 0.0, -0.0, 0.5, 1.0, 2.0, np.nan, np.inf, -np.inf])
    x = draw(hnp.arrays(np.float32, (c, hw), elements=st.one_of(vals, st.floats(-3, 3, width=32))))
    thr = draw(hnp.arrays(np.float32, (c,), elements=st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0])))
    d = draw(hnp.arrays(np.int8, (c,), elements=st.sampled_from([-1, 0, 1, 5, -7])))
    return x, thr, d


@given(pack_case())
def test_pack_unpack_binarize(kernels, case):
    x, thr, d = case
    c, hw = x.shape
    k = kernels
    out = np.full((hw, nwords(c)), 0xDEADBEEF, dtype=np.uint64)
    k.lib.bnn_pack_threshold_f32(k.f32(x), c, hw, k.f32(thr), k.i8(d), k.words(out))
    bits = decision_bits(x, thr, d)
    np.testing.assert_array_equal(out, pack_bits(bits.T))
    assert not tail_bits(out, c).any()
    np.testing.assert_array_equal(unpack_bits(out, c).T, bits)

    split = np.full_like(out, 0xDEADBEEF)
    middle = hw // 3
    for begin, end in ((0, middle), (middle, hw)):      # two threads' shares make the whole
        k.lib.bnn_pack_threshold_range_f32(k.f32(x), c, hw, begin, end, k.f32(thr), k.i8(d), k.words(split))
    np.testing.assert_array_equal(split, out)

    un = np.empty((c, hw), np.float32)
    k.lib.bnn_unpack_f32(k.words(out), c, hw, k.f32(un))
    expect = np.where(bits, -1.0, 1.0).astype(np.float32)
    np.testing.assert_array_equal(un, expect)

    bz = np.empty((c, hw), np.float32)
    k.lib.bnn_binarize_f32(k.f32(x), c, hw, k.f32(thr), k.i8(d), k.f32(bz))
    np.testing.assert_array_equal(bz, expect)

    # round trip: packing the +-1 floats (threshold 0, dir +1) gives the same words
    again = np.empty_like(out)
    k.lib.bnn_pack_threshold_f32(k.f32(un), c, hw, k.f32(np.zeros(c, np.float32)),
                                 k.i8(np.ones(c, np.int8)), k.words(again))
    np.testing.assert_array_equal(again, out)


@given(st.integers(1, 150), st.integers(1, 20), st.randoms(use_true_random=False))
def test_unpack_ignores_tail_garbage(kernels, c, hw, rnd):
    k = kernels
    rng = np.random.default_rng(rnd.getrandbits(32))
    words = rng.integers(0, 2**64, size=(hw, nwords(c)), dtype=np.uint64)
    un = np.empty((c, hw), np.float32)
    k.lib.bnn_unpack_f32(k.words(words), c, hw, k.f32(un))
    np.testing.assert_array_equal(un, np.where(unpack_bits(words, c).T, -1.0, 1.0))


def test_threshold_ties_and_nan(kernels):
    k = kernels
    x = np.array([[1.0, 0.5, 0.0, np.nan, -np.inf, np.inf]] * 2, np.float32)
    thr = np.array([0.5, 0.5], np.float32)
    d = np.array([1, -1], np.int8)
    out = np.empty((6, 1), np.uint64)
    k.lib.bnn_pack_threshold_f32(k.f32(x), 2, 6, k.f32(thr), k.i8(d), k.words(out))
    bits = unpack_bits(out, 2).T  # [C][HW], True = -1
    # dir +1: x >= 0.5 -> +1 ; tie 0.5 -> +1 ; NaN -> -1
    assert bits[0].tolist() == [False, False, True, True, True, False]
    # dir -1: x <= 0.5 -> +1 ; tie -> +1 ; NaN -> -1
    assert bits[1].tolist() == [True, False, False, True, False, True]


@pytest.mark.parametrize("c,hw", [(1, 1), (5, 70), (64, 9), (65, 130), (130, 3)])
@pytest.mark.parametrize("with_residual", [False, True])
def test_affine_residual_pack_matches_stepwise_float32(kernels, c, hw, with_residual):
    """BN (x*s + b) then + residual, each step rounded like onnxruntime; bits packed in the same pass."""
    k = kernels
    rng = np.random.default_rng(c * 1000 + hw)
    x = (rng.standard_normal((c, hw)) * 50).astype(np.float32)
    scale = rng.standard_normal(c).astype(np.float32)
    bias = rng.standard_normal(c).astype(np.float32)
    residual = rng.standard_normal((c, hw)).astype(np.float32)
    thr = rng.standard_normal(c).astype(np.float32)
    d = rng.choice(np.array([-1, 1], np.int8), size=c)
    expected = (x * scale[:, None]).astype(np.float32) + bias[:, None]
    if with_residual:
        expected = (expected + residual).astype(np.float32)
    y = np.full((c, hw), np.nan, np.float32)
    bits = np.full((hw, nwords(c)), 0xDEADBEEF, np.uint64)
    r = k.f32(residual) if with_residual else k.ffi.NULL
    for begin, end in ((0, hw // 2), (hw // 2, hw)):
        k.lib.bnn_affine_pack_range_f32(c, hw, begin, end, k.f32(x), k.f32(scale), k.f32(bias), r, k.f32(y),
                                        k.f32(thr), k.i8(d), k.words(bits))
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(bits, pack_bits(decision_bits(expected, thr, d).T))
    plain = np.full((c, hw), np.nan, np.float32)
    k.lib.bnn_affine_pack_range_f32(c, hw, 0, hw, k.f32(x), k.f32(scale), k.f32(bias), r, k.f32(plain),
                                    k.ffi.NULL, k.ffi.NULL, k.ffi.NULL)
    np.testing.assert_array_equal(plain, expected)
