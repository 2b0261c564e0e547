"""Backends: from the graph the passes leave to something that runs.

A target names its backend. Every backend takes the same graph: the frontend's canonical form
after the passes (`pipeline.run_passes`, with the target's own fusions for a C target, with none
for TVM). It does three steps:

    lower(model, imported, target, name, threads, report) -> Lowered
        the artifact's files (not yet written) and what running them needs to know;
    build(folder, lowered, extra_flags) -> Path
        what is loaded: the C backend compiles the written sources into a shared library; the
        TVM backend's lowering already compiled its library (its artifact is that library);
    load(path, lowered) -> runner
        an object whose run(*arrays) takes batch-first numpy inputs and returns the outputs.

`compile()` (bnncc/compiler.py) writes the files atomically between lower and build, and
`CompiledModel.run()` builds and loads on first use.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .codegen.artifact import Artifact
from .errors import BnnccError
from .frontend.importer import ImportedModel, TensorSpec
from .output_folder import MANIFEST
from .report import NO_BINARY_LAYER, ConversionReport, listed, multi_bit_activations, parameter_bytes, source_layers


@dataclass
class Lowered:
    """A backend's artifact before it is written: files by relative path (text or bytes)."""

    files: dict[str, str | bytes]
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    layers: list = field(default_factory=list)     # scheduled layers, where the backend has them
    detail: Any = None                             # the backend's own (the C Artifact, TVM's manifest)


class CBackend:
    """Self-contained C with popcount kernels (codegen/), built by the system's C compiler and
    called through cffi (runtime.py)."""

    name = "c"
    step = "generate C"                  # the progress line of `lower`

    def usage(self, folder) -> str:
        return f"build it with `make -C {folder}`"

    def lower(self, model, imported: ImportedModel, target, name: str, threads: int,
              report: ConversionReport) -> Lowered:
        from .artifact_loader import manifest_text

        artifact = Artifact(model, name, imported.inputs, imported.outputs, target, threads)
        schedule = artifact.schedule
        report.binary_macs, report.float_macs = schedule.binary_macs, schedule.float_macs
        report.arena_bytes = artifact.arena_size
        report.weight_bytes_packed = constant_bytes(schedule.constants)
        describe_source(report, imported, model)
        if target.toolchain.board is not None:
            measure_board_memory(artifact, report)
        return Lowered({**artifact.files(), MANIFEST: manifest_text(artifact)}, artifact.inputs, artifact.outputs,
                       artifact.schedule.layers, artifact)

    def build(self, folder: Path, lowered: Lowered, extra_flags=()) -> Path:
        artifact = lowered.detail
        return build_c(folder, artifact.name, artifact.sources, artifact.target, artifact.inputs, artifact.outputs,
                       extra_flags)

    def load(self, library: Path, lowered: Lowered, extra_cdef: str = ""):
        artifact = lowered.detail
        return load_c(library, artifact.name, artifact.target, artifact.inputs, artifact.outputs, extra_cdef)


def build_c(folder: Path, name: str, sources: list[str], target, inputs, outputs, extra_flags=()) -> Path:
    """A C artifact built to run here: a shared library for cffi, or, for a target this machine
    emulates, a static driver program for qemu-user (emulated.py) or a board's firmware (firmware.py)."""
    if target.toolchain.freestanding:
        from .firmware import build_firmware

        return build_firmware(folder, sources, target, extra_flags)
    if target.emulated:
        from .emulated import build_runner

        return build_runner(folder, name, sources, target, inputs, outputs, extra_flags)
    from .runtime import build_shared_library

    return build_shared_library(folder, sources, target.cflags, target.toolchain.compiler(), extra_flags)


def load_c(built: Path, name: str, target, inputs, outputs, extra_cdef: str = ""):
    """The runner of what build_c built: a NativeModel, or an EmulatedModel."""
    if target.emulated:
        from .emulated import EmulatedModel

        if extra_cdef:
            raise BnnccError(f"{target.name} code runs under an emulator here: it cannot be profiled or called "
                             "through cffi")
        return EmulatedModel(built, target, inputs, outputs)
    from .codegen.artifact import run_signature
    from .runtime import NativeModel

    return NativeModel(built, name, run_signature(name, inputs, outputs), inputs, outputs, extra_cdef)


def measure_board_memory(artifact: Artifact, report: ConversionReport) -> None:
    """A microcontroller's flash and RAM, from the image its toolchain builds; without the
    toolchain, a note says why they are missing."""
    from .firmware import measure_memory

    try:
        artifact.target.toolchain.compiler()
    except BnnccError as error:
        report.note(f"flash and RAM not measured: {error}")
        return
    report.memory = measure_memory(artifact)


def constant_bytes(definitions: list[str]) -> int:
    """Bytes of the static const arrays in generated C (weights, thresholds, constants)."""
    total = 0
    for definition in definitions:
        match = re.match(r"static const (\w+) \w+\[(\d+)\]", definition)
        if match:
            total += int(match.group(2)) * C_TYPE_BYTES[match.group(1)]
    return total


C_TYPE_BYTES = {"float": 4, "bnn_word": 8, "int64_t": 8, "int32_t": 4, "int8_t": 1}


def describe_source(report: ConversionReport, imported: ImportedModel, model) -> None:
    """The report's part every backend shares: the source model's nodes and parameter bytes."""
    report.weight_bytes_float = parameter_bytes(imported.source)
    report.source_bytes = len(imported.source.SerializeToString())
    report.layers = source_layers(imported.source, model.graph, report.layers)
    multi_bit = multi_bit_activations(imported.source)
    if multi_bit:
        report.note(f"{listed([f'{name} ({levels})' for name, levels in multi_bit.items()])}: multi-bit activations "
                    "stay float; bnncc runs binary kernels for 1-bit activations only, so the layers they feed run as "
                    "float kernels")
    if not report.has_binary_layer:
        report.note(NO_BINARY_LAYER)


class TvmBackend:
    """TVM (bnncc/tvm/): bnncc's binary ops as TE popcount kernels, float ops through TVM's own
    operators, built for LLVM (the CPU) or CUDA and run by TVM's runtime."""

    name = "tvm"
    step = "lower to Relax and build with TVM"

    def usage(self, folder) -> str:
        return f"run it with `bnncc run {folder}` or bnncc.tvm.load(); its README shows C++"

    def lower(self, model, imported: ImportedModel, target, name: str, threads: int,
              report: ConversionReport) -> Lowered:
        from .tvm.api import lower_to_files

        if threads != 1:
            raise BnnccError(f"--threads applies to C targets; {target.name} uses TVM's own parallelism")
        files, manifest = lower_to_files(model, imported, target, name)
        report.weight_bytes_packed = sum(manifest["weight_bytes"].values())
        report.binary_macs = report.float_macs = report.arena_bytes = None
        describe_source(report, imported, model)
        return Lowered(files, imported.inputs, imported.outputs, detail=manifest)

    def build(self, folder: Path, lowered: Lowered, extra_flags=()) -> Path:
        if extra_flags:
            raise BnnccError("TVM artifacts take no C flags")
        return folder / lowered.detail["library"]

    def load(self, library: Path, lowered: Lowered, extra_cdef: str = ""):
        from .tvm.api import load

        return load(library.parent)


BACKENDS = {backend.name: backend for backend in (CBackend(), TvmBackend())}


def backend_of(target) -> CBackend | TvmBackend:
    return BACKENDS[target.backend]
