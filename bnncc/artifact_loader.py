"""Open an artifact folder written by `bnncc compile` (via its bnncc.json manifest)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .codegen.artifact import _signature
from .errors import BnnccError
from .frontend.importer import TensorSpec
from .runtime import NativeModel, build_shared_library
from .targets import get_target


def load_artifact(folder: str | Path) -> NativeModel:
    folder = Path(folder)
    try:
        manifest = json.loads((folder / "bnncc.json").read_text())
    except (OSError, ValueError) as exc:
        raise BnnccError(f"{str(folder)!r} is not a bnncc artifact folder (bnncc.json: {exc})") from None
    name = manifest["name"]
    inputs = [TensorSpec(s["name"], tuple(s["shape"]), np.dtype(s["dtype"]), s["batched"]) for s in manifest["inputs"]]
    outputs = [TensorSpec(s["name"], tuple(s["shape"]), np.dtype(s["dtype"]), s["batched"])
               for s in manifest["outputs"]]
    target = get_target(manifest["target"])
    sources = [f"{name}.c"] + sorted(str(p.relative_to(folder)) for p in (folder / "src").glob("*.c"))
    library = build_shared_library(folder, sources, target.cflags, target.compiler)
    return NativeModel(library, name, _signature(name, inputs, outputs), inputs, outputs)
