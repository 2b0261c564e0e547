"""The artifact's manifest, bnncc.json: written by `compile()`, read back by `bnncc run`.

It names the API prefix, the target and the tensors, which the C files do not say in a form
Python can read. A manifest is checked field by field before use: its name becomes C symbol
names (`<name>_run`) and cffi declarations, so it must be a plain C identifier.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from . import __version__
from .errors import BnnccError
from .frontend.importer import TensorSpec
from .output_folder import MANIFEST
from .backend import build_c, load_c
from .targets import get_target

C_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_DIMS, MAX_ELEMENTS = 16, 1 << 31
INPUT_DTYPES, OUTPUT_DTYPES = ("float32",), ("float32", "int64")


def manifest_text(artifact) -> str:
    """bnncc.json for an Artifact (codegen.artifact): not part of the C build."""
    def specs(tensors):
        return [{"name": s.name, "shape": list(s.shape), "dtype": s.dtype.name, "batched": s.batched} for s in tensors]

    manifest = {"bnncc": __version__, "name": artifact.name, "target": artifact.target.name,
                "threads": artifact.threads, "inputs": specs(artifact.inputs), "outputs": specs(artifact.outputs)}
    return json.dumps(manifest, indent=2) + "\n"


def load_artifact(folder: str | Path):
    """Build the artifact in `folder` and load it (a NativeModel; for TVM artifacts a TvmModel)."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else exc
        raise BnnccError(f"{str(folder)!r} is not a bnncc artifact folder ({MANIFEST}: {reason})") from None
    where = str(folder / MANIFEST)
    if isinstance(manifest, dict) and manifest.get("format") == "bnncc-tvm":
        return _load_tvm(folder, manifest, where)
    name, target, inputs, outputs = _read_manifest(manifest, where)
    if not (folder / f"{name}.c").is_file():
        raise BnnccError(f"{where!r} names the model {name!r}, but {name}.c is missing from the folder")
    sources = [f"{name}.c"] + sorted(str(p.relative_to(folder)) for p in (folder / "src").glob("*.c"))
    return load_c(build_c(folder, name, sources, target, inputs, outputs), name, target, inputs, outputs)


def _load_tvm(folder: Path, manifest: dict, where: str):
    """A TVM artifact (bnncc/tvm): its library must be <name>.so in the folder itself."""
    from .tvm import load

    name = manifest.get("name")
    if not isinstance(name, str) or not C_NAME.fullmatch(name) or manifest.get("library") != f"{name}.so":
        raise BnnccError(f"{where!r} is not a valid manifest: a TVM artifact's library must be <name>.so, "
                         "name a C identifier")
    if not (folder / manifest["library"]).is_file():
        raise BnnccError(f"{where!r} names the library {manifest['library']!r}, which is missing from the folder")
    return load(folder)


def _read_manifest(manifest, where: str):
    """(name, target, inputs, outputs) of a parsed manifest, every field checked."""
    def bad(field: str, expected: str):
        return BnnccError(f"{where!r} is not a valid manifest: {field} must be {expected}")

    if not isinstance(manifest, dict):
        raise bad("the file", "a JSON object")
    name = manifest.get("name")
    if not isinstance(name, str) or not C_NAME.fullmatch(name):
        raise bad("'name'", "a C identifier of at most 64 characters")
    if not isinstance(manifest.get("target"), str):
        raise bad("'target'", "a target name")
    target = get_target(manifest["target"])
    tensors = []
    for field, dtypes in (("inputs", INPUT_DTYPES), ("outputs", OUTPUT_DTYPES)):
        entries = manifest.get(field)
        if not isinstance(entries, list):
            raise bad(f"{field!r}", "a list")
        tensors.append([_tensor_spec(entry, f"{field}[{i}]", dtypes, bad) for i, entry in enumerate(entries)])
    return name, target, tensors[0], tensors[1]


def _tensor_spec(entry, field: str, dtypes, bad) -> TensorSpec:
    if not isinstance(entry, dict):
        raise bad(field, "an object with name, shape, dtype and batched")
    shape = entry.get("shape")
    if not (isinstance(shape, list) and 1 <= len(shape) <= MAX_DIMS and
            all(type(d) is int and 1 <= d < MAX_ELEMENTS for d in shape) and
            int(np.prod(shape, dtype=np.float64)) < MAX_ELEMENTS):
        raise bad(f"{field}.shape", f"a list of 1 to {MAX_DIMS} positive sizes of fewer than 2^31 elements in all")
    if entry.get("dtype") not in dtypes:
        raise bad(f"{field}.dtype", " or ".join(map(repr, dtypes)))
    if not isinstance(entry.get("batched"), bool):
        raise bad(f"{field}.batched", "true or false")
    if entry["batched"] and shape[0] != 1:
        raise bad(f"{field}.shape", "[1, ...] for a batched tensor")
    if not isinstance(entry.get("name"), str):
        raise bad(f"{field}.name", "a string")
    return TensorSpec(entry["name"], tuple(shape), np.dtype(entry["dtype"]), entry["batched"])
