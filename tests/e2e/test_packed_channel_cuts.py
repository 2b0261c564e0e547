"""Channel cuts of packed ±1 maps (ConcatBits / SliceBits): word-aligned ranges are read in place by
the binary convs (a SliceBits view, with the wider map's pixel stride) and written in place by them
(a ConcatBits piece); other ranges are copied (`bnn_copy_bits`). Each model is exact against
onnxruntime on every CPU target, and its artifact makes exactly the copies the plan leaves."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import bnncc
from targets_under_test import cpu_targets
from test_zoo_models import assert_matches_reference, feeds_for

SIDE = 5


class _Model:
    """x [1, C, SIDE, SIDE] float -> Sign -> binary 3x3 convs and cuts of their ±1 maps."""

    def __init__(self, channels: int, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.channels = [], [], channels
        self.x = self.sign("x")

    def _name(self, kind: str) -> str:
        return f"{kind}_{len(self.nodes) + len(self.inits)}"

    def sign(self, value: str) -> str:
        out = self._name("sign")
        self.nodes.append(helper.make_node("Sign", [value], [out], name=out))
        return out

    def conv(self, value: str, c_in: int, c_out: int) -> str:
        """A ±1 3x3 conv, pad 1, then a BatchNormalization (folded into the conv's output stage)."""
        w, out = self._name("w"), self._name("conv")
        self.inits.append(numpy_helper.from_array(
            self.rng.choice(np.array([-1.0, 1.0], np.float32), size=(c_out, c_in, 3, 3)), w))
        self.nodes.append(helper.make_node("Conv", [value, w], [out], name=out, kernel_shape=[3, 3], pads=[1] * 4))
        names = [self._name(k) for k in ("scale", "bias", "mean", "var")]
        for name, values in zip(names, (self.rng.uniform(0.5, 2, c_out), self.rng.normal(0, 2, c_out),
                                        self.rng.normal(0, 3, c_out), self.rng.uniform(1, 4, c_out))):
            self.inits.append(numpy_helper.from_array(values.astype(np.float32), name))
        bn = self._name("bn")
        self.nodes.append(helper.make_node("BatchNormalization", [out, *names], [bn], name=bn))
        return bn

    def cut(self, value: str, start: int, stop: int) -> str:
        names = [self._name(k) for k in ("starts", "ends", "axes")]
        for name, v in zip(names, (start, stop, 1)):
            self.inits.append(numpy_helper.from_array(np.array([v], np.int64), name))
        out = self._name("slice")
        self.nodes.append(helper.make_node("Slice", [value, *names], [out], name=out))
        return out

    def concat(self, *values: str) -> str:
        out = self._name("concat")
        self.nodes.append(helper.make_node("Concat", list(values), [out], name=out, axis=1))
        return out

    def build(self, outputs: list[str]) -> bytes:
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, self.channels, SIDE, SIDE])
        graph = helper.make_graph(self.nodes, "packed_cuts", [x],
                                  [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
                                  initializer=self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()


def grouped(per_group: tuple[int, ...]) -> bytes:
    """The channels of the input cut into groups, a conv per group, the binarized outputs joined and
    read by one more conv: a grouped conv as split_grouped_convs writes it, with any group sizes."""
    m = _Model(sum(per_group))
    starts = np.cumsum([0, *per_group])
    pieces = [m.sign(m.conv(m.cut(m.x, int(a), int(b)), int(b - a), int(b - a))) for a, b in zip(starts, starts[1:])]
    return m.build([m.conv(m.concat(*pieces), sum(per_group), 8)])


def dense_block() -> bytes:
    """MeliusNet's dense block on packed maps: the input's bits joined with a conv's, twice."""
    m = _Model(64)
    y = m.concat(m.x, m.sign(m.conv(m.x, 64, 64)))
    y = m.concat(y, m.sign(m.conv(y, 128, 64)))
    return m.build([m.conv(y, 192, 8)])


def piece_read_elsewhere(reader: str) -> bytes:
    """A conv's bits go into a concat and to one more reader: another conv takes the range in place,
    a max-pool (BinaryMaxPool) takes a map of its own, so then the piece is copied into the concat."""
    m = _Model(64)
    piece = m.sign(m.conv(m.x, 64, 64))
    if reader == "pool":
        other = m._name("pool")
        m.nodes.append(helper.make_node("MaxPool", [piece], [other], name=other, kernel_shape=[2, 2]))
    else:
        other = piece
    return m.build([m.conv(m.concat(piece, m.x), 128, 8), m.conv(other, 64, 4)])


# name -> (model, bnn_copy_bits calls its artifact makes)
CASES = {
    "word_groups": (grouped((64, 128, 64)), 0),              # views, pieces in place: nothing copied
    "last_group_short": (grouped((64, 64, 40)), 0),          # the last range: whole words up to the end
    # a range ending inside a word is copied, out and back: the first two groups' (the third's
    # slice and piece are whole words up to the end)
    "unaligned_groups": (grouped((40, 24, 64)), 4),
    # the bits of the input (a ThresholdPack, which writes maps of its own) are copied into the first
    # concat, which nests in place in the second; the convs' pieces are in place
    "dense_block": (dense_block(), 1),
    "piece_read_by_conv": (piece_read_elsewhere("conv"), 1),     # the input's bits only
    "piece_read_by_pool": (piece_read_elsewhere("pool"), 2),
}


def _with(targets, names):
    """(target, case) params: each target's skip marks kept."""
    return [pytest.param(t.values[0], name, marks=t.marks, id=f"{t.values[0]}-{name}")
            for t in targets for name in names]


X86_AND_PORTABLE = cpu_targets(include_native=False)
ARM = [t for t in cpu_targets(include_native=False, include_arm=True) if t.values[0] not in
       {x.values[0] for x in X86_AND_PORTABLE}]


# the ARM kernels (NEON, Cortex-M) too, on strided input and output: views, pieces in place, a nested concat
@pytest.mark.parametrize("target, name",
                         _with(X86_AND_PORTABLE, sorted(CASES)) + _with(ARM, ["word_groups", "dense_block"]))
def test_packed_cuts_are_exact_and_copy_only_off_word_boundaries(name, target, tmp_path):
    source, copies = CASES[name]
    model = bnncc.compile(source, target=target, output_dir=tmp_path / "artifact", name="cuts")
    code = (tmp_path / "artifact" / "cuts.c").read_text()
    assert code.count("bnn_copy_bits(") == copies
    assert_matches_reference(model, feeds_for(model, batch=2, seed=4))
