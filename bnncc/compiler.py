"""`bnncc.compile`: ONNX file in, C artifact folder out, ready to run from Python."""
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
import onnx

from bnncc.targets import get_target

from .artifact_loader import manifest_text
from .codegen.artifact import Artifact
from .passes.plan_memory import VIEW_OPS
from .errors import BnnccError
from .frontend.importer import ImportedModel, import_model
from .output_folder import MANIFEST, OutputFolder
from .pipeline import run_passes
from .report import ConversionReport, LayerNote
from .runtime import NativeModel, build_shared_library

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
    """A compiled artifact: its folder, the conversion report and `run()` through cffi.

    `run()` is safe from several threads at once (see NativeModel). A model compiled without an
    output folder owns a temporary one, removed when the model is collected or the process exits."""

    def __init__(self, output_dir: Path, artifact: Artifact, report: ConversionReport, imported: ImportedModel,
                 temporary_root: Path | None = None):
        self.output_dir = output_dir
        self.name = artifact.name
        self.target = artifact.target
        self.report = report
        self.inputs, self.outputs = artifact.inputs, artifact.outputs
        self.source_model = imported.source
        self.dialect = imported.dialect
        self._artifact = artifact
        self._native: NativeModel | None = None
        self._build_lock = threading.Lock()
        if temporary_root is not None:
            weakref.finalize(self, shutil.rmtree, str(temporary_root), True)

    def build(self, extra_flags=(), extra_cdef: str = "") -> NativeModel:
        """Compile the artifact into a shared library and load it (extra flags: e.g. -DBNNCC_PROFILE)."""
        library = build_shared_library(self.output_dir, self._artifact.sources, self.target.cflags,
                                       self.target.compiler, extra_flags)
        return NativeModel(library, self.name, self._artifact.signature, self.inputs, self.outputs, extra_cdef)

    @property
    def layers(self):
        """The scheduled layers (op type, MACs, description), in execution order."""
        return self._artifact.schedule.layers

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Outputs (one array per model output) for batch-first float32 inputs."""
        with self._build_lock:                 # the first calls of several threads build it once
            if self._native is None:
                self._native = self.build()
        return self._native.run(*inputs)

    def __repr__(self) -> str:
        return f"CompiledModel({self.name!r}, target={self.target.name!r}, dir={str(self.output_dir)!r})"


def compile(model: str | os.PathLike | bytes, target: str = "native", output_dir: str | os.PathLike | None = None,
            name: str | None = None, dump_ir: str | os.PathLike | None = None, threads: int = 1,
            progress: Callable[[str], None] | None = None, force: bool = False) -> CompiledModel:
    """Compile an ONNX BNN into a C artifact folder (a temporary one when output_dir is None).

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
            artifact, report, imported = translate(model, chosen, name, dump_ir, int(threads), progress)
            folder.commit({**artifact.files(), MANIFEST: manifest_text(artifact)})
    except BaseException:
        if temporary_root is not None:
            shutil.rmtree(temporary_root, ignore_errors=True)
        raise
    return CompiledModel(folder.path, artifact, report, imported, temporary_root)


def conversion_report(model: str | os.PathLike | bytes, target: str = "generic-c") -> ConversionReport:
    """The conversion report of `model` for `target`, without writing an artifact."""
    return translate(model, get_target(target), _api_name(model, None), None, 1, None)[1]


def _api_name(model, name: str | None) -> str:
    """The artifact's C prefix: `name`, else the model file's name, made a C identifier."""
    if name is None:
        name = Path(model).stem if isinstance(model, (str, os.PathLike)) else "model"
    return c_identifier(name)


def translate(model, target, name: str, dump_ir, threads: int, progress) -> tuple[Artifact, ConversionReport,
                                                                                   ImportedModel]:
    """Import and lower `model` into an Artifact (files not written) and its conversion report."""
    say = progress or (lambda _message: None)
    say("import")
    imported = import_model(model)
    report = ConversionReport(model_name=name, target=target.name)
    final = run_passes(imported, report, dump_ir, progress=say, target=target)
    say("generate C")
    artifact = Artifact(final, name, imported.inputs, imported.outputs, target, threads)
    _fill_report(report, artifact, imported)
    return artifact, report, imported


def _fill_report(report: ConversionReport, artifact: Artifact, imported: ImportedModel) -> None:
    schedule = artifact.schedule
    report.binary_macs, report.float_macs = schedule.binary_macs, schedule.float_macs
    report.arena_bytes = artifact.arena_size
    report.weight_bytes_float = _parameter_bytes(imported.source)
    report.weight_bytes_packed = _constant_bytes(schedule)
    report.source_bytes = len(imported.source.SerializeToString())
    report.layers = _every_source_node(imported.source, artifact.graph, report.layers)


BINARIZATIONS = {"Sign", "Where", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "BipolarQuant", "Quant",
                 "MultiThreshold"}
FOLDABLE = {"Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice", "Transpose", "Identity",
            "Dropout", "ConstantOfShape", "Range", "Expand", "Equal", "Not", "Flatten", "Reshape"}


def _every_source_node(source, final_graph, lowered: list[LayerNote]) -> list[LayerNote]:
    """One line per node of the original model, in its order: binary, float, or folded away."""
    by_name = {note.node: note for note in lowered}
    remaining = {node.name for node in final_graph if node.name}
    constant = {t.name for t in source.graph.initializer}
    notes = []
    for index, node in enumerate(source.graph.node):
        label = node.name
        if all(name in constant for name in node.input if name):
            constant.update(node.output)
            notes.append(LayerNote(label, node.op_type, "folded", "computed at compile time (constant inputs)"))
        elif label in by_name:
            notes.append(by_name[label])
        elif node.name and node.name in remaining and node.op_type in VIEW_OPS:
            notes.append(LayerNote(label, node.op_type, "folded", "a free view of its input (no copy)"))
        elif node.name and node.name in remaining:
            notes.append(LayerNote(label, node.op_type, "float", "runs as a float kernel"))
        elif node.op_type == "MaxPool":
            notes.append(LayerNote(label, node.op_type, "binary", "max-pool on packed bits (AND of the -1 bits)"))
        elif node.op_type in BINARIZATIONS:
            notes.append(LayerNote(label, node.op_type, "binary",
                                   "binarization: folded into a per-channel threshold that writes packed bits"))
        elif node.op_type in FOLDABLE:
            notes.append(LayerNote(label, node.op_type, "folded", "shape arithmetic or a free view"))
        else:
            notes.append(LayerNote(label, node.op_type, "folded",
                                   "folded into the threshold or scale of a binary layer"))
    return notes


def _parameter_bytes(source) -> int:
    """Bytes of the model's parameters as stored (initializers and Constant nodes)."""
    tensors = list(source.graph.initializer)
    tensors += [a.t for n in source.graph.node if n.op_type == "Constant" for a in n.attribute if a.name == "value"]
    return sum(onnx.numpy_helper.to_array(t).nbytes for t in tensors)


def _constant_bytes(schedule) -> int:
    """Bytes of all static const arrays in the generated C (weights, thresholds, constants)."""
    total = 0
    for definition in schedule.constants:
        match = re.match(r"static const (\w+) \w+\[(\d+)\]", definition)
        if match:
            total += int(match.group(2)) * {"float": 4, "bnn_word": 8, "int64_t": 8, "int32_t": 4, "int8_t": 1}[match.group(1)]
    return total
