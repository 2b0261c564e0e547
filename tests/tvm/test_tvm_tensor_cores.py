"""The 1-bit tensor-core path of the binary conv (bnncc/tvm/tensor_cores.py), without a GPU: the
AND-plane identity on random packed words (padding masks, tail bits), and the kernel's fragment
bookkeeping replayed in numpy against an emulated mma.m16n8k256.and.popc (the PTX ISA's fragment
layout), compared with kernels.binary_conv_popcount's numpy reference; then the CUDA source of a
model built with tensor_cores: one MMA function per eligible layer, compiled by nvcc where it is
installed. Only a GPU runs it for real (examples/gpu checks every output there)."""
from __future__ import annotations

import numpy as np
import pytest
from tvm_testing import require_tvm

require_tvm()

import zoo  # noqa: E402

from bnncc import bits  # noqa: E402
from bnncc.ops import OPS  # noqa: E402
from bnncc.tvm import tensor_cores  # noqa: E402
from bnncc.tvm.kernels import BinaryConv, Window  # noqa: E402

POPCOUNT = np.array([bin(i).count("1") for i in range(256)], np.uint8)


def popcount(words: np.ndarray) -> np.ndarray:
    """Bits set per element of an unsigned integer array."""
    return POPCOUNT[words.view(np.uint8).reshape(words.shape + (words.itemsize,))].sum(-1).astype(np.int64)


def test_and_planes_give_the_masked_xor_popcount():
    """popcount((x ^ w) & m) = popcount((x & m) & ~w) + popcount((~x & m) & w), for words with tail
    bits 0 (channels past C) and masks all ones or 0 (padded taps)."""
    rng = np.random.default_rng(0)
    for channels in (64, 37, 1):
        tail = np.uint64((1 << channels) - 1) if channels < 64 else np.uint64(2 ** 64 - 1)
        x = rng.integers(0, 2 ** 64, 4096, dtype=np.uint64) & tail
        w = rng.integers(0, 2 ** 64, 4096, dtype=np.uint64) & tail
        m = np.where(rng.random(4096) < 0.3, np.uint64(0), np.uint64(2 ** 64 - 1))
        assert np.array_equal(popcount((x ^ w) & m), popcount((x & m) & ~w) + popcount((~x & m) & w))


def mma_and_popc(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """mma.sync.m16n8k256.row.col.s32.b1.b1.s32.and.popc for one warp: a [32, 4], b [32, 2] uint32
    registers, c [32, 4] int accumulators (lane = 4 g + t). A row g: a0 (k 32t..), a2 (k 128 + 32t..);
    row g + 8: a1, a3; B column g: b0, b1 for the same k; c0, c1 = D[g][2t, 2t + 1], c2, c3 row g + 8."""
    d = np.zeros((16, 8), np.int64)
    for row in range(16):
        for col in range(8):
            for t in range(4):
                lane_a, lane_b, upper = (row % 8) * 4 + t, col * 4 + t, row // 8
                for s in range(2):
                    d[row, col] += int(a[lane_a, upper + 2 * s] & b[lane_b, s]).bit_count()
    out = c.copy()
    for lane in range(32):
        g, t = divmod(lane, 4)
        out[lane] += [d[g, 2 * t], d[g, 2 * t + 1], d[g + 8, 2 * t], d[g + 8, 2 * t + 1]]
    return out


def replay_kernel(x: np.ndarray, w: np.ndarray, conv: BinaryConv, m: int) -> np.ndarray:
    """tensor_cores.POP_TEMPLATE step by step in numpy (same names), one warp at a time."""
    n, height, width, words = x.shape
    (kh_, kw_), (sh, sw), (dh, dw) = conv.window.kernel, conv.window.strides, conv.window.dilations
    pt, pl = conv.window.pads[0], conv.window.pads[1]
    out_h, out_w = conv.window.output_size(height, width)
    q_count, r_count = out_h * out_w, kh_ * kw_ * words
    flat_x, flat_w = x.reshape(-1), w.reshape(-1)
    rows = n * q_count
    pop = np.zeros((n, m, q_count), np.int64)
    for block_x in range(-(-rows // 128)):
        for block_y in range(m // 64):
            for warp in range(4):
                first, m0 = block_x * 128 + warp * 32, block_y * 64
                acc = np.zeros((2, 8, 32, 4), np.int64)
                for r0 in range(0, r_count, 2):
                    a = np.zeros((2, 32, 4), np.uint32)
                    b = np.zeros((8, 32, 2), np.uint32)
                    for lane in range(32):
                        g, t = divmod(lane, 4)
                        inverted, shift = t >= 2, (t & 1) * 32
                        for s in range(2):
                            r = r0 + s
                            tap, j = divmod(r, words)
                            kh, kw = divmod(tap, kw_)
                            for i in range(4):
                                row = min(first + 16 * (i >> 1) + g + 8 * (i & 1), rows - 1)
                                sample, q = divmod(row, q_count)
                                ih, iw = q // out_w * sh - pt + kh * dh, q % out_w * sw - pl + kw * dw
                                inside = r < r_count and 0 <= ih < height and 0 <= iw < width
                                ic, jc = min(max(ih, 0), height - 1), min(max(iw, 0), width - 1)
                                v = int(flat_x[sample * height * width * words + (ic * width + jc) * words + (j if r < r_count else 0)])
                                plane = ((~v if inverted else v) & (2 ** 64 - 1)) & (2 ** 64 - 1 if inside else 0)
                                a[i >> 1, lane, (i & 1) + 2 * s] = (plane >> shift) & 0xFFFFFFFF
                            for nt in range(8):
                                v = int(flat_w[r * m + m0 + nt * 8 + g]) if r < r_count else 0
                                b[nt, lane, s] = (((v if inverted else ~v) & (2 ** 64 - 1)) >> shift) & 0xFFFFFFFF
                    for nt in range(8):
                        for mt in range(2):
                            acc[mt, nt] = mma_and_popc(a[mt], b[nt], acc[mt, nt])
                for lane in range(32):
                    g, t = divmod(lane, 4)
                    for mt in range(2):
                        for h in range(2):
                            row = first + 16 * mt + g + 8 * h
                            if row >= rows:
                                continue
                            sample, q = divmod(row, q_count)
                            for nt in range(8):
                                for c in range(2):
                                    pop[sample, m0 + nt * 8 + 2 * t + c, q] = acc[mt, nt, lane, 2 * h + c]
    return pop


@pytest.mark.parametrize("channels,window", [
    (70, Window((3, 3), pads=(1, 1, 1, 1))),                       # tail bits, odd number of words of r
    (128, Window((3, 3), strides=(2, 2), pads=(1, 1, 1, 1))),
], ids=["C70-pad1", "C128-stride2"])
def test_kernel_fragments_replayed_in_numpy(channels, window):
    rng = np.random.default_rng(channels)
    m, n, hw = 64, 2, (5, 6)
    pm1 = np.where(rng.random((m, channels) + window.kernel) < 0.5, -1.0, 1.0).astype(np.float32)
    weights = bits.pack_conv_weights(pm1)
    x = bits.pack_nchw(np.where(rng.random((n, channels) + hw) < 0.5, -1.0, 1.0).astype(np.float32))
    conv = BinaryConv(channels, window)
    pop = replay_kernel(x, weights.transpose(1, 2, 3, 0).reshape(-1, m), conv, m)
    (dot,) = OPS["BinaryConvPacked"].reference(x, weights, channels=channels, pad_bit=-1,
                                               kernel_shape=list(window.kernel), strides=list(window.strides),
                                               pads=list(window.pads), dilations=list(window.dilations))
    out_h, out_w = window.output_size(*hw)
    rows = np.array([sum(0 <= oh * window.strides[0] - 1 + k < hw[0] for k in range(3)) for oh in range(out_h)])
    cols = np.array([sum(0 <= ow * window.strides[1] - 1 + k < hw[1] for k in range(3)) for ow in range(out_w)])
    taps = (rows[:, None] * cols[None, :]).reshape(-1)
    assert np.array_equal(taps * channels - 2 * pop, dot.reshape(n, m, -1))


def test_eligible_layers():
    pad1 = Window((3, 3), pads=(1, 1, 1, 1))
    assert tensor_cores.eligible(BinaryConv(128, pad1), 128)
    assert not tensor_cores.eligible(BinaryConv(64, pad1), 64)            # 9 words of r: registers win
    assert not tensor_cores.eligible(BinaryConv(128, pad1), 70)           # not whole blocks of 64 channels
    assert not tensor_cores.eligible(BinaryConv(128, pad1, pad_bit=1), 128)
    assert not tensor_cores.eligible(BinaryConv(512, Window((3, 3)), dense=True), 128)


def test_cuda_source_has_one_mma_function_per_layer_shape(tmp_path):
    from bnncc.frontend.importer import import_model
    from bnncc.pipeline import run_passes
    from bnncc.report import ConversionReport
    from bnncc.tvm import cuda_compile
    from bnncc.tvm.build import build
    from bnncc.tvm.lower import lower_graph

    imported = import_model(zoo.bireal_block(seed=2, stem="resnet", channels=128).SerializeToString())
    graph = run_passes(imported, ConversionReport(), target=None)
    lowered = lower_graph(graph, imported.inputs, imported.outputs, target="cuda", tensor_cores=True)
    built = build(lowered, "cuda", compile_device=False)
    source = "\n".join(built.cuda_sources)
    assert source.count("mma.sync.aligned.m16n8k256.row.col.s32.b1.b1.s32.and.popc") >= 1
    if cuda_compile.find_nvcc() is not None:
        assert cuda_compile._nvcc(source, "sm_90")


def test_tensor_cores_are_the_tvm_cuda_default(monkeypatch):
    """`bnncc compile -t tvm-cuda` (api.build_graph with no option) lowers the eligible binary convs
    to the 1-bit MMA and the float convs to bnncc's kernels; tensor_cores=False (compile_model's
    option, carried by Target.with_options) keeps them on popcount; tvm-llvm stays popcount and
    refuses the option."""
    from bnncc.errors import BnnccError
    from bnncc.frontend.importer import import_model
    from bnncc.pipeline import run_passes
    from bnncc.report import ConversionReport
    from bnncc.targets import get_target
    from bnncc.tvm import api, build

    lowered = []
    monkeypatch.setattr(build, "build", lambda graph_lowered, *args, **kwargs: lowered.append(graph_lowered))
    imported = import_model(zoo.bireal_block(seed=2, stem="resnet", channels=128).SerializeToString())
    graph = run_passes(imported, ConversionReport(), target=None)

    def mma_functions(target) -> int:
        api.build_graph(graph, imported, target.option("kind"), tensor_cores=target.option("tensor_cores"))
        return lowered[-1].module.script().count("mma.sync.aligned.m16n8k256")

    cuda = get_target("tvm-cuda")
    assert mma_functions(cuda) >= 1 and lowered[-1].kernels.get("float_conv")
    assert mma_functions(cuda.with_options(tensor_cores=False)) == 0
    assert mma_functions(get_target("tvm-llvm")) == 0 and "float_conv" not in lowered[-1].kernels
    with pytest.raises(BnnccError, match="tensor_cores needs the tvm-cuda target"):
        api.compile_model(zoo.bireal_block(seed=2).SerializeToString(), "tvm-llvm", tensor_cores=True)
