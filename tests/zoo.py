"""Test-model zoo: small BNNs built in code, mimicking what real exporters write.

Every builder returns an `onnx.ModelProto` (passed through `onnx.checker` where the dialect
allows it) and takes a seed for `numpy.random.default_rng`. Nothing is downloaded.

Real-export quirks reproduced here (see /work/shared/models/README.md for the originals):
- PyTorch exporter (fastinference): opset 11, IR 6, Greater(x,0)+Where(+1,-1) binarization
  with the constants in `Constant` nodes, ±1 conv/Gemm weights AND ±1 biases, Reshape whose
  target shape is built by Shape/Gather/Unsqueeze/Concat, dynamic batch dim 'batch_size',
  numeric tensor names ("24", "36"), BN `momentum` attribute, explicit default conv attrs.
- Brevitas/QONNX (TFC): `BipolarQuant` in domain `onnx.brevitas` not declared in
  opset_import, weights stored as ±1 floats and passed through BipolarQuant + Transpose,
  initializers also listed as graph inputs, input rescaled by Mul 2 / Sub 1, final BN written
  as Sub/Pow/Div/Mul/Add with a 1-channel broadcast, opset 9.
- tf2onnx/Larq: NHWC graph input followed by a Transpose, ste_sign as Sign(Sign(x)+0.1),
  optionally latent float weights binarized in-graph, TF-style tensor names ("conv2d/Conv2D:0").
- QONNX `Quant` with bitwidth 1 on float latent weights with a per-channel scale. NB: qonnx
  executes a signed 1-bit Quant as bipolar (x/scale >= 0 -> +scale, else -scale), whatever
  `narrow` says; a literal reading of the clamp formula (narrow=0) would give {-scale, 0}.
- FINN: `MultiThreshold` with thresholds [C,1] rounded to integers (RoundAndClipThresholds),
  out_scale 2 / out_bias -1, data_layout annotations, NHWC Transposes around it.

Zero handling differs per dialect: Sign(0)=0, Greater/Where maps 0 -> -1, BipolarQuant,
Larq ste_sign and MultiThreshold (x >= t) map 0 -> +1.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "bireal"))
from bireal import fold_batchnorms  # noqa: E402  (PyTorch's Conv+BatchNormalization folding)

FLOAT = TensorProto.FLOAT
BREVITAS = "onnx.brevitas"
QONNX = "qonnx.custom_op.general"
EPS = 1e-5
NEWEST_OPSET = onnx.defs.onnx_opset_version()


# --------------------------------------------------------------------------------------------
# small graph-building kit
# --------------------------------------------------------------------------------------------
class _Graph:
    """Accumulates nodes and initializers; names are numeric (PyTorch style) or hinted."""

    def __init__(self, numeric: bool = False, start: int = 20):
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.numeric = numeric
        self._n = start

    def fresh(self, hint: str) -> str:
        self._n += 1
        return str(self._n) if self.numeric else f"{hint}_{self._n}"

    def const(self, arr, hint: str = "const", name: str | None = None, dtype=np.float32) -> str:
        name = name or self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=dtype), name))
        return name

    def op(self, op_type: str, inputs, hint: str | None = None, domain: str = "", n_out: int = 1,
           out: str | None = None, **attrs):
        outs = [out] if out else [self.fresh(hint or op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, domain=domain or None, **attrs))
        return outs[0] if n_out == 1 else outs

    def constant_node(self, arr, dtype=np.float32) -> str:
        """A `Constant` node (PyTorch exports scalars this way), not an initializer."""
        return self.op("Constant", [], hint="cst", value=numpy_helper.from_array(np.asarray(arr, dtype=dtype)))

    def model(self, inputs, outputs, opsets: dict[str, int], ir_version: int | None = None,
              producer=("bnncc-zoo", "0"), inits_as_inputs: bool = False, check: bool = True,
              name: str = "zoo") -> onnx.ModelProto:
        graph_inputs = list(inputs)
        if inits_as_inputs:
            graph_inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in self.inits]
        graph = helper.make_graph(self.nodes, name, graph_inputs, list(outputs), initializer=self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()],
                                  producer_name=producer[0], producer_version=producer[1])
        if ir_version is not None:
            model.ir_version = ir_version
        if check:
            onnx.checker.check_model(model)
        return model


def _vi(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, FLOAT, shape)


def pm1(rng: np.random.Generator, shape) -> np.ndarray:
    """Exact ±1 float32 array."""
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


def bn_stats(rng: np.random.Generator, channels: int, fan_in: int, scale=None):
    """(gamma, beta, mean, var) for a layer summing `fan_in` ±1 products: balanced outputs.

    mean ~ N(0, sqrt(K)), var ~ U(0.5, 2)*K, gamma ~ N(1, 0.3) with ~20 % (at least one when
    channels > 1) flipped negative, beta ~ N(0, 0.2). `scale` (per channel) rescales mean and
    std for weights ±s instead of ±1.
    """
    k = float(fan_in)
    s = np.ones(channels) if scale is None else np.asarray(scale, dtype=np.float64).reshape(channels)
    mean = rng.normal(0.0, np.sqrt(k), channels) * s
    var = rng.uniform(0.5, 2.0, channels) * k * s * s
    gamma = rng.normal(1.0, 0.3, channels)
    flip = rng.random(channels) < 0.2
    if channels > 1 and not flip.any():
        flip[rng.integers(channels)] = True
    gamma = np.where(flip, -np.abs(gamma), gamma)
    beta = rng.normal(0.0, 0.2, channels)
    return tuple(a.astype(np.float32) for a in (gamma, beta, mean, var))


def _bn(g: _Graph, rng, x: str, channels: int, fan_in: int, style: str = "bn", rank: int = 4,
        scale=None, prefix: str | None = None, momentum: bool = True) -> str:
    """Batch norm as BatchNormalization ("bn") or folded Mul/Add constants ("muladd")."""
    gamma, beta, mean, var = bn_stats(rng, channels, fan_in, scale)
    if style == "bn":
        names = [None] * 4
        if prefix:
            names = [f"{prefix}.weight", f"{prefix}.bias", f"{prefix}.running_mean", f"{prefix}.running_var"]
        ins = [g.const(a, "bn", name=n) for a, n in zip((gamma, beta, mean, var), names)]
        attrs = {"epsilon": EPS}
        if momentum:
            attrs["momentum"] = 0.9
        return g.op("BatchNormalization", [x] + ins, hint="bn", **attrs)
    if style == "muladd":
        mul = gamma / np.sqrt(var + EPS)
        add = beta - mean * mul
        bshape = [1, channels] + [1] * (rank - 2) if rank > 2 else [channels]
        y = g.op("Mul", [x, g.const(mul.reshape(bshape), "bn_mul")], hint="bn_scaled")
        return g.op("Add", [y, g.const(add.reshape(bshape), "bn_add")], hint="bn_out")
    raise ValueError(style)


def _binarize(g: _Graph, x: str, kind: str, domain: str = BREVITAS) -> str:
    """Binarize activation `x` with the given dialect idiom."""
    if kind == "sign":
        return g.op("Sign", [x], hint="sign")
    if kind == "where":
        zero = g.constant_node(np.float32(0.0))
        cond = g.op("Greater", [x, zero], hint="gt")
        plus = g.constant_node(np.array([1.0], np.float32))
        minus = g.constant_node(np.array([-1.0], np.float32))
        return g.op("Where", [cond, plus, minus], hint="where")
    if kind == "ste":
        s = g.op("Sign", [x], hint="ste_sign_inner")
        a = g.op("Add", [s, g.const(np.float32(0.1), "ste_offset")], hint="ste_add")
        return g.op("Sign", [a], hint="ste_sign")
    if kind == "bipolar":
        return g.op("BipolarQuant", [x, g.const(np.float32(1.0), "bq_scale")], hint="bq", domain=domain)
    if kind == "quant":
        return _quant(g, x, np.float32(1.0), bits=1)
    if kind in COMPARE_IDIOMS:        # Where(x OP 0, +1, -1), the +1 branch where x is on the positive side
        op, plus_when_true = COMPARE_IDIOMS[kind]
        cond = g.op(op, [x, g.constant_node(np.float32(0.0))], hint=op.lower())
        ones = [g.constant_node(np.array([v], np.float32)) for v in (1.0, -1.0)]
        return g.op("Where", [cond] + (ones if plus_when_true else ones[::-1]), hint="where")
    if kind == "hardtanh_sign":       # nn.Hardtanh left in front of torch.sign
        clipped = g.op("Clip", [x, g.const(np.float32(-1), "lo"), g.const(np.float32(1), "hi")], hint="hardtanh")
        return g.op("Sign", [clipped], hint="sign")
    if kind == "two_x_minus_one":     # (x >= 0).float() * 2 - 1
        bits = g.op("Cast", [g.op("GreaterOrEqual", [x, g.constant_node(np.float32(0.0))], hint="ge")], to=FLOAT)
        return g.op("Sub", [g.op("Mul", [bits, g.constant_node(np.float32(2.0))], hint="twice"),
                            g.constant_node(np.float32(1.0))], hint="pm1")
    if kind == "ones_like":           # torch.where(x >= 0, ones_like(x), -ones_like(x)) with dynamic axes
        ones = g.op("ConstantOfShape", [g.op("Shape", [x])], hint="ones_like",
                    value=numpy_helper.from_array(np.array([1.0], np.float32)))
        cond = g.op("GreaterOrEqual", [x, g.constant_node(np.float32(0.0))], hint="ge")
        return g.op("Where", [cond, ones, g.op("Neg", [ones], hint="minus_ones")], hint="where")
    if kind == "expand":              # the ±1 branches broadcast to x's run-time shape by Expand
        shape = g.op("Shape", [x])
        plus, minus = (g.op("Expand", [g.constant_node(np.array([v], np.float32)), shape], hint="expand")
                       for v in (1.0, -1.0))
        return g.op("Where", [g.op("Greater", [x, g.constant_node(np.float32(0.0))], hint="gt"), plus, minus])
    raise ValueError(kind)


COMPARE_IDIOMS = {"greater": ("Greater", True), "greater_or_equal": ("GreaterOrEqual", True),
                  "less": ("Less", False), "less_or_equal": ("LessOrEqual", False)}


def _quant(g: _Graph, x: str, scale, bits: int, signed: int = 1, narrow: int = 0, domain: str = QONNX) -> str:
    return g.op("Quant", [x, g.const(scale, "q_scale"), g.const(np.float32(0.0), "q_zeropt"),
                          g.const(np.float32(bits), "q_bitwidth")],
                hint="quant", domain=domain, signed=signed, narrow=narrow, rounding_mode="ROUND")


def _conv(g: _Graph, x: str, w: str, k: int, b: str | None = None, pad: int = 0, stride: int = 1,
          hint: str = "conv", group: int = 1) -> str:
    ins = [x, w] + ([b] if b else [])
    return g.op("Conv", ins, hint=hint, dilations=[1, 1], group=group, kernel_shape=[k, k],
                pads=[pad] * 4, strides=[stride, stride])


def _out(n: int, k: int, pad: int, stride: int) -> int:
    return (n + 2 * pad - k) // stride + 1


# --------------------------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------------------------
def fastinference_style(seed: int = 0, channels: int = 8, dynamic_batch: bool = True) -> onnx.ModelProto:
    """PyTorch opset-11 conv BNN as fastinference exports it: Greater/Where, ±1 weights and biases, Shape-built Reshape, LogSoftmax."""
    rng = np.random.default_rng(seed)
    g = _Graph(numeric=True)
    batch = "batch_size" if dynamic_batch else 1
    side, hidden, classes = 16, 32, 10
    # Reshape [N, 256] -> [N, 1, 16, 16] with the batch taken from Shape at run time.
    shape = g.op("Shape", ["input"])
    idx = g.constant_node(np.int64(0), dtype=np.int64)
    n = g.op("Gather", [shape, idx], axis=0)
    n_1 = g.op("Unsqueeze", [n], axes=[0])
    tgt = g.op("Concat", [n_1] + [g.const([v], dtype=np.int64) for v in (1, side, side)], axis=0)
    x = g.op("Reshape", ["input", tgt])
    # conv1 on the real-valued input: ±1 weights and bias like the real export.
    x = _conv(g, x, g.const(pm1(rng, (channels, 1, 3, 3)), name="conv1.weight"), 3,
              g.const(pm1(rng, channels), name="conv1.bias"))
    x = _bn(g, rng, x, channels, 9, prefix="bn_1")
    x = _binarize(g, x, "where")
    x = g.op("MaxPool", [x], ceil_mode=0, kernel_shape=[2, 2], pads=[0, 0, 0, 0], strides=[2, 2])
    x = _conv(g, x, g.const(pm1(rng, (channels, channels, 3, 3)), name="conv2.weight"), 3,
              g.const(pm1(rng, channels), name="conv2.bias"))
    x = _bn(g, rng, x, channels, channels * 9, prefix="bn_2")
    x = _binarize(g, x, "where")
    x = g.op("MaxPool", [x], ceil_mode=0, kernel_shape=[2, 2], pads=[0, 0, 0, 0], strides=[2, 2])
    flat = channels * 2 * 2  # 16 -> 14 -> 7 -> 5 -> 2
    n_2 = g.op("Unsqueeze", [n], axes=[0])
    tgt2 = g.op("Concat", [n_2, g.const([flat], dtype=np.int64)], axis=0)
    x = g.op("Reshape", [x, tgt2])
    w, b = g.const(pm1(rng, (hidden, flat)), name="fc_1.weight"), g.const(pm1(rng, hidden), name="fc_1.bias")
    x = g.op("Gemm", [x, w, b], alpha=1.0, beta=1.0, transB=1)
    x = _bn(g, rng, x, hidden, flat, prefix="bn", rank=2)
    x = _binarize(g, x, "where")
    w, b = g.const(pm1(rng, (classes, hidden)), name="out.weight"), g.const(pm1(rng, classes), name="out.bias")
    x = g.op("Gemm", [x, w, b], alpha=1.0, beta=1.0, transB=1)
    g.op("LogSoftmax", [x], out="output", axis=1)
    return g.model([_vi("input", [batch, side * side])], [_vi("output", [batch, classes])], {"": 11},
                   ir_version=6, producer=("pytorch", "1.9"), name="torch-jit-export")


def plain_sign_mlp(seed: int = 0) -> onnx.ModelProto:
    """ONNX Sign-binarized MLP 64-48-40-10: MatMul with ±1 [K,N] weights, BN folded into Mul/Add."""
    rng = np.random.default_rng(seed)
    g = _Graph()
    dims = [64, 48, 40, 10]
    x = _binarize(g, "x", "sign")
    for i, (k, nout) in enumerate(zip(dims[:-1], dims[1:])):
        x = g.op("MatMul", [x, g.const(pm1(rng, (k, nout)), f"fc{i}_w")], hint="matmul")
        if i < len(dims) - 2:
            x = _bn(g, rng, x, nout, k, style="muladd", rank=2)
            x = _binarize(g, x, "sign")
    g.nodes[-1].output[0] = "y"
    return g.model([_vi("x", [1, dims[0]])], [_vi("y", [1, dims[-1]])], {"": 13})


def larq_ste_sign_conv(seed: int = 0, in_channels: int = 3, padding: int = 1, nhwc_input: bool = True,
                       latent_weights: bool = False) -> onnx.ModelProto:
    """Larq/tf2onnx conv BNN: ste_sign = Sign(Sign(x)+0.1), zero-padded ±1 convs 24/40 ch, GAP, float Gemm, Softmax."""
    rng = np.random.default_rng(seed)
    g = _Graph()
    c1, c2, c3, classes, side = 24, 40, 40, 10, 16
    inp = "input_1:0"
    if nhwc_input:
        x = g.op("Transpose", [inp], out="input_1_nchw:0", perm=[0, 3, 1, 2])
        in_shape = [1, side, side, in_channels]
    else:
        x, in_shape = inp, [1, in_channels, side, side]
    x = _conv(g, x, g.const(rng.normal(0, 1, (c1, in_channels, 3, 3)), name="conv2d/Conv2D/ReadVariableOp:0"), 3,
              pad=1, hint="conv2d/Conv2D:0")
    x = _bn(g, rng, x, c1, in_channels * 9, momentum=False)
    x = _binarize(g, x, "ste")
    if latent_weights:  # larq stores latent weights; tf2onnx keeps the kernel quantizer in the graph
        w2 = _binarize(g, g.const(rng.normal(0, 0.1, (c2, c1, 3, 3)), name="quant_conv2d/kernel:0"), "ste")
    else:
        w2 = g.const(pm1(rng, (c2, c1, 3, 3)), name="quant_conv2d/kernel:0")
    x = _conv(g, x, w2, 3, pad=padding, hint="quant_conv2d/Conv2D:0")
    x = _bn(g, rng, x, c2, c1 * 9, momentum=False)
    x = _binarize(g, x, "ste")
    x = _conv(g, x, g.const(pm1(rng, (c3, c2, 3, 3)), name="quant_conv2d_1/kernel:0"), 3, pad=padding, stride=2,
              hint="quant_conv2d_1/Conv2D:0")
    x = _bn(g, rng, x, c3, c2 * 9, momentum=False)
    x = g.op("GlobalAveragePool", [x], hint="gap")
    x = g.op("Flatten", [x], hint="flatten", axis=1)
    x = g.op("Gemm", [x, g.const(rng.normal(0, 1 / np.sqrt(c3), (c3, classes)), name="dense/kernel:0"),
                      g.const(rng.normal(0, 0.1, classes), name="dense/bias:0")], hint="dense/BiasAdd:0")
    g.op("Softmax", [x], out="Identity:0", axis=1)
    return g.model([_vi(inp, in_shape)], [_vi("Identity:0", [1, classes])], {"": 13},
                   producer=("tf2onnx", "1.16.1"), name="tf2onnx")


def qonnx_bipolar_mlp(seed: int = 0, declare_domain: bool = False, hidden=(48, 40, 40),
                      domain: str = BREVITAS) -> onnx.ModelProto:
    """Brevitas/QONNX TFC-style MLP: BipolarQuant (`domain`: onnx.brevitas, or an old FINN one) on input, acts and ±1 weights, Transpose+MatMul, final BN as Sub/Pow/Div/Mul/Add."""
    rng = np.random.default_rng(seed)
    g = _Graph(numeric=True)
    side, classes = 12, 10
    dims = [side * side, *hidden, classes]
    shape = g.op("Shape", ["0"])
    n = g.op("Gather", [shape, g.const(np.int64(0), dtype=np.int64)], axis=0)
    n = g.op("Unsqueeze", [n], axes=[0])
    tgt = g.op("Concat", [n, g.const([-1], dtype=np.int64)], axis=0)
    x = g.op("Reshape", ["0", tgt])
    x = g.op("Mul", [x, g.const(np.float32(2.0))])
    x = g.op("Sub", [x, g.const([1.0])])
    x = _binarize(g, x, "bipolar", domain)
    layer = 3
    for i, (k, nout) in enumerate(zip(dims[:-1], dims[1:])):
        w = _binarize(g, g.const(pm1(rng, (nout, k))), "bipolar", domain)
        w = g.op("Transpose", [w], perm=[1, 0])
        x = g.op("MatMul", [x, w])
        if i < len(dims) - 2:
            x = _bn(g, rng, x, nout, k, rank=2, prefix=f"features.{layer}")
            x = _binarize(g, x, "bipolar", domain)
            layer += 4
    # TensorNorm-like final affine, one channel broadcast over the classes, written out by hand.
    gamma, beta, mean, var = bn_stats(rng, 1, dims[-2])
    x = g.op("Sub", [x, g.const(mean, name=f"features.{layer}.running_mean")])
    std = g.op("Pow", [g.const(var + EPS), g.const(np.float32(0.5))])
    x = g.op("Div", [x, std])
    x = g.op("Mul", [x, g.const(gamma, name=f"features.{layer}.weight")])
    x = g.op("Add", [x, g.const(beta, name=f"features.{layer}.bias")])
    g.nodes[-1].output[0] = "out"
    opsets = {"": 9, **({domain: 1} if declare_domain else {})}
    return g.model([_vi("0", [1, 1, side, side])], [_vi("out", [1, classes])], opsets, ir_version=6,
                   producer=("pytorch", "1.7"), inits_as_inputs=True, check=declare_domain, name="torch-jit-export")


def qonnx_quant_latent(seed: int = 0, domain: str = QONNX) -> onnx.ModelProto:
    """QONNX conv net with legacy 1-bit `Quant` (in `domain`) on float latent weights (per-out-channel scale) and on activations, pads=1."""
    rng = np.random.default_rng(seed)
    g = _Graph()
    cin, c1, c2, c3, classes, side = 3, 16, 24, 20, 10, 10
    x = _conv(g, "global_in", g.const(rng.normal(0, 1, (c1, cin, 3, 3)), "stem_w"), 3, pad=1)
    x = _bn(g, rng, x, c1, cin * 9)
    x = _quant(g, x, np.float32(1.0), bits=1, domain=domain)
    prev = c1
    for cout, pool in ((c2, True), (c3, False)):
        s = rng.uniform(0.02, 0.2, (cout, 1, 1, 1)).astype(np.float32)
        w = _quant(g, g.const(rng.normal(0, 1, (cout, prev, 3, 3)), "latent_w"), s, bits=1, domain=domain)
        x = _conv(g, x, w, 3, pad=1)
        x = _bn(g, rng, x, cout, prev * 9, scale=s.ravel())
        x = _quant(g, x, np.float32(1.0), bits=1, domain=domain)
        if pool:
            x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
        prev = cout
    x = g.op("GlobalAveragePool", [x])
    x = g.op("Flatten", [x], axis=1)
    g.op("MatMul", [x, g.const(rng.normal(0, 1 / np.sqrt(c3), (c3, classes)), "fc_w")], out="global_out")
    return g.model([_vi("global_in", [1, cin, side, side])], [_vi("global_out", [1, classes])],
                   {"": 13, domain: 1}, producer=("brevitas", "0.9"))


def _thresholds(rng, channels: int, fan_in: int, integer: bool) -> np.ndarray:
    """BN absorbed into a per-channel threshold (negative gammas folded into the weights by FINN)."""
    gamma, beta, mean, var = bn_stats(rng, channels, fan_in)
    t = mean - beta * np.sqrt(var + EPS) / np.abs(gamma)
    if integer:  # RoundAndClipThresholds: x is an integer, so x >= t <=> x >= ceil(t)
        t = np.ceil(t)
    return t.astype(np.float32).reshape(channels, 1)


def _multithreshold(g: _Graph, x: str, thresholds: np.ndarray, layout: str, channels_last: bool = False,
                    out_dtype: str = "BIPOLAR", out_scale: float = 2.0, out_bias: float = -1.0,
                    domain: str = QONNX) -> str:
    t = g.const(thresholds, "thresholds")
    if channels_last and layout == "NCHW":
        x = g.op("Transpose", [x], hint="to_nhwc", perm=[0, 2, 3, 1])
        layout = "NHWC"
    y = g.op("MultiThreshold", [x, t], hint="mt", domain=domain, out_dtype=out_dtype, out_scale=out_scale,
             out_bias=out_bias, data_layout=layout)
    if layout == "NHWC":
        y = g.op("Transpose", [y], hint="to_nchw", perm=[0, 3, 1, 2])
    return y


def finn_multithreshold(seed: int = 0, channels_last: bool = False, domain: str = QONNX) -> onnx.ModelProto:
    """FINN-ONNX streamlined BNN: Conv/MatMul with ±1 weights, binarization as bipolar MultiThreshold ([C,1] thresholds) in `domain`."""
    rng = np.random.default_rng(seed)
    g = _Graph()
    cin, c1, c2, c3, h, classes, side = 3, 16, 24, 32, 24, 10, 8
    x = _conv(g, "global_in", g.const(rng.normal(0, 1, (c1, cin, 3, 3)), "stem_w"), 3, pad=1)
    x = _multithreshold(g, x, _thresholds(rng, c1, cin * 9, integer=False), "NCHW", channels_last, domain=domain)
    x = _conv(g, x, g.const(pm1(rng, (c2, c1, 3, 3)), "w"), 3)  # 8 -> 6, no padding: zero is not bipolar
    x = _multithreshold(g, x, _thresholds(rng, c2, c1 * 9, integer=True), "NCHW", channels_last, domain=domain)
    x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])  # 6 -> 3
    x = _conv(g, x, g.const(pm1(rng, (c3, c2, 3, 3)), "w"), 3)  # 3 -> 1
    x = _multithreshold(g, x, _thresholds(rng, c3, c2 * 9, integer=True), "NCHW", channels_last, domain=domain)
    x = g.op("Reshape", [x, g.const([1, c3], dtype=np.int64)])
    x = g.op("MatMul", [x, g.const(pm1(rng, (c3, h)), "w")])
    x = _multithreshold(g, x, _thresholds(rng, h, c3, integer=True), "NC", domain=domain)
    x = g.op("MatMul", [x, g.const(pm1(rng, (h, classes)), "w")])
    g.op("Mul", [x, g.const(np.float32(0.125), "out_scale")], out="global_out")
    return g.model([_vi("global_in", [1, cin, side, side])], [_vi("global_out", [1, classes])],
                   {"": 11, domain: 1}, producer=("finn", "0.10"))


def two_bit_activation(seed: int = 0, kind: str = "quant") -> onnx.ModelProto:
    """BNN with one 2-bit hidden activation (Quant bitwidth 2 or 3-threshold MultiThreshold) feeding a float conv."""
    rng = np.random.default_rng(seed)
    g = _Graph()
    cin, c1, c2, c3, classes, side = 2, 12, 16, 10, 5, 8
    x = _conv(g, "global_in", g.const(rng.normal(0, 1, (c1, cin, 3, 3)), "stem_w"), 3, pad=1)
    if kind == "quant":
        x = _bn(g, rng, x, c1, cin * 9)
        x = _binarize(g, x, "quant")
        x = _conv(g, x, g.const(pm1(rng, (c2, c1, 3, 3)), "w"), 3, pad=1)
        x = _bn(g, rng, x, c2, c1 * 9)
        x = _quant(g, x, np.float32(0.5), bits=2, signed=0, narrow=0)  # {0, .5, 1, 1.5}
    elif kind == "multithreshold":
        x = _multithreshold(g, x, _thresholds(rng, c1, cin * 9, integer=False), "NCHW")
        x = _conv(g, x, g.const(pm1(rng, (c2, c1, 3, 3)), "w"), 3)  # zero padding is not bipolar
        k = c1 * 9
        t = np.sort(rng.normal(0, np.sqrt(k), (c2, 3)), axis=1)
        x = _multithreshold(g, x, np.ceil(t).astype(np.float32), "NCHW", out_dtype="UINT2",
                            out_scale=1.0, out_bias=0.0)  # {0, 1, 2, 3}
    else:
        raise ValueError(kind)
    x = _conv(g, x, g.const(rng.normal(0, 1, (c3, c2, 3, 3)), "float_w"), 3)  # float layer on 2-bit input
    x = g.op("GlobalAveragePool", [x])
    x = g.op("Flatten", [x], axis=1)
    g.op("Gemm", [x, g.const(rng.normal(0, 1, (classes, c3)), "fc_w"), g.const(np.zeros(classes), "fc_b")],
         out="global_out", transB=1)
    return g.model([_vi("global_in", [1, cin, side, side])], [_vi("global_out", [1, classes])],
                   {"": 13, QONNX: 1}, producer=("brevitas", "0.9"))


def bireal_block(seed: int = 0, channels: int = 16, stem: str = "conv3", shortcut_groups: int = 1,
                 bn_after_add: bool = False) -> onnx.ModelProto:
    """Bi-Real-Net: float stem (3x3 conv + BN, or "resnet": 7x7/2 conv with bias + BN + 3x3/2 max-pool), two Sign->binary conv->BN blocks with float residual Adds, the second strided with AvgPool+1x1 shortcut (a grouped conv with shortcut_groups > 1); bn_after_add: each block's BN after its Add (BN(conv + shortcut), the next block's Sign and shortcut reading it)."""
    rng = np.random.default_rng(seed)
    g = _Graph()
    cin, side, classes = 3, 16, 10
    c = channels
    if stem == "resnet":
        side = 21
        x0 = _conv(g, "input", g.const(rng.normal(0, 1, (c, cin, 7, 7)), "stem.weight"), 7,
                   b=g.const(rng.normal(0, 1, c), "stem.bias"), pad=3, stride=2)            # 21 -> 11
        x0 = _bn(g, rng, x0, c, cin * 49)
        x0 = g.op("MaxPool", [x0], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])  # 11 -> 6
    else:
        x0 = _conv(g, "input", g.const(rng.normal(0, 1, (c, cin, 3, 3)), "stem.weight"), 3, pad=1)
        x0 = _bn(g, rng, x0, c, cin * 9)
    # block 1: identity shortcut
    a = _binarize(g, x0, "sign")
    y = _conv(g, a, g.const(pm1(rng, (c, c, 3, 3)), "block1.conv.weight"), 3, pad=1)
    if bn_after_add:
        x1 = _bn(g, rng, g.op("Add", [y, x0], hint="residual"), c, c * 9)
    else:
        x1 = g.op("Add", [_bn(g, rng, y, c, c * 9), x0], hint="residual")
    # block 2: stride 2, channels doubled; shortcut AvgPool 2x2 + float 1x1 conv + BN
    a = _binarize(g, x1, "sign")
    y = _conv(g, a, g.const(pm1(rng, (2 * c, c, 3, 3)), "block2.conv.weight"), 3, pad=1, stride=2)
    y = y if bn_after_add else _bn(g, rng, y, 2 * c, c * 9)
    s = g.op("AveragePool", [x1], hint="shortcut_pool", kernel_shape=[2, 2], strides=[2, 2])
    s = _conv(g, s, g.const(rng.normal(0, 1 / np.sqrt(c), (2 * c, c // shortcut_groups, 1, 1)),
                            "block2.downsample.weight"), 1, group=shortcut_groups)
    s = _bn(g, rng, s, 2 * c, 1)
    x2 = g.op("Add", [y, s], hint="residual")
    x2 = _bn(g, rng, x2, 2 * c, c * 9) if bn_after_add else x2
    x = g.op("GlobalAveragePool", [x2])
    x = g.op("Flatten", [x], axis=1)
    g.op("Gemm", [x, g.const(rng.normal(0, 1 / np.sqrt(2 * c), (classes, 2 * c)), "fc.weight"),
                  g.const(rng.normal(0, 0.1, classes), "fc.bias")], out="output", transB=1)
    return g.model([_vi("input", [1, cin, side, side])], [_vi("output", [1, classes])], {"": 13},
                   producer=("pytorch", "2.1"))


def explicit_pm1_pad(seed: int = 0, value: float = -1.0) -> onnx.ModelProto:
    """Pad node with constant ±1 on a ±1 activation, then a binary Conv with pads=0 (border is ±1, not 0)."""
    rng = np.random.default_rng(seed)
    g = _Graph()
    cin, c1, c2, classes, side = 2, 12, 20, 6, 8
    x = _conv(g, "input", g.const(rng.normal(0, 1, (c1, cin, 3, 3)), "stem_w"), 3, pad=1)
    x = _bn(g, rng, x, c1, cin * 9)
    x = _binarize(g, x, "sign")
    x = g.op("Pad", [x, g.const([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64, hint="pads"),
                     g.const(np.float32(value), "pad_value")], hint="pad", mode="constant")
    x = _conv(g, x, g.const(pm1(rng, (c2, c1, 3, 3)), "w"), 3, pad=0)
    x = _bn(g, rng, x, c2, c1 * 9)
    x = _binarize(g, x, "sign")
    x = g.op("GlobalAveragePool", [x])
    x = g.op("Flatten", [x], axis=1)
    g.op("Gemm", [x, g.const(rng.normal(0, 1, (classes, c2)), "fc_w"), g.const(np.zeros(classes), "fc_b")],
         out="output", transB=1)
    return g.model([_vi("input", [1, cin, side, side])], [_vi("output", [1, classes])], {"": 13})


def scaled_weights(seed: int = 0) -> onnx.ModelProto:
    """XNOR-Net style: binary conv weights stored as ±s per output channel (s > 0 random floats)."""
    rng = np.random.default_rng(seed)
    g = _Graph()
    cin, c1, c2, classes, side = 3, 16, 24, 10, 8
    x = _conv(g, "input", g.const(rng.normal(0, 1, (c1, cin, 3, 3)), "stem_w"), 3, pad=1)
    x = _bn(g, rng, x, c1, cin * 9)
    x = _binarize(g, x, "sign")
    s = rng.uniform(0.05, 1.0, c2).astype(np.float32)
    w = pm1(rng, (c2, c1, 3, 3)) * s[:, None, None, None]
    x = _conv(g, x, g.const(w, "scaled_w"), 3, pad=1)
    x = _bn(g, rng, x, c2, c1 * 9, scale=s)
    x = _binarize(g, x, "sign")
    x = g.op("GlobalAveragePool", [x])
    x = g.op("Flatten", [x], axis=1)
    g.op("Gemm", [x, g.const(rng.normal(0, 1, (classes, c2)), "fc_w"), g.const(np.zeros(classes), "fc_b")],
         out="output", transB=1)
    return g.model([_vi("input", [1, cin, side, side])], [_vi("output", [1, classes])], {"": 13})


def latent_sign_weights(seed: int = 0) -> onnx.ModelProto:
    """Not bad: float latent weights binarized in-graph by Sign (Sign of a nonzero weight is ±1), contrast to the NaN case."""
    rng = np.random.default_rng(seed)
    g = _Graph()
    k, n, classes = 32, 24, 5
    x = _binarize(g, "x", "sign")
    latent = rng.normal(0, 0.05, (k, n)).astype(np.float32)
    latent[latent == 0] = 1e-3
    latent[0, 0] = 7.5  # large latent values are still fine after Sign
    w = g.op("Sign", [g.const(latent, "latent_w")], hint="w_sign")
    x = g.op("MatMul", [x, w])
    x = _bn(g, rng, x, n, k, style="muladd", rank=2)
    x = _binarize(g, x, "sign")
    g.op("MatMul", [x, g.const(pm1(rng, (n, classes)), "fc_w")], out="y")
    return g.model([_vi("x", [1, k])], [_vi("y", [1, classes])], {"": 13})


# --------------------------------------------------------------------------------------------
# real exports: PyTorch defaults, other ways to write a per-channel affine map or a binarization
# --------------------------------------------------------------------------------------------
def pytorch_folded_bireal(seed: int = 0, channels: int = 16) -> onnx.ModelProto:
    """Bi-Real blocks as torch.onnx.export writes them by default: each BN folded into its conv (±gamma/sigma binary weights plus a bias), the stem conv with bias straight into its max-pool."""
    return fold_batchnorms(bireal_block(seed, channels=channels, stem="resnet"))


def _head(g: _Graph, rng, x: str, channels: int, classes: int = 10) -> str:
    """GlobalAveragePool, Flatten and a float Gemm (PyTorch's transB=1) to `output`."""
    x = g.op("Flatten", [g.op("GlobalAveragePool", [x])], axis=1)
    return g.op("Gemm", [x, g.const(rng.normal(0, 1 / np.sqrt(channels), (classes, channels)), "fc.weight"),
                         g.const(rng.normal(0, 0.1, classes), "fc.bias")], out="output", transB=1)


def channel_affine_forms(seed: int = 0, affine: str = "mul_add", then: str = "residual") -> onnx.ModelProto:
    """Binary conv, a per-channel scale and bias written as `affine` (mul_add, add_mul, conv_bias, or a BN after the residual Add), then `then` (a residual Add, a BN, a binarization or a max-pool)."""
    rng = np.random.default_rng(seed)
    g = _Graph()
    cin, c, side = 3, 16, 8
    k = c * 9
    x0 = _conv(g, "input", g.const(rng.normal(0, 1, (c, cin, 3, 3)), "stem.weight"), 3, pad=1)
    x0 = _bn(g, rng, x0, c, cin * 9)
    gamma, beta, mean, var = (a.astype(np.float64) for a in bn_stats(rng, c, k))
    scale = gamma / np.sqrt(var + EPS)
    bias = beta - mean * scale
    a = _binarize(g, x0, "sign")
    signs = pm1(rng, (c, c, 3, 3))
    per_channel = [1, c, 1, 1]
    if affine == "conv_bias":       # ±|s| weights (the sign of s moved into them) and a bias
        weights = g.const(signs * scale.reshape(-1, 1, 1, 1), "conv.weight")
        y = _conv(g, a, weights, 3, g.const(bias, "conv.bias"), pad=1)
    else:
        y = _conv(g, a, g.const(signs, "conv.weight"), 3, pad=1)
        if affine == "mul_add":
            y = g.op("Mul", [y, g.const(scale.reshape(per_channel), "scale")])
            y = g.op("Add", [y, g.const(bias.reshape(per_channel), "bias")])
        elif affine == "add_mul":
            y = g.op("Add", [g.const((bias / scale).reshape(per_channel), "bias"), y])
            y = g.op("Mul", [g.const(scale.reshape(per_channel), "scale"), y])
        elif affine == "bn_after_residual":
            y = _bn(g, rng, g.op("Add", [y, x0], hint="residual"), c, k)
        else:
            raise ValueError(affine)
    if then == "residual":
        y = g.op("Add", [y, x0], hint="residual")
    elif then == "batchnorm":
        y = g.op("Add", [_bn(g, rng, y, c, 1), x0], hint="residual")
    elif then == "maxpool":
        y = g.op("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2])
    elif then != "sign":
        raise ValueError(then)
    a = _binarize(g, y, "sign")
    y = _conv(g, a, g.const(pm1(rng, (2 * c, c, 3, 3)), "conv2.weight"), 3, pad=1)
    y = _bn(g, rng, y, 2 * c, k)
    _head(g, rng, y, 2 * c)
    return g.model([_vi("input", [1, cin, side, side])], [_vi("output", [1, 10])], {"": 13},
                   producer=("pytorch", "2.1"))


def meliusnet_block(seed: int = 0, channels: int = 40, growth: int = 24, form: str = "dense") -> onnx.ModelProto:
    """MeliusNet channel blocks as PyTorch exports them: a dense block (Concat of the block input and a binary conv's output; "dense_packed" concatenates the binarized maps for the next binary conv), an improvement block (x[:, -growth:] += conv(x): Slice, Add, Concat), or a Split ("split_packed": Split and Slice of a binarized map, each part read by a binary conv)."""
    rng = np.random.default_rng(seed)
    g = _Graph(numeric=True)
    cin, side, c = 3, 6, channels
    x = _conv(g, "input", g.const(rng.normal(0, 1, (c, cin, 3, 3)), name="stem.weight"), 3, pad=1)
    x = _bn(g, rng, x, c, cin * 9)

    def pm1_conv(a: str, cin: int, cout: int, name: str) -> str:
        y = _conv(g, a, g.const(pm1(rng, (cout, cin, 3, 3)), name=f"{name}.weight"), 3, pad=1)
        return _bn(g, rng, y, cout, cin * 9)

    def binary_conv(x: str, cin: int, cout: int, name: str) -> str:
        return pm1_conv(_binarize(g, _bn(g, rng, x, cin, 1, prefix=f"{name}.bn"), "sign"), cin, cout, name)

    def cut(x: str, start: int, end: int) -> str:
        """x[:, start:end] as torch.onnx writes it (Constant starts/ends/axes, INT64_MAX for an open end)."""
        bounds = [g.constant_node([v], dtype=np.int64) for v in (start, end, 1)]
        return g.op("Slice", [x, *bounds])

    def split(x: str) -> list[str]:
        return g.op("Split", [x, g.const([growth, c - growth], dtype=np.int64)], axis=1, n_out=2)

    out = c + growth
    if form == "dense":
        y = g.op("Concat", [x, binary_conv(x, c, growth, "dense")], axis=1)
    elif form == "dense_packed":
        a = g.op("Concat", [_binarize(g, x, "sign"), _binarize(g, binary_conv(x, c, growth, "dense"), "sign")],
                 axis=1)
        y = pm1_conv(a, out, out, "next")
    elif form == "improvement":
        x = g.op("Concat", [x, binary_conv(x, c, growth, "dense")], axis=1)
        kept, tail = cut(x, 0, c), cut(x, -growth, np.iinfo(np.int64).max)
        y = g.op("Concat", [kept, g.op("Add", [tail, binary_conv(x, out, growth, "improve")])], axis=1)
    elif form == "split":
        first, second = split(x)
        y = g.op("Concat", [binary_conv(first, growth, growth, "left"), second, first], axis=1)
    elif form == "split_packed":
        a = _binarize(g, x, "sign")
        first, second = split(a)
        tail = cut(a, c - growth, c)
        y = g.op("Concat", [pm1_conv(first, growth, growth, "left"), pm1_conv(tail, growth, growth, "tail"), second],
                 axis=1)
    else:
        raise ValueError(form)
    _head(g, rng, y, out)
    return g.model([_vi("input", [1, cin, side, side])], [_vi("output", [1, 10])], {"": 13},
                   producer=("pytorch", "2.1"))

def _scaled_activation(g: _Graph, rng, a: str, scale: str, channels: int, per_group: int) -> tuple[str, np.ndarray]:
    """(a * s, s per channel) for a ±1 map `a` of `channels` channels: s one number ("tensor": Mul(a, s);
    "tensor_first": Mul(s, a)), one per group of `per_group` channels ("group") or one per channel
    ("channel"). The scales have few mantissa bits but are not powers of two: the reference's float
    sums of ±s are exact, and the binary layer's folded scale is not a trivial one."""
    s = rng.choice(np.float32([0.375, 0.75, 1.25, 2.5]), channels)
    if scale in ("tensor", "tensor_first"):
        s = np.full(channels, s[0])
        operands = [a, g.const(s[0], "act_scale")] if scale == "tensor" else [g.const(s[:1], "act_scale"), a]
    elif scale == "group":
        s = np.repeat(s[::per_group], per_group)
        operands = [a, g.const(s.reshape(1, channels, 1, 1), "act_scale")]
    elif scale == "channel":
        operands = [a, g.const(s.reshape(channels, 1, 1), "act_scale")]
    else:
        raise ValueError(scale)
    return g.op("Mul", operands, hint="scaled_sign"), s


def grouped_binary_conv(seed: int = 0, groups: int = 2, per_group: int = 64, then: str = "sign",
                        scale: str = "none", side: int = 6) -> onnx.ModelProto:
    """A grouped binary 3x3 conv (ReActNet/MeliusNet style: `groups` groups of `per_group` channels, 1 for depthwise) with BN, then a Sign ("sign") or a residual Add and a Sign ("residual"), read by an ungrouped binary conv; its ±1 input times a positive `scale` (XNOR-Net style): "tensor" (Mul(x, s)), "tensor_first" (Mul(s, x)), "group" (one s per group) or "channel" (one s per channel)."""
    rng = np.random.default_rng(seed)
    g = _Graph()
    cin, c = 3, groups * per_group
    x0 = _conv(g, "input", g.const(rng.normal(0, 1, (c, cin, 3, 3)), "stem.weight"), 3, pad=1)
    x0 = _bn(g, rng, x0, c, cin * 9)
    a = _binarize(g, x0, "sign")
    s = np.ones(c, np.float32)
    if scale != "none":
        a, s = _scaled_activation(g, rng, a, scale, c, per_group)
    y = _conv(g, a, g.const(pm1(rng, (c, per_group, 3, 3)), "grouped.weight"), 3, pad=1, group=groups)
    y = _bn(g, rng, y, c, per_group * 9, scale=s.reshape(groups, per_group).mean(1).repeat(per_group))
    if then == "residual":
        y = g.op("Add", [y, x0], hint="residual")
    elif then != "sign":
        raise ValueError(then)
    a = _binarize(g, y, "sign")
    y = _conv(g, a, g.const(pm1(rng, (c, c, 3, 3)), "conv2.weight"), 3, pad=1)
    _head(g, rng, _bn(g, rng, y, c, c * 9), c)
    return g.model([_vi("input", [1, cin, side, side])], [_vi("output", [1, 10])], {"": 13},
                   producer=("pytorch", "2.1"))


def dense_forms(seed: int = 0, form: str = "gemm_transb") -> onnx.ModelProto:
    """Binary MLP as PyTorch writes nn.Linear: Gemm with transB=1 and a bias, or MatMul then Add; the last binary layer's biased sum is the float output."""
    rng = np.random.default_rng(seed)
    g = _Graph(numeric=True)
    dims = [48, 40, 24, 10]
    x = _binarize(g, "x", "sign")
    for i, (k, n) in enumerate(zip(dims[:-1], dims[1:])):
        w, b = pm1(rng, (n, k)), rng.normal(0, np.sqrt(k) / 4, n)
        if form == "gemm_transb":
            x = g.op("Gemm", [x, g.const(w, name=f"fc{i}.weight"), g.const(b, name=f"fc{i}.bias")], transB=1)
        elif form == "matmul_add":
            x = g.op("Add", [g.op("MatMul", [x, g.const(w.T, name=f"fc{i}.weight")]), g.const(b, name=f"fc{i}.bias")])
        else:
            raise ValueError(form)
        if i < len(dims) - 2:
            x = _binarize(g, _bn(g, rng, x, n, k, rank=2), "sign")
    g.nodes[-1].output[0] = "y"
    return g.model([_vi("x", [1, dims[0]])], [_vi("y", [1, dims[-1]])], {"": 13}, producer=("pytorch", "2.1"))


def binarization_idioms(seed: int = 0, idiom: str = "greater_or_equal", opset: int = 13) -> onnx.ModelProto:
    """Conv BNN whose activations are binarized by one exporter `idiom` (Greater/GreaterOrEqual/Less/LessOrEqual + Where(±1), Sign after Hardtanh, 2*x-1 on a {0,1} map), at `opset`."""
    rng = np.random.default_rng(seed)
    g = _Graph()
    cin, c1, c2, side = 3, 12, 20, 8
    x = _conv(g, "input", g.const(rng.normal(0, 1, (c1, cin, 3, 3)), "stem.weight"), 3, pad=1)
    x = _binarize(g, _bn(g, rng, x, c1, cin * 9, momentum=opset < 14), idiom)
    x = _conv(g, x, g.const(pm1(rng, (c2, c1, 3, 3)), "conv.weight"), 3)
    x = _binarize(g, _bn(g, rng, x, c2, c1 * 9, momentum=opset < 14), idiom)
    _head(g, rng, x, c2)
    return g.model([_vi("input", [1, cin, side, side])], [_vi("output", [1, 10])], {"": opset},
                   producer=("pytorch", "2.1"))


def dynamic_batch(seed: int = 0, idiom: str = "ones_like") -> onnx.ModelProto:
    """torch.onnx.export with dynamic_axes: batch-only shape sub-graphs (Shape/Gather/Unsqueeze/Concat/Reshape, and the binarization `idiom`: ones_like's Shape->ConstantOfShape or Expand)."""
    rng = np.random.default_rng(seed)
    g = _Graph(numeric=True)
    cin, c1, c2, side, classes = 3, 12, 16, 8, 10
    x = _conv(g, "input", g.const(rng.normal(0, 1, (c1, cin, 3, 3)), name="stem.weight"), 3, pad=1)
    x = _binarize(g, _bn(g, rng, x, c1, cin * 9), idiom)
    x = _conv(g, x, g.const(pm1(rng, (c2, c1, 3, 3)), name="conv.weight"), 3, stride=2)
    x = _binarize(g, _bn(g, rng, x, c2, c1 * 9), idiom)
    n = g.op("Gather", [g.op("Shape", [x]), g.constant_node(np.int64(0), dtype=np.int64)], axis=0)
    n = g.op("Unsqueeze", [n, g.const([0], dtype=np.int64)])
    x = g.op("Reshape", [x, g.op("Concat", [n, g.const([-1], dtype=np.int64)], axis=0)])    # x.view(x.size(0), -1)
    g.op("Gemm", [x, g.const(pm1(rng, (classes, c2 * 9)), name="fc.weight"), g.const(rng.normal(0, 1, classes),
                                                                                      name="fc.bias")],
         out="output", transB=1)
    return g.model([_vi("input", ["batch", cin, side, side])], [_vi("output", ["batch", classes])], {"": 13},
                   producer=("pytorch", "2.1"))


def abc_net_layer(seed: int = 0, activation_bases: int = 1, layer: str = "conv", weights: str = "pm1",
                  sum_op: bool = False, activation: str = "sign", channels: int = 8, side: int = 6) -> onnx.ModelProto:
    """ABC-Net layer (3 weight bases, `activation_bases` shifted activation bases) as a PyTorch export: Sign(Clip(x + v_n)) inputs (`activation` "indicator": the paper's 2 * [clip(x + v_n, 0, 1) >= 0.5] - 1), one binary `layer` (conv or dense) per pair of bases, each output times alpha_m * beta_n (`weights` "pm1"; "scaled": ±alpha_m weights, times beta_n), summed by a chain of Adds (or one ONNX Sum with `sum_op`, as tf2onnx writes a Keras Add of several tensors)."""
    rng = np.random.default_rng(seed)
    g = _Graph(numeric=True)
    cin, c, weight_bases = 3, channels, 3
    x = _conv(g, "input", g.const(rng.normal(0, 1, (c, cin, 3, 3)), name="stem.weight"), 3, pad=1)
    x = _bn(g, rng, x, c, cin * 9)
    if layer == "dense":
        x = g.op("Flatten", [x], axis=1)
    fan_in = c * side * side if layer == "dense" else c * 9
    shape = (c, fan_in) if layer == "dense" else (c, c, 3, 3)
    latent = rng.normal(0, 1, shape)
    # W ~ sum_m alpha_m * sign(W - mean + u_m * std), as ABC-Net initialises its weight bases
    bases = [np.where(latent - latent.mean() + u * latent.std() >= 0, 1.0, -1.0) for u in (-1.0, 0.0, 1.0)]
    alphas = rng.uniform(0.2, 1.0, weight_bases).astype(np.float32)
    shifts = np.linspace(-0.5, 0.5, activation_bases) if activation_bases > 1 else [0.0]
    betas = rng.uniform(0.2, 1.0, activation_bases).astype(np.float32)
    terms = []
    for n, (shift, beta) in enumerate(zip(shifts, betas)):
        shifted = g.op("Add", [x, g.constant_node(np.float32(shift))])
        low = 0 if activation == "indicator" else -1
        clipped = g.op("Clip", [shifted, g.constant_node(np.float32(low)), g.constant_node(np.float32(1))])
        if activation == "indicator":
            bits = g.op("Cast", [g.op("GreaterOrEqual", [clipped, g.constant_node(np.float32(0.5))])], to=FLOAT)
            a = g.op("Sub", [g.op("Mul", [bits, g.constant_node(np.float32(2))]), g.constant_node(np.float32(1))])
        else:
            a = g.op("Sign", [clipped])
        for m, (basis, alpha) in enumerate(zip(bases, alphas)):
            w = basis * alpha if weights == "scaled" else basis
            w = g.const(w, name=f"abc.weight_base{m}_act{n}")
            y = g.op("Gemm", [a, w], transB=1) if layer == "dense" else _conv(g, a, w, 3, pad=1)
            factor = beta if weights == "scaled" else np.float32(alpha * beta)
            terms.append(g.op("Mul", [y, g.constant_node(factor)]))
    if sum_op:
        total = g.op("Sum", terms)
    else:
        total = terms[0]
        for term in terms[1:]:
            total = g.op("Add", [total, term])
    x = _bn(g, rng, total, c, fan_in, rank=2 if layer == "dense" else 4, scale=[float(alphas.sum() * betas.sum())] * c)
    if layer == "dense":
        g.op("Gemm", [x, g.const(rng.normal(0, 1, (10, c)), name="fc.weight"), g.const(rng.normal(0, 0.1, 10),
                                                                                      name="fc.bias")],
             out="output", transB=1)
    else:
        _head(g, rng, x, c)
    return g.model([_vi("input", [1, cin, side, side])], [_vi("output", [1, 10])], {"": 13},
                   producer=("pytorch", "2.1"))


def groupnet_sum(seed: int = 0, branches: int = 3) -> onnx.ModelProto:
    """GroupNet-like group: `branches` binary branches over the same Sign(x), each a binary conv and a BatchNormalization, each scaled by a learnt lambda_k and summed by a chain of Adds."""
    rng = np.random.default_rng(seed)
    g = _Graph(numeric=True)
    cin, c, side = 3, 8, 6
    x = _conv(g, "input", g.const(rng.normal(0, 1, (c, cin, 3, 3)), name="stem.weight"), 3, pad=1)
    x = _bn(g, rng, x, c, cin * 9)
    a = _binarize(g, x, "sign")
    total = None
    for k, lam in enumerate(rng.uniform(0.2, 1.0, branches).astype(np.float32)):
        y = _conv(g, a, g.const(pm1(rng, (c, c, 3, 3)), name=f"group{k}.conv.weight"), 3, pad=1)
        y = g.op("Mul", [_bn(g, rng, y, c, c * 9), g.constant_node(lam)])
        total = y if total is None else g.op("Add", [total, y])
    _head(g, rng, g.op("Add", [total, x]), c)
    return g.model([_vi("input", [1, cin, side, side])], [_vi("output", [1, 10])], {"": 13},
                   producer=("pytorch", "2.1"))


# --------------------------------------------------------------------------------------------
# bad models
# --------------------------------------------------------------------------------------------
def _tiny_mlp(w: np.ndarray, binarizer: str = "bipolar", declare: bool = True) -> onnx.ModelProto:
    g = _Graph()
    x = _binarize(g, "x", binarizer)
    wq = _binarize(g, g.const(w, "fc.weight"), binarizer)
    g.op("MatMul", [x, wq], out="y")
    opsets = {"": 13, **({BREVITAS: 1} if binarizer == "bipolar" else {})}
    return g.model([_vi("x", [1, w.shape[0]])], [_vi("y", [1, w.shape[1]])], opsets, check=False)


def bad_models() -> dict[str, tuple[bytes | onnx.ModelProto, str]]:
    """name -> (model bytes or proto, suggested substring of the compiler's error, match case-insensitively)."""
    rng = np.random.default_rng(1234)
    out: dict[str, tuple[bytes | onnx.ModelProto, str]] = {}

    # Field 7 (graph), length-delimited, claims 2**28 bytes but the buffer ends: not a protobuf.
    out["malformed_protobuf"] = (b"\x08\x07\x3a\x80\x80\x80\x80\x01garbage", "parse")
    good = plain_sign_mlp(0).SerializeToString()
    out["truncated_protobuf"] = (good[: len(good) // 2 + 3], "parse")

    g = _Graph()
    g.op("MatMul", [_binarize(g, "x", "sign"), "fc.weight"], out="y")  # fc.weight is defined nowhere
    out["missing_initializer"] = (g.model([_vi("x", [1, 8])], [_vi("y", [1, 4])], {"": 13}, check=False), "fc.weight")

    g = _Graph()
    w = g.const(rng.normal(0, 1, (1, 4 * 6, 5)), "W")
    r = g.const(rng.normal(0, 1, (1, 4 * 6, 6)), "R")
    g.op("LSTM", ["x", w, r], out="y", hidden_size=6)
    out["unsupported_op_lstm"] = (g.model([_vi("x", [3, 1, 5])], [_vi("y", [3, 1, 1, 6])], {"": 13}), "LSTM")

    g = _Graph()
    g.op("NonMaxSuppression", ["boxes", "scores"], out="selected")
    selected = helper.make_tensor_value_info("selected", TensorProto.INT64, ["num_selected", 3])
    out["unsupported_op_nms"] = (g.model([_vi("boxes", [1, 4, 4]), _vi("scores", [1, 1, 4])], [selected],
                                         {"": 13}), "NonMaxSuppression")

    w = pm1(rng, (16, 8))
    w[3, 2] = np.nan
    out["nan_binary_weights"] = (_tiny_mlp(w), "NaN")
    w = pm1(rng, (16, 8))
    w[5, 1] = np.inf
    w[6, 7] = -np.inf
    out["inf_binary_weights"] = (_tiny_mlp(w), "inf")

    g = _Graph()
    g.op("Add", ["a", "b"], out="y")
    out["shape_mismatch"] = (g.model([_vi("a", [1, 3]), _vi("b", [1, 4])], [_vi("y", [1, 4])], {"": 13},
                                     check=False), "shape")

    g = _Graph()
    g.op("MatMul", [_binarize(g, "x", "sign"), "fc.weight"], out="y")
    m = g.model([_vi("x", [1, 8])], [_vi("y", [1, 4])], {"": 13}, check=False)
    t = onnx.TensorProto(name="fc.weight", data_type=FLOAT, dims=[8, 4])
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "../../etc/passwd"), ("offset", "0"), ("length", "128")):
        t.external_data.add(key=key, value=value)
    m.graph.initializer.append(t)
    out["external_data_traversal"] = (m, "external")

    g = _Graph()
    y = _binarize(g, "x", "sign")
    g.op("Identity", [y], out="y")
    out["absurd_dimension"] = (g.model([_vi("x", [1, 10**12])], [_vi("y", [1, 10**12])], {"": 13}), "dimension")

    g = _Graph()                    # x[:, ::2] of a float map: bnncc copies one range, never a stride
    bounds = [g.const([v], dtype=np.int64) for v in (0, 8, 1, 2)]
    g.op("Relu", [g.op("Slice", [g.op("Relu", ["x"]), *bounds])], out="y")
    out["strided_channel_slice"] = (g.model([_vi("x", [1, 8, 2, 2])], [_vi("y", [1, 4, 2, 2])], {"": 13}),
                                    "every n-th")
    return out


# --------------------------------------------------------------------------------------------
# registry and helpers for tests
# --------------------------------------------------------------------------------------------
BUILDERS = {
    "fastinference_style": (fastinference_style, [{}, {"dynamic_batch": False, "channels": 13}]),
    "plain_sign_mlp": (plain_sign_mlp, [{}]),
    "larq_ste_sign_conv": (larq_ste_sign_conv, [{}, {"in_channels": 1, "padding": 0, "nhwc_input": False},
                                                {"latent_weights": True}]),
    "qonnx_bipolar_mlp": (qonnx_bipolar_mlp, [{}, {"declare_domain": True}, {"domain": "finn"}]),
    "qonnx_quant_latent": (qonnx_quant_latent, [{}, {"domain": "finn.custom_op.general"}]),
    "finn_multithreshold": (finn_multithreshold, [{}, {"channels_last": True}, {"domain": "finn.custom_op.general"},
                                                  {"domain": "finn"}]),
    "two_bit_activation": (two_bit_activation, [{"kind": "quant"}, {"kind": "multithreshold"}]),
    "bireal_block": (bireal_block, [{}, {"channels": 10}, {"stem": "resnet"}, {"shortcut_groups": 4},
                                      {"stem": "resnet", "bn_after_add": True}]),
    "explicit_pm1_pad": (explicit_pm1_pad, [{"value": -1.0}, {"value": 1.0}]),
    "scaled_weights": (scaled_weights, [{}]),
    "latent_sign_weights": (latent_sign_weights, [{}]),
    "pytorch_folded_bireal": (pytorch_folded_bireal, [{}, {"channels": 20}]),
    "channel_affine_forms": (channel_affine_forms, [
        {"affine": "mul_add"}, {"affine": "add_mul"}, {"affine": "conv_bias"}, {"affine": "bn_after_residual"},
        {"affine": "mul_add", "then": "batchnorm"}, {"affine": "conv_bias", "then": "maxpool"},
        {"affine": "add_mul", "then": "sign"}]),
    "grouped_binary_conv": (grouped_binary_conv, [
        {}, {"then": "residual"}, {"groups": 4, "per_group": 8}, {"groups": 4, "per_group": 8, "then": "residual"},
        {"scale": "tensor"}, {"scale": "tensor_first", "then": "residual"}, {"groups": 4, "per_group": 8, "scale": "group"},
        {"groups": 4, "per_group": 8, "scale": "channel"}, {"groups": 4, "per_group": 4, "scale": "group"},
        {"groups": 16, "per_group": 1, "scale": "channel"}, {"groups": 8, "per_group": 2, "then": "residual"}]),
    "dense_forms": (dense_forms, [{"form": "gemm_transb"}, {"form": "matmul_add"}]),
    "binarization_idioms": (binarization_idioms, [
        *({"idiom": idiom} for idiom in (*COMPARE_IDIOMS, "hardtanh_sign", "two_x_minus_one")),
        *({"idiom": "greater", "opset": opset} for opset in (9, 11, 17, NEWEST_OPSET))]),
    "dynamic_batch": (dynamic_batch, [{"idiom": "ones_like"}, {"idiom": "expand"}]),
    "abc_net_layer": (abc_net_layer, [{}, {"activation_bases": 3}, {"weights": "scaled"},
                                      {"layer": "dense"}, {"layer": "dense", "activation_bases": 3},
                                      {"activation_bases": 3, "sum_op": True},
                                      {"activation_bases": 3, "activation": "indicator"}]),
    "groupnet_sum": (groupnet_sum, [{}]),
    "meliusnet_block": (meliusnet_block, [
        *({"form": form} for form in ("dense", "dense_packed", "improvement", "split", "split_packed")),
        *({"form": form, "channels": 128, "growth": 64} for form in ("dense_packed", "improvement", "split_packed"))]),
}


def input_shapes(model: onnx.ModelProto, batch: int = 1) -> dict[str, list[int]]:
    """Shapes of the real (non-initializer) inputs, symbolic dims replaced by `batch`."""
    inits = {t.name for t in model.graph.initializer}
    shapes = {}
    for i in model.graph.input:
        if i.name in inits:
            continue
        shapes[i.name] = [d.dim_value if d.HasField("dim_value") else batch for d in i.type.tensor_type.shape.dim]
    return shapes


def random_inputs(model: onnx.ModelProto, rng: np.random.Generator, batch: int = 1) -> dict[str, np.ndarray]:
    """N(0,1) float32 feeds for every real input."""
    return {n: rng.normal(0, 1, s).astype(np.float32) for n, s in input_shapes(model, batch).items()}


# --------------------------------------------------------------------------------------------
# hypothesis strategy
# --------------------------------------------------------------------------------------------
try:
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    st = None

if st is not None:

    @st.composite
    def random_bnn(draw):
        """(model, input) for a small random BNN: float stem, 1-3 binary convs (opt. pool/residual), binary FC, float FC."""
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        binarizer = draw(st.sampled_from(["sign", "where", "bipolar"]))
        cin = draw(st.integers(1, 3))
        side = draw(st.integers(6, 12))
        channels = st.one_of(st.integers(1, 80), st.sampled_from([1, 31, 33, 63, 64, 65]))
        g = _Graph()
        c = draw(channels)
        x = _conv(g, "input", g.const(rng.normal(0, 1, (c, cin, 3, 3)), "stem_w"), 3, pad=1)
        x = _bn(g, rng, x, c, cin * 9)
        h = side
        for _ in range(draw(st.integers(1, 3))):
            k = draw(st.sampled_from([1, 3]))
            residual = draw(st.booleans())  # Bi-Real block: shape-preserving conv + real-valued Add
            if residual:
                pad, stride, cout = (1 if k == 3 else 0), 1, c
            else:
                pad = draw(st.sampled_from([0, 1])) if k == 3 else 0
                if _out(h, k, pad, 1) < 1:
                    pad = 1
                stride = draw(st.sampled_from([1, 2]))
                cout = draw(channels)
            a = _binarize(g, x, binarizer)
            y = _conv(g, a, g.const(pm1(rng, (cout, c, k, k)), "w"), k, pad=pad, stride=stride)
            y = _bn(g, rng, y, cout, c * k * k)
            h_new = _out(h, k, pad, stride)
            if residual:
                y = g.op("Add", [y, x], hint="residual")
            x, c, h = y, cout, h_new
            if h >= 2 and draw(st.booleans()):
                x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
                h //= 2
        x = g.op("Flatten", [x], axis=1) if draw(st.booleans()) else \
            g.op("Reshape", [x, g.const([1, -1], dtype=np.int64)])
        k = c * h * h
        a = _binarize(g, x, binarizer)
        hidden = draw(channels)
        if draw(st.booleans()):
            y = g.op("Gemm", [a, g.const(pm1(rng, (hidden, k)), "fc_w")], transB=1)
        else:
            y = g.op("MatMul", [a, g.const(pm1(rng, (k, hidden)), "fc_w")])
        y = _bn(g, rng, y, hidden, k, rank=2)
        a = _binarize(g, y, binarizer)
        classes = draw(st.integers(2, 10))
        g.op("Gemm", [a, g.const(rng.normal(0, 1, (classes, hidden)), "out_w"),
                      g.const(rng.normal(0, 0.1, classes), "out_b")], out="output", transB=1)
        opsets = {"": 13, **({BREVITAS: 1} if binarizer == "bipolar" else {})}
        model = g.model([_vi("input", [1, cin, side, side])], [_vi("output", [1, classes])], opsets)
        return model, rng.normal(0, 1, (1, cin, side, side)).astype(np.float32)
