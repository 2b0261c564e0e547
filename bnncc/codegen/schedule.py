"""Lower the final graph, node by node, to calls of runtime_c kernels for one sample.

Each emitter receives the node and writes C statements; shapes are static (batch 1 per call)
and all geometry becomes literal constants. Constants become `static const` arrays named
w0, w1, ...; run-time tensors live in the arena at offsets from the memory plan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import onnx_ir as ir

from bnncc.passes.lower_binary_layers import window_attributes
from bnncc.passes.plan_memory import MemoryPlan, is_view, range_shift

from ..errors import BnnccError
from ..interpreter import batchnorm_coefficients
from ..ir import attribute, constant, shape_of, source_label
from ..ops import DOMAIN
from ..ops.conv_math import output_size
from ..ops.slicing import joined_cuts, slice_cut, split_cuts
from .c_source import C_TYPES, array_definition, float_literal, int_list

SMALLEST_SUBNORMAL = np.float32(np.finfo(np.float32).smallest_subnormal)
# Below this many pixels a split by pixels makes threads share the cache lines where each
# channel's row is cut, which costs more than it saves.
MIN_PIXELS_TO_SPLIT = 1024
# Heavy layers with threads (Schedule.balanced): the smallest piece is at least an equal share / this.
# Smaller last pieces balance a slow member better; each costs a kernel call (and, for row-split
# convs, re-reading the rows around its edges).
PIECES_PER_MEMBER = 8
# Output pixels of a binary conv piece: below, the kernels' weight loads (done once per call and
# channel block) are spread over too few pixels (the 7x7 layers' pieces of one row ran at half speed).
MIN_BCONV_PIECE_PIXELS = 128
# With threads, blocked-layout binary convs whose output has at most this many pixels (14x14, 7x7; 16x16 keeps
# its pixel tiles) are shared by output channels, in words of 64, instead of rows: 7 or 14 rows cut
# coarsely (4 rows against 3), each member would stream all of the layer's weights, and the float
# planes would be cut inside cache lines. By channels, each member streams its own weights and
# writes whole planes, which the next layer's same cut reads back from its own cache (Bi-Real-18 on
# 2 threads: a 7x7 layer 120 -> 105 us, the strided one 85 -> 65 us).
MAX_CHANNEL_SPLIT_PIXELS = 200


@dataclass
class Layer:
    """The C code of one node of the final graph, and what it computes (for reports and bench)."""

    index: int
    op_type: str
    node: str                  # node name, Python-side only (never written to C)
    code: list[str] = field(default_factory=list)
    detail: str = ""           # geometry, e.g. "64->128 3x3/2 out 28x28"
    binary_macs: int = 0
    float_macs: int = 0
    binary_weights: int = 0    # ±1 weights of a binary layer
    weight_bytes: int = 0      # bytes its constants take in the artifact (packed weights + per-channel)


class Schedule:
    """C statements of one sample's forward pass, plus the constant arrays they use.

    The forward pass is SPMD: with `threads` > 1 every member of a thread team runs it, `id` and
    `nt` (member index and team size) select each member's share of a layer (`parallel`), and
    members meet at a barrier after every layer. Layers that are not split run on member 0."""

    def __init__(self, graph: ir.Graph, plan: MemoryPlan, target, threads: int = 1):
        self.graph, self.plan, self.target, self.threads = graph, plan, target, threads
        self.constants: list[str] = []
        self.layers: list[Layer] = []
        self.families: set[str] = set()
        self.scratch_floats = 0          # per-member scratch some kernels need (in the arena)
        self._names: dict[int, str] = {}
        self._inputs = {id(v): f"in{i}" for i, v in enumerate(graph.inputs)}
        self._counter = 0

    # -- operands ---------------------------------------------------------------------------
    def const(self, array: np.ndarray, dtype=None) -> str:
        array = np.asarray(array, dtype=dtype) if dtype is not None else np.asarray(array)
        name = f"w{len(self.constants)}"
        self.constants.append(array_definition(name, np.ascontiguousarray(array)))
        return name

    def operand(self, value: ir.Value) -> str:
        """A C expression pointing at `value` for the current sample."""
        array = constant(value)
        if array is not None:
            key = id(value)
            if key not in self._names:
                self._names[key] = self.const(array.astype(np.float32) if array.dtype == np.float64 else array)
            return self._names[key]
        root, shift = self.plan.root(value), self.plan.shift(value)
        if id(root) in self._inputs:
            itemsize = np.dtype(value.dtype.numpy()).itemsize
            return f"({self._inputs[id(root)]} + {shift // itemsize})" if shift else self._inputs[id(root)]
        ctype = C_TYPES[np.dtype(value.dtype.numpy())]
        return f"(({ctype} *)(arena + {self.plan.offsets[id(root)] + shift}))"

    def params(self, ctype: str, fields: dict) -> str:
        """A static const parameter struct, returned as an address expression."""
        self._counter += 1
        name = f"p{self._counter}"
        body = ", ".join(f".{k} = {int(v)}" for k, v in fields.items())
        self.constants.append(f"static const {ctype} {name} = {{{body}}};\n")
        return f"&{name}"

    def call(self, family: str, text: str) -> None:
        """A statement run by one member (all of it)."""
        self.families.add(family)
        self.layers[-1].code.append(text if self.threads == 1 else f"if (id == 0) {{ {text} }}")

    def parallel(self, family: str, count: int, text: str) -> None:
        """A statement over items [lo, hi) of `count`; each member gets its share (bnn_split)."""
        self.families.add(family)
        if self.threads == 1:
            self.layers[-1].code.append(f"{{ const int lo = 0, hi = {count}; {text} }}")
        else:
            self.layers[-1].code.append(f"{{ int lo, hi; bnn_split({count}, id, nt, &lo, &hi); "
                                        f"if (lo < hi) {{ {text} }} }}")

    def balanced(self, family: str, count: int, text: str, min_piece: int = 1, resumable: bool = False) -> None:
        """A statement over items [lo, hi) of `count` for heavy layers: with threads, members take
        pieces of at least `min_piece` items (bnn_share: of their own range, cut by the members'
        measured speeds, then of what a slower member has left), and never fewer than
        count / (threads * PIECES_PER_MEMBER) items, so that a member's share comes in a few calls.
        resumable: `text` may use `resume`, true when this member's previous piece ended at lo."""
        self.families.add(family)
        if self.threads == 1:
            prelude = "const int resume = 0; " if resumable else ""
            self.layers[-1].code.append(f"{{ const int lo = 0, hi = {count}; {prelude}{text} }}")
            return
        grain = max(min_piece, count // (self.threads * PIECES_PER_MEMBER), 1)
        last = "int last = -1; " if resumable else ""
        resume, record = ("const int resume = lo == last; ", " last = hi;") if resumable else ("", "")
        self.layers[-1].code.append(
            f"{{ bnn_share share; int lo, hi; {last}bnn_share_begin(team, id, {count}, {grain}, &share); "
            f"while (bnn_share_next(&share, &lo, &hi)) {{ {resume}{text}{record} }} }}")

    @property
    def binary_macs(self) -> int:
        return sum(layer.binary_macs for layer in self.layers)

    @property
    def float_macs(self) -> int:
        return sum(layer.float_macs for layer in self.layers)

    # -- driver -----------------------------------------------------------------------------
    def lower(self) -> None:
        for node in self.graph:
            if is_view(node):
                continue
            emitter = EMITTERS.get((node.domain, node.op_type))
            if emitter is None:
                raise BnnccError(f"op {node.op_type} cannot run here: it is only supported when it folds "
                                 "into a constant or into a binary layer", node=source_label(node))
            _check_one_sample(node)
            shape = "x".join(str(d) for d in shape_of(node.outputs[0])[1:])
            self.layers.append(Layer(len(self.layers), node.op_type, node.name or "", detail=f"out {shape}"))
            emitter(self, node)
            _check_literals(self.layers[-1], node)


def _check_one_sample(node: ir.Node) -> None:
    """Most kernels compute one sample: a [1, C, ...] tensor (the batch loop is outside them). Only
    the ops in ANY_LEADING_DIMENSION flatten every dimension they do not work along, so they
    also take tensors whose first dimension is not the batch (a Reshape to [rows, K], say)."""
    if (node.domain, node.op_type) in ANY_LEADING_DIMENSION:
        return
    for value in [*node.inputs[:1], *node.outputs]:
        if value is not None and constant(value) is None and shape_of(value)[:1] not in ((), (1,)):
            raise BnnccError(f"bnncc runs this op one sample at a time, on tensors whose first dimension is the "
                             f"batch; here a tensor has shape {list(shape_of(value))} at batch 1", node=source_label(node))


# A decimal integer in C text (not part of a name, a hexadecimal or a float literal).
DECIMAL_LITERAL = re.compile(r"(?<![\w.])\d+(?![\w.])")
INT_MAX = 2**31 - 1


def _check_literals(layer: Layer, node: ir.Node) -> None:
    """The kernels take sizes, strides and offsets as C ints: no decimal literal the code passes
    them may exceed INT_MAX (the frontend bounds attributes and sizes; this is the last guard)."""
    for line in layer.code:
        if any(int(m.group()) > INT_MAX for m in DECIMAL_LITERAL.finditer(line)):
            raise BnnccError("a size, stride or offset of this layer does not fit a C int (the model is too large "
                             "for bnncc's kernels)", node=source_label(node))


def _size(value: ir.Value) -> int:
    return int(np.prod(shape_of(value), dtype=np.int64))


def _channels_hw(value: ir.Value) -> tuple[int, int]:
    shape = shape_of(value)
    if len(shape) < 2:
        return 1, max(1, _size(value))
    return shape[1], int(np.prod(shape[2:], dtype=np.int64))


def _require_constant(node: ir.Node, index: int, what: str) -> np.ndarray:
    array = constant(node.inputs[index]) if index < len(node.inputs) and node.inputs[index] is not None else None
    if array is None:
        raise BnnccError(f"{what} must be a constant", node=source_label(node))
    return array


# -- binary ops --------------------------------------------------------------------------------
def _threshold_arrays(s: Schedule, thresholds: np.ndarray, directions: np.ndarray, ctype=np.float32):
    return s.const(thresholds.astype(ctype)), s.const(directions.astype(np.int8))


def _emit_threshold(s: Schedule, node: ir.Node, packed: bool) -> None:
    c, hw = _channels_hw(node.inputs[0])
    thr, dirs = _threshold_arrays(s, constant(node.inputs[1]), constant(node.inputs[2]))
    x, y = s.operand(node.inputs[0]), s.operand(node.outputs[0])
    if packed:
        source, suffix = s.target.kernels.entry("pack")
        _by_pixels(s, hw, f"bnn_pack_threshold_range_f32{suffix}({x}, {c}, {hw}, lo, hi, {thr}, {dirs}, {y});", source)
    else:
        _binarize_channels(s, x, c, hw, thr, dirs, y)


def _binarize_channels(s: Schedule, x: str, c: int, hw: int, thr: str, dirs: str, y: str) -> None:
    source, suffix = s.target.kernels.entry("binarize")
    s.parallel(source, c, f"bnn_binarize_f32{suffix}({x} + (size_t)lo * {hw}, hi - lo, {hw}, {thr} + lo, "
                          f"{dirs} + lo, {y} + (size_t)lo * {hw});")


def _emit_pack_bits(s: Schedule, node: ir.Node) -> None:
    c, hw = _channels_hw(node.inputs[0])
    thr, dirs = _threshold_arrays(s, np.zeros(c), np.ones(c))
    source, suffix = s.target.kernels.entry("pack")
    s.parallel(source, hw, f"bnn_pack_threshold_range_f32{suffix}({s.operand(node.inputs[0])}, {c}, {hw}, lo, hi, "
                           f"{thr}, {dirs}, {s.operand(node.outputs[0])});")


SIGN_RULES = {"ge": (0.0, 1), "gt": (SMALLEST_SUBNORMAL, 1), "le": (0.0, -1), "lt": (-SMALLEST_SUBNORMAL, -1)}


def _emit_sign(s: Schedule, node: ir.Node) -> None:
    c, hw = _channels_hw(node.inputs[0])
    threshold, direction = SIGN_RULES[str(attribute(node, "rule", "ge"))]
    thr, dirs = _threshold_arrays(s, np.full(c, threshold), np.full(c, direction))
    _binarize_channels(s, s.operand(node.inputs[0]), c, hw, thr, dirs, s.operand(node.outputs[0]))


def _window_fields(window: dict) -> dict:
    """kernel_shape/strides/dilations/pads attributes -> the kernels' KH..PL parameter fields."""
    kh, kw = window["kernel_shape"]
    sh, sw = window.get("strides") or (1, 1)
    dh, dw = window.get("dilations") or (1, 1)
    pads = window.get("pads") or (0, 0, 0, 0)
    return dict(KH=kh, KW=kw, SH=sh, SW=sw, DH=dh, DW=dw, PT=pads[0], PL=pads[1])


def _node_window(node: ir.Node) -> dict:
    """The window attributes of a bnncc node (its pads are explicit already)."""
    return _window_fields({name: attribute(node, name) for name in ("kernel_shape", "strides", "dilations", "pads")})


def _panels(size: int, total: int) -> tuple[int, str, str]:
    """`total` elements in panels of `size` (the last one shorter): the number of panels, and the C
    expressions of the first element of panel lo and the end of panel hi - 1, for a statement over
    panels [lo, hi)."""
    return -(-total // size), f"lo * {size}", f"hi * {size} < {total} ? hi * {size} : {total}"


def _emit_binary_conv(s: Schedule, node: ir.Node) -> None:
    """BinaryConvPacked (accumulator or bits out) and BinaryConvAffine (fused affine + residual)."""
    packed_in = shape_of(node.inputs[0])              # [1, H, W, words]
    weights = constant(node.inputs[1])                # [M, KH, KW, words]
    out_shape = shape_of(node.outputs[0])
    channels, m = int(attribute(node, "channels")), weights.shape[0]
    dense = int(attribute(node, "dense", 0))
    affine = node.op_type == "BinaryConvAffine"
    bits_out = not affine and len(node.inputs) > 2
    if bits_out:
        oh, ow = out_shape[1], out_shape[2]
    else:
        oh, ow = (1, 1) if dense else (out_shape[2], out_shape[3])
    fields = dict(C=channels, H=packed_in[1], W=packed_in[2], M=m, OH=oh, OW=ow,
                  **_node_window(node), pad_bit=int(attribute(node, "pad_bit", -1)))
    p = s.params("bnn_bconv_params", fields)
    kernel = s.target.kernels.bconv
    layer = s.layers[-1]
    layer.binary_macs += m * oh * ow * fields["KH"] * fields["KW"] * channels
    layer.binary_weights = m * fields["KH"] * fields["KW"] * channels
    layer.weight_bytes = weights.nbytes + (m * 5 if bits_out else m * 8 if affine else 0)   # per-channel constants
    layer.detail = (f"dense {channels * fields['KH'] * fields['KW']}->{m}" if dense else
                    f"{channels}->{m} {fields['KH']}x{fields['KW']}/{fields['SH']} out {oh}x{ow}")
    x, y = s.operand(node.inputs[0]), s.operand(node.outputs[0])
    if kernel:
        packed, aux = kernel.pack_weights(weights, channels)
        w, family, suffix = s.const(packed), kernel.source, kernel.suffix
        extra = f"{s.const(aux)}, " if aux is not None else ""
    else:
        w, extra, family, suffix = s.const(weights), "", "bconv", "_rows"

    def by_rows(text: str) -> None:
        s.balanced(family, oh, text, min_piece=-(-MIN_BCONV_PIECE_PIXELS // ow))

    words, m_begin, m_end = _panels(64, m)
    by_channels = (kernel and kernel.splits_channels and s.threads > 1 and oh * ow <= MAX_CHANNEL_SPLIT_PIXELS
                   and words >= s.threads)

    def affine_kernel(name: str, operands: str, outputs: str) -> None:
        if by_channels:
            s.balanced(family, words, f"bnn_bconv_{name}_channels{suffix}({operands}, {m_begin}, {m_end}, {outputs});")
        else:
            by_rows(f"bnn_bconv_{name}{suffix}({operands}, lo, hi, {outputs});")

    if bits_out:
        thr, dirs = _threshold_arrays(s, constant(node.inputs[2]), constant(node.inputs[3]), np.int32)
        by_rows(f"bnn_bconv_bits{suffix}({p}, {x}, {w}, {extra}{thr}, {dirs}, lo, hi, {y});")
    elif affine:
        inputs = list(node.inputs) + [None] * (7 - len(node.inputs))
        residual = s.operand(inputs[4]) if inputs[4] is not None else "NULL"
        operands = f"{p}, {x}, {w}, {extra}{s.operand(inputs[2])}, {s.operand(inputs[3])}, {residual}"
        if inputs[5] is not None:
            thr, dirs = _threshold_arrays(s, constant(inputs[5]), constant(inputs[6]))
            affine_kernel("affine_pack", f"{operands}, {thr}, {dirs}", f"{y}, {s.operand(node.outputs[1])}")
        else:
            affine_kernel("affine_f32", operands, y)
    else:
        by_rows(f"bnn_bconv_f32{suffix}({p}, {x}, {w}, {extra}lo, hi, {y});")


def _emit_binary_maxpool(s: Schedule, node: ir.Node) -> None:
    in_shape, out_shape = shape_of(node.inputs[0]), shape_of(node.outputs[0])
    fields = dict(C=int(attribute(node, "channels")), H=in_shape[1], W=in_shape[2], OH=out_shape[1],
                  OW=out_shape[2], **_node_window(node))
    p = s.params("bnn_pool_params", {k: fields[k] for k in POOL_FIELDS})
    source, suffix = s.target.kernels.entry("bpool")
    s.parallel(source, fields["OH"], f"bnn_bmaxpool_rows{suffix}({p}, {s.operand(node.inputs[0])}, lo, hi, "
                                      f"{s.operand(node.outputs[0])});")


POOL_FIELDS = ("C", "H", "W", "OH", "OW", "KH", "KW", "SH", "SW", "DH", "DW", "PT", "PL")


def _emit_concat_bits(s: Schedule, node: ir.Node) -> None:
    """Each input's channels at their bit offset, inputs in order (each keeps the bits below it,
    the last clears the tail); members split the pixels."""
    out = node.outputs[0]
    start = 0
    for value, channels in zip(node.inputs, attribute(node, "channels")):
        _copy_bits(s, value, 0, out, start, int(channels))
        start += int(channels)


def _emit_slice_bits(s: Schedule, node: ir.Node) -> None:
    start, stop = int(attribute(node, "start")), int(attribute(node, "stop"))
    _copy_bits(s, node.inputs[0], start, node.outputs[0], 0, stop - start)


def _copy_bits(s: Schedule, source: ir.Value, source_bit: int, target: ir.Value, target_bit: int, count: int) -> None:
    _, h, w, in_words = shape_of(source)
    out_words = shape_of(target)[3]
    s.parallel("copy", h * w, f"bnn_copy_bits(hi - lo, {count}, {in_words}, {source_bit}, {out_words}, {target_bit}, "
                              f"{s.operand(source)} + (size_t)lo * {in_words}, "
                              f"{s.operand(target)} + (size_t)lo * {out_words});")


def _emit_channel_affine(s: Schedule, node: ir.Node) -> None:
    c, hw = _channels_hw(node.inputs[0])
    inputs = list(node.inputs) + [None] * (6 - len(node.inputs))
    x, sc, bi, y = (s.operand(v) for v in (inputs[0], inputs[1], inputs[2], node.outputs[0]))
    residual = s.operand(inputs[3]) if inputs[3] is not None else "NULL"
    source, suffix = s.target.kernels.entry("pack")
    if inputs[4] is None:       # no packing: members take whole channels
        residual_at = "" if residual == "NULL" else f" + (size_t)m0 * {hw}"
        call = (f"bnn_affine_pack_range_f32{suffix}(m1 - m0, {hw}, 0, {hw}, {x} + (size_t)m0 * {hw}, {sc} + m0, {bi} + m0, "
                f"{residual}{residual_at}, {y} + (size_t)m0 * {hw}, NULL, NULL, NULL);")
        if s.target.kernels.float:
            # in the panels of the SIMD float conv that usually writes x, shared the same way, so
            # that each member mostly reads back the channels it wrote (28x28 on 2 threads: 25 -> 18 us)
            panels, m0, m1 = _panels(s.target.kernels.float.mr, c)
            s.balanced(source, panels, f"const int m0 = {m0}, m1 = {m1}; {call}")
        else:
            s.parallel(source, c, f"const int m0 = lo, m1 = hi; {call}")
        return
    thr, dirs = _threshold_arrays(s, constant(inputs[4]), constant(inputs[5]))
    _by_pixels(s, hw, f"bnn_affine_pack_range_f32{suffix}({c}, {hw}, lo, hi, {x}, {sc}, {bi}, {residual}, {y}, "
                      f"{thr}, {dirs}, {s.operand(node.outputs[1])});", source)


def _by_pixels(s: Schedule, hw: int, call: str, source: str) -> None:
    """A packing statement over pixels [lo, hi) (kernels of `source`): split among members only for large maps."""
    if hw >= MIN_PIXELS_TO_SPLIT:
        s.parallel(source, hw, call)
    else:
        s.call(source, f"{{ const int lo = 0, hi = {hw}; {call} }}")


def _emit_maxpool_affine(s: Schedule, node: ir.Node) -> None:
    in_shape, out_shape = shape_of(node.inputs[0]), shape_of(node.outputs[0])
    fields = dict(C=in_shape[1], H=in_shape[2], W=in_shape[3], OH=out_shape[2], OW=out_shape[3],
                  **_node_window(node))
    p = s.params("bnn_pool_params", {k: fields[k] for k in POOL_FIELDS})
    in_hw, out_hw = in_shape[2] * in_shape[3], out_shape[2] * out_shape[3]
    s.parallel("fpool", in_shape[1], f"bnn_pool_params q = *{p}; q.C = hi - lo; "
                                     f"bnn_maxpool_affine_f32(&q, {s.operand(node.inputs[0])} + (size_t)lo * {in_hw}, "
                                     f"{s.operand(node.inputs[1])} + lo, {s.operand(node.inputs[2])} + lo, "
                                     f"{s.operand(node.outputs[0])} + (size_t)lo * {out_hw});")


def _emit_conv_maxpool_affine(s: Schedule, node: ir.Node) -> None:
    """ConvMaxPoolAffine (targets whose float kernels fuse it): members share the pool's output
    rows; a member's consecutive pieces resume one another (no conv row computed twice)."""
    in_shape, out_shape = shape_of(node.inputs[0]), shape_of(node.outputs[0])
    weights = constant(node.inputs[1])
    window, pads = _node_window(node), attribute(node, "pads")
    m = weights.shape[0]
    oh = output_size(in_shape[2], window["KH"], window["SH"], pads[0], pads[2], window["DH"])
    ow = output_size(in_shape[3], window["KW"], window["SW"], pads[1], pads[3], window["DW"])
    conv = dict(C=in_shape[1], H=in_shape[2], W=in_shape[3], M=m, OH=oh, OW=ow, **window, G=1)
    pool = dict(C=m, H=oh, W=ow, OH=out_shape[2], OW=out_shape[3],
                **_window_fields({name: attribute(node, f"pool_{name}")
                                  for name in ("kernel_shape", "strides", "dilations", "pads")}))
    kernel = s.target.kernels.float
    layer = s.layers[-1]
    layer.float_macs += weights.size * oh * ow
    layer.detail = f"{conv['C']}->{m} {conv['KH']}x{conv['KW']}/{conv['SH']} + pool {pool['KH']}x{pool['KW']}/" \
                   f"{pool['SH']} out {out_shape[2]}x{out_shape[3]}"
    s.scratch_floats = max(s.scratch_floats, kernel.conv_pool_scratch_floats(conv, pool))
    bias = s.operand(node.inputs[2]) if node.inputs[2] is not None else "NULL"
    operands = ", ".join(s.operand(v) for v in (node.inputs[3], node.inputs[4]))
    s.balanced(kernel.source, pool["OH"],
               f"bnn_conv_maxpool_affine_f32{kernel.suffix}({s.params('bnn_conv_params', conv)}, "
               f"{s.params('bnn_pool_params', {k: pool[k] for k in POOL_FIELDS})}, {s.operand(node.inputs[0])}, "
               f"{s.const(kernel.conv_weights(weights.astype(np.float32)))}, {bias}, {operands}, scratch, resume, lo, "
               f"hi, {s.operand(node.outputs[0])});", resumable=True)


def _emit_multithreshold(s: Schedule, node: ir.Node) -> None:
    x = node.inputs[0]
    channels_last = int(attribute(node, "channels_last", 0))
    shape = shape_of(x)
    c = shape[-1] if channels_last else (shape[1] if len(shape) > 1 else 1)
    hw = _size(x) // c
    thresholds = np.broadcast_to(constant(node.inputs[1]), (c, constant(node.inputs[1]).shape[1]))
    thr = s.const(np.ascontiguousarray(thresholds, np.float32))
    s.call("eltwise", f"bnn_multithreshold_f32({c}, {hw}, {channels_last}, {s.operand(x)}, {thresholds.shape[1]}, "
                      f"{thr}, {float_literal(attribute(node, 'out_scale', 1.0))}, "
                      f"{float_literal(attribute(node, 'out_bias', 0.0))}, {s.operand(node.outputs[0])});")


# -- float ops ---------------------------------------------------------------------------------
def _emit_conv(s: Schedule, node: ir.Node) -> None:
    in_shape, out_shape = shape_of(node.inputs[0]), shape_of(node.outputs[0])
    weights = _require_constant(node, 1, "Conv weights")
    if len(in_shape) != 4:
        raise BnnccError(f"only 2-D convolution is supported (input rank {len(in_shape)})", node=source_label(node))
    group = int(attribute(node, "group", 1))
    window = window_attributes(node, weights.shape[2:])
    fields = dict(C=in_shape[1], H=in_shape[2], W=in_shape[3], M=out_shape[1], OH=out_shape[2], OW=out_shape[3],
                  **_window_fields(window), G=group)
    p = s.params("bnn_conv_params", fields)
    bias = s.operand(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] is not None else "NULL"
    s.layers[-1].float_macs += weights.size * out_shape[2] * out_shape[3]
    s.layers[-1].detail = f"{in_shape[1]}->{out_shape[1]} {fields['KH']}x{fields['KW']}/{fields['SH']} out " \
                          f"{out_shape[2]}x{out_shape[3]}"
    x, y = s.operand(node.inputs[0]), s.operand(node.outputs[0])
    kernel = s.target.kernels.float
    if group != 1:              # every target: the portable direct loop, members taking whole groups
        cg, mg = fields["C"] // group, fields["M"] // group
        bias_part = "NULL" if bias == "NULL" else f"{bias} + (size_t)lo * {mg}"
        w = s.const(weights.astype(np.float32))
        s.parallel("fconv", group, f"bnn_conv_params q = *{p}; q.G = hi - lo; q.C = q.G * {cg}; q.M = q.G * {mg}; "
                                   f"bnn_conv2d_f32(&q, {x} + (size_t)lo * {cg * fields['H'] * fields['W']}, "
                                   f"{w} + (size_t)lo * {mg * int(np.prod(weights.shape[1:]))}, {bias_part}, "
                                   f"{y} + (size_t)lo * {mg * fields['OH'] * fields['OW']});")
        return
    if kernel:
        w = s.const(kernel.conv_weights(weights.astype(np.float32)))
        scratch = kernel.conv_scratch_floats(fields)
        s.scratch_floats = max(s.scratch_floats, scratch)
        # members take whole panels of MR channels; in pieces when every call reads the input in
        # place (with scratch, each call first copies the input there)
        share = s.parallel if scratch else s.balanced
        panels, m_begin, m_end = _panels(kernel.mr, fields["M"])
        share(kernel.source, panels, f"bnn_conv2d_f32{kernel.suffix}({p}, {x}, {w}, {bias}, {'scratch' if scratch else 'NULL'}, "
                                      f"{m_begin}, {m_end}, {y});")
        return
    w = s.const(weights.astype(np.float32))
    per_channel = int(np.prod(weights.shape[1:]))
    bias_part = "NULL" if bias == "NULL" else f"{bias} + lo"
    s.parallel("fconv", fields["M"], f"bnn_conv_params q = *{p}; q.M = hi - lo; "
                                     f"bnn_conv2d_f32(&q, {x}, {w} + (size_t)lo * {per_channel}, {bias_part}, "
                                     f"{y} + (size_t)lo * {fields['OH'] * fields['OW']});")


def _emit_gemm(s: Schedule, node: ir.Node) -> None:
    a_shape = shape_of(node.inputs[0])
    b = _require_constant(node, 1, "the second MatMul/Gemm operand").astype(np.float32)
    bias_array = None
    if node.op_type == "Gemm":
        if int(attribute(node, "transA", 0)):
            raise BnnccError("Gemm with transA is not supported", node=source_label(node))
        if int(attribute(node, "transB", 0)):
            b = b.T
        alpha, beta = np.float32(attribute(node, "alpha", 1.0)), np.float32(attribute(node, "beta", 1.0))
        if alpha != 1:
            b = b * alpha
        if len(node.inputs) > 2 and node.inputs[2] is not None:
            c = _require_constant(node, 2, "Gemm bias").astype(np.float32)
            if c.ndim == 2 and c.shape[0] != 1:
                raise BnnccError("Gemm bias must broadcast along rows", node=source_label(node))
            bias_array = np.broadcast_to(c.reshape(-1) * beta if beta != 1 else c.reshape(-1), (b.shape[1],))
    if b.ndim != 2:
        raise BnnccError("MatMul with a weight of rank other than 2 is not supported", node=source_label(node))
    k, n = b.shape
    m = int(np.prod(a_shape[:-1], dtype=np.int64))
    bias = s.const(np.ascontiguousarray(bias_array, np.float32)) if bias_array is not None else "NULL"
    s.layers[-1].float_macs += m * k * n
    s.layers[-1].detail = f"{k}->{n}" + (f" x{m}" if m > 1 else "")
    a, y = s.operand(node.inputs[0]), s.operand(node.outputs[0])
    kernel = s.target.kernels.float
    if kernel and n >= kernel.nr:        # narrower outputs would mostly pad the panels
        panels, n_begin, n_end = _panels(kernel.nr, n)
        w = s.const(kernel.matmul_weights(np.ascontiguousarray(b)))
        s.balanced(kernel.source, panels, f"bnn_matmul_f32{kernel.suffix}({m}, {k}, {n}, {a}, {w}, {bias}, {n_begin}, "
                                           f"{n_end}, {y});")
        return
    w = s.const(np.ascontiguousarray(b))
    s.parallel("fgemm", m, f"bnn_matmul_f32(hi - lo, {k}, {n}, {a} + (size_t)lo * {k}, {w}, {bias}, "
                           f"{y} + (size_t)lo * {n});")


def _emit_batchnorm(s: Schedule, node: ir.Node) -> None:
    gamma, beta, mean, var = (_require_constant(node, i, "BatchNormalization parameters") for i in range(1, 5))
    scale, bias = batchnorm_coefficients(gamma, beta, mean, var, float(attribute(node, "epsilon", 1e-5)))
    c, hw = _channels_hw(node.inputs[0])
    x, y, sc, bi = s.operand(node.inputs[0]), s.operand(node.outputs[0]), s.const(scale), s.const(bias)
    s.parallel("eltwise", c, f"bnn_affine_channel_f32(hi - lo, {hw}, {x} + (size_t)lo * {hw}, {sc} + lo, {bi} + lo, "
                             f"{y} + (size_t)lo * {hw});")


BINARY_OPS = {"Add": "BNN_ADD", "Sub": "BNN_SUB", "Mul": "BNN_MUL", "Div": "BNN_DIV", "Pow": None,
              "Max": "BNN_MAX", "Min": "BNN_MIN", "PRelu": "BNN_PRELU"}      # None: Pow, its own entry point


def broadcast_strides(shape, out_shape) -> list[int]:
    """Element strides of `shape` read as `out_shape` (0 along broadcast axes)."""
    padded = (1,) * (len(out_shape) - len(shape)) + tuple(shape)
    strides, step = [], 1
    for size in reversed(padded):
        strides.append(step if size != 1 else 0)
        step *= size
    return strides[::-1]


def _emit_binary(s: Schedule, node: ir.Node, op: str | None = None, b_value: str | None = None,
                 b_shape=None) -> None:
    out_shape = shape_of(node.outputs[0]) or (1,)
    a = node.inputs[0]
    a_shape = shape_of(a)
    if b_value is None:
        b_value, b_shape = s.operand(node.inputs[1]), shape_of(node.inputs[1])
    if len(out_shape) > 6:
        raise BnnccError("elementwise ops on tensors of rank > 6 are not supported", node=source_label(node))
    a_strides, b_strides = broadcast_strides(a_shape, out_shape), broadcast_strides(b_shape, out_shape)
    out_strides = broadcast_strides(out_shape, out_shape)
    axis = next((i for i, d in enumerate(out_shape) if d > 1), 0)     # members split this axis
    shape_text = ", ".join("hi - lo" if i == axis else str(d) for i, d in enumerate(out_shape))
    op = op or BINARY_OPS[node.op_type]
    call = f"bnn_binary_f32({op}, " if op else "bnn_pow_f32("
    s.parallel("eltwise", out_shape[axis],
               f"{call}{len(out_shape)}, (const int[]){{{shape_text}}}, "
               f"{s.operand(a)} + (size_t)lo * {a_strides[axis]}, (const int[]){int_list(a_strides)}, "
               f"{b_value} + (size_t)lo * {b_strides[axis]}, (const int[]){int_list(b_strides)}, "
               f"{s.operand(node.outputs[0])} + (size_t)lo * {out_strides[axis]});")


def _emit_leaky_relu(s: Schedule, node: ir.Node) -> None:
    slope = s.const(np.array([attribute(node, "alpha", 0.01)], np.float32))
    _emit_binary(s, node, "BNN_PRELU", slope, (1,))


UNARY_OPS = {"Relu": "BNN_RELU", "Neg": "BNN_NEG", "Abs": "BNN_ABS", "Sqrt": "BNN_SQRT", "Exp": "BNN_EXP",
             "Log": "BNN_LOG", "Sigmoid": "BNN_SIGMOID", "Tanh": "BNN_TANH", "Round": "BNN_ROUND",
             "Ceil": "BNN_CEIL", "Floor": "BNN_FLOOR", "Reciprocal": "BNN_RECIPROCAL", "Sign": "BNN_SIGN"}


def _emit_unary(s: Schedule, node: ir.Node) -> None:
    s.parallel("eltwise", _size(node.inputs[0]), f"bnn_unary_f32({UNARY_OPS[node.op_type]}, (size_t)(hi - lo), "
                                                 f"{s.operand(node.inputs[0])} + lo, {s.operand(node.outputs[0])} + lo);")


def _emit_clip(s: Schedule, node: ir.Node) -> None:
    low, high = attribute(node, "min", -np.inf), attribute(node, "max", np.inf)
    if len(node.inputs) > 1 and node.inputs[1] is not None:
        low = _require_constant(node, 1, "Clip min").item()
    if len(node.inputs) > 2 and node.inputs[2] is not None:
        high = _require_constant(node, 2, "Clip max").item()
    s.parallel("eltwise", _size(node.inputs[0]),
               f"bnn_clip_f32((size_t)(hi - lo), {s.operand(node.inputs[0])} + lo, {float_literal(low)}, "
               f"{float_literal(high)}, {s.operand(node.outputs[0])} + lo);")


def _pool_fields(node: ir.Node, in_shape, out_shape, kernel) -> dict:
    return dict(C=in_shape[1], H=in_shape[2], W=in_shape[3], OH=out_shape[2], OW=out_shape[3],
                **_window_fields(window_attributes(node, kernel)))


def _emit_pool(s: Schedule, node: ir.Node) -> None:
    in_shape, out_shape = shape_of(node.inputs[0]), shape_of(node.outputs[0])
    if len(in_shape) != 4:
        raise BnnccError("only 2-D pooling is supported", node=source_label(node))
    if int(attribute(node, "ceil_mode", 0)) and node.op_type == "AveragePool":
        raise BnnccError("AveragePool with ceil_mode is not supported", node=source_label(node))
    global_pool = node.op_type.startswith("Global")
    kernel = in_shape[2:] if global_pool else list(attribute(node, "kernel_shape"))
    channels, in_hw = in_shape[1], in_shape[2] * in_shape[3]
    out_hw = out_shape[2] * out_shape[3]
    x = f"{s.operand(node.inputs[0])} + (size_t)lo * {in_hw}"       # members split the channels
    y = f"{s.operand(node.outputs[0])} + (size_t)lo * {out_hw}"
    if node.op_type == "GlobalAveragePool":
        s.parallel("fpool", channels, f"bnn_global_avgpool_f32(hi - lo, {in_hw}, {x}, {y});")
        return
    p = s.params("bnn_pool_params", _pool_fields(node, in_shape, out_shape, kernel))
    if node.op_type in ("MaxPool", "GlobalMaxPool"):
        if len(node.outputs) > 1 and node.outputs[1].uses():
            raise BnnccError("MaxPool indices output is not supported", node=source_label(node))
        call = f"bnn_maxpool_f32(&q, {x}, {y});"
    else:
        call = f"bnn_avgpool_f32(&q, {int(attribute(node, 'count_include_pad', 0))}, {x}, {y});"
    s.parallel("fpool", channels, f"bnn_pool_params q = *{p}; q.C = hi - lo; {call}")


def _axis(node: ir.Node, rank: int, default: int) -> int:
    axis = int(attribute(node, "axis", default))
    return axis + rank if axis < 0 else axis


def _outer_n_inner(shape, axis) -> tuple[int, int, int]:
    return (int(np.prod(shape[:axis], dtype=np.int64)), shape[axis],
            int(np.prod(shape[axis + 1:], dtype=np.int64)))


def _emit_softmax(s: Schedule, node: ir.Node, opset: int) -> None:
    shape = shape_of(node.inputs[0])
    rank = len(shape)
    kernel = "bnn_softmax_f32" if node.op_type == "Softmax" else "bnn_logsoftmax_f32"
    if opset < 13:      # old semantics: flatten to 2-D at `axis` (default 1) and reduce the right part
        axis = _axis(node, rank, 1)
        outer, n, inner = int(np.prod(shape[:axis], dtype=np.int64)), int(np.prod(shape[axis:], dtype=np.int64)), 1
    else:
        outer, n, inner = _outer_n_inner(shape, _axis(node, rank, -1))
    s.call("softmax", f"{kernel}({outer}, {n}, {inner}, {s.operand(node.inputs[0])}, {s.operand(node.outputs[0])});")


def _emit_argmax(s: Schedule, node: ir.Node) -> None:
    shape = shape_of(node.inputs[0])
    outer, n, inner = _outer_n_inner(shape, _axis(node, len(shape), 0))
    s.call("softmax", f"bnn_argmax_f32({outer}, {n}, {inner}, {int(attribute(node, 'select_last_index', 0))}, "
                      f"{s.operand(node.inputs[0])}, {s.operand(node.outputs[0])});")


def _emit_topk(s: Schedule, node: ir.Node) -> None:
    shape = shape_of(node.inputs[0])
    k = int(_require_constant(node, 1, "TopK k").reshape(-1)[0])
    outer, n, inner = _outer_n_inner(shape, _axis(node, len(shape), -1))
    if not int(attribute(node, "sorted", 1)):
        raise BnnccError("TopK with sorted=0 is not supported", node=source_label(node))
    s.call("softmax", f"bnn_topk_f32({outer}, {n}, {inner}, {k}, {int(attribute(node, 'largest', 1))}, "
                      f"{s.operand(node.inputs[0])}, {s.operand(node.outputs[0])}, {s.operand(node.outputs[1])});")


def _emit_transpose(s: Schedule, node: ir.Node) -> None:
    shape = shape_of(node.inputs[0])
    perm = attribute(node, "perm", list(range(len(shape)))[::-1])
    if len(shape) > 6:
        raise BnnccError("Transpose of rank > 6 is not supported", node=source_label(node))
    s.call("copy", f"bnn_transpose_f32({len(shape)}, (const int[]){int_list(shape)}, (const int[]){int_list(perm)}, "
                   f"{s.operand(node.inputs[0])}, {s.operand(node.outputs[0])});")


def _emit_concat(s: Schedule, node: ir.Node) -> None:
    _copy_ranges(s, node.outputs[0], zip(joined_cuts(node), node.inputs), into_whole=True)


def _emit_split(s: Schedule, node: ir.Node) -> None:
    _copy_ranges(s, node.inputs[0], zip(split_cuts(node), node.outputs), into_whole=False)


def _emit_slice(s: Schedule, node: ir.Node) -> None:
    _copy_ranges(s, node.inputs[0], [(slice_cut(node), node.outputs[0])], into_whole=False)


def _copy_ranges(s: Schedule, whole: ir.Value, pieces, into_whole: bool) -> None:
    """Block copies between each piece and its range of `whole` (Concat writes, Split and Slice read),
    but for the pieces the memory plan put there already."""
    for cut, piece in pieces:
        count = (cut.stop - cut.start) * cut.step
        if count == 0 or (cut.outer == 1 and s.plan.in_place(piece, whole, range_shift(cut, whole))):
            continue
        ranged = f"{s.operand(whole)} + {cut.start * cut.step}"
        source, target = (s.operand(piece), ranged) if into_whole else (ranged, s.operand(piece))
        strides = (count, cut.inner) if into_whole else (cut.inner, count)
        s.call("copy", f"bnn_copy_blocks_f32({cut.outer}, {count}, {strides[0]}, {strides[1]}, {source}, {target});")


def _opset_aware(emit):
    return lambda s, node: emit(s, node, node.version or s.graph.opset_imports.get("", 13))


# Ops whose kernels take the whole shape (elementwise ops, or work along one axis with outer and
# inner loops), not one sample's [C, H, W].
ANY_LEADING_DIMENSION = {("", op) for op in ("Gemm", "MatMul", "LeakyRelu", "Clip", "Softmax", "LogSoftmax", "ArgMax",
                                             "TopK", "Transpose", "Concat", "Split", "Slice", *BINARY_OPS, *UNARY_OPS)}

EMITTERS: dict[tuple[str, str], Callable[[Schedule, ir.Node], None]] = {
    (DOMAIN, "Threshold"): lambda s, n: _emit_threshold(s, n, packed=False),
    (DOMAIN, "ThresholdPack"): lambda s, n: _emit_threshold(s, n, packed=True),
    (DOMAIN, "PackBits"): _emit_pack_bits,
    (DOMAIN, "Sign"): _emit_sign,
    (DOMAIN, "BinaryConvPacked"): _emit_binary_conv,
    (DOMAIN, "BinaryConvAffine"): _emit_binary_conv,
    (DOMAIN, "BinaryMaxPool"): _emit_binary_maxpool,
    (DOMAIN, "ConcatBits"): _emit_concat_bits,
    (DOMAIN, "SliceBits"): _emit_slice_bits,
    (DOMAIN, "MultiThreshold"): _emit_multithreshold,
    (DOMAIN, "ChannelAffine"): _emit_channel_affine,
    (DOMAIN, "MaxPoolAffine"): _emit_maxpool_affine,
    (DOMAIN, "ConvMaxPoolAffine"): _emit_conv_maxpool_affine,
    ("", "Conv"): _emit_conv,
    ("", "Gemm"): _emit_gemm,
    ("", "MatMul"): _emit_gemm,
    ("", "BatchNormalization"): _emit_batchnorm,
    ("", "LeakyRelu"): _emit_leaky_relu,
    ("", "Clip"): _emit_clip,
    ("", "MaxPool"): _emit_pool,
    ("", "AveragePool"): _emit_pool,
    ("", "GlobalAveragePool"): _emit_pool,
    ("", "GlobalMaxPool"): _emit_pool,
    ("", "Softmax"): _opset_aware(_emit_softmax),
    ("", "LogSoftmax"): _opset_aware(_emit_softmax),
    ("", "ArgMax"): _emit_argmax,
    ("", "TopK"): _emit_topk,
    ("", "Transpose"): _emit_transpose,
    ("", "Concat"): _emit_concat,
    ("", "Split"): _emit_split,
    ("", "Slice"): _emit_slice,
    **{("", op): _emit_binary for op in BINARY_OPS},
    **{("", op): _emit_unary for op in UNARY_OPS},
}
