"""Deterministic C text for constants: exact float literals, integer arrays, generated names.

Floats are written as C99 hexadecimal literals (0x1.8p+1f), which round-trip bit for bit;
infinities and NaN use <math.h>'s INFINITY and NAN. Nothing here ever prints model text.
"""
from __future__ import annotations

import math

import numpy as np

C_TYPES = {
    np.dtype(np.float32): "float",
    np.dtype(np.uint64): "bnn_word",
    np.dtype(np.int64): "int64_t",
    np.dtype(np.int32): "int32_t",
    np.dtype(np.int8): "int8_t",
}
PER_LINE = 8


def float_literal(value: float) -> str:
    value = float(np.float32(value))
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "-INFINITY"
    if value == 0:
        return "-0.0f" if math.copysign(1, value) < 0 else "0.0f"
    return value.hex() + "f"


def literal(value, dtype: np.dtype) -> str:
    if dtype == np.float32:
        return float_literal(value)
    if dtype == np.uint64:
        return f"0x{int(value):016x}u"
    if dtype == np.int64:
        return f"INT64_C({int(value)})"
    return str(int(value))


def array_definition(name: str, array: np.ndarray) -> str:
    """`static const T name[n] = {...};` with 64-byte alignment for vector loads."""
    dtype = np.dtype(array.dtype)
    flat = array.reshape(-1)
    items = [literal(v, dtype) for v in flat.tolist()] or ["0"]
    rows = [", ".join(items[i:i + PER_LINE]) for i in range(0, len(items), PER_LINE)]
    body = ",\n    ".join(rows)
    return f"static const {C_TYPES[dtype]} {name}[{max(flat.size, 1)}] BNN_ALIGNED = {{\n    {body}\n}};\n"


def int_list(values) -> str:
    return "{" + ", ".join(str(int(v)) for v in values) + "}"
