"""onnxruntime as bnncc uses it: the reference runtime, shape discovery, the threshold probes and
the benchmark's contender all open their sessions here.

onnxruntime writes a telemetry session file into $TMPDIR when it is imported, unless
ORT_DISABLE_TELEMETRY is set; bnncc leaves no files behind and sends nothing, so it sets it (unless
the user did) right before the first import, whatever imported bnncc first.
"""
from __future__ import annotations

import os


def onnxruntime():
    """The onnxruntime module, imported with its telemetry off."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort

    return ort


def session(model: bytes | str, optimized: bool = False, threads: int = 1, log_level: int = 3):
    """A CPU session of `model` (serialized bytes or a path): graph optimizations off (the model as
    written: the reference) or all on (as users run it), `threads` intra-op threads in sequential
    mode, logging from `log_level` up (3: errors; 4: fatal only)."""
    ort = onnxruntime()
    options = ort.SessionOptions()
    options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimized else
                                        ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = log_level
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
