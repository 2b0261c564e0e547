"""Train a small binary neural network on scikit-learn's 8x8 digits and export it to ONNX.

Pure numpy: straight-through estimator for the sign functions, latent float weights
clipped to [-1, 1] for the binary layers, Adam, fixed seed.  The exported graph is
plain ONNX (opset 13):

    image [N,1,8,8] (0..16) -> Div 16
      -> Conv 1->32 (float)  -> BatchNormalization -> Sign
      -> Conv 32->64 (+-1)   -> BatchNormalization -> Sign -> MaxPool 2x2
      -> Conv 64->64 (+-1)   -> BatchNormalization -> Sign -> MaxPool 2x2
      -> Flatten -> Gemm 256->128 (+-1) -> BatchNormalization -> Sign
      -> Gemm 128->10 (float) -> logits [N,10], ArgMax -> label [N]

The +-1 weights are stored as int8 initializers followed by Cast(to=FLOAT), which
keeps the file small (float32 storage would be ~360 KB).

Run:  python examples/digits/train.py
"""

import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
SEED = 0
EPOCHS = 20
BATCH_SIZE = 128
LEARNING_RATE = 1e-2
LATENT_INIT = 0.05  # small latent weights: signs can flip early in training
BN_EPSILON = 1e-5
BN_MOMENTUM = 0.1
OPSET = 13


def binarize(x):
    """Sign with sign(0) = +1, as used for both weights and activations."""
    return np.where(x >= 0, 1.0, -1.0).astype(np.float32)


def im2col(x):
    """Unfold 3x3 patches (pad 1) of an NCHW tensor into rows of shape [N*H*W, C*9]."""
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * 9)


def col2im(cols, shape):
    """Inverse-accumulate of im2col: sum patch gradients back into an NCHW tensor."""
    n, c, h, w = shape
    patches = cols.reshape(n, h, w, c, 3, 3).transpose(0, 3, 4, 5, 1, 2)
    padded = np.zeros((n, c, h + 2, w + 2), dtype=cols.dtype)
    for dy in range(3):
        for dx in range(3):
            padded[:, :, dy:dy + h, dx:dx + w] += patches[:, :, dy, dx]
    return padded[:, :, 1:-1, 1:-1]


class Conv3x3:
    """3x3 convolution, stride 1, pad 1, no bias; optionally with binarized weights."""

    def __init__(self, rng, in_ch, out_ch, binary):
        scale = LATENT_INIT if binary else np.sqrt(2.0 / (in_ch * 9))
        self.params = {"w": rng.uniform(-scale, scale, (out_ch, in_ch, 3, 3)).astype(np.float32)}
        self.binary = binary

    def weight(self):
        """Weight actually used in the forward pass (+-1 for binary layers)."""
        return binarize(self.params["w"]) if self.binary else self.params["w"]

    def forward(self, x, training):
        self.in_shape, self.cols = x.shape, im2col(x)
        n, _, h, w = x.shape
        out = self.cols @ self.weight().reshape(len(self.params["w"]), -1).T
        return out.reshape(n, h, w, -1).transpose(0, 3, 1, 2)

    def backward(self, grad):
        out_ch = grad.shape[1]
        grad_rows = grad.transpose(0, 2, 3, 1).reshape(-1, out_ch)
        grad_w = (grad_rows.T @ self.cols).reshape(self.params["w"].shape)
        self.grads = {"w": ste_weight_grad(grad_w, self.params["w"]) if self.binary else grad_w}
        return col2im(grad_rows @ self.weight().reshape(out_ch, -1), self.in_shape)


class Dense:
    """Fully connected layer y = x W^T (+ b); binary layers have +-1 weights and no bias."""

    def __init__(self, rng, in_dim, out_dim, binary):
        scale = LATENT_INIT if binary else np.sqrt(1.0 / in_dim)
        self.params = {"w": rng.uniform(-scale, scale, (out_dim, in_dim)).astype(np.float32)}
        if not binary:
            self.params["b"] = np.zeros(out_dim, dtype=np.float32)
        self.binary = binary

    def weight(self):
        """Weight actually used in the forward pass (+-1 for binary layers)."""
        return binarize(self.params["w"]) if self.binary else self.params["w"]

    def forward(self, x, training):
        self.x = x
        return x @ self.weight().T + self.params.get("b", 0.0)

    def backward(self, grad):
        grad_w = grad.T @ self.x
        self.grads = {"w": ste_weight_grad(grad_w, self.params["w"]) if self.binary else grad_w}
        if "b" in self.params:
            self.grads["b"] = grad.sum(axis=0)
        return grad @ self.weight()


def ste_weight_grad(grad, latent):
    """Straight-through estimator for sign(w): pass the gradient where |w| <= 1."""
    return grad * (np.abs(latent) <= 1.0)


class BatchNorm:
    """Batch normalization over all axes but the channel axis (1); tracks running stats."""

    def __init__(self, channels):
        self.params = {"gamma": np.ones(channels, np.float32), "beta": np.zeros(channels, np.float32)}
        self.running_mean = np.zeros(channels, np.float32)
        self.running_var = np.ones(channels, np.float32)

    def _broadcast(self, v, ndim):
        """Reshape a per-channel vector to broadcast against an [N, C, ...] tensor."""
        return v.reshape((1, -1) + (1,) * (ndim - 2))

    def forward(self, x, training):
        axes = (0,) + tuple(range(2, x.ndim))
        if training:
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            count = x.size // x.shape[1]
            self.running_mean += BN_MOMENTUM * (mean - self.running_mean)
            self.running_var += BN_MOMENTUM * (var * count / (count - 1) - self.running_var)
        else:
            mean, var = self.running_mean, self.running_var
        b = lambda v: self._broadcast(v, x.ndim)
        self.axes, self.inv_std = axes, 1.0 / np.sqrt(var + BN_EPSILON)
        self.x_hat = (x - b(mean)) * b(self.inv_std)
        return self.x_hat * b(self.params["gamma"]) + b(self.params["beta"])

    def backward(self, grad):
        b = lambda v: self._broadcast(v, grad.ndim)
        self.grads = {"gamma": (grad * self.x_hat).sum(axis=self.axes), "beta": grad.sum(axis=self.axes)}
        g = grad * b(self.params["gamma"])
        return b(self.inv_std) * (g - g.mean(axis=self.axes, keepdims=True)
                                  - self.x_hat * (g * self.x_hat).mean(axis=self.axes, keepdims=True))


class Sign:
    """Binary activation sign(x) (sign(0) = +1) with the hard-tanh straight-through gradient."""

    params = {}

    def forward(self, x, training):
        self.x = x
        return binarize(x)

    def backward(self, grad):
        return grad * (np.abs(self.x) <= 1.0)


class MaxPool2:
    """2x2 max pooling with stride 2; the gradient goes to the first maximum of each window."""

    params = {}

    def forward(self, x, training):
        n, c, h, w = x.shape
        windows = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
        self.in_shape, self.argmax = x.shape, windows.argmax(axis=-1)
        return windows.max(axis=-1)

    def backward(self, grad):
        n, c, h, w = self.in_shape
        windows = (np.arange(4) == self.argmax[..., None]) * grad[..., None]
        return windows.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


class Flatten:
    """Flatten [N, C, H, W] to [N, C*H*W] in C-order, like ONNX Flatten(axis=1)."""

    params = {}

    def forward(self, x, training):
        self.in_shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


def build_model(rng):
    """The layer list; its structure mirrors the exported ONNX graph one to one."""
    return [
        Conv3x3(rng, 1, 32, binary=False), BatchNorm(32), Sign(),
        Conv3x3(rng, 32, 64, binary=True), BatchNorm(64), Sign(), MaxPool2(),
        Conv3x3(rng, 64, 64, binary=True), BatchNorm(64), Sign(), MaxPool2(),
        Flatten(),
        Dense(rng, 256, 128, binary=True), BatchNorm(128), Sign(),
        Dense(rng, 128, 10, binary=False),
    ]


def forward(model, images, training):
    """Logits for a batch of 0..16 images (scaled by 1/16 like the ONNX Div node)."""
    x = images / np.float32(16.0)
    for layer in model:
        x = layer.forward(x, training)
    return x


def backward(model, grad):
    """Backpropagate the loss gradient through all layers, filling layer.grads."""
    for layer in reversed(model):
        grad = layer.backward(grad)


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy loss and its gradient with respect to the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    n = len(labels)
    loss = -np.log(probs[np.arange(n), labels]).mean()
    probs[np.arange(n), labels] -= 1.0
    return loss, probs / n


class Adam:
    """Adam over every layer's params; latent binary weights are clipped to [-1, 1]."""

    def __init__(self, model, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.model, self.lr, self.beta1, self.beta2, self.eps = model, lr, beta1, beta2, eps
        self.m = {(i, k): np.zeros_like(v) for i, l in enumerate(model) for k, v in l.params.items()}
        self.v = {key: np.zeros_like(m) for key, m in self.m.items()}
        self.t = 0

    def step(self):
        self.t += 1
        for i, layer in enumerate(self.model):
            for name, param in layer.params.items():
                g = layer.grads[name]
                m = self.m[i, name] = self.beta1 * self.m[i, name] + (1 - self.beta1) * g
                v = self.v[i, name] = self.beta2 * self.v[i, name] + (1 - self.beta2) * g * g
                m_hat, v_hat = m / (1 - self.beta1 ** self.t), v / (1 - self.beta2 ** self.t)
                param -= (self.lr * m_hat / (np.sqrt(v_hat) + self.eps)).astype(np.float32)
                if getattr(layer, "binary", False) and name == "w":
                    np.clip(param, -1.0, 1.0, out=param)


def predict(model, images):
    """Inference-mode (running BN statistics) class predictions of the numpy model."""
    return forward(model, images, training=False).argmax(axis=1)


def train(model, images, labels, rng):
    """Mini-batch training with a cosine-decayed learning rate."""
    optimizer = Adam(model, LEARNING_RATE)
    for epoch in range(EPOCHS):
        optimizer.lr = LEARNING_RATE * 0.5 * (1 + np.cos(np.pi * epoch / EPOCHS))
        order = rng.permutation(len(images))
        losses = []
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            loss, grad = softmax_cross_entropy(forward(model, images[batch], training=True), labels[batch])
            backward(model, grad)
            optimizer.step()
            losses.append(loss)
        print(f"epoch {epoch + 1:2d}/{EPOCHS}  loss {np.mean(losses):.4f}")


class GraphBuilder:
    """Accumulates ONNX nodes and initializers with sequential, readable names."""

    def __init__(self):
        self.nodes, self.initializers, self.sign_inputs = [], [], []

    def constant(self, name, array):
        """Add an initializer and return its name."""
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op, inputs, output, **attrs):
        """Add a node with a single output and return the output's name."""
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def weight(self, name, layer):
        """Weight input of a layer: float32 as is, or +-1 as int8 + Cast(to=FLOAT)."""
        if not layer.binary:
            return self.constant(name, layer.params["w"])
        packed = self.constant(name + "_int8", layer.weight().astype(np.int8))
        return self.node("Cast", [packed], name, to=TensorProto.FLOAT)

    def batchnorm(self, prefix, x, bn):
        """BatchNormalization in inference form (running statistics)."""
        inputs = [self.constant(f"{prefix}_{k}", v) for k, v in (
            ("scale", bn.params["gamma"]), ("bias", bn.params["beta"]),
            ("mean", bn.running_mean), ("var", bn.running_var))]
        return self.node("BatchNormalization", [x] + inputs, prefix, epsilon=BN_EPSILON)

    def sign(self, name, x):
        """Sign activation; its input is remembered for the exact-zero check."""
        self.sign_inputs.append(x)
        return self.node("Sign", [x], name)


def export_onnx(model, path):
    """Write the trained model as a plain opset-13 ONNX graph; returns the Sign input names."""
    conv1, bn1, _, conv2, bn2, _, _, conv3, bn3, _, _, _, fc1, bn4, _, fc2 = model
    g = GraphBuilder()
    x = g.node("Div", ["image", g.constant("sixteen", np.array(16.0, np.float32))], "scaled")
    for i, (conv, bn, pool) in enumerate([(conv1, bn1, False), (conv2, bn2, True), (conv3, bn3, True)], 1):
        x = g.node("Conv", [x, g.weight(f"conv{i}_w", conv)], f"conv{i}",
                   kernel_shape=[3, 3], pads=[1, 1, 1, 1])
        x = g.sign(f"sign{i}", g.batchnorm(f"bn{i}", x, bn))
        if pool:
            x = g.node("MaxPool", [x], f"pool{i}", kernel_shape=[2, 2], strides=[2, 2])
    x = g.node("Flatten", [x], "flatten", axis=1)
    x = g.node("Gemm", [x, g.weight("fc1_w", fc1)], "fc1", transB=1)
    x = g.sign("sign4", g.batchnorm("bn4", x, bn4))
    logits = g.node("Gemm", [x, g.weight("fc2_w", fc2), g.constant("fc2_b", fc2.params["b"])], "logits", transB=1)
    g.node("ArgMax", [logits], "label", axis=1, keepdims=0)
    graph = helper.make_graph(
        g.nodes, "digits_bnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10]),
         helper.make_tensor_value_info("label", TensorProto.INT64, ["N"])],
        g.initializers)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                   producer_name="bnncc-examples-digits")
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model, full_check=True)
    onnx.save(onnx_model, path)
    return g.sign_inputs


def check_onnx(path, sign_inputs, images):
    """onnxruntime predictions of the exported model and the number of exact zeros fed to Sign."""
    onnx_model = onnx.load(path)
    onnx_model.graph.output.extend(helper.make_empty_tensor_value_info(name) for name in sign_inputs)
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    logits, label, *pre_sign = session.run(None, {"image": images})
    assert np.array_equal(label, logits.argmax(axis=1))
    zeros = {name: int((t == 0).sum()) for name, t in zip(sign_inputs, pre_sign)}
    return label, zeros


def load_data():
    """The digits split used throughout: images float32 [N,1,8,8] in 0..16, labels int64."""
    digits = load_digits()
    images = digits.images.astype(np.float32)[:, None]
    return train_test_split(images, digits.target.astype(np.int64), test_size=0.25, random_state=SEED)


def main():
    start = time.perf_counter()
    rng = np.random.default_rng(SEED)
    train_x, test_x, train_y, test_y = load_data()
    model = build_model(rng)
    train(model, train_x, train_y, rng)
    numpy_pred = predict(model, test_x)

    onnx_path = HERE / "digits_bnn.onnx"
    sign_inputs = export_onnx(model, onnx_path)
    np.save(HERE / "test_images.npy", test_x)
    np.save(HERE / "test_labels.npy", test_y)
    ort_pred, zeros = check_onnx(onnx_path, sign_inputs, test_x)

    print(f"test accuracy (numpy):       {(numpy_pred == test_y).mean():.4f}  ({len(test_y)} images)")
    print(f"test accuracy (onnxruntime): {(ort_pred == test_y).mean():.4f}")
    print(f"predictions differing between numpy and onnxruntime: {int((numpy_pred != ort_pred).sum())}")
    print(f"exact zeros at Sign inputs in onnxruntime: {sum(zeros.values())} {zeros}")
    print(f"wrote {onnx_path.name} ({onnx_path.stat().st_size} bytes) in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
