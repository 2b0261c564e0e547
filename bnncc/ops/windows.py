"""The 2-D window of a conv or pool node: its ONNX attributes made explicit, and its output size.

Every stage reads windows the same way: the passes copy `window_attributes` onto the bnncc ops
they make (pads explicit, auto_pad resolved), the references fill defaults with `filled`, and the
backends compute output sizes with `output_size`.
"""
from __future__ import annotations

import onnx_ir as ir

from ..errors import BnnccError
from ..ir import attribute, shape_of, source_label

WINDOW_ATTRIBUTES = ("kernel_shape", "strides", "dilations", "pads")


def output_size(size: int, kernel: int, stride: int, pad_begin: int, pad_end: int, dilation: int) -> int:
    """ONNX output extent: floor((size + pads - dilation*(kernel-1) - 1) / stride) + 1."""
    return (size + pad_begin + pad_end - dilation * (kernel - 1) - 1) // stride + 1


def filled(kernel_shape, strides=None, pads=None, dilations=None):
    """(kernel, strides, pads, dilations) with ONNX's defaults: strides 1, pads 0, dilations 1."""
    return (
        tuple(kernel_shape),
        tuple(strides or (1, 1)),
        tuple(pads or (0, 0, 0, 0)),
        tuple(dilations or (1, 1)),
    )


def window_attributes(node: ir.Node, kernel) -> dict:
    """An ONNX 2-D conv/pool node's window: kernel_shape, strides, dilations and explicit pads."""
    kernel = [int(k) for k in kernel]
    strides = list(attribute(node, "strides", [1, 1]))
    dilations = list(attribute(node, "dilations", [1, 1]))
    spatial = len(shape_of(node.inputs[0])) - 2
    pads_given = attribute(node, "pads", None)
    if spatial != 2 or {len(kernel), len(strides), len(dilations)} != {2} or (pads_given and len(pads_given) != 4):
        raise BnnccError(f"only 2-D windows are supported (input of rank {spatial + 2}, kernel {kernel}, strides "
                         f"{strides}, dilations {dilations}, pads {pads_given})", node=source_label(node))
    pads = explicit_pads(node, shape_of(node.inputs[0])[2:], shape_of(node.outputs[0])[2:], kernel, strides,
                         dilations)
    return {"kernel_shape": kernel, "strides": strides, "pads": pads, "dilations": dilations}


def explicit_pads(node: ir.Node, in_hw, out_hw, kernel, strides, dilations) -> list[int]:
    """ONNX pads [top, left, bottom, right], resolving auto_pad from the static shapes."""
    auto_pad = str(attribute(node, "auto_pad", "NOTSET"))
    if auto_pad in ("NOTSET", ""):
        return [int(p) for p in attribute(node, "pads", [0, 0, 0, 0])]
    if auto_pad == "VALID":
        return [0, 0, 0, 0]
    begin, end = [], []
    for size, out, k, s, d in zip(in_hw, out_hw, kernel, strides, dilations):
        total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
        small, large = total // 2, total - total // 2
        begin.append(small if auto_pad == "SAME_UPPER" else large)
        end.append(large if auto_pad == "SAME_UPPER" else small)
    return begin + end


def window_output(in_hw, kernel_shape, strides=None, pads=None, dilations=None) -> tuple[int, int]:
    """(OH, OW) of a window over a map of `in_hw` (attributes as the bnncc ops carry them)."""
    kernel, strides, pads, dilations = filled(kernel_shape, strides, pads, dilations)
    return (output_size(in_hw[0], kernel[0], strides[0], pads[0], pads[2], dilations[0]),
            output_size(in_hw[1], kernel[1], strides[1], pads[1], pads[3], dilations[1]))
