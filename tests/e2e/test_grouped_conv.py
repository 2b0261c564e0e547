"""A grouped binary conv runs as one binary layer per group, with the BN, the residual and the
binarization after it in each group's output stage, also on a scaled ±1 input (s * sign(x), one s
per tensor or per group); groups too small to gain from it (depthwise) and scales that vary
within a group run as a float grouped conv. Exactness on every target: the zoo's
grouped_binary_conv variants."""
from __future__ import annotations

import numpy as np
import pytest

import bnncc
from bnncc.passes import split_grouped_convs
from bnncc.verify import compare

try:
    import zoo
except ImportError:  # pragma: no cover - tests/ made a package
    from tests import zoo


def compiled_grouped(**kwargs) -> bnncc.CompiledModel:
    return bnncc.compile(zoo.grouped_binary_conv(**kwargs).SerializeToString(), target="generic-c")


def assert_exact(model: bnncc.CompiledModel, seed: int = 1) -> None:
    inputs = [np.random.default_rng(seed).standard_normal((4, 3, 6, 6)).astype(np.float32)]
    for check in compare(model, inputs):
        assert check.ok, check


def assert_runs_binary_per_group(compiled: bnncc.CompiledModel, groups: int, per_group: int, then: str) -> None:
    kinds = [layer.op_type for layer in compiled.layers]
    assert kinds.count("Conv") == 1                       # the float stem only
    binary = [layer for layer in compiled.layers if layer.op_type.startswith("BinaryConv")]
    assert [layer.detail.split()[0] for layer in binary] == [f"{per_group}->{per_group}"] * groups + \
        [f"{groups * per_group}->{groups * per_group}"]
    # BN (+ residual) + Sign of the grouped conv are fused into each group's conv, which writes bits
    # (with a scaled input, acc*s*S rounds once more than any single affine map of acc: the BN is the
    # second stage of the group's output stage, as an ungrouped conv's is)
    assert all(layer.op_type == ("BinaryConvAffine" if then == "residual" else "BinaryConvPacked")
               for layer in binary[:groups])
    first = next(i for i, kind in enumerate(kinds) if kind.startswith("BinaryConv"))
    assert not {"ChannelAffine", "ThresholdPack"} & set(kinds[first:])
    # word-aligned groups read their channels in place and write their bits into the joined map (the
    # memory plan's packed ranges); other groups are copied out and back
    copies = {"SliceBits", "ConcatBits"} & set(kinds)
    assert copies == (set() if per_group % 64 == 0 else {"SliceBits", "ConcatBits"})
    grouped = [note for note in compiled.report.layers if note.op_type == "Conv" and "groups" in note.reason]
    assert [note.mode for note in grouped] == ["binary"]


@pytest.mark.parametrize("groups, per_group", [(2, 64), (4, 8)])
@pytest.mark.parametrize("then", ["sign", "residual"])
def test_grouped_conv_runs_binary_per_group(groups, per_group, then):
    compiled = compiled_grouped(groups=groups, per_group=per_group, then=then)
    assert_runs_binary_per_group(compiled, groups, per_group, then)
    assert [note.node for note in compiled.report.layers if "groups" in note.reason] == ["Conv#3"]


@pytest.mark.parametrize("groups, per_group, scale, then", [
    (2, 64, "tensor", "sign"), (2, 64, "tensor_first", "residual"), (4, 8, "group", "sign"), (4, 4, "group", "residual")])
def test_grouped_conv_on_a_scaled_input_runs_binary_per_group(groups, per_group, scale, then):
    """Slice(X * s) is sliced before the scale, so each group reads ±1 bits and folds its s."""
    compiled = compiled_grouped(groups=groups, per_group=per_group, scale=scale, then=then)
    assert_runs_binary_per_group(compiled, groups, per_group, then)
    assert "Mul" not in [layer.op_type for layer in compiled.layers]     # s is folded, not applied to a map
    # the groups share their source's label: the report names the grouped conv once
    (note,) = [note for note in compiled.report.notes if "not powers of two" in note]
    assert note.startswith("Conv#4 (Conv): ")
    assert_exact(compiled)


@pytest.mark.parametrize("groups, per_group, scale, reason", [
    (4, 8, "channel", "varies within a group"),      # sum_c s_c x_c w_c: not a popcount
    (16, 1, "none", "groups of 1 channel"),          # depthwise
    (16, 1, "channel", "groups of 1 channel"),       # depthwise: one scale per group, yet too small
    (8, 2, "none", "groups of 2 channel")])
def test_grouped_conv_stays_float_when_groups_cannot_gain(groups, per_group, scale, reason):
    compiled = compiled_grouped(groups=groups, per_group=per_group, scale=scale)
    assert [layer.op_type for layer in compiled.layers].count("Conv") == 2    # the stem and the grouped conv
    assert not any(layer.op_type == "SliceBits" for layer in compiled.layers)
    assert any(reason in note for note in compiled.report.notes), compiled.report.notes
    assert_exact(compiled)


@pytest.mark.parametrize("per_group, scale", [(1, "none"), (1, "channel"), (2, "group")])
def test_depthwise_binary_groups_are_exact(per_group, scale, monkeypatch):
    """Below the speed rule, a 1- or 2-channel group still lowers to an exact binary conv
    (K = C/G*KH*KW, most of each word's bits are tail bits) when the rule lets it."""
    monkeypatch.setattr(split_grouped_convs, "MIN_BINARY_GROUP_CHANNELS", 1)
    groups = 16 // per_group
    compiled = compiled_grouped(groups=groups, per_group=per_group, scale=scale)
    assert_runs_binary_per_group(compiled, groups, per_group, "sign")
    assert_exact(compiled)
