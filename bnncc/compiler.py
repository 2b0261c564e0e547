"""`bnncc.compile`: ONNX file in, artifact folder out (C, or TVM's library), ready to run from Python."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Callable

import numpy as np

from bnncc.targets import get_target

from .backend import Lowered, backend_of
from .errors import BnnccError
from .frontend.importer import ImportedModel, import_model
from .output_folder import OutputFolder
from .pipeline import run_passes
from .report import ConversionReport

C_KEYWORDS = {"auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
              "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
              "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
              "volatile", "while", "main"}


def c_identifier(text: str) -> str:
    """A lower-case C identifier derived from a user-chosen name (never from model contents)."""
    name = re.sub(r"[^0-9a-zA-Z_]", "_", text).strip("_").lower()[:48] or "model"
    if name[0].isdigit() or name in C_KEYWORDS or name.startswith("bnn_"):
        name = "m_" + name
    return name


class CompiledModel:
    """A compiled artifact: its folder, the conversion report and `run()`.

    `run()` builds (C: the shared library) and loads the artifact through its target's backend on
    first use, and is safe from several threads at once. A model compiled without an output
    folder owns a temporary one, removed when the model is collected or the process exits."""

    def __init__(self, output_dir: Path, lowered: Lowered, target, name: str, report: ConversionReport,
                 imported: ImportedModel, temporary_root: Path | None = None):
        self.output_dir = output_dir
        self.name = name
        self.target = target
        self.report = report
        self.inputs, self.outputs = lowered.inputs, lowered.outputs
        self.source_model = imported.source
        self.dialect = imported.dialect
        self.backend = backend_of(target)
        self._lowered = lowered
        self._runner = None
        self._load_lock = threading.Lock()
        if temporary_root is not None:
            weakref.finalize(self, shutil.rmtree, str(temporary_root), True)

    def build(self, extra_flags=(), extra_cdef: str = ""):
        """Build and load the artifact anew (C: extra flags such as -DBNNCC_PROFILE, extra cdefs)."""
        built = self.backend.build(self.output_dir, self._lowered, extra_flags)
        return self.backend.load(built, self._lowered, extra_cdef)

    @property
    def layers(self):
        """The scheduled layers (op type, MACs, description), in execution order (C targets)."""
        return self._lowered.layers

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Outputs (one array per model output) for batch-first float32 inputs."""
        with self._load_lock:                  # the first calls of several threads build it once
            if self._runner is None:
                self._runner = self.build()
        return self._runner.run(*inputs)

    def __repr__(self) -> str:
        return f"CompiledModel({self.name!r}, target={self.target.name!r}, dir={str(self.output_dir)!r})"


def compile(model: str | os.PathLike | bytes, target: str = "native", output_dir: str | os.PathLike | None = None,
            name: str | None = None, dump_ir: str | os.PathLike | None = None, threads: int = 1,
            progress: Callable[[str], None] | None = None, force: bool = False) -> CompiledModel:
    """Compile an ONNX BNN into an artifact folder (a temporary one when output_dir is None): C for
    the CPU targets, TVM's library for tvm-llvm and tvm-cuda (`bnncc targets` lists them).

    `output_dir` must not exist, be empty, or hold a bnncc artifact (bnncc.json); `force=True`
    replaces any other folder too, except one that holds the current folder, the model or
    `dump_ir`. It is checked before the compile starts and replaced in one atomic step at the end.
    `threads` > 1 makes every call of the artifact split each sample's layers across that many
    threads (POSIX threads); results are identical to one thread."""
    chosen = get_target(target)
    if not 1 <= int(threads) <= 64:
        raise BnnccError(f"threads must be between 1 and 64, got {threads}")
    name = _api_name(model, name)
    temporary_root = Path(tempfile.mkdtemp(prefix="bnncc-")) if output_dir is None else None
    try:
        keep = {Path.cwd(): "the current folder"}
    except OSError:                          # run from a folder that was removed: nothing to keep
        keep = {}
    if isinstance(model, (str, os.PathLike)):
        keep[Path(model)] = "the model file"
    if dump_ir is not None:
        keep[Path(dump_ir)] = "the --dump-ir folder"
    try:
        with OutputFolder(temporary_root / name if temporary_root else output_dir, force, keep) as folder:
            lowered, report, imported = translate(model, chosen, name, dump_ir, int(threads), progress)
            folder.commit(lowered.files)
    except BaseException:
        if temporary_root is not None:
            shutil.rmtree(temporary_root, ignore_errors=True)
        raise
    return CompiledModel(folder.path, lowered, chosen, name, report, imported, temporary_root)


def conversion_report(model: str | os.PathLike | bytes, target: str = "generic-c") -> ConversionReport:
    """The conversion report of `model` for `target`, without writing an artifact."""
    return translate(model, get_target(target), _api_name(model, None), None, 1, None)[1]


def _api_name(model, name: str | None) -> str:
    """The artifact's C prefix: `name`, else the model file's name, made a C identifier."""
    if name is None:
        name = Path(model).stem if isinstance(model, (str, os.PathLike)) else "model"
    return c_identifier(name)


def translate(model, target, name: str, dump_ir, threads: int, progress) -> tuple[Lowered, ConversionReport,
                                                                                   ImportedModel]:
    """Import `model`, run the passes and lower it with the target's backend (files not written)."""
    say = progress or (lambda _message: None)
    say("import")
    imported = import_model(model)
    report = ConversionReport(model_name=name, target=target.name)
    final = run_passes(imported, report, dump_ir, progress=say, target=target)
    backend = backend_of(target)
    say(backend.step)
    lowered = backend.lower(final, imported, target, name, threads, report)
    return lowered, report, imported
