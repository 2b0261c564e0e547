"""The canonical bnncc graph (after the target-neutral passes) as a Relax module, batch first.

Every node becomes one Relax binding, in graph order:

* standard ONNX float ops become TVM's own operators (`relax.op`: conv2d, matmul, pools, softmax,
  elementwise ops), which TVM legalizes to TOPI's TIR and, for GPUs, schedules with DLight;
* `ai.bnncc` ops become the TE kernels of `kernels.py`, one PrimFunc each (`emit_te`), marked
  with the attribute `bnncc.kernel` so that `schedules.py` can schedule them itself.

Batch. The graph is static at batch 1. Here the first dimension of every tensor that depends on a
batched input is the batch: a symbolic `batch` variable (any batch at run time) or a given size.
A node's outputs are batched when one of its run-time inputs is; ops that would mix samples
(an axis-0 reduction, softmax or concat over the batch, a reshape or transpose that moves it)
are refused with the node named, so every sample's result is the batch-1 graph's result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import numpy as np
import onnx_ir as ir
import tvm
from tvm import relax, te, tirx, topi

from ..errors import BnnccError
from ..frontend.importer import TensorSpec
from ..ir import DOMAIN, attribute, constant, shape_of
from ..ops import OPS
from ..ops.channel_affine import batchnorm_coefficients
from ..ops.slicing import slice_cut, split_cuts
from ..ops.windows import WINDOW_ATTRIBUTES, window_attributes
from . import kernels
from .kernels import KERNEL_ATTR, Window

BATCH_VAR = "batch"


@dataclass
class Lowered:
    """A Relax module whose function `main` takes the graph inputs and returns a tuple of the outputs."""

    module: tvm.IRModule
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    batch: int | None                      # None: any batch (symbolic)
    kernels: dict[str, int] = field(default_factory=dict)   # bnncc kernels emitted, by op
    constant_bytes: dict[str, int] = field(default_factory=dict)  # embedded constants: packed_binary, other


def lower_graph(model: ir.Model, inputs: list[TensorSpec], outputs: list[TensorSpec],
                batch: int | None = None, target: str = "llvm", tensor_cores: bool = False,
                float_convs: bool | None = None) -> Lowered:
    """Lower the final graph of `bnncc.pipeline.run_passes(..., target=None)` to Relax for the
    TVM target kind 'llvm' or 'cuda' (which decides how kernels keep float products rounded).
    tensor_cores (cuda): binary convs that qualify sum on the 1-bit MMA (`tensor_cores.py`).
    float_convs: float convs (group 1) as bnncc kernels (`kernels.float_conv`, scheduled by
    bnncc on CUDA) instead of Relax's conv2d (TOPI's, scheduled by DLight on CUDA); default: on
    CUDA only."""
    if tensor_cores and target != "cuda":
        raise ValueError("tensor_cores needs the cuda target")
    float_convs = target == "cuda" if float_convs is None else float_convs
    return _Lowering(model, batch, kernels.PRODUCTS[target], tensor_cores, float_convs).run(inputs, outputs)


def _window(attributes: dict) -> Window:
    return Window(kernel=tuple(attributes["kernel_shape"]), strides=tuple(attributes.get("strides") or (1, 1)),
                  dilations=tuple(attributes.get("dilations") or (1, 1)),
                  pads=tuple(attributes.get("pads") or (0, 0, 0, 0)))


class _Lowering:
    def __init__(self, model: ir.Model, batch: int | None, product: Callable, tensor_cores: bool = False,
                 float_convs: bool = False):
        self.model, self.graph = model, model.graph
        self.product = product
        self.tensor_cores = tensor_cores
        self.float_convs = float_convs
        self.batch = tirx.Var(BATCH_VAR, "int64") if batch is None else tirx.IntImm("int64", int(batch))
        self.fixed_batch = batch
        self.values: dict[int, relax.Expr] = {}
        self.batched: set[int] = set()
        self.kernels: dict[str, int] = {}
        self.constant_bytes = {"packed_binary": 0, "other": 0}
        self.bb = relax.BlockBuilder()
        self.te_kernels = kernels       # the TE kernel library the ai.bnncc ops' lowerings call

    # -- driver ------------------------------------------------------------------------------
    def run(self, inputs: list[TensorSpec], outputs: list[TensorSpec]) -> Lowered:
        params = []
        for spec, value in zip(inputs, self.graph.inputs):
            shape = self._shape(spec.shape, spec.batched)
            var = relax.Var(f"input{len(params)}", relax.TensorType(shape, str(spec.dtype)))
            params.append(var)
            self.values[id(value)] = var
            if spec.batched:
                self.batched.add(id(value))
        with self.bb.function("main", params):
            with self.bb.dataflow():
                for node in self.graph:
                    self._node(node)
                results = []
                for spec, value in zip(outputs, self.graph.outputs):
                    if spec.batched != (id(value) in self.batched) and self.fixed_batch != 1:
                        raise BnnccError(f"output {value.name!r}: its batch dimension does not follow the inputs' "
                                         "(an output computed from constants only, or a reshape of the batch)")
                    results.append(self.operand(value))
                result = self.bb.emit_output(relax.Tuple(results))
            self.bb.emit_func_output(result)
        return Lowered(self.bb.get(), list(inputs), list(outputs), self.fixed_batch, self.kernels, self.constant_bytes)

    def _node(self, node: ir.Node) -> None:
        lower = OPS[node.op_type].lower_tvm if node.domain == DOMAIN and node.op_type in OPS \
            else LOWERINGS.get((node.domain, node.op_type))
        if lower is None:
            raise BnnccError(f"op {node.op_type} has no TVM lowering", node=node.name)
        runtime_inputs = [v for v in node.inputs if v is not None and constant(v) is None]
        batched = any(id(v) in self.batched for v in runtime_inputs)
        results = lower(self, node, batched)
        if not isinstance(results, (list, tuple)):
            results = [results]
        for value, result in zip(node.outputs, results):
            self.values[id(value)] = result
            if batched:
                self.batched.add(id(value))

    # -- operands ----------------------------------------------------------------------------
    def _shape(self, static, batched: bool) -> list:
        """Relax shape of a value whose batch-1 shape is `static`."""
        static = [int(d) for d in static]
        if batched:
            if not static or static[0] != 1:
                raise BnnccError(f"a batched tensor of shape {static} does not start with the batch dimension")
            return [self.batch] + static[1:]
        return static

    def constant(self, array) -> relax.Expr:
        """A constant embedded in the module, its bytes counted (packed binary weights apart)."""
        array = np.array(array, order="C")          # (ascontiguousarray would make a scalar [1])
        self.constant_bytes["packed_binary" if array.dtype == np.uint64 else "other"] += array.nbytes
        return relax.const(array)

    def operand(self, value: ir.Value) -> relax.Expr:
        array = constant(value)
        if array is not None:
            return self.constant(array.astype(np.float32) if array.dtype == np.float64 else array)
        if id(value) not in self.values:
            raise BnnccError(f"value {value.name!r} is read before it is computed")
        return self.values[id(value)]

    def array(self, node: ir.Node, index: int, what: str, dtype=None) -> np.ndarray:
        value = node.inputs[index] if index < len(node.inputs) else None
        array = constant(value) if value is not None else None
        if array is None:
            raise BnnccError(f"{what} must be a constant", node=node.name)
        return array.astype(dtype) if dtype is not None else array

    def conv2d(self, node: ir.Node, x: relax.Expr, weights: np.ndarray, window: Window, group: int,
               bias_value: ir.Value | None) -> relax.Expr:
        """A float conv: the bnncc kernel (`float_convs`, group 1) or Relax's conv2d, + the bias."""
        if self.float_convs and group == 1:
            operands = [x, self.constant(np.ascontiguousarray(weights))]
            if bias_value is not None:
                operands.append(self.constant(self.array(node, 2, "Conv bias", np.float32).reshape(-1)))
            return self.kernel("float_conv", partial(kernels.float_conv, window=window, product=self.product),
                               *operands)
        pt, pl, pb, pr = window.pads
        y = self.emit(relax.op.nn.conv2d(x, self.constant(np.ascontiguousarray(weights)), strides=window.strides,
                                         padding=(pt, pl, pb, pr), dilation=window.dilations, groups=group))
        if bias_value is not None:
            bias = self.array(node, 2, "Conv bias", np.float32).reshape(1, -1, 1, 1)
            y = self.emit(relax.op.add(y, self.constant(np.ascontiguousarray(bias))))
        return y

    def emit(self, expr: relax.Expr) -> relax.Expr:
        return self.bb.emit(expr)

    def kernel(self, name: str, function: Callable, *tensors) -> relax.Expr:
        """One bnncc kernel: a PrimFunc marked `bnncc.kernel` = name, called on `tensors`."""
        self.kernels[name] = self.kernels.get(name, 0) + 1
        return self.bb.emit_te(function, *tensors, primfunc_name_hint=f"bnncc_{name}",
                               primfunc_attrs={KERNEL_ATTR: name})

    def threshold_constants(self, node: ir.Node, first: int):
        """(T, D) per channel from the node's inputs `first` and `first + 1`; a NaN threshold (no value
        is +1) becomes D = 0 (see kernels.minus_decision)."""
        thresholds = self.array(node, first, "thresholds", np.float32).reshape(-1)
        directions = self.array(node, first + 1, "directions", np.int8).reshape(-1)
        never = np.isnan(thresholds)
        directions = np.where(never, 0, np.sign(directions)).astype(np.int8)
        thresholds = np.where(never, 0, thresholds).astype(np.float32)
        return self.constant(thresholds), self.constant(directions)

    def window(self, node: ir.Node, prefix: str = "") -> Window:
        """The window of a bnncc node (explicit pads); `prefix` picks a second one (pool_...)."""
        return _window({name: attribute(node, prefix + name) for name in WINDOW_ATTRIBUTES})

    def outputs_of(self, expr: relax.Expr, count: int) -> list[relax.Expr]:
        return [self.bb.emit(relax.TupleGetItem(expr, i)) for i in range(count)]

    def static_to_relax(self, node: ir.Node, batched: bool, index: int = 0) -> list:
        return self._shape(shape_of(node.outputs[index]), batched)

    def axis(self, node: ir.Node, rank: int, default: int, batched: bool, what: str) -> int:
        axis = int(attribute(node, "axis", default))
        axis = axis + rank if axis < 0 else axis
        if batched and axis == 0:
            raise BnnccError(f"{what} over the batch axis would mix samples", node=node.name)
        return axis


# -- float ops -----------------------------------------------------------------------------------
def _lower_conv(lowering: _Lowering, node: ir.Node, batched: bool):
    if len(shape_of(node.inputs[0])) != 4:
        raise BnnccError("only 2-D convolution is supported", node=node.name)
    weights = lowering.array(node, 1, "Conv weights", np.float32)
    window = _window(window_attributes(node, weights.shape[2:]))
    return lowering.conv2d(node, lowering.operand(node.inputs[0]), weights, window, int(attribute(node, "group", 1)),
                           node.inputs[2] if len(node.inputs) > 2 else None)


def _lower_gemm(lowering: _Lowering, node: ir.Node, batched: bool):
    """Gemm/MatMul with a constant right operand: Gemm's alpha and transB go into the constant (as
    the C path does), beta into the bias; MatMul of two run-time tensors stays a matmul."""
    a = lowering.operand(node.inputs[0])
    if node.op_type == "MatMul" and constant(node.inputs[1]) is None:
        return lowering.emit(relax.op.matmul(a, lowering.operand(node.inputs[1])))
    b = lowering.array(node, 1, "the second MatMul/Gemm operand", np.float32)
    bias = None
    if node.op_type == "Gemm":
        if int(attribute(node, "transA", 0)):
            raise BnnccError("Gemm with transA is not supported", node=node.name)
        if int(attribute(node, "transB", 0)):
            b = b.T
        alpha, beta = np.float32(attribute(node, "alpha", 1.0)), np.float32(attribute(node, "beta", 1.0))
        if alpha != 1:
            b = b * alpha
        if len(node.inputs) > 2 and node.inputs[2] is not None:
            c = lowering.array(node, 2, "Gemm bias", np.float32)
            bias = c * beta if beta != 1 else c
    y = lowering.emit(relax.op.matmul(a, lowering.constant(np.ascontiguousarray(b, np.float32))))
    if bias is not None:
        y = lowering.emit(relax.op.add(y, lowering.constant(np.ascontiguousarray(bias, np.float32))))
    return y


def _lower_batchnorm(lowering: _Lowering, node: ir.Node, batched: bool):
    """A BatchNormalization the passes left alone: onnxruntime's (scale, bias), as ChannelAffine."""
    gamma, beta, mean, var = (lowering.array(node, i, "BatchNormalization parameters") for i in range(1, 5))
    scale, bias = batchnorm_coefficients(gamma, beta, mean, var, float(attribute(node, "epsilon", 1e-5)))
    return lowering.kernel("channel_affine", partial(kernels.channel_affine, product=lowering.product),
                           lowering.operand(node.inputs[0]), lowering.constant(scale.reshape(-1)), lowering.constant(bias.reshape(-1)))


BINARY_OPS = {"Add": relax.op.add, "Sub": relax.op.subtract, "Mul": relax.op.multiply, "Div": relax.op.divide,
              "Pow": relax.op.power, "Max": relax.op.maximum, "Min": relax.op.minimum}


def _lower_binary(lowering: _Lowering, node: ir.Node, batched: bool):
    if len(node.inputs) != 2:
        raise BnnccError(f"{node.op_type} with {len(node.inputs)} inputs is not supported", node=node.name)
    a, b = (lowering.operand(v) for v in node.inputs)
    return lowering.emit(BINARY_OPS[node.op_type](a, b))


def _lower_prelu(lowering: _Lowering, node: ir.Node, batched: bool):
    x, slope = (lowering.operand(v) for v in node.inputs)
    zero = lowering.constant(np.float32(0))
    return lowering.emit(relax.op.where(relax.op.less(x, zero), relax.op.multiply(x, slope), x))


def _lower_leaky_relu(lowering: _Lowering, node: ir.Node, batched: bool):
    return lowering.emit(relax.op.nn.leakyrelu(lowering.operand(node.inputs[0]), float(attribute(node, "alpha", 0.01))))


def _nearbyint(x: te.Tensor) -> te.Tensor:
    """ONNX Round: to nearest, ties to even (nearbyint in the default rounding mode)."""
    return te.compute(x.shape, lambda *i: tirx.nearbyint(x[i]), name="round")


UNARY_OPS = {"Relu": relax.op.nn.relu, "Neg": relax.op.negative, "Abs": relax.op.abs, "Sqrt": relax.op.sqrt,
             "Exp": relax.op.exp, "Log": relax.op.log, "Sigmoid": relax.op.sigmoid, "Tanh": relax.op.tanh,
             "Ceil": relax.op.ceil, "Floor": relax.op.floor, "Sign": relax.op.sign,
             "Reciprocal": lambda x: relax.op.divide(relax.const(np.float32(1)), x)}


def _lower_unary(lowering: _Lowering, node: ir.Node, batched: bool):
    x = lowering.operand(node.inputs[0])
    if node.op_type == "Round":
        return lowering.bb.emit_te(_nearbyint, x, primfunc_name_hint="round_half_even")
    return lowering.emit(UNARY_OPS[node.op_type](x))


def _lower_clip(lowering: _Lowering, node: ir.Node, batched: bool):
    """min(max(x, low), high) with the bounds that are given (attributes before opset 11)."""
    low, high = attribute(node, "min", None), attribute(node, "max", None)
    if len(node.inputs) > 1 and node.inputs[1] is not None:
        low = lowering.array(node, 1, "Clip min").item()
    if len(node.inputs) > 2 and node.inputs[2] is not None:
        high = lowering.array(node, 2, "Clip max").item()
    y = lowering.operand(node.inputs[0])
    if low is not None:
        y = lowering.emit(relax.op.maximum(y, lowering.constant(np.float32(low))))
    if high is not None:
        y = lowering.emit(relax.op.minimum(y, lowering.constant(np.float32(high))))
    return y


def _lower_pool(lowering: _Lowering, node: ir.Node, batched: bool):
    shape = shape_of(node.inputs[0])
    if len(shape) != 4:
        raise BnnccError("only 2-D pooling is supported", node=node.name)
    x = lowering.operand(node.inputs[0])
    if node.op_type == "GlobalAveragePool":
        return lowering.emit(relax.op.mean(x, axis=[2, 3], keepdims=True))
    if node.op_type == "GlobalMaxPool":
        return lowering.emit(relax.op.max(x, axis=[2, 3], keepdims=True))
    if len(node.outputs) > 1 and node.outputs[1].uses():
        raise BnnccError("MaxPool indices output is not supported", node=node.name)
    window = _window(window_attributes(node, attribute(node, "kernel_shape")))
    pt, pl, pb, pr = window.pads
    common = dict(pool_size=window.kernel, strides=window.strides, padding=(pt, pl, pb, pr),
                  dilation=window.dilations, ceil_mode=bool(int(attribute(node, "ceil_mode", 0))))
    if node.op_type == "MaxPool":
        return lowering.emit(relax.op.nn.max_pool2d(x, **common))
    # TOPI's average pool (what Relax legalizes avg_pool2d to), scheduled by bnncc: DLight's
    # fallback gives it blocks of 4 threads
    return lowering.kernel("average_pool", partial(
        topi.nn.pool2d, kernel=window.kernel, stride=window.strides, dilation=window.dilations, padding=(pt, pl, pb, pr),
        pool_type="avg", ceil_mode=common["ceil_mode"], layout="NCHW",
        count_include_pad=bool(int(attribute(node, "count_include_pad", 0)))), x)


def _lower_softmax(lowering: _Lowering, node: ir.Node, batched: bool):
    """Softmax/LogSoftmax; before opset 13 over everything right of `axis` (default 1)."""
    function = relax.op.nn.softmax if node.op_type == "Softmax" else relax.op.nn.log_softmax
    shape = shape_of(node.inputs[0])
    x = lowering.operand(node.inputs[0])
    opset = node.version or lowering.model.opset_imports.get("", 13)
    if opset >= 13:
        return lowering.emit(function(x, axis=lowering.axis(node, len(shape), -1, batched, node.op_type)))
    axis = lowering.axis(node, len(shape), 1, batched, node.op_type)
    if axis == len(shape) - 1:
        return lowering.emit(function(x, axis=axis))
    flat = lowering._shape(list(shape[:axis]) + [int(np.prod(shape[axis:]))], batched)
    y = lowering.emit(function(lowering.emit(relax.op.reshape(x, flat)), axis=-1))
    return lowering.emit(relax.op.reshape(y, lowering._shape(shape, batched)))


def _lower_argmax(lowering: _Lowering, node: ir.Node, batched: bool):
    if int(attribute(node, "select_last_index", 0)):
        raise BnnccError("ArgMax with select_last_index is not supported", node=node.name)
    axis = lowering.axis(node, len(shape_of(node.inputs[0])), 0, batched, "ArgMax")
    y = lowering.emit(relax.op.argmax(lowering.operand(node.inputs[0]), axis=axis,
                                      keepdims=bool(int(attribute(node, "keepdims", 1)))))
    return lowering.emit(relax.op.astype(y, "int64"))


def _lower_topk(lowering: _Lowering, node: ir.Node, batched: bool):
    if not int(attribute(node, "sorted", 1)):
        raise BnnccError("TopK with sorted=0 is not supported", node=node.name)
    k = int(lowering.array(node, 1, "TopK k").reshape(-1)[0])
    axis = lowering.axis(node, len(shape_of(node.inputs[0])), -1, batched, "TopK")
    both = lowering.emit(relax.op.topk(lowering.operand(node.inputs[0]), k=k, axis=axis,
                                       largest=bool(int(attribute(node, "largest", 1))), dtype="int64"))
    return lowering.outputs_of(both, 2)


def _lower_transpose(lowering: _Lowering, node: ir.Node, batched: bool):
    rank = len(shape_of(node.inputs[0]))
    perm = [int(p) for p in attribute(node, "perm", list(range(rank))[::-1])]
    if batched and perm[0] != 0:
        raise BnnccError("a Transpose that moves the batch axis is not supported", node=node.name)
    return lowering.emit(relax.op.permute_dims(lowering.operand(node.inputs[0]), perm))


def _lower_concat(lowering: _Lowering, node: ir.Node, batched: bool):
    axis = lowering.axis(node, len(shape_of(node.outputs[0])), 0, batched, "Concat")
    parts = [lowering.operand(v) for v in node.inputs]
    if batched:
        parts = [_batched_operand(lowering, v, part) for v, part in zip(node.inputs, parts)]
    return lowering.emit(relax.op.concat(parts, axis=axis))


def _lower_split(lowering: _Lowering, node: ir.Node, batched: bool):
    cuts = split_cuts(node)
    _refuse_batch_cut(cuts[0], batched, node)
    parts = lowering.emit(relax.op.split(lowering.operand(node.inputs[0]), [cut.stop for cut in cuts[:-1]],
                                         axis=cuts[0].axis))
    return lowering.outputs_of(parts, len(cuts))


def _lower_slice(lowering: _Lowering, node: ir.Node, batched: bool):
    cut = slice_cut(node)
    _refuse_batch_cut(cut, batched, node)
    return lowering.emit(relax.op.strided_slice(lowering.operand(node.inputs[0]), axes=[cut.axis], begin=[cut.start],
                                                end=[cut.stop]))


def _refuse_batch_cut(cut, batched: bool, node: ir.Node) -> None:
    if batched and cut.axis == 0:
        raise BnnccError(f"{node.op_type} along the batch axis would mix samples", node=node.name)


def _batched_operand(lowering: _Lowering, value: ir.Value, expr: relax.Expr) -> relax.Expr:
    """A constant operand of a batched concat, repeated along the batch (each sample sees it)."""
    if constant(value) is None:
        return expr
    shape = lowering._shape(shape_of(value), True)
    return lowering.emit(relax.op.broadcast_to(expr, shape))


def _lower_view(lowering: _Lowering, node: ir.Node, batched: bool):
    """Reshape/Flatten/Squeeze/Unsqueeze/Identity/Dropout: the node's static output shape with the
    batch in front; the batch must stay the first axis and each sample keep its own elements."""
    in_shape, out_shape = shape_of(node.inputs[0]), shape_of(node.outputs[0])
    if batched and (not out_shape or out_shape[0] != 1 or not in_shape or in_shape[0] != 1):
        raise BnnccError(f"{node.op_type} from {list(in_shape)} to {list(out_shape)} moves the batch dimension",
                         node=node.name)
    x = lowering.operand(node.inputs[0])
    return lowering.emit(relax.op.reshape(x, lowering._shape(out_shape, batched)))


LOWERINGS: dict[tuple[str, str], Callable] = {
    ("", "Conv"): _lower_conv,
    ("", "Gemm"): _lower_gemm,
    ("", "MatMul"): _lower_gemm,
    ("", "BatchNormalization"): _lower_batchnorm,
    ("", "PRelu"): _lower_prelu,
    ("", "LeakyRelu"): _lower_leaky_relu,
    ("", "Clip"): _lower_clip,
    ("", "Round"): _lower_unary,
    ("", "MaxPool"): _lower_pool,
    ("", "AveragePool"): _lower_pool,
    ("", "GlobalAveragePool"): _lower_pool,
    ("", "GlobalMaxPool"): _lower_pool,
    ("", "Softmax"): _lower_softmax,
    ("", "LogSoftmax"): _lower_softmax,
    ("", "ArgMax"): _lower_argmax,
    ("", "TopK"): _lower_topk,
    ("", "Transpose"): _lower_transpose,
    ("", "Concat"): _lower_concat,
    ("", "Split"): _lower_split,
    ("", "Slice"): _lower_slice,
    **{("", op): _lower_view for op in ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout")},
    **{("", op): _lower_binary for op in BINARY_OPS},
    **{("", op): _lower_unary for op in UNARY_OPS},
}
