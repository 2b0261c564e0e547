"""Run an artifact built for another architecture: a static program under qemu-user, or a
microcontroller's firmware under qemu-system (bnncc/firmware.py: the same arguments and files).

The program is the artifact's library linked with a small driver (written here, from the
artifact's tensor list only): `runner BATCH REPEAT IN OUT` reads the inputs, one after another as
raw float32, calls <name>_run REPEAT times and writes the outputs, one after another, in their
own types. Under qemu the results are the bits the same code computes on a board.

Counting: bnncc's qemu plugin (runtime_c/bench/qemu_insn_count.c) counts every instruction the
program executes; the difference between REPEAT=2 and REPEAT=1 is exactly one
call, without process start-up and file I/O.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import weakref
from pathlib import Path

import numpy as np

from . import firmware
from .errors import BnnccError
from .firmware import tensor_buffers
from .runtime import empty_outputs, link_artifact, object_cache_dir, prepare_inputs, run_compiler
from .runtime_c import BENCH_DIR

RUN_TIMEOUT_S = 3600


def runner_source(name: str, inputs, outputs) -> str:
    """The driver's C text (names come from the manifest's checked C identifier, sizes from the header)."""
    upper = name.upper()
    types, sizes = tensor_buffers(name, inputs, outputs)
    count = len(types)
    lines = ["/* bnncc's driver for emulated runs: runner BATCH REPEAT IN OUT */", "#include <stdio.h>",
             "#include <stdlib.h>", "#include <stdint.h>", f'#include "{name}.h"', "",
             "/* Layer boundaries for the counting plugin (artifacts built with -DBNNCC_MARK_LAYERS call it). */",
             "void bnncc_mark_layer(int layer);",
             "__attribute__((noinline)) void bnncc_mark_layer(int layer) { __asm__ volatile(\"\" : : \"r\"(layer) : \"memory\"); }",
             "", "int main(int argc, char **argv)", "{",
             "    size_t batch, bytes[" + str(count) + "], i;",
             "    long repeat, r;", "    void *buffers[" + str(count) + "];", "    void *arena;", "    FILE *f;",
             "    if (argc != 5) { fprintf(stderr, \"usage: %s BATCH REPEAT IN OUT\\n\", argv[0]); return 2; }",
             "    batch = (size_t)strtoull(argv[1], NULL, 10);", "    repeat = strtol(argv[2], NULL, 10);"]
    for i, (ctype, size) in enumerate(zip(types, sizes)):
        lines.append(f"    bytes[{i}] = {size} * sizeof({ctype});")
    lines += [f"    for (i = 0; i < {count}; ++i)",
              "        if (!(buffers[i] = malloc(bytes[i] ? bytes[i] : 1))) { fprintf(stderr, \"out of memory\\n\"); return 3; }",
              f"    if (!(arena = malloc({upper}_ARENA_SIZE))) {{ fprintf(stderr, \"out of memory\\n\"); return 3; }}",
              "    if (!(f = fopen(argv[3], \"rb\"))) { perror(argv[3]); return 4; }",
              f"    for (i = 0; i < {len(inputs)}; ++i)",
              "        if (fread(buffers[i], 1, bytes[i], f) != bytes[i]) { fprintf(stderr, \"short input\\n\"); return 4; }",
              "    fclose(f);",
              "    bnncc_mark_layer(-1);",
              "    for (r = 0; r < repeat; ++r)",
              f"        if ({name}_run({', '.join(['batch'] + [f'({t} *)buffers[{i}]' for i, t in enumerate(types)] + ['arena'])}) != 0)",
              "            return 5;",
              "    if (!(f = fopen(argv[4], \"wb\"))) { perror(argv[4]); return 4; }",
              f"    for (i = {len(inputs)}; i < {count}; ++i)",
              "        if (fwrite(buffers[i], 1, bytes[i], f) != bytes[i]) { fprintf(stderr, \"short write\\n\"); return 4; }",
              "    return fclose(f) == 0 ? 0 : 4;", "}", ""]
    return "\n".join(lines)


def build_runner(folder: Path, name: str, sources: list[str], target, inputs, outputs, extra_flags=()) -> Path:
    """The static driver program for `target`, built from the artifact in `folder`."""
    scratch = Path(tempfile.mkdtemp(prefix="bnncc-runner-"))
    try:
        driver = scratch / "bnncc_runner.c"
        driver.write_text(runner_source(name, inputs, outputs))
        return link_artifact(folder, sources, target.cflags, target.toolchain.compiler(), list(extra_flags),
                             target.toolchain.link_flags(), "runner", extra_sources=[driver])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class EmulatedModel:
    """A built artifact run under qemu (qemu-user, or qemu-system for a board's firmware):
    `run(*inputs)` as NativeModel's, one process per call."""

    def __init__(self, program: Path, target, inputs, outputs):
        self.program, self.target, self.inputs, self.outputs = program, target, inputs, outputs
        self.emulator = target.toolchain.emulator()
        self._cleanup = weakref.finalize(self, shutil.rmtree, program.parent, True)

    def close(self) -> None:
        self._cleanup()

    def run(self, *arrays: np.ndarray) -> list[np.ndarray]:
        batch, prepared = prepare_inputs(self.inputs, self.outputs, arrays)
        outputs = empty_outputs(self.outputs, batch)
        with tempfile.TemporaryDirectory(prefix="bnncc-run-") as work:
            self._execute(batch, 1, work, prepared)
            data = (Path(work) / "out.bin").read_bytes()
        offset = 0
        for out in outputs:
            out.reshape(-1)[:] = np.frombuffer(data, out.dtype, out.size, offset)
            offset += out.nbytes
        return outputs

    def count_instructions(self, *arrays: np.ndarray) -> tuple[int, list[int]]:
        """(instructions one call executes, instructions per layer) for `arrays`, counted by qemu.

        The total is the count at REPEAT=2 minus REPEAT=1: one call exactly. The layers' come from
        the marks (a program built with -DBNNCC_MARK_LAYERS; else the list is empty): mark 0 is
        just before the call, mark k + 1 just after layer k of the first sample."""
        batch, prepared = prepare_inputs(self.inputs, self.outputs, arrays)
        plugin = counting_plugin()
        totals, marks = [], []
        with tempfile.TemporaryDirectory(prefix="bnncc-count-") as work:
            for repeat in (1, 2):
                stderr = self._execute(batch, repeat, work, prepared, ["-plugin", str(plugin), "-d", "plugin"])
                total = re.search(r"^insns (\d+)$", stderr, re.M)
                if total is None:
                    raise BnnccError(f"qemu's instruction-count plugin printed no count: {stderr.strip()[:200]}")
                totals.append(int(total.group(1)))
                if repeat == 1:
                    line = re.search(r"^marks([ \d]*)$", stderr, re.M)
                    marks = [int(m) for m in line.group(1).split()] if line else []
        return totals[1] - totals[0], [b - a for a, b in zip(marks, marks[1:])]

    def _execute(self, batch: int, repeat: int, work: str, prepared, qemu_options=()) -> str:
        """Run the program once in `work`; returns its stderr."""
        if not self._cleanup.alive:
            raise BnnccError("this model was closed: load or compile it again")
        (Path(work) / "in.bin").write_bytes(b"".join(a.tobytes() for a in prepared))
        toolchain = self.target.toolchain
        command = toolchain.run_command(self.program, [str(batch), str(repeat), "in.bin", "out.bin"], qemu_options)
        try:
            result = subprocess.run(command, cwd=work, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                    timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise BnnccError(f"the {self.target.name} program ran longer than {RUN_TIMEOUT_S} s under "
                             f"{Path(self.emulator[0]).name if self.emulator else 'no emulator'}") from None
        if result.returncode != 0:
            if toolchain.freestanding:
                raise BnnccError(firmware.failure(self.target, result.returncode, result.stderr))
            raise BnnccError(f"the {self.target.name} program failed (exit status {result.returncode}): "
                             f"{result.stderr.strip()[:300]}")
        return result.stderr


def counting_plugin() -> Path:
    """The instruction-count plugin (runtime_c/bench/qemu_insn_count.c), built once by the host's cc."""
    source = BENCH_DIR / "qemu_insn_count.c"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    plugin = object_cache_dir() / f"qemu_insn_count-{digest}.so"
    if not plugin.is_file():
        plugin.parent.mkdir(parents=True, exist_ok=True)
        partial = plugin.with_name(f"{plugin.name}.{os.getpid()}.tmp")
        run_compiler(["cc", "-shared", "-fPIC", "-O2", str(source), "-o", str(partial)], "the qemu counting plugin")
        os.replace(partial, plugin)
    return plugin
