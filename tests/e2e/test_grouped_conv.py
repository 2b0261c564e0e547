"""A grouped binary conv runs as one binary layer per group, with the BN, the residual and the
binarization after it in each group's output stage (exactness: the zoo's grouped_binary_conv)."""
from __future__ import annotations

import pytest

import bnncc

try:
    import zoo
except ImportError:  # pragma: no cover - tests/ made a package
    from tests import zoo


@pytest.mark.parametrize("groups, per_group", [(2, 64), (4, 8)])
@pytest.mark.parametrize("then", ["sign", "residual"])
def test_grouped_conv_runs_binary_per_group(groups, per_group, then):
    model = zoo.grouped_binary_conv(groups=groups, per_group=per_group, then=then).SerializeToString()
    compiled = bnncc.compile(model, target="generic-c")
    kinds = [layer.op_type for layer in compiled.layers]
    assert kinds.count("Conv") == 1                       # the float stem only
    binary = [layer for layer in compiled.layers if layer.op_type.startswith("BinaryConv")]
    assert [layer.detail.split()[0] for layer in binary] == [f"{per_group}->{per_group}"] * groups + \
        [f"{groups * per_group}->{groups * per_group}"]
    # BN (+ residual) + Sign of the grouped conv are fused into each group's conv, which writes bits
    assert all(layer.op_type == ("BinaryConvAffine" if then == "residual" else "BinaryConvPacked")
               for layer in binary[:groups])
    assert not {"ChannelAffine", "ThresholdPack"} & set(kinds[kinds.index("SliceBits"):])
    grouped = [note for note in compiled.report.layers if note.node == "Conv#3"]
    assert [note.mode for note in grouped] == ["binary"]
