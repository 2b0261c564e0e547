"""Each bnncc TE kernel (bnncc/tvm/kernels.py) in isolation against its op's numpy
`reference` (bnncc/ops), built for llvm with a symbolic batch and run at two batch sizes:
random packed operands, channel counts that are not multiples of 64, padding of every kind,
strides, dilations, thresholds that are NaN or infinite, and products that a fused multiply-add
would round differently."""
from __future__ import annotations

import numpy as np
import pytest
from tvm_testing import require_tvm

tvm = require_tvm()

from tvm import te, tirx  # noqa: E402

from bnncc import bits  # noqa: E402
from bnncc.ops import OPS  # noqa: E402
from bnncc.tvm import kernels  # noqa: E402
from bnncc.tvm.build import target_spec  # noqa: E402
from bnncc.tvm.kernels import BinaryConv, Window  # noqa: E402

BATCHES = (1, 3)


def build(compute, *specs, cpu: str | None = None):
    """A callable running `compute` over placeholders made from specs (shape, dtype, batched)."""
    batch = tirx.Var("n", "int64")
    placeholders = [te.placeholder(((batch,) + tuple(shape[1:])) if batched else tuple(shape), dtype, name=f"in{i}")
                    for i, (shape, dtype, batched) in enumerate(specs)]
    outputs = compute(*placeholders)
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    target = target_spec("llvm", cpu=cpu)
    library = tvm.compile(te.create_prim_func(placeholders + outputs), target=tvm.target.Target(target))

    def run(*arrays, shapes):
        device = tvm.cpu()
        results = [tvm.runtime.empty(shape, out.dtype, device) for shape, out in zip(shapes, outputs)]
        library["main"](*[tvm.runtime.tensor(a, device) for a in arrays], *results)
        return [r.numpy() for r in results]

    return run


def random_pm1(rng, shape) -> np.ndarray:
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


def packed_activations(rng, n, c, h, w) -> np.ndarray:
    return bits.pack_nchw(random_pm1(rng, (n, c, h, w)))


def conv_attributes(window: Window) -> dict:
    return dict(kernel_shape=list(window.kernel), strides=list(window.strides), pads=list(window.pads),
                dilations=list(window.dilations))


CONV_CASES = [   # channels, out channels, map, window, pad_bit
    pytest.param(1, 5, (6, 7), Window((3, 3), pads=(1, 1, 1, 1)), -1, id="C1-pad1"),
    pytest.param(63, 70, (5, 5), Window((3, 3), strides=(2, 2), pads=(1, 1, 1, 1)), -1, id="C63-M70-stride2"),
    pytest.param(65, 64, (6, 5), Window((3, 2), pads=(2, 0, 1, 1)), -1, id="C65-asymmetric-pads"),
    pytest.param(130, 3, (7, 7), Window((3, 3), dilations=(2, 2), pads=(2, 2, 2, 2)), -1, id="C130-dilation2"),
    pytest.param(20, 9, (5, 6), Window((3, 3), pads=(1, 1, 1, 1)), 0, id="pad+1"),
    pytest.param(70, 9, (5, 6), Window((3, 3), pads=(1, 1, 1, 1)), 1, id="pad-1-C70"),
    pytest.param(64, 128, (4, 4), Window((1, 1)), -1, id="1x1"),
]


@pytest.mark.parametrize("channels,m,hw,window,pad_bit", CONV_CASES)
def test_binary_conv_accumulator(channels, m, hw, window, pad_bit):
    rng = np.random.default_rng(channels * 7 + m)
    weights = bits.pack_conv_weights(random_pm1(rng, (m, channels) + window.kernel))
    conv = BinaryConv(channels, window, pad_bit)
    out_h, out_w = window.output_size(*hw)
    words = bits.words(channels)
    run = build(lambda p, w: kernels.binary_conv(p, w, conv), ((1,) + hw + (words,), "uint64", True),
                (kernels.weight_layout(weights).shape, "uint64", False))
    for n in BATCHES:
        p = packed_activations(rng, n, channels, *hw)
        (ours,) = run(p, kernels.weight_layout(weights), shapes=[(n, m, out_h, out_w)])
        (theirs,) = OPS["BinaryConvPacked"].reference(p, weights, channels=channels, pad_bit=pad_bit,
                                                      **conv_attributes(window))
        assert np.array_equal(ours, theirs)


def thresholds_with_specials(rng, m, low, high):
    """Integer-valued thresholds in [low, high] (ties are reachable), with NaN (never +1), ±inf and
    falling channels."""
    t = rng.integers(low, high, m).astype(np.float32)
    d = np.where(rng.random(m) < 0.3, -1, 1).astype(np.int8)
    t[0], t[1 % m], t[2 % m] = np.nan, np.inf, -np.inf
    return t, d


def lowering_constants(t, d):
    """What lower.py hands the kernels: a NaN threshold as direction 0."""
    never = np.isnan(t)
    return np.where(never, 0, t).astype(np.float32), np.where(never, 0, d).astype(np.int8)


@pytest.mark.parametrize("channels,m", [(64, 64), (33, 70), (128, 5)])
def test_binary_conv_packs_threshold_bits(channels, m):
    rng = np.random.default_rng(m)
    window = Window((3, 3), pads=(1, 1, 1, 1))
    weights = bits.pack_conv_weights(random_pm1(rng, (m, channels, 3, 3)))
    t, d = thresholds_with_specials(rng, m, -channels, channels)
    conv = BinaryConv(channels, window)
    run = build(lambda p, w, t_, d_: kernels.binary_conv(p, w, conv, thresholds=t_, directions=d_),
                ((1, 5, 6, bits.words(channels)), "uint64", True), (weights.transpose(1, 2, 3, 0).shape, "uint64", False),
                ((m,), "float32", False), ((m,), "int8", False))
    for n in BATCHES:
        p = packed_activations(rng, n, channels, 5, 6)
        (ours,) = run(p, kernels.weight_layout(weights), *lowering_constants(t, d), shapes=[(n, 5, 6, bits.words(m))])
        (theirs,) = OPS["BinaryConvPacked"].reference(p, weights, t, d, channels=channels, pad_bit=-1,
                                                      **conv_attributes(window))
        assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("residual,packed,second", [(False, False, None), (True, False, None), (True, True, None),
                                                   (False, True, None), (True, True, "R2"), (False, False, "S2")])
def test_binary_conv_affine(residual, packed, second):
    """The affine output stage, with and without the residual, the packed bits, and the second
    stage (second: "S2" scale and bias, "R2" also its residual)."""
    rng = np.random.default_rng(int(residual) * 2 + int(packed) + 4 * bool(second))
    channels, m, window = 96, 70, Window((3, 3), strides=(2, 2), pads=(1, 1, 1, 1))
    weights = bits.pack_conv_weights(random_pm1(rng, (m, channels, 3, 3)))
    scale, scale2 = rng.normal(0, 0.1, m).astype(np.float32), rng.normal(0, 0.7, m).astype(np.float32)
    bias, bias2 = rng.normal(0, 1, m).astype(np.float32), rng.normal(0, 1, m).astype(np.float32)
    t, d = thresholds_with_specials(rng, m, -2, 2)
    t = (t + rng.normal(0, 0.5, m)).astype(np.float32)
    conv = BinaryConv(channels, window)
    out_h, out_w = window.output_size(7, 6)
    plane = ((1, m, out_h, out_w), "float32", True)
    specs = [((1, 7, 6, 2), "uint64", True), (kernels.weight_layout(weights).shape, "uint64", False),
             ((m,), "float32", False), ((m,), "float32", False)]
    specs += [plane] if residual else []
    specs += [((m,), "float32", False), ((m,), "float32", False)] if second else []
    specs += [plane] if second == "R2" else []
    specs += [((m,), "float32", False), ((m,), "int8", False)] if packed else []

    def compute(p, w, s, b, *rest):
        rest = list(rest)
        r = rest.pop(0) if residual else None
        stage2 = (rest.pop(0), rest.pop(0), rest.pop(0) if second == "R2" else None) if second else None
        return kernels.binary_conv(p, w, conv, s, b, r, *(rest or [None, None]), product=kernels.fenced_product,
                                   second=stage2)

    run = build(compute, *specs, cpu="native")
    for n in BATCHES:
        p = packed_activations(rng, n, channels, 7, 6)
        r, r2 = (rng.normal(0, 3, (n, m, out_h, out_w)).astype(np.float32) for _ in range(2))
        arrays = [p, kernels.weight_layout(weights), scale, bias] + ([r] if residual else [])
        arrays += [scale2, bias2] if second else []
        arrays += [r2] if second == "R2" else []
        arrays += list(lowering_constants(t, d)) if packed else []
        shapes = [(n, m, out_h, out_w)] + ([(n, out_h, out_w, 2)] if packed else [])
        ours = run(*arrays, shapes=shapes)
        theirs = OPS["BinaryConvAffine"].reference(
            p, weights, scale, bias, r if residual else None, scale2=scale2 if second else None,
            bias2=bias2 if second else None, residual2=r2 if second == "R2" else None,
            thresholds=t if packed else None, directions=d if packed else None, channels=channels, pad_bit=-1,
            **conv_attributes(window))
        for a, b in zip(ours, theirs):
            assert np.array_equal(a, b)


def test_binary_dense_affine():
    """A dense layer (the kernel covers the map; [N, M] float out) with a residual."""
    rng = np.random.default_rng(5)
    channels, m = 50, 33
    weights = bits.pack_conv_weights(random_pm1(rng, (m, channels, 3, 2)))
    scale, bias = rng.normal(0, 1, m).astype(np.float32), rng.normal(0, 1, m).astype(np.float32)
    conv = BinaryConv(channels, Window((3, 2)), dense=True)
    run = build(lambda p, w, s, b, r: kernels.binary_conv(p, w, conv, s, b, r, product=kernels.fenced_product),
                ((1, 3, 2, 1), "uint64", True), (kernels.weight_layout(weights).shape, "uint64", False),
                ((m,), "float32", False), ((m,), "float32", False), ((1, m), "float32", True))
    for n in BATCHES:
        p = packed_activations(rng, n, channels, 3, 2)
        r = rng.normal(0, 1, (n, m)).astype(np.float32)
        (ours,) = run(p, kernels.weight_layout(weights), scale, bias, r, shapes=[(n, m)])
        (theirs,) = OPS["BinaryConvAffine"].reference(p, weights, scale, bias, r, channels=channels, pad_bit=-1,
                                                      kernel_shape=[3, 2], dense=1)
        assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("shape", [(1, 70, 5, 4), (1, 64, 3, 3), (1, 130)], ids=["C70", "C64", "rank2-C130"])
def test_threshold_pack_and_pack_bits(shape):
    rng = np.random.default_rng(len(shape))
    c = shape[1]
    t, d = thresholds_with_specials(rng, c, -1, 2)
    t = (t * 0.5).astype(np.float32)
    packed_shape = lambda n: (n,) + ((shape[2], shape[3]) if len(shape) == 4 else (1, 1)) + (bits.words(c),)  # noqa: E731
    run_threshold = build(kernels.threshold_pack, (shape, "float32", True), ((c,), "float32", False),
                          ((c,), "int8", False))
    run_pack = build(kernels.pack_bits, (shape, "float32", True))
    for n in BATCHES:
        x = rng.normal(0, 1, (n,) + shape[1:]).astype(np.float32)
        x.reshape(n, c, -1)[:, 3] = t[3]               # values exactly on a threshold
        (ours,) = run_threshold(x, *lowering_constants(t, d), shapes=[packed_shape(n)])
        assert np.array_equal(ours, OPS["ThresholdPack"].reference(x, t, d)[0])
        pm1 = random_pm1(rng, x.shape)
        (ours,) = run_pack(pm1, shapes=[packed_shape(n)])
        assert np.array_equal(ours, OPS["PackBits"].reference(pm1)[0])


@pytest.mark.parametrize("rule", ["ge", "gt", "le", "lt"])
def test_sign_and_threshold(rule):
    rng = np.random.default_rng(1)
    shape = (1, 5, 3, 4)
    x_of = lambda n: np.where(rng.random((n,) + shape[1:]) < 0.3, 0, rng.normal(0, 1, (n,) + shape[1:])).astype(np.float32)  # noqa: E731
    run = build(lambda x: kernels.sign(x, rule), (shape, "float32", True))
    t, d = thresholds_with_specials(rng, 5, -1, 1)
    run_threshold = build(kernels.threshold, (shape, "float32", True), ((5,), "float32", False), ((5,), "int8", False))
    for n in BATCHES:
        x = x_of(n)
        (ours,) = run(x, shapes=[x.shape])
        assert np.array_equal(ours, OPS["Sign"].reference(x, rule=rule)[0])
        (ours,) = run_threshold(x, *lowering_constants(t, d), shapes=[x.shape])
        assert np.array_equal(ours, OPS["Threshold"].reference(x, t, d)[0])


@pytest.mark.parametrize("window", [Window((2, 2), strides=(2, 2)), Window((3, 3), strides=(2, 2), pads=(1, 1, 1, 1))],
                         ids=["2x2", "3x3-pad1"])
def test_binary_maxpool(window):
    rng = np.random.default_rng(2)
    channels, hw = 100, (7, 6)
    out_h, out_w = window.output_size(*hw)
    run = build(lambda p: kernels.binary_maxpool(p, window), ((1,) + hw + (2,), "uint64", True))
    for n in BATCHES:
        p = packed_activations(rng, n, channels, *hw)
        (ours,) = run(p, shapes=[(n, out_h, out_w, 2)])
        assert np.array_equal(ours, OPS["BinaryMaxPool"].reference(p, channels=channels, **conv_attributes(window))[0])


def fma_sensitive(rng, shape, c):
    """x, s, b (per channel axis 1) where x*s + b rounded once differs from the rounded product
    plus b in many elements: x*s has bits below float32 precision that b's addition exposes."""
    x = rng.normal(0, 1, shape).astype(np.float32)
    s = (1 + rng.integers(1, 2 ** 20, c) * 2.0 ** -23).astype(np.float32)
    view = (1, -1) + (1,) * (len(shape) - 2)
    b = (-(x.astype(np.float64) * s.reshape(view)).mean(axis=tuple(i for i in range(len(shape)) if i != 1))).astype(np.float32)
    fused = (x.astype(np.float64) * s.reshape(view) + b.reshape(view)).astype(np.float32)
    separate = ((x * s.reshape(view)).astype(np.float32) + b.reshape(view)).astype(np.float32)
    assert np.count_nonzero(fused != separate) > 0
    return x, s, b


def test_channel_affine_rounds_like_the_reference_even_with_fma():
    """Built for this CPU (FMA where it has it): the product must still be rounded on its own."""
    rng = np.random.default_rng(3)
    shape, c = (1, 8, 5, 5), 8
    t, d = thresholds_with_specials(rng, c, -1, 1)
    for residual in (False, True):
        def compute(x, s, b, *rest):
            r = rest[0] if residual else None
            return kernels.channel_affine(x, s, b, r, *rest[len(rest) - 2:], product=kernels.fenced_product)
        specs = [(shape, "float32", True), ((c,), "float32", False), ((c,), "float32", False)]
        specs += [(shape, "float32", True)] if residual else []
        specs += [((c,), "float32", False), ((c,), "int8", False)]
        run = build(compute, *specs, cpu="native")
        for n in BATCHES:
            x, s, b = fma_sensitive(rng, (n,) + shape[1:], c)
            r = rng.normal(0, 1, x.shape).astype(np.float32)
            ours = run(x, s, b, *([r] if residual else []), *lowering_constants(t, d),
                       shapes=[x.shape, (n, 5, 5, 1)])
            theirs = OPS["ChannelAffine"].reference(x, s, b, r if residual else None, t, d)
            for a, e in zip(ours, theirs):
                assert np.array_equal(a, e)


def test_maxpool_affine_with_negative_scales():
    rng = np.random.default_rng(4)
    window = Window((3, 3), strides=(2, 2), pads=(1, 1, 1, 1))
    x0, s, b = fma_sensitive(rng, (1, 6, 9, 8), 6)
    s[::2] *= -1
    run = build(lambda x, s_, b_: kernels.maxpool_affine(x, s_, b_, window, product=kernels.fenced_product),
                ((1, 6, 9, 8), "float32", True), ((6,), "float32", False), ((6,), "float32", False), cpu="native")
    for n in BATCHES:
        x = np.concatenate([x0] * n) + np.float32(n)
        (ours,) = run(x, s, b, shapes=[(n, 6, 5, 4)])
        assert np.array_equal(ours, OPS["MaxPoolAffine"].reference(x, s, b, **conv_attributes(window))[0])


@pytest.mark.parametrize("channels_last", [False, True])
def test_multithreshold(channels_last):
    rng = np.random.default_rng(6)
    shape = (1, 4, 5, 3) if channels_last else (1, 3, 4, 5)
    thresholds = np.sort(rng.integers(-3, 4, (3, 4)).astype(np.float32), axis=1)
    run = build(lambda x, t: kernels.multithreshold(x, t, 2.0, -1.5, channels_last, product=kernels.fenced_product),
                (shape, "float32", True), (thresholds.shape, "float32", False))
    for n in BATCHES:
        x = rng.integers(-4, 5, (n,) + shape[1:]).astype(np.float32)       # values on the thresholds
        (ours,) = run(x, thresholds, shapes=[x.shape])
        theirs = OPS["MultiThreshold"].reference(x, thresholds, out_scale=2.0, out_bias=-1.5,
                                                 channels_last=int(channels_last))[0]
        assert np.array_equal(ours, theirs)


def float_conv_in_order(x, w, window: Window, bias=None) -> np.ndarray:
    """ONNX Conv (group 1) in float32, summed over (rc, ry, rx) in that order, each product rounded
    to float32 before it is added, then + bias: the roundings `kernels.float_conv` makes."""
    (kh, kw), (sy, sx), (dy, dx), (pt, pl, pb, pr) = window.kernel, window.strides, window.dilations, window.pads
    n, channels, height, width = x.shape
    out_h, out_w = window.output_size(height, width)
    padded = np.zeros((n, channels, height + pt + pb, width + pl + pr), np.float32)
    padded[:, :, pt:pt + height, pl:pl + width] = x
    acc = np.zeros((n, w.shape[0], out_h, out_w), np.float32)
    for rc in range(channels):
        for ry in range(kh):
            for rx in range(kw):
                rows = slice(ry * dy, ry * dy + (out_h - 1) * sy + 1, sy)
                cols = slice(rx * dx, rx * dx + (out_w - 1) * sx + 1, sx)
                acc = acc + padded[:, None, rc, rows, cols] * w[None, :, rc, ry, rx, None, None]
    return acc if bias is None else acc + bias.reshape(1, -1, 1, 1)


@pytest.mark.parametrize("channels, m, hw, window, with_bias", [
    pytest.param(3, 16, (19, 22), Window((7, 7), strides=(2, 2), pads=(3, 3, 3, 3)), False, id="stem-7x7-s2"),
    pytest.param(5, 8, (9, 7), Window((3, 2), dilations=(2, 1), pads=(2, 0, 1, 1)), True, id="dilated-asymmetric-bias"),
    pytest.param(6, 24, (5, 5), Window((1, 1)), False, id="1x1"),
])
def test_float_conv_sums_in_topi_order(channels, m, hw, window, with_bias):
    """kernels.float_conv (the CUDA float conv, built here for llvm with fenced products) gives the
    float32 sums of the (rc, ry, rx) order bit for bit, and equals ONNX Conv (onnx's reference)
    within float32 rounding; the zero padding reads no value from outside the map (NaN there would
    show)."""
    from onnx.reference.ops.op_conv import Conv

    rng = np.random.default_rng(channels)
    w = rng.normal(0, 1, (m, channels) + window.kernel).astype(np.float32)
    bias = rng.normal(0, 1, m).astype(np.float32) if with_bias else None
    out_h, out_w = window.output_size(*hw)
    specs = [((1, channels) + hw, "float32", True), (w.shape, "float32", False)] + \
        ([((m,), "float32", False)] if with_bias else [])
    run = build(lambda *t: kernels.float_conv(*t, window=window, product=kernels.fenced_product), *specs)
    for n in BATCHES:
        x = rng.normal(0, 1, (n, channels) + hw).astype(np.float32)
        (ours,) = run(x, w, *([bias] if with_bias else []), shapes=[(n, m, out_h, out_w)])
        assert np.array_equal(ours, float_conv_in_order(x, w, window, bias))
        onnx_pads = [window.pads[0], window.pads[1], window.pads[2], window.pads[3]]
        theirs = Conv.eval(x, w, *([bias] if with_bias else []), kernel_shape=list(window.kernel),
                           strides=list(window.strides), dilations=list(window.dilations), pads=onnx_pads)
        assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-5)
