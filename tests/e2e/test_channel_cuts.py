"""Channel cuts whose pieces are views (a Slice or Split output is a range of its input's storage):
of the graph input itself, of an arena tensor, as graph outputs, and cuts that are not views
(along H: a block copy per channel), each exact against onnxruntime."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

import bnncc
from test_zoo_models import assert_matches_reference, feeds_for

SHAPE = [1, 70, 3, 2]


def _model(nodes, outputs, initializers=(), opset: int = 13):
    for index, node in enumerate(nodes):
        node.name = f"{node.op_type}_{index}"
    graph = helper.make_graph(nodes, "cuts", [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
                              [helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in outputs],
                              initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def _ints(name, values):
    return helper.make_tensor(name, TensorProto.INT64, [len(values)], values)


# name -> (model, the block copies its artifact makes: views make none)
CASES = {
    # a Slice of the graph input, straight to an output and through a Relu
    "input_slice": (_model([helper.make_node("Slice", ["x", "s", "e", "a"], ["y"]),
                            helper.make_node("Relu", ["y"], ["z"])], ["y", "z"],
                           [_ints("s", [-7]), _ints("e", [2**63 - 1]), _ints("a", [1])]), 0),
    # a Split of an arena tensor; both pieces are outputs, one also read by a Concat
    "arena_split": (_model([helper.make_node("Relu", ["x"], ["r"]),
                            helper.make_node("Split", ["r", "sizes"], ["p", "q"], axis=1),
                            helper.make_node("Concat", ["q", "p", "x"], ["c"], axis=1)], ["p", "q", "c"],
                           [_ints("sizes", [33, 37])]), 3),
    # the older and newer ways to write the cut: attributes (Slice-1, Split-2), num_outputs (Split-18)
    "slice_attributes": (_model([helper.make_node("Relu", ["x"], ["r"]),
                                 helper.make_node("Slice", ["r"], ["y"], starts=[3], ends=[68], axes=[1])], ["y"],
                                opset=9), 0),
    "split_attribute": (_model([helper.make_node("Split", ["x"], ["p", "q", "t"], axis=1, split=[5, 64, 1])],
                               ["t", "q", "p"], opset=11), 0),
    "split_num_outputs": (_model([helper.make_node("Relu", ["x"], ["r"]),
                                  helper.make_node("Split", ["r"], ["p", "q", "t"], axis=1, num_outputs=3)],
                                 ["p", "q", "t"], opset=18), 0),
    # rows 1:3 of every channel: not one range of the sample, a block copy
    "row_slice": (_model([helper.make_node("Relu", ["x"], ["r"]),
                          helper.make_node("Slice", ["r", "s", "e", "a"], ["y"])], ["y"],
                         [_ints("s", [1]), _ints("e", [3]), _ints("a", [2])]), 1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_channel_cut_is_exact(name, tmp_path):
    source, copies = CASES[name]
    model = bnncc.compile(source, target="generic-c", output_dir=tmp_path / "artifact", name="cuts")
    assert (tmp_path / "artifact" / "cuts.c").read_text().count("bnn_copy_blocks_f32(") == copies
    cuts = [note for note in model.report.layers if note.op_type in ("Slice", "Split")]
    assert cuts and all((note.mode == "folded") == (name != "row_slice") for note in cuts), cuts
    assert_matches_reference(model, feeds_for(model, batch=3, seed=2))
