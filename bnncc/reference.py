"""Run a model in its reference runtime: onnxruntime for plain ONNX, the qonnx package for
QONNX/FINN dialects (custom domains that onnxruntime does not know).

Graph optimizations are disabled: the reference is the model as written, not a graph
onnxruntime rewrote (Conv+BN fusion changes float rounding).
"""
from __future__ import annotations

import numpy as np
import onnx

QONNX_DOMAINS = ("onnx.brevitas", "qonnx.custom_op.general", "finn.custom_op.general", "finn")


def uses_qonnx_ops(model: onnx.ModelProto) -> bool:
    """True when some node lives in a QONNX/FINN custom domain."""
    return any(n.domain.startswith(QONNX_DOMAINS) for n in model.graph.node)


def real_input_names(model: onnx.ModelProto) -> list[str]:
    """Graph inputs that are not initializers (old exporters list initializers as inputs too)."""
    initializers = {t.name for t in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in initializers]


def run_reference(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Outputs of `model` on `feeds`, in graph output order."""
    if uses_qonnx_ops(model):
        return _run_qonnx(model, feeds)
    return _run_onnxruntime(model, feeds)


def _run_onnxruntime(model: onnx.ModelProto, feeds):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _run_qonnx(model: onnx.ModelProto, feeds):
    try:
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.core.onnx_exec import execute_onnx
        from qonnx.util.cleanup import cleanup_model
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("the qonnx package is needed to run QONNX/FINN models: pip install bnncc[qonnx]") from exc
    names = real_input_names(model)
    wrapper = cleanup_model(ModelWrapper(onnx.ModelProto.FromString(model.SerializeToString())))
    # cleanup_model renames graph inputs (e.g. to "global_in"): feed them by position.
    renamed = real_input_names(wrapper.model)
    result = execute_onnx(wrapper, {new: feeds[old] for old, new in zip(names, renamed)})
    return [result[o.name] for o in wrapper.graph.output]
