"""bnncc: a model compiler for binary neural networks.

    import bnncc
    model = bnncc.compile("model.onnx", target="native", output_dir="build/m")
    outputs = model.run(x)
    print(model.report)
"""
__version__ = "0.1.0"

from .compiler import CompiledModel, compile  # noqa: E402,F401
from .errors import BnnccError  # noqa: E402,F401
