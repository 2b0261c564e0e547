"""The `ai.bnncc` operators as TVM tensor expressions (TE), batch first and of any batch size.

Each function takes `te.Tensor`s (the batch may be a symbolic variable) and returns the output
tensor(s); an op's `lower_tvm` turns its call into one TIR PrimFunc through Relax's `emit_te`. The
numpy references of the ops (`bnncc/ops`) define what every function must compute, bit for
bit; `tests/tvm/test_tvm_kernels.py` holds each to its reference.

Conventions (`bnncc/bits.py`): packed tensors are uint64 [N, H, W, words(C)], channel c at bit
c % 64 of word c // 64, bit 1 = -1, tail bits 0. Float tensors are NCHW (or [N, C]).

The binary convolution is written as three stages, named for the GPU schedule
(`schedules.py`), which finds them by these names:

* ``pop``  [N, OH, OW, M] int32: the popcount sum over the taps that take part,
* ``out``  [N, M, OH, OW] float32: the accumulator, or the affine map of it (+ residual),
* ``pack`` [N, OH, OW, words(M)] uint64: the threshold decision of 64 channels, one word.

Every PrimFunc built from here carries the attribute ``bnncc.kernel`` (its op) so that the
schedules recognise it after Relax has named it.

Float products that are then added to (x * s + b) go through `product`, which must keep them
separately rounded: the reference rounds the product and the sum, while a fused multiply-add
rounds once and can move a value across a threshold. TVM's LLVM backend fuses fmul + fadd
whenever the CPU has FMA (it sets AllowFPOpFusion=Fast, whatever the target's fast-math flags),
so on `llvm` the product is wrapped in `llvm.arithmetic.fence`, which LLVM does not fuse across;
on `cuda` it is `__fmul_rn`, which nvcc never contracts (and the module is built with
--fmad=false anyway, `cuda_compile.py`).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

from tvm import te, tirx

from .. import bits

KERNEL_ATTR = "bnncc.kernel"
WORD = "uint64"


@dataclass(frozen=True)
class Window:
    """A 2-D window: kernel, strides, dilations and pads [top, left, bottom, right]."""

    kernel: tuple[int, int]
    strides: tuple[int, int] = (1, 1)
    dilations: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """ONNX: floor((size + pads - dilation*(kernel-1) - 1) / stride) + 1 per axis."""
        (kh, kw), (sh, sw), (dh, dw), (pt, pl, pb, pr) = self.kernel, self.strides, self.dilations, self.pads
        return ((height + pt + pb - dh * (kh - 1) - 1) // sh + 1, (width + pl + pr - dw * (kw - 1) - 1) // sw + 1)

    def source(self, oh, ow, kh, kw):
        """Input row and column read by tap (kh, kw) of output (oh, ow)."""
        return (oh * self.strides[0] - self.pads[0] + kh * self.dilations[0],
                ow * self.strides[1] - self.pads[1] + kw * self.dilations[1])


def fenced_product(a, b):
    """a * b (float32) rounded on its own, for LLVM (see the module docstring)."""
    return tirx.call_llvm_pure_intrin("float32", "llvm.arithmetic.fence", a * b)


def cuda_product(a, b):
    """a * b (float32) rounded on its own, for CUDA: the intrinsic nvcc never contracts."""
    return tirx.call_pure_extern("float32", "__fmul_rn", a, b)


PRODUCTS = {"llvm": fenced_product, "cuda": cuda_product}


def _inside(row, col, height: int, width: int):
    return tirx.all(row >= 0, row < height, col >= 0, col < width)


def _clamped(index, size):
    """`index` moved into [0, size): where a tap outside the map is read, whose value a condition
    then discards (the generated code may evaluate both sides of a condition: no read out of bounds)."""
    return tirx.max(tirx.min(index, size - 1), 0)


def _one_word(dtype=WORD):
    return tirx.const(1, dtype)


def _word_mask(channels: int, word):
    """The bits of `word` (an index) that hold channels: all 64, or C % 64 in the last word."""
    full = tirx.const((1 << 64) - 1, WORD)
    tail = channels % 64
    if tail == 0:
        return full
    return tirx.if_then_else(word == bits.words(channels) - 1, tirx.const((1 << tail) - 1, WORD), full)


def minus_decision(value, threshold, direction):
    """True where Threshold(value, T, D) is -1: not (D > 0 ? value >= T : value <= T), and always
    for D = 0. The reference's NaN thresholds (a channel that is always -1: every comparison with
    NaN is false) arrive as D = 0 (`lower.py`), because TVM's LLVM backend assumes no NaNs and may
    turn `not (x >= NaN)` into `x < NaN`. `value` is bound once (a Let), not copied into both arms."""
    v = tirx.Var("v", "float32")
    plus = tirx.Or(tirx.And(direction > 0, v >= threshold), tirx.And(direction < 0, v <= threshold))
    return tirx.Let(v, value, tirx.Not(plus))


def pack_words(shape, minus, channels: int, name: str = "pack", clamp: bool = True):
    """uint64 [..., words(C)] whose bit b of word j is minus(..., 64*j + b), tail bits 0.

    The bits are disjoint, so their sum is their OR: a plain `te.sum` reduction over b. With
    clamp False, minus is called with the tail channels as they are (it reads in bounds itself:
    the binary conv, whose GPU schedule needs the plain channel index)."""
    b = te.reduce_axis((0, 64), name="b")

    def word(*index):
        *lead, j = index
        c = j * 64 + b
        # the tail bits' decision is computed too (an `all` does not short-circuit in the generated
        # code): read a channel that exists, the condition masks the bit
        bit = tirx.if_then_else(tirx.all(c < channels, minus(*lead, _clamped(c, channels) if clamp else c)),
                                tirx.shift_left(_one_word(), b.var.astype(WORD)), tirx.const(0, WORD))
        return te.sum(bit, axis=b)

    return te.compute(tuple(shape) + (bits.words(channels),), word, name=name)


# -- float ±1 level ----------------------------------------------------------------------------
def _channel_of(x: te.Tensor, index):
    return index[1] if len(x.shape) > 1 else 0


def threshold(x: te.Tensor, thresholds: te.Tensor, directions: te.Tensor) -> te.Tensor:
    """Threshold(X, T, D): +1 where D[c] > 0 ? x >= T[c] : x <= T[c], else -1 (channel axis 1)."""
    def value(*i):
        c = _channel_of(x, i)
        minus = minus_decision(x[i], thresholds[c], directions[c])
        return tirx.if_then_else(minus, tirx.const(-1.0, "float32"), tirx.const(1.0, "float32"))
    return te.compute(x.shape, value, name="threshold")


SIGN_RULES = {"ge": lambda v: v >= 0, "gt": lambda v: v > 0, "le": lambda v: v <= 0, "lt": lambda v: v < 0}


def sign(x: te.Tensor, rule: str) -> te.Tensor:
    """Sign(X; rule): +1 where `x rule 0` holds, else -1."""
    plus = SIGN_RULES[rule]
    return te.compute(x.shape, lambda *i: tirx.if_then_else(plus(x[i]), tirx.const(1.0, "float32"),
                                                            tirx.const(-1.0, "float32")), name="sign")


def _nhwc_minus(x: te.Tensor, minus_at):
    """For an NCHW (or NC) float x: a function (n, h, w, c) -> bool reading minus_at(index of x)."""
    if len(x.shape) == 2:
        return lambda n, h, w, c: minus_at((n, c))
    return lambda n, h, w, c: minus_at((n, c, h, w))


def _packed_lead(x: te.Tensor):
    """[N, H, W] of the packed form of an NCHW or NC tensor."""
    if len(x.shape) == 2:
        return (x.shape[0], 1, 1)
    return (x.shape[0], x.shape[2], x.shape[3])


def threshold_pack(x: te.Tensor, thresholds: te.Tensor, directions: te.Tensor) -> te.Tensor:
    """ThresholdPack: the packed bits of Threshold(X, T, D); channel c of x at bit c of the word."""
    channels = int(x.shape[1])
    minus = _nhwc_minus(x, lambda i: minus_decision(x[i], thresholds[i[1]], directions[i[1]]))
    return pack_words(_packed_lead(x), minus, channels)


def pack_bits(x: te.Tensor) -> te.Tensor:
    """PackBits: ±1 float -> packed; bit 1 where x < 0 (the reference's `< 0`)."""
    channels = int(x.shape[1])
    minus = _nhwc_minus(x, lambda i: x[i] < 0)
    return pack_words(_packed_lead(x), minus, channels)


def multithreshold(x: te.Tensor, thresholds: te.Tensor, out_scale: float, out_bias: float,
                   channels_last: bool, product) -> te.Tensor:
    """FINN MultiThreshold: out_scale * #{t : x >= thr[c, t]} + out_bias, in float32 (two roundings,
    as the reference's float32 numpy: scale * count, then + bias)."""
    steps = te.reduce_axis((0, int(thresholds.shape[1])), name="t")
    axis = len(x.shape) - 1 if channels_last else 1
    broadcast = int(thresholds.shape[0]) == 1

    def count(*i):
        c = 0 if broadcast else i[axis]
        return te.sum(tirx.if_then_else(x[i] >= thresholds[c, steps], 1, 0), axis=steps)

    counts = te.compute(x.shape, count, name="count")
    scale, bias = tirx.const(out_scale, "float32"), tirx.const(out_bias, "float32")
    return te.compute(x.shape, lambda *i: product(counts[i].astype("float32"), scale) + bias, name="multithreshold")


def channel_affine(x: te.Tensor, scale: te.Tensor, bias: te.Tensor, residual: te.Tensor | None = None,
                   thresholds: te.Tensor | None = None, directions: te.Tensor | None = None, *, product):
    """ChannelAffine: Y = (X * S[c] + B[c]) + R, each operation rounded to float32 (onnxruntime's
    BatchNormalization, then the residual Add); with T and D also P = ThresholdPack(Y, T, D)."""
    def y_at(i):
        c = i[1]
        y = product(x[i], scale[c]) + bias[c]
        return y + residual[i] if residual is not None else y

    y = te.compute(x.shape, lambda *i: y_at(i), name="out")
    if thresholds is None:
        return y
    minus = _nhwc_minus(x, lambda i: minus_decision(y_at(i), thresholds[i[1]], directions[i[1]]))
    return [y, pack_words(_packed_lead(x), minus, int(x.shape[1]))]


def maxpool_affine(x: te.Tensor, scale: te.Tensor, bias: te.Tensor, window: Window, *, product) -> te.Tensor:
    """MaxPoolAffine: max over the window of (x * S[c] + B[c]) (two roundings); padded taps are
    -inf in the reference, so they never win: the max runs over the taps inside the map."""
    n, channels, height, width = x.shape
    out_h, out_w = window.output_size(int(height), int(width))
    kh = te.reduce_axis((0, window.kernel[0]), name="kh")
    kw = te.reduce_axis((0, window.kernel[1]), name="kw")
    lowest = tirx.const(float("-inf"), "float32")

    def pooled(b, c, oh, ow):
        row, col = window.source(oh, ow, kh, kw)
        value = product(x[b, c, _clamped(row, height), _clamped(col, width)], scale[c]) + bias[c]
        return te.max(tirx.if_then_else(_inside(row, col, int(height), int(width)), value, lowest), axis=[kh, kw])

    return te.compute((n, channels, out_h, out_w), pooled, name="maxpool_affine")


# -- packed level ------------------------------------------------------------------------------
def binary_maxpool(p: te.Tensor, window: Window) -> te.Tensor:
    """BinaryMaxPool: max of ±1 values is -1 only when every tap is -1, so the pooled word is the
    AND of the words of the taps inside the map (padded taps are -inf: left out, i.e. all ones)."""
    n, height, width, words = p.shape
    out_h, out_w = window.output_size(int(height), int(width))
    kh = te.reduce_axis((0, window.kernel[0]), name="kh")
    kw = te.reduce_axis((0, window.kernel[1]), name="kw")
    every = tirx.const((1 << 64) - 1, WORD)
    both = te.comm_reducer(lambda a, b: tirx.bitwise_and(a, b), lambda dtype: tirx.const((1 << 64) - 1, dtype),
                           name="bit_and")

    def pooled(b, oh, ow, j):
        row, col = window.source(oh, ow, kh, kw)
        return both(tirx.if_then_else(_inside(row, col, int(height), int(width)),
                                      p[b, _clamped(row, height), _clamped(col, width), j], every),
                    axis=[kh, kw])

    return te.compute((n, out_h, out_w, words), pooled, name="binary_maxpool")


def _packed_bit(p: te.Tensor, n, h, w, channel):
    """Whether channel `channel` of pixel (n, h, w) of the packed map p is -1 (its bit is 1)."""
    word = p[n, h, w, tirx.floordiv(channel, 64)]
    return tirx.bitwise_and(tirx.shift_right(word, tirx.floormod(channel, 64).astype(WORD)), _one_word()) != 0


def concat_bits(*packed: te.Tensor, channels) -> te.Tensor:
    """ConcatBits: channel c of the result is channel c - start_i of the input i whose range
    [start_i, start_i + channels[i]) holds c (each read clamped into that input's channels)."""
    starts = list(accumulate(channels, initial=0))

    def minus(n, h, w, c):
        chosen = _packed_bit(packed[-1], n, h, w, _clamped(c - int(starts[-2]), channels[-1]))
        for p, start, count in reversed(list(zip(packed[:-1], starts[:-2], channels[:-1]))):
            chosen = tirx.if_then_else(c < int(start + count), _packed_bit(p, n, h, w, _clamped(c - int(start), count)),
                                       chosen)
        return chosen

    return pack_words(packed[0].shape[:3], minus, int(starts[-1]), name="concat_bits", clamp=False)


def slice_bits(p: te.Tensor, start: int, stop: int) -> te.Tensor:
    """SliceBits: channel c of the result is channel start + c of p."""
    return pack_words(p.shape[:3], lambda n, h, w, c: _packed_bit(p, n, h, w, c + start), stop - start,
                      name="slice_bits")


@dataclass(frozen=True)
class BinaryConv:
    """The geometry of a BinaryConvPacked / BinaryConvAffine node.

    pad_bit -1 is ONNX zero padding: a padded tap adds nothing to the dot product, so it is left
    out of both the popcount and the length; 0 and 1 pad with +1 and -1 words (bit 0 / bit 1 in
    every channel's place, tail bits still 0). For the taps T that take part,

        dot = sum_{t in T} (C - 2 popcount(x_t XOR w_t)) = C |T| - 2 sum_{t in T} popcount(x_t XOR w_t).
    """

    channels: int
    window: Window
    pad_bit: int = -1
    dense: bool = False

    def taps(self, oh, ow, height: int, width: int):
        """|T| of output (oh, ow): every tap, or (with zero padding) the rows inside times the
        columns inside (the window is a product of its rows and columns)."""
        (kh, kw), (dh, dw), (sh, sw) = self.window.kernel, self.window.dilations, self.window.strides
        if self.pad_bit != -1 or self.window.pads == (0, 0, 0, 0):
            return tirx.const(kh * kw, "int32")
        pt, pl = self.window.pads[0], self.window.pads[1]

        def count(o, stride, pad, kernel, dilation, size):
            terms = [tirx.if_then_else(tirx.all(o * stride - pad + k * dilation >= 0,
                                                o * stride - pad + k * dilation < size), 1, 0) for k in range(kernel)]
            return sum(terms[1:], terms[0])

        return (count(oh, sh, pt, kh, dh, height) * count(ow, sw, pl, kw, dw, width)).astype("int32")


def float_conv(x: te.Tensor, w: te.Tensor, bias: te.Tensor | None = None, *, window: Window, product) -> te.Tensor:
    """ONNX Conv in float32 (group 1): Y[n, f, y, x] = sum over (rc, ry, rx) of
    X[n, rc, y*sy - pt + ry*dy, x*sx - pl + rx*dx] * W[f, rc, ry, rx], zero outside the map, (+ B[f]
    after the sum), as TOPI's conv2d_nchw computes it: the same stages (``pad_temp``, ``conv2d_nchw``,
    then ``bias``) and the same order of the sum, rc, then ry, then rx, each product rounded alone
    (`product`). Used on CUDA (`lower.py`), where `schedules._schedule_float_conv` tiles it.

    Unlike TOPI's padding, which reads X only under the condition (a branch around every load in
    the generated code: nvcc does not speculate loads), the padded stage reads X at the nearest
    position inside the map and ANDs its bits with a mask, all ones inside and 0 outside (+0.0,
    the bits of TOPI's pad value; a float select around the load would be turned back into a
    branch by TVM): every load is unconditional, so a GPU thread that stages input rows issues
    all its loads at once."""
    n, channels, height, width = x.shape
    height, width = int(height), int(width)
    out_h, out_w = window.output_size(height, width)
    pt, pl = window.pads[0], window.pads[1]
    if window.pads != (0, 0, 0, 0):
        padded_h, padded_w = height + pt + window.pads[2], width + pl + window.pads[3]

        def pad(b, c, i, j):
            row, col = i - pt, j - pl
            value = tirx.reinterpret("uint32", x[b, c, _clamped(row, height), _clamped(col, width)])
            mask = tirx.Select(_inside(row, col, height, width), tirx.const(0xFFFFFFFF, "uint32"),
                               tirx.const(0, "uint32"))
            return tirx.reinterpret("float32", value & mask)

        source = te.compute((n, channels, padded_h, padded_w), pad, name="pad_temp")
    else:
        source = x
    (kh, kw), (sy, sx), (dy, dx) = window.kernel, window.strides, window.dilations
    rc = te.reduce_axis((0, int(channels)), name="rc")
    ry = te.reduce_axis((0, kh), name="ry")
    rx = te.reduce_axis((0, kw), name="rx")
    conv = te.compute((n, int(w.shape[0]), out_h, out_w),
                      lambda nn, ff, yy, xx: te.sum(product(source[nn, rc, yy * sy + ry * dy, xx * sx + rx * dx],
                                                            w[ff, rc, ry, rx]), axis=[rc, ry, rx]),
                      name="conv2d_nchw")
    if bias is None:
        return conv
    return te.compute(conv.shape, lambda nn, ff, yy, xx: conv[nn, ff, yy, xx] + bias[ff], name="bias")


def weight_layout(packed):
    """Packed weights [M, KH, KW, words] (`bits.pack_conv_weights`) in the kernels' layout
    [KH, KW, words, M]: the M output channels of one weight word are adjacent, so the threads of a
    GPU block that compute neighbouring channels read neighbouring words."""
    return packed.transpose(1, 2, 3, 0).copy()


def binary_conv_popcount(p: te.Tensor, w: te.Tensor, conv: BinaryConv) -> te.Tensor:
    """`pop` [N, OH*OW, M]: sum over the taps that take part of popcount(x XOR w), int32, for
    output pixel q = oh * OW + ow (flat, so that a tile of output pixels is one range of it).
    w is [KH, KW, words, M] (`weight_layout`).

    The word of a tap is read at the nearest position inside the map, so every load is in bounds
    and unconditional. With zero padding a tap outside the map is then masked after the XOR,
    popcount((x XOR w) AND mask), mask all ones inside and 0 outside: the mask depends on the
    pixel and the tap only, so a GPU thread computes it once for all its channels, and the inner
    loop has no branch.

    M is rounded up to whole words: the channels past M (tail bits of the last output word)
    repeat channel M - 1, so that the output stage may read `pop` at every bit of its words."""
    n, height, width, words = p.shape
    height, width, words = int(height), int(width), int(words)
    out_h, out_w = conv.window.output_size(height, width)
    m_real = int(w.shape[3])
    m_count = bits.words(m_real) * 64
    rkh = te.reduce_axis((0, conv.window.kernel[0]), name="rkh")
    rkw = te.reduce_axis((0, conv.window.kernel[1]), name="rkw")
    rj = te.reduce_axis((0, words), name="rj")
    pad_word = None if conv.pad_bit == -1 else (tirx.const(0, WORD) if conv.pad_bit == 0 else _word_mask(conv.channels, rj))

    all_ones, nothing = tirx.const((1 << 64) - 1, WORD), tirx.const(0, WORD)
    masked = pad_word is None and conv.window.pads != (0, 0, 0, 0)

    def pop(b, q, m):
        row, col = conv.window.source(q // out_w, q % out_w, rkh, rkw)
        inside = _inside(row, col, height, width)
        word = p[b, _clamped(row, height), _clamped(col, width), rj]
        weight = w[rkh, rkw, rj, m if m_real == m_count else _clamped(m, m_real)]
        if pad_word is not None:                 # the ±1 pad word stands in for the taps outside
            term = tirx.popcount(tirx.Select(inside, word, pad_word) ^ weight)
        elif masked:                             # zero padding: the taps outside count nothing
            term = tirx.popcount((word ^ weight) & tirx.Select(inside, all_ones, nothing))
        else:                                    # no padding: every tap is inside
            term = tirx.popcount(word ^ weight)
        return te.sum(term.astype("int32"), axis=[rkh, rkw, rj])

    return te.compute((n, out_h * out_w, m_count), pop, name="pop")


def binary_conv_popcount_mma(p: te.Tensor, w: te.Tensor, conv: BinaryConv) -> te.Tensor:
    """`pop` as [N, M, OH*OW] int32 (channel-major), computed on the tensor cores' 1-bit MMA by
    the CUDA device function of `tensor_cores.pop_source` (CUDA only; the same integers as
    `binary_conv_popcount`, see that module)."""
    from tvm.backend.cuda.op import cuda_func_call

    from . import tensor_cores

    n, height, width, _ = p.shape
    m_count = int(w.shape[3])
    out_h, out_w = conv.window.output_size(int(height), int(width))
    name, source = tensor_cores.pop_source(conv, int(height), int(width), m_count)

    def launch(ins, outs):
        rows = ins[0].shape[0] * (out_h * out_w)
        blocks = ((rows + tensor_cores.ROWS_PER_BLOCK - 1) // tensor_cores.ROWS_PER_BLOCK).astype("int32")
        call = cuda_func_call(name, ins[0].data, ins[1].data, outs[0].data, ins[0].shape[0], source_code=source)
        body = tirx.AttrStmt(te.thread_axis("threadIdx.x"), "thread_extent", tensor_cores.ROWS_PER_BLOCK,
                             tirx.Evaluate(call))
        body = tirx.AttrStmt(te.thread_axis("blockIdx.y"), "thread_extent", m_count // tensor_cores.CHANNELS_PER_BLOCK,
                             body)
        return tirx.AttrStmt(te.thread_axis("blockIdx.x"), "thread_extent", blocks, body)

    return te.extern((n, m_count, out_h * out_w), [p, w], launch, name="pop", dtype="int32")


def binary_conv(p: te.Tensor, w: te.Tensor, conv: BinaryConv, scale: te.Tensor | None = None,
                bias: te.Tensor | None = None, residual: te.Tensor | None = None,
                thresholds: te.Tensor | None = None, directions: te.Tensor | None = None, *, product=None,
                tensor_cores: bool = False, second: tuple | None = None):
    """BinaryConvPacked (scale None) or BinaryConvAffine, with the output stage fused.

    Without scale: the accumulator as float32 [N, M, OH, OW], or with T and D only the packed
    threshold bits [N, OH, OW, words(M)]. With scale and bias: Y = (dot * S[m] + B[m]) + R, the
    reference's roundings (dot is an integer below 2^24, exact in float32), and with T and D also
    the packed bits of Threshold(Y). second (S2, B2, R2 or None): the second stage, Y = (Y * S2[m] +
    B2[m]) + R2, each step rounded as in the reference (bnn_affine_stage). Float outputs are [N, M]
    when dense. The pack stage recomputes Y from `pop` with the same operations rather than reading
    it back, so it can run where `pop` was made. tensor_cores (CUDA): `pop` comes from the 1-bit MMA
    where the layer is eligible (`tensor_cores.eligible`), as a separate kernel before the output
    stage."""
    from . import tensor_cores as mma

    height, width = int(p.shape[1]), int(p.shape[2])
    out_h, out_w = conv.window.output_size(height, width)
    n, m_count = p.shape[0], int(w.shape[3])
    if tensor_cores and mma.eligible(conv, m_count):
        channel_major = binary_conv_popcount_mma(p, w, conv)
        pop_at = lambda b, q, m: channel_major[b, m, q]  # noqa: E731
    else:
        pop = binary_conv_popcount(p, w, conv)
        pop_at = lambda b, q, m: pop[b, q, m]  # noqa: E731

    def value(b, m, oh, ow):
        """Y of channel m; the pack stage also asks for the tail channels of the last word (its
        bits are then masked): their parameters are read at channel M - 1."""
        k = m if m_count % 64 == 0 else _clamped(m, m_count)
        dot = conv.taps(oh, ow, height, width) * conv.channels - 2 * pop_at(b, oh * out_w + ow, m)
        y = dot.astype("float32")
        if scale is None:
            return y

        def add(y, r):
            return y if r is None else y + (r[b, k] if conv.dense else r[b, k, oh, ow])

        y = add(product(y, scale[k]) + bias[k], residual)
        if second is None:
            return y
        scale2, bias2, residual2 = second
        return add(product(y, scale2[k]) + bias2[k], residual2)

    def minus(b, oh, ow, m):
        k = m if m_count % 64 == 0 else _clamped(m, m_count)
        return minus_decision(value(b, m, oh, ow), thresholds[k], directions[k])

    if scale is None and thresholds is not None:
        return pack_words((n, out_h, out_w), minus, m_count, clamp=False)
    if conv.dense:
        out = te.compute((n, m_count), lambda b, m: value(b, m, 0, 0), name="out")
    else:
        out = te.compute((n, m_count, out_h, out_w), value, name="out")
    if thresholds is None:
        return out
    return [out, pack_words((n, out_h, out_w), minus, m_count, clamp=False)]
