"""Which ONNX ops bnncc accepts, checked before anything else runs."""
from __future__ import annotations

import onnx

from ..errors import BnnccError

STANDARD_DOMAINS = ("", "ai.onnx")

# Ops that run (as float C kernels or folded away) or take part in binarization.
STANDARD_OPS = frozenset("""
Conv Gemm MatMul BatchNormalization Add Sub Mul Div Pow Relu PRelu LeakyRelu MaxPool AveragePool
GlobalAveragePool GlobalMaxPool Flatten Reshape Transpose Squeeze Unsqueeze Concat Shape Gather Slice
Cast Constant ConstantOfShape Identity Dropout Softmax LogSoftmax ArgMax TopK Sign Greater
GreaterOrEqual Less LessOrEqual Where Not Clip Round Floor Ceil Sqrt Neg Abs Exp Log Sigmoid Tanh
Reciprocal Pad Max Min Range Expand Equal
""".split())

CUSTOM_OPS = {
    "BipolarQuant": ("onnx.brevitas", "qonnx.custom_op.general"),
    "Quant": ("onnx.brevitas", "qonnx.custom_op.general"),
    "MultiThreshold": ("qonnx.custom_op.general", "finn.custom_op.general", "finn"),
}


def check_supported(model: onnx.ModelProto) -> None:
    """Raise BnnccError naming the first node whose op bnncc does not know."""
    for index, node in enumerate(model.graph.node):
        label = node.name or f"#{index}"
        if node.domain in STANDARD_DOMAINS:
            if node.op_type not in STANDARD_OPS:
                raise BnnccError(f"op {node.op_type} is not supported by bnncc", node=f"{label} ({node.op_type})")
        elif node.domain not in CUSTOM_OPS.get(node.op_type, ()):
            raise BnnccError(f"op {node.domain}.{node.op_type} is not supported by bnncc (unknown domain or op)",
                             node=f"{label} ({node.op_type})")
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute):
            raise BnnccError("control flow subgraphs are not supported", node=f"{label} ({node.op_type})")
