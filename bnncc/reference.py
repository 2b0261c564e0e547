"""Run a model in its reference runtime: onnxruntime for plain ONNX, the qonnx package for
QONNX/FINN dialects (custom domains that onnxruntime does not know).

Graph optimizations are disabled: the reference is the model as written, not a graph
onnxruntime rewrote (Conv+BN fusion changes float rounding).
"""
from __future__ import annotations

import numpy as np
import onnx

from .errors import BnnccError

QONNX_DOMAINS = ("onnx.brevitas", "qonnx.custom_op.general", "finn.custom_op.general", "finn")
# Domains of older Brevitas and FINN exports that name qonnx's general ops (Quant, BipolarQuant,
# MultiThreshold): qonnx resolves onnx.brevitas by a domain alias, and its ModelWrapper rewrites
# finn and finn.custom_op.general to qonnx.custom_op.general as it loads a model.
OLD_DOMAINS = ("onnx.brevitas", "finn.custom_op.general", "finn")


def uses_qonnx_ops(model: onnx.ModelProto) -> bool:
    """True when some node lives in a QONNX/FINN custom domain."""
    return any(n.domain.startswith(QONNX_DOMAINS) for n in model.graph.node)


def real_input_names(model: onnx.ModelProto) -> list[str]:
    """Graph inputs that are not initializers (old exporters list initializers as inputs too)."""
    initializers = {t.name for t in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in initializers]


def run_reference(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Outputs of `model` on `feeds`, in graph output order. A failure of the reference runtime
    itself (e.g. qonnx refusing inputs outside a datatype annotation) is a BnnccError."""
    run, runtime = (_run_qonnx, "qonnx") if uses_qonnx_ops(model) else (run_onnxruntime, "onnxruntime")
    try:
        return run(model, feeds)
    except BnnccError:
        raise
    except Exception as exc:     # noqa: BLE001 - any failure inside the third-party runtime
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise BnnccError(f"the reference runtime ({runtime}) failed on this model and input: {reason}") from exc


def run_onnxruntime(model: onnx.ModelProto, feeds, optimized: bool = False):
    """`model` in onnxruntime on one thread: as written (the reference), or with every graph
    optimization (which fuses Conv+BN and so rounds differently: a second opinion on ties)."""
    from .onnxruntime_session import session

    return session(model.SerializeToString(), optimized=optimized).run(None, feeds)


def _run_qonnx(model: onnx.ModelProto, feeds):
    try:
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.core.onnx_exec import execute_onnx
        from qonnx.util.cleanup import cleanup_model
    except ImportError as exc:
        raise BnnccError("the reference runtime of QONNX/FINN models is the qonnx package, which is not installed: "
                         "pip install 'bnncc[qonnx]'") from exc
    names = real_input_names(model)
    wrapper = cleanup_model(ModelWrapper(onnx.ModelProto.FromString(model.SerializeToString())))
    # cleanup_model renames graph inputs (e.g. to "global_in"): feed them by position.
    renamed = real_input_names(wrapper.model)
    result = execute_onnx(wrapper, {new: feeds[old] for old, new in zip(names, renamed)})
    return [result[o.name] for o in wrapper.graph.output]
