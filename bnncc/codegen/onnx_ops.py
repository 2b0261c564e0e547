"""C emitters of the standard ONNX ops that run as float kernels (the ai.bnncc ops carry their own,
`bnncc.ops`): one function per op family, registered in `EMITTERS` by (domain, op type)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np
import onnx_ir as ir

from ..errors import BnnccError
from ..ir import attribute, shape_of, source_label
from ..ops.channel_affine import batchnorm_coefficients
from ..ops.slicing import joined_cuts, slice_cut, split_cuts
from ..ops.windows import window_attributes
from .c_source import float_literal, int_list
from .emit import channels_hw, panels, pool_params, require_constant, size, window_fields
from .memory_plan import range_shift

if TYPE_CHECKING:
    from .schedule import Schedule


def _emit_conv(s: Schedule, node: ir.Node) -> None:
    in_shape, out_shape = shape_of(node.inputs[0]), shape_of(node.outputs[0])
    weights = require_constant(node, 1, "Conv weights")
    if len(in_shape) != 4:
        raise BnnccError(f"only 2-D convolution is supported (input rank {len(in_shape)})", node=source_label(node))
    group = int(attribute(node, "group", 1))
    window = window_attributes(node, weights.shape[2:])
    fields = dict(C=in_shape[1], H=in_shape[2], W=in_shape[3], M=out_shape[1], OH=out_shape[2], OW=out_shape[3],
                  **window_fields(window), G=group)
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
        count, m_begin, m_end = panels(kernel.mr, fields["M"])
        share(kernel.source, count, f"bnn_conv2d_f32{kernel.suffix}({p}, {x}, {w}, {bias}, {'scratch' if scratch else 'NULL'}, "
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
    b = require_constant(node, 1, "the second MatMul/Gemm operand").astype(np.float32)
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
            c = require_constant(node, 2, "Gemm bias").astype(np.float32)
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
        count, n_begin, n_end = panels(kernel.nr, n)
        w = s.const(kernel.matmul_weights(np.ascontiguousarray(b)))
        s.balanced(kernel.source, count, f"bnn_matmul_f32{kernel.suffix}({m}, {k}, {n}, {a}, {w}, {bias}, {n_begin}, "
                                           f"{n_end}, {y});")
        return
    w = s.const(np.ascontiguousarray(b))
    s.parallel("fgemm", m, f"bnn_matmul_f32(hi - lo, {k}, {n}, {a} + (size_t)lo * {k}, {w}, {bias}, "
                           f"{y} + (size_t)lo * {n});")


def _emit_batchnorm(s: Schedule, node: ir.Node) -> None:
    gamma, beta, mean, var = (require_constant(node, i, "BatchNormalization parameters") for i in range(1, 5))
    scale, bias = batchnorm_coefficients(gamma, beta, mean, var, float(attribute(node, "epsilon", 1e-5)))
    c, hw = channels_hw(node.inputs[0])
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
    s.parallel("eltwise", size(node.inputs[0]), f"bnn_unary_f32({UNARY_OPS[node.op_type]}, (size_t)(hi - lo), "
                                                 f"{s.operand(node.inputs[0])} + lo, {s.operand(node.outputs[0])} + lo);")


def _emit_clip(s: Schedule, node: ir.Node) -> None:
    low, high = attribute(node, "min", -np.inf), attribute(node, "max", np.inf)
    if len(node.inputs) > 1 and node.inputs[1] is not None:
        low = require_constant(node, 1, "Clip min").item()
    if len(node.inputs) > 2 and node.inputs[2] is not None:
        high = require_constant(node, 2, "Clip max").item()
    s.parallel("eltwise", size(node.inputs[0]),
               f"bnn_clip_f32((size_t)(hi - lo), {s.operand(node.inputs[0])} + lo, {float_literal(low)}, "
               f"{float_literal(high)}, {s.operand(node.outputs[0])} + lo);")


def _pool_fields(node: ir.Node, in_shape, out_shape, kernel) -> dict:
    return dict(C=in_shape[1], H=in_shape[2], W=in_shape[3], OH=out_shape[2], OW=out_shape[3],
                **window_fields(window_attributes(node, kernel)))


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
    p = pool_params(s, _pool_fields(node, in_shape, out_shape, kernel))
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
    k = int(require_constant(node, 1, "TopK k").reshape(-1)[0])
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
