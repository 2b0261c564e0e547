"""bnncc: a model compiler for binary neural networks.

    import bnncc
    model = bnncc.compile("model.onnx", target="native", output_dir="build/m")
    outputs = model.run(x)
    print(model.report)
"""
import os

__version__ = "0.1.0"

# onnxruntime (the reference runtime and shape discovery) writes a telemetry session file into
# $TMPDIR when it is imported, unless told not to: bnncc leaves no files behind and sends nothing.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from .compiler import CompiledModel, compile  # noqa: E402,F401
from .errors import BnnccError  # noqa: E402,F401
