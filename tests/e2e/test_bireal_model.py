"""The Bi-Real-Net-18 benchmark generator (examples/bireal/bireal.py): structure, onnxruntime run,
balanced binarised activations, determinism and the published MAC counts."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

ort = pytest.importorskip("onnxruntime")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "bireal"))
import bireal  # noqa: E402
from targets_under_test import cpu_targets  # noqa: E402


@pytest.fixture(scope="module")
def small() -> onnx.ModelProto:
    return bireal.build_bireal_small()


def _session(model: onnx.ModelProto, extra_outputs: list[str] = ()):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for name in extra_outputs:
        m.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])


def test_small_model_is_valid_onnx(small):
    onnx.checker.check_model(small, full_check=True)
    assert small.opset_import[0].version == 13
    (inp,), (out,) = small.graph.input, small.graph.output
    assert inp.name == "input" and out.name == "logits"
    assert inp.type.tensor_type.shape.dim[0].dim_param == "N"
    assert [d.dim_value for d in inp.type.tensor_type.shape.dim[1:]] == [3, 32, 32]


def test_small_model_runs_in_onnxruntime(small):
    x = np.random.default_rng(7).standard_normal((2, 3, 32, 32)).astype(np.float32)
    (logits,) = _session(small).run(None, {"input": x})
    assert logits.shape == (2, 10)
    assert np.isfinite(logits).all()


def test_small_model_structure(small):
    inits = {t.name: numpy_helper.to_array(t) for t in small.graph.initializer}
    producer = {o: n for n in small.graph.node for o in n.output}
    convs = [n for n in small.graph.node if n.op_type == "Conv"]
    binary = [n for n in convs if n.input[0] in producer and producer[n.input[0]].op_type == "Sign"]
    assert len(binary) == 16
    for n in binary:
        w = inits[n.input[1]]
        assert w.shape[2:] == (3, 3) and len(n.input) == 2  # 3x3, no bias
        assert w.dtype == np.float32 and np.all(np.abs(w) == 1)
        # every binary conv is followed by a BN whose output is added to a shortcut
        (bn,) = [m for m in small.graph.node if n.output[0] in m.input]
        assert bn.op_type == "BatchNormalization"
        (add,) = [m for m in small.graph.node if bn.output[0] in m.input]
        assert add.op_type == "Add"
    downsample = [n for n in convs if inits[n.input[1]].shape[2:] == (1, 1)]
    assert len(downsample) == 3
    for n in downsample:
        assert producer[n.input[0]].op_type == "AveragePool"
    assert len(convs) == 16 + 3 + 1  # plus the float 7x7 stem
    widths = [inits[n.input[1]].shape[0] for n in binary]
    assert widths == [16] * 4 + [32] * 4 + [64] * 4 + [128] * 4
    assert [n.op_type for n in small.graph.node][-3:] == ["GlobalAveragePool", "Flatten", "Gemm"]


def test_small_model_binarized_activations_are_balanced(small):
    signs = [n.output[0] for n in small.graph.node if n.op_type == "Sign"]
    assert len(signs) == 16
    x = np.random.default_rng(11).standard_normal((2, 3, 32, 32)).astype(np.float32)
    outs = _session(small, signs).run(signs, {"input": x})
    for name, s in zip(signs, outs):
        frac = float(np.mean(s > 0))
        assert 0.2 <= frac <= 0.8, f"{name}: fraction of +1 is {frac:.3f}"
        assert np.mean(s == 0) < 0.01, f"{name}: Sign saw exact zeros"


def test_generation_is_deterministic():
    a = bireal.build_bireal_small(seed=5).SerializeToString()
    assert a == bireal.build_bireal_small(seed=5).SerializeToString()
    assert a != bireal.build_bireal_small(seed=6).SerializeToString()


def test_bireal18_mac_counts_match_published_figures():
    # MACs depend only on the graph, not on the BN statistics: skip the calibration pass.
    model = bireal.build_bireal18(resolution=224, calibrate=False)
    binary, floating = bireal.count_macs(model)
    assert binary == pytest.approx(1.7e9, rel=0.05)
    assert floating == pytest.approx(1.4e8, rel=0.05)
    assert (binary, floating) == (1_676_279_808, 137_793_536)


def test_cli_writes_the_small_model(tmp_path, capsys):
    out = tmp_path / "small.onnx"
    assert bireal.main(["--small", "-o", str(out)]) == 0
    onnx.checker.check_model(onnx.load(str(out)))
    assert "binary MACs per sample: 2,138,112" in capsys.readouterr().out


@pytest.mark.parametrize("target", cpu_targets(include_native=False))
def test_threads_give_the_one_thread_outputs_on_every_run(target, tmp_path):
    """Heavy layers share their items among threads at run time (bnn_share: ranges cut by the
    measured speeds, a slow thread's pieces go to the others, the stem's pieces resume one another),
    so every run may split differently; each must equal one thread bit for bit. Resolution 64:
    16x16 maps after the stem, so the AVX-512 pixel tiles run too, and the 8x8 and smaller maps'
    128-channel convs are shared by channels on 2 threads (the _channels kernels)."""
    import bnncc

    source = bireal.build_bireal_small(resolution=64, calib_images=4).SerializeToString()
    x = np.random.default_rng(3).standard_normal((2, 3, 64, 64)).astype(np.float32)
    models = {t: bnncc.compile(source, target=target, threads=t, output_dir=tmp_path / f"t{t}").build()
              for t in (1, 2, 3)}
    (want,) = models[1].run(x)
    for threads in (2, 3):
        for _ in range(15):
            (got,) = models[threads].run(x)
            assert np.array_equal(got, want), threads


@pytest.mark.parametrize("target", cpu_targets(include_native=False))
def test_pytorch_default_export_runs_the_canonical_kernels(target):
    """torch.onnx.export's default form (BatchNormalization folded into the convs: ±gamma/sigma
    binary weights plus a bias, the stem conv's bias straight into the max-pool) compiles to the
    canonical form's kernels, less the shortcut BatchNormalizations that became conv biases, and
    matches onnxruntime on its own terms."""
    import bnncc
    from bnncc.verify import compare

    canonical = bireal.build_bireal_small(resolution=64, calib_images=4)
    folded = bireal.fold_batchnorms(canonical)
    assert "BatchNormalization" not in {n.op_type for n in folded.graph.node}
    # (where the stem conv and its pool stay two kernels, bnn_maxpool_affine_f32 pools in both forms:
    # with the BatchNormalization's map, or with none)
    same_pool = {"MaxPoolAffine": "MaxPool"}
    kernels = [[same_pool.get(layer.op_type, layer.op_type) for layer in
                bnncc.compile(m.SerializeToString(), target=target).layers] for m in (canonical, folded)]
    shortcut_bn = [i for i, op in enumerate(kernels[0]) if op == "ChannelAffine" and kernels[0][i - 1] == "Conv"]
    assert len(shortcut_bn) == 3
    assert kernels[1] == [op for i, op in enumerate(kernels[0]) if i not in shortcut_bn]
    assert kernels[1].count("BinaryConvAffine") == 16 and not {"Mul", "Add"} & set(kernels[1])
    model = bnncc.compile(folded.SerializeToString(), target=target)
    x = np.random.default_rng(5).standard_normal((3, 3, 64, 64)).astype(np.float32)
    assert all(check.ok for check in compare(model, [x]))


def test_batchnorm_after_the_add_runs_the_canonical_kernels():
    """bireal.py --bn-after-add (each block BN(conv + shortcut)) compiles to the canonical form's
    kernels (each BN the second output stage of its conv) and matches onnxruntime."""
    import bnncc
    from bnncc.verify import compare

    canonical = bireal.build_bireal_small(resolution=64, calib_images=4)
    moved = bireal.batchnorms_after_adds(canonical)
    ops = [n.op_type for n in moved.graph.node]
    assert sum(op == "BatchNormalization" and ops[i - 1] == "Add" for i, op in enumerate(ops)) == ops.count("Add")
    models = [bnncc.compile(m.SerializeToString(), target="generic-c") for m in (canonical, moved)]
    assert [layer.op_type for layer in models[1].layers] == [layer.op_type for layer in models[0].layers]
    x = np.random.default_rng(6).standard_normal((2, 3, 64, 64)).astype(np.float32)
    assert all(check.ok for check in compare(models[1], [x]))
