"""Bi-Real-Net-18 (Liu et al., ECCV 2018) as a plain ONNX model (opset 13), with random weights.

The graph follows the authors' PyTorch reference implementation (github.com/liuzechun/Bi-Real-net,
``pytorch_implementation/BiReal18_34/birealnet.py``) the way ``torch.onnx.export`` writes it in eval
mode:

    stem     Conv 7x7/2 pad 3 (3->w, no bias) -> BatchNormalization -> MaxPool 3x3/2 pad 1
    16 x     out = BN(BinaryConv3x3(Sign(x))) + shortcut(x)
             (4 stages of 4 blocks, channels w, 2w, 4w, 8w; the first block of stages 2-4 has
             stride 2 and shortcut AveragePool 2x2/2 -> Conv 1x1 (no bias) -> BN; others identity)
    head     GlobalAveragePool -> Flatten -> Gemm (transB=1, bias) -> ``logits``

The binary convolutions hold exactly +-1 float weights (the reference's per-channel scaling factor
is a positive per-output-channel multiplier in front of a BN, so it is folded into the BN here).

Weights are random (seeded numpy).  BatchNormalization statistics are set by a data-dependent
initialisation: the network is run layer by layer in numpy on a few random N(0, 1) images and
each BN's running mean / variance are the measured per-channel statistics of its input, so the
binarised activations are balanced and the residual stream stays O(1).  Gammas ~ N(1, 0.2),
betas ~ N(0, 0.1).  The stem BN's mean is additionally shifted so that the *max-pooled* stem
output has per-channel median beta (MaxPool otherwise biases the first Sign towards +1).

``--fold-batchnorm`` writes the same network as ``torch.onnx.export`` does by default (eval mode):
each BatchNormalization folded into the conv before it, binary weights +-gamma/sigma plus a bias.
``--bn-after-add`` moves each block's BatchNormalization after its residual Add (another network
with the same layers, to time that export form).

Usage:  python examples/bireal/bireal.py [--small] [--resolution R] [--seed S] [--fold-batchnorm]
                                         [--bn-after-add] -o FILE.onnx
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import onnx
from numpy.lib.stride_tricks import sliding_window_view
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8
BN_EPS = 1e-5


# ----------------------------------------------------------------------------- numpy reference ops

def _conv(x: np.ndarray, w: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """NCHW convolution (group 1, no bias) via im2col + matmul, float32."""
    n, c, _, _ = x.shape
    m, _, kh, kw = w.shape
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]  # N C Ho Wo kh kw
    ho, wo = win.shape[2], win.shape[3]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)
    out = cols @ w.reshape(m, -1).T
    return np.ascontiguousarray(out.reshape(n, ho, wo, m).transpose(0, 3, 1, 2))


def _maxpool3x3s2p1(x: np.ndarray) -> np.ndarray:
    x = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    return sliding_window_view(x, (3, 3), axis=(2, 3))[:, :, ::2, ::2].max(axis=(4, 5))


def _avgpool2x2s2(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    x = x[:, :, : h // 2 * 2, : w // 2 * 2]
    return x.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))


def _bn(x: np.ndarray, p: dict) -> np.ndarray:
    scale = p["weight"] / np.sqrt(p["running_var"] + BN_EPS)
    shift = p["bias"] - p["running_mean"] * scale
    return x * scale[None, :, None, None] + shift[None, :, None, None]


# ----------------------------------------------------------------------------- graph builder

class _Graph:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def init(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, dtype=np.float32), name))
        return name

    def node(self, op: str, scope: str, inputs: list[str], **attrs) -> str:
        name = f"{scope}/{op}"
        out = f"{name}_output_0"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out


def _bn_params(rng: np.random.Generator, z: np.ndarray | None, channels: int) -> dict:
    """Random affine parameters; running stats measured on the pre-BN activations `z`."""
    p = {"weight": rng.normal(1.0, 0.2, channels).astype(np.float32),
         "bias": rng.normal(0.0, 0.1, channels).astype(np.float32)}
    if z is None:  # uncalibrated (MAC counting only)
        p["running_mean"] = np.zeros(channels, np.float32)
        p["running_var"] = np.ones(channels, np.float32)
    else:
        p["running_mean"] = z.mean(axis=(0, 2, 3)).astype(np.float32)
        p["running_var"] = z.var(axis=(0, 2, 3)).astype(np.float32)
    return p


def _kaiming(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """kaiming_normal_(mode='fan_out', nonlinearity='relu'), as torchvision ResNets initialise."""
    fan_out = shape[0] * int(np.prod(shape[2:]))
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_out)).astype(np.float32)


def _build(resolution: int, seed: int, num_classes: int, width: int, calibrate: bool,
           calib_images: int, name: str) -> onnx.ModelProto:
    if resolution % 32:
        raise ValueError(f"resolution must be a multiple of 32 (got {resolution})")
    rng = np.random.default_rng(seed)
    g = _Graph()
    x = rng.standard_normal((calib_images, 3, resolution, resolution)).astype(np.float32) if calibrate else None

    def add_bn(scope: str, prefix: str, inp: str, z: np.ndarray | None, channels: int) -> tuple[str, dict]:
        p = _bn_params(rng, z, channels)
        names = [g.init(f"{prefix}.{k}", p[k]) for k in ("weight", "bias", "running_mean", "running_var")]
        return g.node("BatchNormalization", scope, [inp, *names], epsilon=BN_EPS, momentum=0.9), p

    # stem: conv1 -> bn1 -> maxpool
    w = _kaiming(rng, (width, 3, 7, 7))
    t = g.node("Conv", "/conv1", ["input", g.init("conv1.weight", w)],
               kernel_shape=[7, 7], strides=[2, 2], pads=[3, 3, 3, 3], dilations=[1, 1], group=1)
    z = _conv(x, w, 2, 3) if calibrate else None
    t, p = add_bn("/bn1", "bn1", t, z, width)
    t = g.node("MaxPool", "/maxpool", [t], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    if calibrate:
        pooled = _maxpool3x3s2p1(_bn(z, p))
        shift = np.median(pooled, axis=(0, 2, 3)) - p["bias"]  # move each channel's median onto beta
        p["running_mean"] += (shift * np.sqrt(p["running_var"] + BN_EPS) / p["weight"]).astype(np.float32)
        next(i for i in g.inits if i.name == "bn1.running_mean").CopyFrom(
            numpy_helper.from_array(p["running_mean"], "bn1.running_mean"))
        x = _maxpool3x3s2p1(_bn(z, p)).astype(np.float32)

    cin = width
    for stage in range(4):
        cout = width << stage
        for block in range(4):
            stride = 2 if (stage > 0 and block == 0) else 1
            prefix = f"layer{stage + 1}.{block}"
            scope = f"/layer{stage + 1}/{prefix}"
            residual = t
            s = g.node("Sign", scope, [t])  # binary_activation (STE sign; forward is sign)
            wb = np.where(rng.standard_normal((cout, cin, 3, 3)) >= 0, 1.0, -1.0).astype(np.float32)
            c = g.node("Conv", f"{scope}/binary_conv", [s, g.init(f"{prefix}.binary_conv.weight", wb)],
                       kernel_shape=[3, 3], strides=[stride, stride], pads=[1, 1, 1, 1], dilations=[1, 1], group=1)
            zc = _conv(np.sign(x), wb, stride, 1) if calibrate else None
            out, pb = add_bn(f"{scope}/bn1", f"{prefix}.bn1", c, zc, cout)
            xr = x
            if stride != 1 or cin != cout:
                d = g.node("AveragePool", f"{scope}/downsample/downsample.0", [t],
                           kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0], ceil_mode=0)
                wd = _kaiming(rng, (cout, cin, 1, 1))
                d = g.node("Conv", f"{scope}/downsample/downsample.1",
                           [d, g.init(f"{prefix}.downsample.1.weight", wd)],
                           kernel_shape=[1, 1], strides=[1, 1], pads=[0, 0, 0, 0], dilations=[1, 1], group=1)
                zd = _conv(_avgpool2x2s2(x), wd, 1, 0) if calibrate else None
                residual, pd = add_bn(f"{scope}/downsample/downsample.2", f"{prefix}.downsample.2", d, zd, cout)
                if calibrate:
                    xr = _bn(zd, pd)
            t = g.node("Add", scope, [out, residual])
            if calibrate:
                x = (_bn(zc, pb) + xr).astype(np.float32)
            cin = cout

    # head: avgpool -> flatten -> fc
    t = g.node("GlobalAveragePool", "/avgpool", [t])
    t = g.node("Flatten", "", [t], axis=1)
    bound = 1.0 / np.sqrt(cin)  # nn.Linear default init
    fw = rng.uniform(-bound, bound, (num_classes, cin)).astype(np.float32)
    fb = rng.uniform(-bound, bound, num_classes).astype(np.float32)
    g.nodes.append(helper.make_node("Gemm", [t, g.init("fc.weight", fw), g.init("fc.bias", fb)], ["logits"],
                                    name="/fc/Gemm", alpha=1.0, beta=1.0, transB=1))

    graph = helper.make_graph(
        g.nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, resolution, resolution])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", num_classes])],
        initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="bnncc-examples-bireal", producer_version="1")
    model.ir_version = IR_VERSION
    model.doc_string = (f"Bi-Real-Net-18 topology (Liu et al., ECCV 2018), width {width}, "
                        f"{resolution}x{resolution}, {num_classes} classes, RANDOM weights (seed {seed}); "
                        "for benchmarking only.")
    return model


def build_bireal18(resolution: int = 224, seed: int = 0, num_classes: int = 1000, width: int = 64,
                   *, calibrate: bool = True, calib_images: int = 2) -> onnx.ModelProto:
    """Bi-Real-Net-18 with random weights.  ``calibrate=False`` skips the data-dependent BN
    initialisation (BN stats 0/1): same graph and shapes, much faster, for MAC counting."""
    return _build(resolution, seed, num_classes, width, calibrate, calib_images, "bireal18")


def build_bireal_small(resolution: int = 32, seed: int = 0, num_classes: int = 10, width: int = 16,
                       *, calibrate: bool = True, calib_images: int = 32) -> onnx.ModelProto:
    """The same topology with channels width, 2w, 4w, 8w, for quick runs and tests."""
    return _build(resolution, seed, num_classes, width, calibrate, calib_images, "bireal_small")


# ----------------------------------------------------------------------------- PyTorch's default export

def fold_batchnorms(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model as ``torch.onnx.export`` writes it by default (eval mode, constant folding on):
    every BatchNormalization that only reads a Conv's output is folded into that conv, with
    PyTorch's own float32 arithmetic (``torch.nn.utils.fuse_conv_bn_weights``):

        r = rsqrt(var + eps);  W' = W * (gamma * r)[m];  b' = (b - mean) * r * gamma + beta

    so a binary conv's +-1 weights arrive as +-gamma/sigma per output channel, plus a bias."""
    folded = onnx.ModelProto()
    folded.CopyFrom(model)
    graph = folded.graph
    tensors = {t.name: t for t in graph.initializer}
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    writer = {out: node for node in graph.node for out in node.output}
    kept = []
    for node in graph.node:
        conv = writer.get(node.input[0]) if node.op_type == "BatchNormalization" else None
        if conv is None or conv.op_type != "Conv" or readers[node.input[0]] != 1:
            kept.append(node)
            continue
        gamma, beta, mean, var = (numpy_helper.to_array(tensors[name]) for name in node.input[1:5])
        eps = next((a.f for a in node.attribute if a.name == "epsilon"), BN_EPS)
        w = numpy_helper.to_array(tensors[conv.input[1]])
        b = numpy_helper.to_array(tensors[conv.input[2]]) if len(conv.input) > 2 else np.zeros(len(w), np.float32)
        r = (np.float32(1) / np.sqrt(var + np.float32(eps))).astype(np.float32)
        factor = (gamma * r).astype(np.float32)
        tensors[conv.input[1]].CopyFrom(numpy_helper.from_array((w * factor[:, None, None, None]).astype(np.float32),
                                                                conv.input[1]))
        bias = ((((b - mean) * r).astype(np.float32) * gamma).astype(np.float32) + beta).astype(np.float32)
        if len(conv.input) > 2:
            tensors[conv.input[2]].CopyFrom(numpy_helper.from_array(bias, conv.input[2]))
        else:
            name = conv.input[1].removesuffix(".weight") + ".bias"
            name = name if name not in tensors else f"{conv.input[1]}::bias"
            tensors[name] = numpy_helper.from_array(bias, name)
            graph.initializer.append(tensors[name])
            conv.input.append(name)
        conv.output[0] = node.output[0]
    del graph.node[:]
    graph.node.extend(kept)
    used = {name for node in graph.node for name in node.input}
    live = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(live)
    return folded


def batchnorms_after_adds(model: onnx.ModelProto) -> onnx.ModelProto:
    """The blocks written BN(conv + shortcut) instead of BN(conv) + shortcut: each Add of a
    BatchNormalization (read by nothing else) of a Conv and a shortcut becomes an Add of the conv and
    the shortcut, followed by that BatchNormalization, which the block's readers then read. Another
    network (the BN now also scales the shortcut), with the same layers and the same work: the form
    some Bi-Real implementations export, for timing against the canonical one."""
    moved = onnx.ModelProto()
    moved.CopyFrom(model)
    graph = moved.graph
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    writer = {out: node for node in graph.node for out in node.output}
    after: dict[str, onnx.NodeProto] = {}          # Add output -> the BN that now follows the Add
    for add in graph.node:
        if add.op_type != "Add":
            continue
        for k in (0, 1):
            bn = writer.get(add.input[k])
            if bn is None or bn.op_type != "BatchNormalization" or readers[bn.output[0]] != 1 \
                    or writer.get(bn.input[0]) is None or writer[bn.input[0]].op_type != "Conv":
                continue
            add.input[k], sum_name = bn.input[0], bn.output[0]
            bn.input[0], bn.output[0] = sum_name, add.output[0]
            add.output[0] = sum_name
            after[sum_name] = bn
            break
    nodes = []
    for node in graph.node:
        if node.op_type == "BatchNormalization" and node.input[0] in after:
            continue                                  # placed right after its Add
        nodes.append(node)
        if node.op_type == "Add" and node.output[0] in after:
            nodes.append(after[node.output[0]])
    del graph.node[:]
    graph.node.extend(nodes)
    return moved


# ----------------------------------------------------------------------------- MAC counting

def count_macs(model: onnx.ModelProto) -> tuple[int, int]:
    """(binary, float) multiply-accumulates per sample, from the graph alone: a Conv whose data
    input is produced by a ``Sign`` node is binary; every other Conv and every Gemm/MatMul is
    float.  Spatial sizes come from ONNX shape inference (the batch dimension is ignored)."""
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    g = inferred.graph
    shapes = {}
    for vi in list(g.value_info) + list(g.output) + list(g.input):
        shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]
    inits = {t.name: list(t.dims) for t in g.initializer}
    producer = {o: n.op_type for n in g.node for o in n.output}
    binary = floating = 0
    for n in g.node:
        if n.op_type == "Conv":
            wshape = inits.get(n.input[1]) or shapes[n.input[1]]
            out = shapes[n.output[0]]
            macs = int(np.prod(out[2:])) * int(np.prod(wshape))  # Ho*Wo * M * C/g * kh * kw
            if producer.get(n.input[0]) == "Sign":
                binary += macs
            else:
                floating += macs
        elif n.op_type in ("Gemm", "MatMul"):
            wshape = inits.get(n.input[1]) or shapes[n.input[1]]
            floating += int(np.prod(wshape[-2:]))
    return binary, floating


# ----------------------------------------------------------------------------- CLI

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="width-16, 10-class variant (default resolution 32)")
    ap.add_argument("--resolution", type=int, default=None, help="input height/width (multiple of 32)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fold-batchnorm", action="store_true",
                    help="write it as torch.onnx.export does by default: BatchNormalization folded into the convs")
    ap.add_argument("--bn-after-add", action="store_true",
                    help="each block's BatchNormalization after its residual Add (BN(conv + shortcut)): "
                         "another network with the same layers, to time that export form")
    ap.add_argument("-o", "--output", required=True, help="output .onnx file")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.small:
        model = build_bireal_small(resolution=args.resolution or 32, seed=args.seed)
    else:
        model = build_bireal18(resolution=args.resolution or 224, seed=args.seed)
    if args.bn_after_add:
        model = batchnorms_after_adds(model)
    if args.fold_batchnorm:
        model = fold_batchnorms(model)
    elapsed = time.perf_counter() - t0
    onnx.checker.check_model(model)
    onnx.save(model, args.output)
    b, f = count_macs(model)
    print(f"wrote {args.output} ({model.graph.name}, generated in {elapsed:.1f} s)")
    print(f"binary MACs per sample: {b:,} ({b:.3e})")
    print(f"float MACs per sample:  {f:,} ({f:.3e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
