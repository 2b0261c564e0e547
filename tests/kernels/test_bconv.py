"""Binary convolution on packed data vs a +-1 integer convolution of the unpacked tensors."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from .helpers import PAD_ZERO, nwords, out_size, pack_bits, pad_to, pm1_to_packed_chw, tail_bits, unpack_bits, windows

PAD_VALUE = {PAD_ZERO: 0, 0: 1, 1: -1}


def bconv_ref(x, w, sh, sw, dh, dw, pt, pl, oh, ow, pad_bit):
    """x int +-1 [C][H][W], w int +-1 [M][C][KH][KW] -> acc int64 [M][OH][OW]."""
    m, c, kh, kw = w.shape
    xp = pad_to(x.astype(np.int64), pt, pl, oh, ow, kh, kw, sh, sw, dh, dw, PAD_VALUE[pad_bit])
    acc = np.zeros((m, oh, ow), np.int64)
    for i, j, view in windows(xp, kh, kw, sh, sw, dh, dw, oh, ow):
        acc += np.einsum("mc,cyx->myx", w[:, :, i, j].astype(np.int64), view)
    return acc


def pack_weights(w):
    """int +-1 [M][C][KH][KW] -> packed [M][KH][KW][words(C)]."""
    return pack_bits(np.transpose(w, (0, 2, 3, 1)) < 0)


def run_bconv(k, rng, c, h, w_, m, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, pad_bit):
    oh = out_size(h, kh, sh, dh, pt, pb)
    ow = out_size(w_, kw, sw, dw, pl, pr)
    assert oh >= 1 and ow >= 1
    x = rng.choice(np.array([-1, 1]), size=(c, h, w_))
    wt = rng.choice(np.array([-1, 1]), size=(m, c, kh, kw))
    xin, win = pm1_to_packed_chw(x), pack_weights(wt)
    p = k.struct("bnn_bconv_params", C=c, H=h, W=w_, M=m, OH=oh, OW=ow, KH=kh, KW=kw, SH=sh, SW=sw,
                 DH=dh, DW=dw, PT=pt, PL=pl, pad_bit=pad_bit)
    ref = bconv_ref(x, wt, sh, sw, dh, dw, pt, pl, oh, ow, pad_bit)

    out = np.full((m, oh, ow), np.nan, np.float32)
    k.lib.bnn_bconv_f32(p, k.words(xin), k.words(win), k.f32(out))
    np.testing.assert_array_equal(out, ref.astype(np.float32))

    # thresholds taken from actual accumulator values, so that acc == thr ties occur
    pix = rng.integers(0, oh * ow, size=m)
    thr = (ref.reshape(m, -1)[np.arange(m), pix] + rng.integers(-1, 2, size=m)).astype(np.int32)
    d = rng.choice(np.array([-1, 0, 1], np.int8), size=m).astype(np.int8)
    bits = np.full((oh, ow, nwords(m)), 0xA5A5A5A5A5A5A5A5, np.uint64)
    k.lib.bnn_bconv_bits(p, k.words(xin), k.words(win), k.i32(thr), k.i8(d), k.words(bits))
    plus = np.where(d[:, None, None] > 0, ref >= thr[:, None, None], ref <= thr[:, None, None])
    np.testing.assert_array_equal(unpack_bits(bits, m), np.moveaxis(~plus, 0, -1))
    assert not tail_bits(bits, m).any()

    # row ranges, as threads split a layer, give the same tensors
    split = oh // 2
    rows_f32 = np.full_like(out, np.nan)
    rows_bits = np.full_like(bits, 0xA5A5A5A5A5A5A5A5)
    for begin, end in ((0, split), (split, oh)):
        k.lib.bnn_bconv_f32_rows(p, k.words(xin), k.words(win), begin, end, k.f32(rows_f32))
        k.lib.bnn_bconv_bits_rows(p, k.words(xin), k.words(win), k.i32(thr), k.i8(d), begin, end, k.words(rows_bits))
    np.testing.assert_array_equal(rows_f32, out)
    np.testing.assert_array_equal(rows_bits, bits)

    # conv + the affine output stage (BatchNormalization, residual Add, a second scale and bias, a
    # second residual) fused, by row ranges
    for stage in affine_stages(rng, m, oh, ow):
        fused = np.full_like(out, np.nan)
        for begin, end in ((0, split), (split, oh)):
            k.lib.bnn_bconv_affine_f32_rows(p, k.words(xin), k.words(win), stage_struct(k.ffi, stage), begin, end,
                                            k.f32(fused))
        np.testing.assert_array_equal(fused, affine_ref(out, **stage))

    # ... and its output packed in the same pass, as bnn_pack_threshold_range_f32 packs it
    for stage in affine_stages(rng, m, oh, ow):
        want = affine_ref(out, **stage)
        fthr, fdir = pack_operands(rng, want)
        want_bits = pack_threshold_ref(k, want, fthr, fdir)
        y = np.full_like(out, np.nan)
        got = np.full((oh, ow, nwords(m)), 0xA5A5A5A5A5A5A5A5, np.uint64)
        for begin, end in ((0, split), (split, oh)):
            k.lib.bnn_bconv_affine_pack_rows(p, k.words(xin), k.words(win), stage_struct(k.ffi, stage), k.f32(fthr),
                                             k.i8(fdir), begin, end, k.f32(y), k.words(got))
        np.testing.assert_array_equal(y, want)
        np.testing.assert_array_equal(got, want_bits)
        assert not tail_bits(got, m).any()


def pack_operands(rng, y):
    """Float thresholds for y [M][OH][OW] and directions -1/0/+1: mostly a value y takes (ties), else
    one ulp off it or a random value."""
    m = y.shape[0]
    flat = y.reshape(m, -1)
    thr = flat[np.arange(m), rng.integers(0, flat.shape[1], size=m)].astype(np.float32)
    kind = rng.integers(0, 6, size=m)
    thr = np.where(kind == 3, np.nextafter(thr, np.float32(np.inf)), thr)
    thr = np.where(kind == 4, np.nextafter(thr, np.float32(-np.inf)), thr)
    thr = np.where(kind == 5, (rng.standard_normal(m) * 10).astype(np.float32), thr).astype(np.float32)
    fdir = rng.choice(np.array([-1, 0, 1], np.int8), size=m).astype(np.int8)
    return np.ascontiguousarray(thr), np.ascontiguousarray(fdir)


def pack_threshold_ref(k, y, thr, fdir):
    """y [M][OH][OW] packed by the separate pass bnn_pack_threshold_range_f32 -> [OH][OW][words(M)],
    checked against numpy's decision."""
    m, oh, ow = y.shape
    out = np.full((oh, ow, nwords(m)), 0x5A5A5A5A5A5A5A5A, np.uint64)
    k.lib.bnn_pack_threshold_range_f32(k.f32(np.ascontiguousarray(y)), m, oh * ow, 0, oh * ow, k.f32(thr), k.i8(fdir),
                                       k.words(out))
    plus = np.where(fdir[:, None, None] > 0, y >= thr[:, None, None], y <= thr[:, None, None])
    np.testing.assert_array_equal(out, pack_bits(np.moveaxis(~plus, 0, -1)))
    return out


def affine_operands(rng, m, oh, ow):
    """BatchNorm scale/bias per channel (signs, magnitudes and zeros that make float rounding
    matter) and a residual [M][OH][OW]."""
    scale = (rng.standard_normal(m) * rng.choice([1e-3, 0.37, 3.0], size=m)).astype(np.float32)
    scale[rng.random(m) < 0.1] = 0.0
    bias = (rng.standard_normal(m) * 7.3).astype(np.float32)
    residual = (rng.standard_normal((m, oh, ow)) * 5.1).astype(np.float32)
    return scale, bias, residual


def affine_stages(rng, m, oh, ow) -> list[dict]:
    """The output stages (bnn_affine_stage) the kernels are checked with: one scale and bias with and
    without a residual; with a second scale and bias after the residual (a BatchNormalization after
    the residual Add), with a second residual after those (a running sum), and with both residuals.
    The full stage comes first."""
    scale, bias, residual = affine_operands(rng, m, oh, ow)
    scale2, bias2, residual2 = affine_operands(rng, m, oh, ow)
    one = dict(scale=scale, bias=bias)
    two = dict(one, scale2=scale2, bias2=bias2)
    return [dict(two, residual=residual, residual2=residual2), dict(one, residual=residual), one,
            dict(two, residual=residual), dict(two, residual2=residual2)]


def affine_ref(acc_f32, scale, bias, residual=None, scale2=None, bias2=None, residual2=None):
    """The unfused float32 arithmetic, one rounding per step: (acc * s) + b, then + residual, then
    (* s2) + b2, then + residual2."""
    def per_channel(t, s, b):
        t = (t * s[:, None, None]).astype(np.float32)
        return (t + b[:, None, None]).astype(np.float32)

    t = per_channel(acc_f32, scale, bias)
    if residual is not None:
        t = (t + residual).astype(np.float32)
    if scale2 is not None:
        t = per_channel(t, scale2, bias2)
        if residual2 is not None:
            t = (t + residual2).astype(np.float32)
    return t


STAGE_FIELDS = ("scale", "bias", "residual", "scale2", "bias2", "residual2")


def stage_struct(ffi, stage: dict):
    """A `bnn_affine_stage *` pointing into the arrays of `stage` (which must outlive it)."""
    st = ffi.new("bnn_affine_stage *")
    for field in STAGE_FIELDS:
        array = stage.get(field)
        if array is not None:
            assert array.dtype == np.float32 and array.flags.c_contiguous
            setattr(st, field, ffi.cast("const float *", ffi.from_buffer(array)))
    return st


CHANNELS = [1, 63, 64, 65, 130]
M_FOR_C = {1: 3, 63: 5, 64: 64, 65: 4, 130: 67}


@pytest.mark.parametrize("c", CHANNELS)
@pytest.mark.parametrize("ksize", [1, 3, 5])
@pytest.mark.parametrize("pad", [0, 1, 2])
@pytest.mark.parametrize("stride,dil", [(1, 1), (2, 1), (1, 2), (2, 2)])
def test_bconv_grid(kernels, c, ksize, pad, stride, dil):
    rng = np.random.default_rng(c * 1000 + ksize * 100 + pad * 10 + stride + 7 * dil)
    for pad_bit in (PAD_ZERO, 0, 1):
        run_bconv(kernels, rng, c, 10, 9, M_FOR_C[c], ksize, ksize, stride, stride, dil, dil,
                  pad, pad, pad, pad, pad_bit)


def test_bconv_random_geometry(kernels):
    """Non-square kernels and strides, asymmetric pads (incl. bottom/right overhang as with
    ceil_mode-like OH), pads wider than the kernel (all-padding outputs)."""
    rng = np.random.default_rng(1234)
    done = 0
    while done < 120:
        c = int(rng.choice([1, 2, 31, 64, 65, 100, 129, 192]))
        m = int(rng.integers(1, 70))
        kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
        sh, sw, dh, dw = (int(v) for v in rng.integers(1, 4, size=4))
        h, w_ = (int(v) for v in rng.integers(1, 9, size=2))
        pt, pl, pb, pr = (int(v) for v in rng.integers(0, 4, size=4))
        if out_size(h, kh, sh, dh, pt, pb) < 1 or out_size(w_, kw, sw, dw, pl, pr) < 1:
            continue
        run_bconv(kernels, rng, c, h, w_, m, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr,
                  int(rng.choice([PAD_ZERO, 0, 1])))
        done += 1


@pytest.mark.parametrize("c", [1, 63, 64, 65, 130, 1000])
@pytest.mark.parametrize("hw", [(1, 1), (3, 3), (4, 2)])
def test_bconv_dense(kernels, c, hw):
    """Fully connected layer: KH=H, KW=W, OH=OW=1, no padding."""
    rng = np.random.default_rng(c + 17 * hw[0] + hw[1])
    h, w_ = hw
    for m in (1, 4, 10, 65):
        run_bconv(kernels, rng, c, h, w_, m, h, w_, 1, 1, 1, 1, 0, 0, 0, 0, PAD_ZERO)


@pytest.mark.parametrize("pad_bit", [PAD_ZERO, 0, 1])
def test_bconv_all_padding_window(kernels, pad_bit):
    """Every tap out of bounds for some outputs: acc is 0 / +sum w / -sum w."""
    rng = np.random.default_rng(5)
    for c, m in itertools.product([1, 65], [1, 6]):
        run_bconv(kernels, rng, c, 2, 2, m, 2, 2, 1, 1, 1, 1, 3, 3, 3, 3, pad_bit)
