"""Float convolution and matmul vs numpy (float64) and onnxruntime."""
from __future__ import annotations

import numpy as np
import pytest

from .helpers import conv_ref, out_size, run_onnx_node


def conv_case(k, rng, c, h, w_, m, g, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, with_bias):
    oh, ow = out_size(h, kh, sh, dh, pt, pb), out_size(w_, kw, sw, dw, pl, pr)
    x = rng.standard_normal((c, h, w_)).astype(np.float32)
    wt = rng.standard_normal((m, c // g, kh, kw)).astype(np.float32)
    bias = rng.standard_normal(m).astype(np.float32) if with_bias else None
    p = k.struct("bnn_conv_params", C=c, H=h, W=w_, M=m, OH=oh, OW=ow, KH=kh, KW=kw, SH=sh, SW=sw, DH=dh, DW=dw,
                 PT=pt, PL=pl, G=g)
    out = np.full((m, oh, ow), np.nan, np.float32)
    k.lib.bnn_conv2d_f32(p, k.f32(x), k.f32(wt), k.f32(bias), k.f32(out))
    ref = conv_ref(x, wt, bias, g, sh, sw, dh, dw, pt, pl, oh, ow)
    # tolerance relative to the magnitude of the summed terms (cancellation-safe)
    scale = conv_ref(np.abs(x), np.abs(wt), None if bias is None else np.abs(bias), g, sh, sw, dh, dw, pt, pl, oh, ow)
    assert np.all(np.abs(out - ref) <= 1e-5 * scale + 1e-6), np.max(np.abs(out - ref))
    return x, wt, bias, out


def test_conv_random(kernels):
    rng = np.random.default_rng(0)
    n = 0
    while n < 100:
        g = int(rng.choice([1, 1, 2, 3]))
        c = g * int(rng.integers(1, 5))
        m = g * int(rng.integers(1, 4))
        kh, kw = (int(v) for v in rng.integers(1, 6, size=2))
        sh, sw, dh, dw = (int(v) for v in rng.integers(1, 3, size=4))
        h, w_ = (int(v) for v in rng.integers(1, 12, size=2))
        pt, pl, pb, pr = (int(v) for v in rng.integers(0, 3, size=4))
        if out_size(h, kh, sh, dh, pt, pb) < 1 or out_size(w_, kw, sw, dw, pl, pr) < 1:
            continue
        conv_case(kernels, rng, c, h, w_, m, g, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, bool(rng.integers(0, 2)))
        n += 1


@pytest.mark.parametrize("c,m,g,kernel,stride,dil,pads", [
    (3, 8, 1, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1)),
    (4, 6, 2, (3, 2), (2, 1), (1, 2), (0, 1, 2, 1)),
    (6, 6, 6, (3, 3), (2, 2), (1, 1), (1, 1, 1, 1)),     # depthwise
    (5, 7, 1, (1, 1), (2, 2), (1, 1), (0, 0, 0, 0)),
])
def test_conv_vs_onnxruntime(kernels, c, m, g, kernel, stride, dil, pads):
    pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(c * m)
    h, w_ = 9, 8
    x, wt, bias, out = conv_case(kernels, rng, c, h, w_, m, g, *kernel, *stride, *dil,
                                 pads[0], pads[1], pads[2], pads[3], True)
    ref = run_onnx_node("Conv", [x[None], wt, bias],
                        dict(group=g, kernel_shape=list(kernel), strides=list(stride), dilations=list(dil),
                             pads=list(pads)))[0][0]
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("M,K,N", [(1, 1, 1), (1, 784, 10), (3, 17, 300), (8, 64, 513), (5, 0, 4)])
@pytest.mark.parametrize("with_bias", [False, True])
def test_matmul(kernels, M, K, N, with_bias):
    k = kernels
    rng = np.random.default_rng(M * K + N)
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    bias = rng.standard_normal(N).astype(np.float32) if with_bias else None
    out = np.full((M, N), np.nan, np.float32)
    k.lib.bnn_matmul_f32(M, K, N, k.f32(a), k.f32(b), k.f32(bias), k.f32(out))
    ref = a.astype(np.float64) @ b.astype(np.float64) + (0 if bias is None else bias)
    scale = np.abs(a).astype(np.float64) @ np.abs(b) + (0 if bias is None else np.abs(bias))
    assert np.all(np.abs(out - ref) <= 1e-5 * scale + 1e-6)


def test_matmul_no_fma(kernels):
    """c += a*b must round the product first: values where a fused multiply-add would differ."""
    k = kernels
    # k=0 leaves c = -(1+2^-11); k=1 adds (1+2^-12)^2 = 1 + 2^-11 + 2^-24, which rounds (tie to even)
    # to 1 + 2^-11 on its own: c = 0, whereas an FMA keeps the 2^-24
    a = np.array([[1.0, 1.0 + 2.0**-12]], np.float32)
    b = np.array([[-(1.0 + 2.0**-11)], [1.0 + 2.0**-12]], np.float32)
    out = np.empty((1, 1), np.float32)
    k.lib.bnn_matmul_f32(1, 2, 1, k.f32(a), k.f32(b), k.ffi.NULL, k.f32(out))
    assert out[0, 0] == 0.0
