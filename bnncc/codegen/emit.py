"""What the C emitters share: a node's geometry as kernel parameters, and the common ways of
sharing a statement among the members of a thread team.

An emitter (an op's `emit_c`, or an ONNX op's in `onnx_ops.py`) gets the `Schedule` and its node,
and writes C statements through the schedule (`const`, `operand`, `params`, `call`, `parallel`,
`balanced`); shapes are static, one sample per call, so geometry becomes literal constants.
"""
from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ..errors import BnnccError
from ..ir import attribute, constant, shape_of, source_label
from ..ops.windows import WINDOW_ATTRIBUTES

# Below this many pixels a split by pixels makes threads share the cache lines where each
# channel's row is cut, which costs more than it saves.
MIN_PIXELS_TO_SPLIT = 1024
POOL_FIELDS = ("C", "H", "W", "OH", "OW", "KH", "KW", "SH", "SW", "DH", "DW", "PT", "PL")


def size(value: ir.Value) -> int:
    return int(np.prod(shape_of(value), dtype=np.int64))


def channels_hw(value: ir.Value) -> tuple[int, int]:
    """(C, H*W) of an NCHW or NC map (one channel of everything for lower ranks)."""
    shape = shape_of(value)
    if len(shape) < 2:
        return 1, max(1, size(value))
    return shape[1], int(np.prod(shape[2:], dtype=np.int64))


def require_constant(node: ir.Node, index: int, what: str) -> np.ndarray:
    array = constant(node.inputs[index]) if index < len(node.inputs) and node.inputs[index] is not None else None
    if array is None:
        raise BnnccError(f"{what} must be a constant", node=source_label(node))
    return array


def window_fields(window: dict) -> dict:
    """kernel_shape/strides/dilations/pads attributes -> the kernels' KH..PL parameter fields."""
    kh, kw = window["kernel_shape"]
    sh, sw = window.get("strides") or (1, 1)
    dh, dw = window.get("dilations") or (1, 1)
    pads = window.get("pads") or (0, 0, 0, 0)
    return dict(KH=kh, KW=kw, SH=sh, SW=sw, DH=dh, DW=dw, PT=pads[0], PL=pads[1])


def node_window(node: ir.Node, prefix: str = "") -> dict:
    """The window fields of a bnncc node (its pads are explicit already); `prefix` picks a second
    window the node carries (ConvMaxPoolAffine's pool_...)."""
    return window_fields({name: attribute(node, prefix + name) for name in WINDOW_ATTRIBUTES})


def pool_params(s, fields: dict) -> str:
    """A bnn_pool_params constant of the pool fields among `fields`."""
    return s.params("bnn_pool_params", {k: fields[k] for k in POOL_FIELDS})


def panels(size: int, total: int) -> tuple[int, str, str]:
    """`total` elements in panels of `size` (the last one shorter): the number of panels, and the C
    expressions of the first element of panel lo and the end of panel hi - 1, for a statement over
    panels [lo, hi)."""
    return -(-total // size), f"lo * {size}", f"hi * {size} < {total} ? hi * {size} : {total}"


def threshold_arrays(s, thresholds: np.ndarray, directions: np.ndarray, ctype=np.float32) -> tuple[str, str]:
    """The per-channel threshold and direction constants of a threshold decision."""
    return s.const(thresholds.astype(ctype)), s.const(directions.astype(np.int8))


def binarize_channels(s, x: str, c: int, hw: int, thr: str, dirs: str, y: str) -> None:
    """±1 floats y = Threshold(x, thr, dirs), members taking whole channels."""
    source, suffix = s.target.kernels.entry("binarize")
    s.parallel(source, c, f"bnn_binarize_f32{suffix}({x} + (size_t)lo * {hw}, hi - lo, {hw}, {thr} + lo, "
                          f"{dirs} + lo, {y} + (size_t)lo * {hw});")


def by_pixels(s, hw: int, call: str, source: str) -> None:
    """A packing statement over pixels [lo, hi) (kernels of `source`): split among members only for large maps."""
    if hw >= MIN_PIXELS_TO_SPLIT:
        s.parallel(source, hw, call)
    else:
        s.call(source, f"{{ const int lo = 0, hi = {hw}; {call} }}")
