"""Packed max-pool vs float max-pool; float pools vs numpy and onnxruntime."""
from __future__ import annotations

import numpy as np
import pytest

from .helpers import (nwords, out_size, packed_to_pm1_chw, pad_to, pm1_to_packed_chw, run_onnx_node, tail_bits,
                      windows)


def pool_ref(x, kind, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, count_include_pad=0):
    """float64 reference; x [C][H][W]."""
    x = x.astype(np.float64)
    if kind == "max":
        xp = pad_to(x, pt, pl, oh, ow, kh, kw, sh, sw, dh, dw, -np.inf)
        return np.max(np.stack([v for _, _, v in windows(xp, kh, kw, sh, sw, dh, dw, oh, ow)]), axis=0)
    xp = pad_to(x, pt, pl, oh, ow, kh, kw, sh, sw, dh, dw, 0.0)
    ones = pad_to(np.ones_like(x[:1]), pt, pl, oh, ow, kh, kw, sh, sw, dh, dw, 0.0)
    s = sum(v for _, _, v in windows(xp, kh, kw, sh, sw, dh, dw, oh, ow))
    if count_include_pad:
        return s / (kh * kw)
    n = sum(v for _, _, v in windows(ones, kh, kw, sh, sw, dh, dw, oh, ow))
    return np.where(n > 0, s / np.maximum(n, 1), 0.0)


def random_geoms(rng, count, max_pad=2):
    out = []
    while len(out) < count:
        c = int(rng.choice([1, 3, 63, 64, 65, 130]))
        kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
        sh, sw, dh, dw = (int(v) for v in rng.integers(1, 3, size=4))
        h, w = (int(v) for v in rng.integers(1, 9, size=2))
        pt, pl, pb, pr = (int(v) for v in rng.integers(0, max_pad + 1, size=4))
        oh, ow = out_size(h, kh, sh, dh, pt, pb), out_size(w, kw, sw, dw, pl, pr)
        if oh < 1 or ow < 1:
            continue
        # every window must hold an in-bounds tap (an empty one is an edge case tested apart)
        ones = pad_to(np.ones((1, h, w)), pt, pl, oh, ow, kh, kw, sh, sw, dh, dw, 0.0)
        if (sum(v for _, _, v in windows(ones, kh, kw, sh, sw, dh, dw, oh, ow)) == 0).any():
            continue
        out.append(dict(C=c, H=h, W=w, OH=oh, OW=ow, KH=kh, KW=kw, SH=sh, SW=sw, DH=dh, DW=dw, PT=pt, PL=pl))
    return out


def ref_args(g):
    return (g["KH"], g["KW"], g["SH"], g["SW"], g["DH"], g["DW"], g["PT"], g["PL"], g["OH"], g["OW"])


def test_bmaxpool_vs_float(kernels):
    k = kernels
    rng = np.random.default_rng(3)
    for g in random_geoms(rng, 150):
        p = k.struct("bnn_pool_params", **g)
        x = rng.choice(np.array([-1.0, 1.0], np.float32), size=(g["C"], g["H"], g["W"]))
        # bias towards -1 so that "all -1 in a window" happens
        x = np.where(rng.random(x.shape) < 0.7, -1.0, x).astype(np.float32)
        xin = pm1_to_packed_chw(x)
        out = np.full((g["OH"], g["OW"], nwords(g["C"])), 0x5A5A5A5A5A5A5A5A, np.uint64)
        k.lib.bnn_bmaxpool(p, k.words(xin), k.words(out))
        assert not tail_bits(out, g["C"]).any()
        rows = np.full_like(out, 0x5A5A5A5A5A5A5A5A)
        for begin, end in ((0, g["OH"] // 2), (g["OH"] // 2, g["OH"])):
            k.lib.bnn_bmaxpool_rows(p, k.words(xin), begin, end, k.words(rows))
        np.testing.assert_array_equal(rows, out)
        got = packed_to_pm1_chw(out, g["C"]).astype(np.float32)
        fl = np.empty((g["C"], g["OH"], g["OW"]), np.float32)
        k.lib.bnn_maxpool_f32(p, k.f32(x), k.f32(fl))
        np.testing.assert_array_equal(got, fl)
        np.testing.assert_array_equal(fl, pool_ref(x, "max", *ref_args(g)))


def test_bmaxpool_empty_window_is_minus_one(kernels):
    k = kernels
    g = dict(C=70, H=1, W=1, OH=3, OW=1, KH=1, KW=1, SH=1, SW=1, DH=1, DW=1, PT=1, PL=0)
    x = np.ones((70, 1, 1), np.float32)
    out = np.zeros((3, 1, 2), np.uint64)
    k.lib.bnn_bmaxpool(k.struct("bnn_pool_params", **g), k.words(pm1_to_packed_chw(x)), k.words(out))
    got = packed_to_pm1_chw(out, 70)
    assert (got[:, 0] == -1).all() and (got[:, 1] == 1).all() and (got[:, 2] == -1).all()
    assert not tail_bits(out, 70).any()


@pytest.mark.parametrize("cip", [0, 1])
def test_float_pools_vs_numpy(kernels, cip):
    k = kernels
    rng = np.random.default_rng(10 + cip)
    for g in random_geoms(rng, 120):
        p = k.struct("bnn_pool_params", **g)
        x = rng.standard_normal((g["C"], g["H"], g["W"])).astype(np.float32)
        mx = np.empty((g["C"], g["OH"], g["OW"]), np.float32)
        k.lib.bnn_maxpool_f32(p, k.f32(x), k.f32(mx))
        np.testing.assert_array_equal(mx, pool_ref(x, "max", *ref_args(g)).astype(np.float32))
        av = np.empty_like(mx)
        k.lib.bnn_avgpool_f32(p, cip, k.f32(x), k.f32(av))
        np.testing.assert_allclose(av, pool_ref(x, "avg", *ref_args(g), count_include_pad=cip),
                                   rtol=1e-5, atol=1e-6)


def test_global_avgpool(kernels):
    k = kernels
    rng = np.random.default_rng(4)
    for c, hw in [(1, 1), (3, 49), (64, 7), (130, 196)]:
        x = rng.standard_normal((c, hw)).astype(np.float32)
        out = np.empty(c, np.float32)
        k.lib.bnn_global_avgpool_f32(c, hw, k.f32(x), k.f32(out))
        np.testing.assert_allclose(out, x.astype(np.float64).mean(axis=1), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op,cip", [("MaxPool", 0), ("AveragePool", 0), ("AveragePool", 1)])
def test_float_pools_vs_onnxruntime(kernels, op, cip):
    pytest.importorskip("onnxruntime")
    k = kernels
    rng = np.random.default_rng(20 + cip)
    for c, h, w, kh, kw, s, pads in [(3, 8, 7, 3, 3, 2, (1, 1, 1, 1)), (5, 6, 6, 2, 3, 1, (0, 1, 1, 2)),
                                     (2, 9, 9, 3, 2, 3, (1, 0, 1, 1))]:
        x = rng.standard_normal((1, c, h, w)).astype(np.float32)
        attrs = dict(kernel_shape=[kh, kw], strides=[s, s], pads=list(pads))
        if op == "AveragePool":
            attrs["count_include_pad"] = cip
        ref = run_onnx_node(op, [x], attrs)[0][0]
        oh, ow = ref.shape[1:]
        g = dict(C=c, H=h, W=w, OH=oh, OW=ow, KH=kh, KW=kw, SH=s, SW=s, DH=1, DW=1, PT=pads[0], PL=pads[1])
        out = np.empty((c, oh, ow), np.float32)
        p = k.struct("bnn_pool_params", **g)
        if op == "MaxPool":
            k.lib.bnn_maxpool_f32(p, k.f32(x[0]), k.f32(out))
        else:
            k.lib.bnn_avgpool_f32(p, cip, k.f32(x[0]), k.f32(out))
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


def test_maxpool_affine_equals_affine_then_maxpool_exactly(kernels):
    """max-pool commutes with the rounded per-channel affine map (min-pool when the scale is negative)."""
    k = kernels
    rng = np.random.default_rng(11)
    for g in random_geoms(rng, 80):
        p = k.struct("bnn_pool_params", **g)
        x = (rng.standard_normal((g["C"], g["H"], g["W"])) * 100).astype(np.float32)
        scale = rng.standard_normal(g["C"]).astype(np.float32)
        scale[::3] *= -1
        scale[::5] = 0.0
        bias = rng.standard_normal(g["C"]).astype(np.float32)
        affine = ((x * scale[:, None, None]).astype(np.float32) + bias[:, None, None]).astype(np.float32)
        expected = np.empty((g["C"], g["OH"], g["OW"]), np.float32)
        k.lib.bnn_maxpool_f32(p, k.f32(affine), k.f32(expected))
        fused = np.full_like(expected, np.nan)
        k.lib.bnn_maxpool_affine_f32(p, k.f32(x), k.f32(scale), k.f32(bias), k.f32(fused))
        np.testing.assert_array_equal(fused, expected)
