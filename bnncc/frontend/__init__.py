"""ONNX frontend: safe loading and canonical binarization of every supported dialect."""
from .loader import load_onnx  # noqa: F401
