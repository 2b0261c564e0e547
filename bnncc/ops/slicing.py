"""Where the ONNX ops that cut or join a tensor along one axis (Slice, Split, Concat) read and
write: one contiguous range of that axis per operand, so every such op is a set of block copies.

A tensor of shape S cut along `axis` is `outer` = prod(S[:axis]) blocks of `inner` =
prod(S[axis:]) elements; the range [start, stop) of the axis is, in every block, the elements
[start * step, stop * step) with step = prod(S[axis + 1:])."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx_ir as ir

from ..errors import BnnccError
from ..ir import attribute, constant, shape_of, source_label


@dataclass(frozen=True)
class Cut:
    """Channels [start, stop) of `axis` of a tensor of shape `shape`."""

    shape: tuple[int, ...]
    axis: int
    start: int
    stop: int

    @property
    def outer(self) -> int:
        return int(np.prod(self.shape[:self.axis], dtype=np.int64))

    @property
    def step(self) -> int:
        return int(np.prod(self.shape[self.axis + 1:], dtype=np.int64))

    @property
    def inner(self) -> int:
        return self.shape[self.axis] * self.step


def _axis(node: ir.Node, rank: int) -> int:
    axis = int(attribute(node, "axis", 0))
    return axis + rank if axis < 0 else axis


def _consecutive_cuts(node: ir.Node, whole: ir.Value, pieces) -> list[Cut]:
    """Where each of `pieces` lies in `whole`, one after another along the node's axis."""
    shape = shape_of(whole)
    axis, start, cuts = _axis(node, len(shape)), 0, []
    for value in pieces:
        size = shape_of(value)[axis]
        cuts.append(Cut(shape, axis, start, start + size))
        start += size
    return cuts


def joined_cuts(node: ir.Node) -> list[Cut]:
    """Concat: where each input lies in the output."""
    return _consecutive_cuts(node, node.outputs[0], node.inputs)


def split_cuts(node: ir.Node) -> list[Cut]:
    """Split: where each output lies in the input (the static output shapes give the sizes,
    whichever of the `split` input, attribute or `num_outputs` the opset wrote them with)."""
    return _consecutive_cuts(node, node.inputs[0], node.outputs)


def slice_cut(node: ir.Node) -> Cut:
    """Slice: the one range of one axis it keeps (step 1; starts and ends clamped as ONNX does)."""
    shape = shape_of(node.inputs[0])
    label = source_label(node)
    if len(node.inputs) == 1:          # opset < 10: attributes
        starts, ends, axes, steps = (attribute(node, n) for n in ("starts", "ends", "axes", "steps"))
    else:
        starts, ends, axes, steps = (_constant_input(node, i, label) for i in range(1, 5))
    axes = list(range(len(starts))) if axes is None else [int(a) + len(shape) if a < 0 else int(a) for a in axes]
    steps = [1] * len(axes) if steps is None else [int(s) for s in steps]
    ranges = {axis: slice(int(b), int(e), s).indices(shape[axis]) for axis, b, e, s in zip(axes, starts, ends, steps)}
    cut = {axis: r for axis, r in ranges.items() if r != (0, shape[axis], 1)}
    if len(cut) > 1 or any(r[2] != 1 for r in cut.values()):
        raise BnnccError("a Slice that cuts more than one axis or takes every n-th element is not supported "
                         "(bnncc copies one range of one axis)", node=label)
    axis, (start, stop, _) = next(iter(cut.items()), (0, (0, shape[0], 1)))
    return Cut(shape, axis, start, max(start, stop))


def _constant_input(node: ir.Node, index: int, label: str):
    if index >= len(node.inputs) or node.inputs[index] is None:
        return None
    array = constant(node.inputs[index])
    if array is None:
        raise BnnccError(f"Slice input {index} must be a constant (it is computed at run time)", node=label)
    return [int(v) for v in array.reshape(-1)]
