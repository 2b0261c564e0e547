"""Write the C artifact: <name>.h, <name>.c, the kernels it uses, Makefile, CMakeLists.txt,
README.md and an example main.c. Same graph and options -> same bytes."""
from __future__ import annotations

import numpy as np
import onnx_ir as ir

from bnncc import __version__
from bnncc.errors import BnnccError
from bnncc.runtime_c import INCLUDE_DIR, SOURCE_DIR
from .memory_plan import plan_memory

from ..frontend.importer import TensorSpec
from .schedule import Schedule

# Portable kernel sources whose headers are not simply <source>.h (public, private); a target's own
# sources declare theirs (targets/kernels.py).
PORTABLE_HEADERS = {"fconv": (("fconv",), ("axpy",)), "fgemm": (("fgemm",), ("axpy",))}
TOOLCHAIN_FILE = "toolchain.cmake"
ARENA_SLACK = 64      # the run function aligns the caller's arena to 64 bytes itself
C_ELEMENT = {np.dtype(np.float32): "float", np.dtype(np.int64): "int64_t"}


def _dims(spec: TensorSpec) -> str:
    dims = ["N"] + [str(d) for d in spec.shape[1:]] if spec.batched else [str(d) for d in spec.shape]
    return "[" + ", ".join(dims) + "]"


def run_signature(name: str, inputs: list[TensorSpec], outputs: list[TensorSpec]) -> str:
    params = ["size_t batch"]
    params += [f"const float *input{i}" for i in range(len(inputs))]
    params += [f"{C_ELEMENT[o.dtype]} *output{i}" for i, o in enumerate(outputs)]
    return f"int {name}_run({', '.join(params + ['void *arena'])})"


class Artifact:
    """The files of one compiled model, as {relative path: text}."""

    def __init__(self, model: ir.Model, name: str, inputs: list[TensorSpec], outputs: list[TensorSpec], target,
                 threads: int = 1):
        if threads > 1 and target.toolchain.freestanding:
            raise BnnccError(f"{target.name} code is freestanding (no OS, no threads): compile it with threads=1")
        self.name, self.inputs, self.outputs, self.target, self.threads = name, inputs, outputs, target, threads
        self.graph = graph = model.graph
        self.plan = plan_memory(graph)
        self.schedule = Schedule(graph, self.plan, target, threads)
        self.schedule.lower()
        # kernels' private scratch (x86 float conv), one region per thread, after the planned tensors
        self.scratch_offset = -(-self.plan.arena_size // 64) * 64
        self.scratch_bytes = -(-self.schedule.scratch_floats * 4 // 64) * 64
        self.arena_size = self.scratch_offset + threads * self.scratch_bytes + ARENA_SLACK
        self.output_values = list(graph.outputs)
        self.signature = run_signature(name, inputs, outputs)

    def files(self) -> dict[str, str]:
        files = {f"{self.name}.h": self.header(), f"{self.name}.c": self.source(),
                 "Makefile": self.makefile(), "CMakeLists.txt": self.cmake(), "README.md": self.readme()}
        board = self.target.toolchain.board
        if board is None:
            files["main.c"] = self.example_main()
        else:
            from ..firmware import firmware_files

            files.update(firmware_files(self.name, self.inputs, self.outputs, board))
        if not self.target.toolchain.is_host:
            files[TOOLCHAIN_FILE] = self.cmake_toolchain()
        for header in self.headers:
            files[f"include/bnncc/{header}.h"] = (INCLUDE_DIR / "bnncc" / f"{header}.h").read_text()
        for family in self.kernel_families:
            files[f"src/{family}.c"] = (SOURCE_DIR / f"{family}.c").read_text()
        return files

    @property
    def kernel_families(self) -> list[str]:
        """The kernel sources the artifact compiles: those its layers call, and what they call."""
        own = self.target.kernels.sources()
        families = self.schedule.families | ({"team"} if self.threads > 1 else set())
        return sorted(families.union(*(own[f].needs for f in families if f in own)))

    def _source_headers(self, family: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(public, private) headers of a kernel source."""
        own = self.target.kernels.sources().get(family)
        if own is not None:
            return own.headers, own.private_headers
        return PORTABLE_HEADERS.get(family, ((family,), ()))

    @property
    def headers(self) -> list[str]:
        """Kernel headers the artifact ships: each source's own, plus common.h and team.h."""
        names = {"common", "team"}
        for family in self.kernel_families:
            public, private = self._source_headers(family)
            names.update(public, private)
        return sorted(names)

    @property
    def public_headers(self) -> list[str]:
        """The headers the model's .c includes (not the kernels' implementation headers)."""
        private = set().union(*(self._source_headers(f)[1] for f in self.kernel_families))
        return [h for h in self.headers if h not in private]

    @property
    def sources(self) -> list[str]:
        return [f"{self.name}.c"] + [f"src/{f}.c" for f in self.kernel_families]

    def header(self) -> str:
        upper = self.name.upper()
        lines = [f"/* {self.name}.h -- generated by bnncc {__version__} for target {self.target.name}; do not edit.",
                 " *",
                 f" * {self.signature};",
                 " *   Runs `batch` samples, one after the other. Tensors are contiguous, row-major (ONNX order),",
                 " *   batch first. Returns 0, or -1 when a pointer is NULL.",
                 " *   `arena` is scratch memory of at least "
                 f"{upper}_ARENA_SIZE bytes (any alignment); it is reused for",
                 " *   every sample, and nothing is allocated on the heap.",
                 *self._reentrancy(), *self._freestanding(),
                 " *"]
        for i, spec in enumerate(self.inputs):
            lines.append(f" * input{i}:  float32 {_dims(spec)}")
        for i, spec in enumerate(self.outputs):
            lines.append(f" * output{i}: {spec.dtype.name} {_dims(spec)}")
        lines += [" * (N = batch. A tensor without N is the same for every sample: an input is read by each, an",
                  " * output is written by each, so it holds the last sample's values.)", " */",
                  f"#ifndef BNNCC_{upper}_H", f"#define BNNCC_{upper}_H", "",
                  "#include <stddef.h>", "#include <stdint.h>", "",
                  "#ifdef __cplusplus", 'extern "C" {', "#endif", "",
                  f"#define {upper}_ARENA_SIZE {self.arena_size}u",
                  f"#define {upper}_THREADS {self.threads}  /* threads one call of {self.name}_run uses */"]
        for i, spec in enumerate(self.inputs):
            lines.append(f"#define {upper}_INPUT{i}_SIZE {spec.sample_size}u  /* elements per sample */")
        for i, spec in enumerate(self.outputs):
            lines.append(f"#define {upper}_OUTPUT{i}_SIZE {spec.sample_size}u  /* elements per sample */")
        lines += ["", f"size_t {self.name}_arena_size(void);", f"{self.signature};"]
        if self.threads > 1:
            lines += [f"/* {self.name}_run uses {self.threads} threads: {self.threads - 1} worker threads start on the first call",
                      " * and stay (briefly polling, then asleep) for the next ones; calls are serialized (above).",
                      f" * {self.name}_release_threads() stops them (a later call starts them again); unloading the",
                      " * library (dlclose) stops them too when the compiler supports destructors (GCC, Clang). */",
                      f"void {self.name}_release_threads(void);"]
        lines += ["",
                  "#ifdef __cplusplus", "}", "#endif", "", f"#endif /* BNNCC_{upper}_H */", ""]
        return "\n".join(lines)

    def _reentrancy(self) -> list[str]:
        """The header's paragraph on calls from several threads."""
        if self.threads > 1:
            calls = [" *   Threads: calls from several threads at once are safe; a mutex inside the library runs them",
                     " *   one after another (they share one team of worker threads), so they may even share an arena."]
        else:
            calls = [" *   Threads: the function keeps no state outside `arena` (everything else it reads is const), so",
                     " *   calls from several threads may run at the same time when each passes its own arena; two calls",
                     " *   must never use one arena at the same time."]
        return calls + [" *   Builds with -DBNNCC_PROFILE add global per-layer timers: profile from one thread."]

    def _freestanding(self) -> list[str]:
        """The header's paragraph on what a freestanding build links (microcontroller targets)."""
        if not self.target.toolchain.freestanding:
            return []
        return [" *   Freestanding: from the C library it calls only memcpy and memset, and from libm the functions",
                " *   of the float ops the model runs, if any (expf for Softmax, Sigmoid and Exp). No threads, no heap,",
                " *   no static mutable state; the weights are const (they stay in flash)."]

    def source(self) -> str:
        s, name, upper = self.schedule, self.name, self.name.upper()
        threaded = self.threads > 1
        includes = ["#define _POSIX_C_SOURCE 200809L  /* clock_gettime in profiling builds */",
                    f'#include "{name}.h"', "", "#include <math.h>", "#include <string.h>", ""] + \
            [f'#include "bnncc/{h}.h"' for h in self.public_headers]
        inputs = [f"const float *in{i}" for i in range(len(self.inputs))]
        outputs = [f"{C_ELEMENT[o.dtype]} *out{i}" for i, o in enumerate(self.outputs)]
        sample_params = ", ".join(["bnn_team *team", "int id", "int nt"] + inputs + outputs + ["unsigned char *arena"])
        unused = "".join(f" (void)in{i};" for i in range(len(self.inputs)))    # a model may ignore an input
        body = [f"    (void)team; (void)id; (void)nt; (void)arena;{unused}"]
        if self.scratch_bytes:
            body.append(f"    float *scratch = (float *)(arena + {self.scratch_offset} + (size_t)id * {self.scratch_bytes});")
        sync = " bnn_team_sync(team);" if threaded else ""
        for layer in s.layers:
            body.append(f"    {{ /* layer {layer.index}: {layer.op_type} */ BNN_PROF_BEGIN")
            body += [f"        {line}" for line in layer.code]
            body.append(f"       {sync} BNN_PROF_END({layer.index}) }}")
        copies = [f"memcpy(out{i}, {s.operand(v)}, {spec.sample_size}u * sizeof(*out{i}));"
                  for i, (spec, v) in enumerate(zip(self.outputs, self.output_values))]
        body.append(f"    if (id == 0) {{ {' '.join(copies)} }}")
        parts = [f"/* {name}.c -- generated by bnncc {__version__}; do not edit. */", "\n".join(includes), "",
                 "#if defined(__GNUC__) || defined(__clang__)", "#define BNN_ALIGNED __attribute__((aligned(64)))",
                 "#else", "#define BNN_ALIGNED", "#endif", "", self._profiling(), "".join(s.constants),
                 f"static void {name}_sample({sample_params})", "{", *body, "}", "",
                 f"size_t {name}_arena_size(void) {{ return {upper}_ARENA_SIZE; }}", "",
                 self._run_function()]
        return "\n".join(parts)

    def _profiling(self) -> str:
        """Per-layer wall time, compiled in only with -DBNNCC_PROFILE (member 0 measures, barrier
        included); with -DBNNCC_MARK_LAYERS, a call of bnncc_mark_layer() after each layer instead."""
        name, count = self.name, max(1, len(self.schedule.layers))
        return "\n".join([
            "#ifdef BNNCC_PROFILE", "#include <time.h>",
            f"static uint64_t {name}_profile_ns[{count}];",
            f"static uint64_t {name}_now_ns(void)",
            "{", "    struct timespec t;", "    clock_gettime(CLOCK_MONOTONIC, &t);",
            "    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;", "}",
            f"#define BNN_PROF_BEGIN uint64_t bnn_t0 = id == 0 ? {name}_now_ns() : 0;",
            f"#define BNN_PROF_END(k) if (id == 0) {name}_profile_ns[k] += {name}_now_ns() - bnn_t0;",
            "/* Copies the accumulated nanoseconds per layer into ns[0..n) and resets them; returns the",
            " * number of layers. */",
            f"int {name}_profile(uint64_t *ns, int n)",
            "{", "    int k;",
            f"    for (k = 0; k < {count}; ++k) {{ if (k < n) ns[k] = {name}_profile_ns[k]; {name}_profile_ns[k] = 0; }}",
            f"    return {count};", "}",
            "#elif defined(BNNCC_MARK_LAYERS)",
            "/* Instruction counting under an emulator (bnncc bench): the program defines the marker, which",
            " * the counting plugin sees called after each layer. */",
            "void bnncc_mark_layer(int layer);",
            "#define BNN_PROF_BEGIN", "#define BNN_PROF_END(k) if (id == 0) bnncc_mark_layer(k);",
            "#else", "#define BNN_PROF_BEGIN", "#define BNN_PROF_END(k)", "#endif", ""])

    def _run_function(self) -> str:
        name, upper = self.name, self.name.upper()
        checks = " || ".join([f"!input{i}" for i in range(len(self.inputs))] +
                             [f"!output{i}" for i in range(len(self.outputs))] + ["!arena"])
        align = "(unsigned char *)arena + ((64u - ((uintptr_t)arena & 63u)) & 63u)"
        # batched tensors advance by a sample; the others (no batch dimension) are the same for every sample
        tensors = ([f"input{i} + n * {upper}_INPUT{i}_SIZE" if s.batched else f"input{i}"
                    for i, s in enumerate(self.inputs)] +
                   [f"output{i} + n * {upper}_OUTPUT{i}_SIZE" if s.batched else f"output{i}"
                    for i, s in enumerate(self.outputs)])
        if self.threads == 1:
            return "\n".join([self.signature, "{", "    size_t n;", "    unsigned char *aligned;",
                              f"    if ({checks}) return -1;", f"    aligned = {align};",
                              "    for (n = 0; n < batch; ++n)",
                              f"        {name}_sample(NULL, 0, 1, {', '.join(tensors + ['aligned'])});",
                              "    return 0;", "}", ""])
        fields = ([f"    const float *input{i};" for i in range(len(self.inputs))] +
                  [f"    {C_ELEMENT[o.dtype]} *output{i};" for i, o in enumerate(self.outputs)])
        job_tensors = [f"job->{t}" for t in tensors]
        assign = ([f"    job.input{i} = input{i};" for i in range(len(self.inputs))] +
                  [f"    job.output{i} = output{i};" for i in range(len(self.outputs))])
        return "\n".join([
            "typedef struct {", "    size_t batch;", *fields, "    unsigned char *arena;", f"}} {name}_job;", "",
            f"static void {name}_member(bnn_team *team, int id, void *ctx)", "{",
            f"    const {name}_job *job = (const {name}_job *)ctx;", "    const int nt = team ? team->size : 1;",
            "    size_t n;", "    for (n = 0; n < job->batch; ++n) {",
            f"        {name}_sample(team, id, nt, {', '.join(job_tensors + ['job->arena'])});",
            "        bnn_team_sync(team);  /* member 0 copied the outputs before the arena is reused */",
            "    }", "}", "",
            f"static bnn_pool {name}_pool = BNN_POOL_INITIALIZER;", "",
            self.signature, "{", f"    {name}_job job;", f"    if ({checks}) return -1;",
            "    job.batch = batch;", *assign, f"    job.arena = {align};",
            f"    bnn_pool_run(&{name}_pool, {upper}_THREADS, {name}_member, &job);", "    return 0;", "}", "",
            f"void {name}_release_threads(void) {{ bnn_pool_release(&{name}_pool); }}", "",
            "/* The workers run this library's code: unloading it (dlclose) stops them first. */",
            "#if defined(__GNUC__)",
            f"__attribute__((destructor)) static void {name}_unload(void) {{ bnn_pool_release_if_idle(&{name}_pool); }}",
            "#endif", ""])

    def example_main(self) -> str:
        upper = self.name.upper()
        lines = [f"/* Example: run {self.name} on one sample read from a raw float32 file (or zeros), print outputs. */",
                 "#include <stdio.h>", "#include <stdint.h>", f'#include "{self.name}.h"', "",
                 f"static unsigned char arena[{upper}_ARENA_SIZE];"]
        for i in range(len(self.inputs)):
            lines.append(f"static float input{i}[{upper}_INPUT{i}_SIZE];")
        for i, spec in enumerate(self.outputs):
            lines.append(f"static {C_ELEMENT[spec.dtype]} output{i}[{upper}_OUTPUT{i}_SIZE];")
        args = ", ".join(["1"] + [f"input{i}" for i in range(len(self.inputs))] +
                         [f"output{i}" for i in range(len(self.outputs))] + ["arena"])
        lines += ["", "int main(int argc, char **argv)", "{", "    size_t i;"]
        if self.inputs:
            lines += ["    if (argc > 1) {",
                      '        FILE *f = fopen(argv[1], "rb");',
                      f"        if (!f || fread(input0, sizeof(float), {upper}_INPUT0_SIZE, f) != {upper}_INPUT0_SIZE) {{",
                      '            fprintf(stderr, "cannot read %s floats from %s\\n", "input0", argv[1]);',
                      "            return 1;", "        }", "        fclose(f);", "    }"]
        else:
            lines.append("    (void)argc; (void)argv;")
        lines += [f"    if ({self.name}_run({args}) != 0) return 1;"]
        for i, spec in enumerate(self.outputs):
            fmt, cast = ('"%g "', "(double)") if spec.dtype == np.float32 else ('"%lld "', "(long long)")
            lines += [f"    for (i = 0; i < {upper}_OUTPUT{i}_SIZE; ++i) printf({fmt}, {cast}output{i}[i]);",
                      '    printf("\\n");']
        lines += ["    return 0;", "}", ""]
        return "\n".join(lines)

    def _flags(self) -> tuple[str, str]:
        """The target's flags split: (optimization, what the artifact needs: ISA and no FMA contraction)."""
        cflags = self.target.cflags
        required = [f for f in cflags if not f.startswith("-O")] + ["-ffp-contract=off"]
        return " ".join(f for f in cflags if f.startswith("-O")), " ".join(required)

    def _compiler_defaults(self) -> str:
        """Makefile lines choosing the compiler: cc, or the target's cross tools unless CC/AR are given."""
        toolchain = self.target.toolchain
        if toolchain.is_host:
            return "CC ?= cc\n"
        return "".join(f"ifeq ($(origin {var}),default)\n{var} = {toolchain.default_tool(tool)}\nendif\n"
                       for var, tool in (("CC", "gcc"), ("AR", "ar")))

    def makefile(self) -> str:
        sources = " ".join(self.sources)
        optimization, required = self._flags()
        pthread = " -pthread" if self.threads > 1 else ""
        toolchain = self.target.toolchain
        zig = f" (zig cc:\n# make CC='zig cc {' '.join(toolchain.zig_arguments())}' AR='zig ar')" if toolchain.zig_target else ""
        cross = "" if toolchain.is_host else (
            f"# Cross-compiles for {toolchain.triple} by default: CC=... AR=... choose other tools{zig}.\n")
        program, program_rule = self._program_rule()
        return (f"# Builds lib{self.name}.a and {program} with any C99 compiler.\n"
                "# CFLAGS (environment or command line) sets the optimization and adds flags of your own; the\n"
                "# flags the artifact needs (ISA, C99, -ffp-contract=off) always apply. WERROR=1 adds -Werror.\n"
                f"{cross}{self._compiler_defaults()}CFLAGS ?= {optimization}\n"
                f"override CFLAGS += {required} -std=c99 -Wall -Wextra -Iinclude{pthread}\n"
                "ifeq ($(WERROR),1)\noverride CFLAGS += -Werror\nendif\n"
                f"SOURCES = {sources}\nOBJECTS = $(SOURCES:.c=.o)\n\n"
                f"all: lib{self.name}.a {program.split()[-1]}\n\n"
                f"lib{self.name}.a: $(OBJECTS)\n\t$(AR) rcs $@ $(OBJECTS)\n\n"
                f"{program_rule}"
                f"clean:\n\trm -f $(OBJECTS) lib{self.name}.a {program.split()[-1]}\n\n.PHONY: all clean\n")

    def _program_rule(self) -> tuple[str, str]:
        """(what the Makefile builds besides the library, its rules): the example program, or a
        board's firmware and `make run`, which runs it on qemu-system."""
        name, board = self.name, self.target.toolchain.board
        if board is None:
            return (f"the example program {name}_demo",
                    f"{name}_demo: main.c lib{name}.a\n\t$(CC) $(CFLAGS) $(LDFLAGS) -o $@ main.c lib{name}.a -lm\n\n")
        from ..firmware import LINK_FLAGS, LINKER_SCRIPT, SOURCES

        sources = " ".join(SOURCES)
        semihosting = "enable=on,target=native,arg=firmware,arg=1,arg=1,arg=input.bin,arg=output.bin"
        return (f"the firmware {name}_firmware.elf",
                f"{name}_firmware.elf: {sources} {LINKER_SCRIPT} lib{name}.a\n"
                f"\t$(CC) $(CFLAGS) -I. $(LDFLAGS) {' '.join(LINK_FLAGS)} -T {LINKER_SCRIPT} -o $@ {sources} lib{name}.a -lm\n\n"
                f"# one sample from input.bin (raw float32) to output.bin, on qemu's {board.qemu_machine}\n"
                f".PHONY: run\nrun: {name}_firmware.elf\n\t{board.qemu} -M {board.qemu_machine} -display none -serial null "
                f"-monitor none -semihosting-config {semihosting} -kernel {name}_firmware.elf\n\n")

    def cmake(self) -> str:
        sources = "\n    ".join(self.sources)
        _, required = self._flags()
        lines = ["cmake_minimum_required(VERSION 3.10)", f"project({self.name} C)", "set(CMAKE_C_STANDARD 99)",
                 'option(BNNCC_WERROR "treat compiler warnings as errors" OFF)',
                 "if(NOT CMAKE_BUILD_TYPE)", "  set(CMAKE_BUILD_TYPE Release)", "endif()",
                 f"add_library({self.name} STATIC\n    {sources}\n)",
                 f"target_include_directories({self.name} PUBLIC ${{CMAKE_CURRENT_SOURCE_DIR}} "
                 "${CMAKE_CURRENT_SOURCE_DIR}/include)",
                 *self._cmake_program(),
                 "# the flags the artifact needs (ISA, no FMA contraction) come after CMAKE_C_FLAGS: they always apply",
                 'if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")',
                 f"  set(BNNCC_C_OPTIONS {required} -Wall -Wextra)",
                 "  if(BNNCC_WERROR)", "    list(APPEND BNNCC_C_OPTIONS -Werror)", "  endif()",
                 f"  target_compile_options({self.name} PRIVATE ${{BNNCC_C_OPTIONS}})",
                 f"  target_compile_options({self._program_name()} PRIVATE ${{BNNCC_C_OPTIONS}})",
                 "endif()",
                 "if(NOT MSVC)  # libm (also when cross-compiling, where find_library looks in the sysroot)",
                 f"  target_link_libraries({self.name} PUBLIC m)", "endif()"]
        if self.threads > 1:
            lines += ["find_package(Threads REQUIRED)", f"target_link_libraries({self.name} PUBLIC Threads::Threads)"]
        lines.append("")
        return "\n".join(lines)

    def _program_name(self) -> str:
        return f"{self.name}_firmware" if self.target.toolchain.board else f"{self.name}_demo"

    def _cmake_program(self) -> list[str]:
        """CMake lines of the example program, or of a board's firmware (firmware/)."""
        program = self._program_name()
        if self.target.toolchain.board is None:
            return [f"add_executable({program} main.c)", f"target_link_libraries({program} {self.name})"]
        from ..firmware import LINK_FLAGS, LINKER_SCRIPT, SOURCES

        return [f"add_executable({program} {' '.join(SOURCES)})", f"target_link_libraries({program} {self.name})",
                f'set_target_properties({program} PROPERTIES SUFFIX ".elf")',
                f"target_link_options({program} PRIVATE {self._flags()[1]} {' '.join(LINK_FLAGS)} "
                f"-T ${{CMAKE_CURRENT_SOURCE_DIR}}/{LINKER_SCRIPT})"]

    def _running_readme(self) -> str:
        """The README's part on running it: the demo, cross-compiling, or a microcontroller board."""
        toolchain = self.target.toolchain
        demo = f"`./{self.name}_demo input.bin` runs one sample read from a raw float32 file and prints the outputs.\n\n"
        if toolchain.is_host:
            return demo
        board = toolchain.board
        if board is not None:
            return (f"## On a microcontroller\n"
                    f"`make` uses `{toolchain.default_tool('gcc')}` (Debian: `apt-get install {toolchain.gcc_package} "
                    "libnewlib-arm-none-eabi`). `firmware/` is a complete example of embedding the model:\n"
                    "`startup_cortex_m.c` (vector table, reset handler, fault report), `board.ld` (the linker script of\n"
                    f"qemu's {board.qemu_machine}: set your board's flash and RAM there), `main.c` (a harness that reads\n"
                    "inputs and writes outputs through semihosting: replace those calls by your sensor and your use\n"
                    "of the outputs) and `semihosting.h`. The weights are `const`, so they stay in flash; the arena\n"
                    f"({self.arena_size} bytes) is the only RAM the model needs besides its stack.\n```\n"
                    f"make run      # {self.name}_firmware.elf on {board.qemu} -M {board.qemu_machine} "
                    f"(Debian: {board.qemu_package}): input.bin -> output.bin\n"
                    f"cmake -B build -DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN_FILE} && cmake --build build\n```\n\n")
        return demo + (f"## Cross-compiling for {toolchain.machine}\n"
                f"`make` uses `{toolchain.default_tool('gcc')}` (Debian: `apt-get install {toolchain.gcc_package}`) "
                "unless CC is given:\n```\n"
                f"make CC='zig cc {' '.join(toolchain.zig_arguments())}' AR='zig ar'       # zig (pip install ziglang)\n"
                f"cmake -B build -DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN_FILE} && cmake --build build\n"
                f"make LDFLAGS=-static && {toolchain.qemu} ./{self.name}_demo input.bin     # try it on this machine\n"
                "```\nOn the board: copy this folder, run `make CC=cc` there (or copy the built demo and library), "
                f"then `./{self.name}_demo input.bin`.\n\n")

    def cmake_toolchain(self) -> str:
        """A CMake toolchain file for the target's cross compiler."""
        toolchain = self.target.toolchain
        return "\n".join([
            f"# CMake toolchain file for {toolchain.triple}: cmake -B build -DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN_FILE}",
            "# (another compiler: add -DCMAKE_C_COMPILER=...).",
            *(["set(CMAKE_SYSTEM_NAME Generic)", "set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)  # no OS"]
              if toolchain.freestanding else ["set(CMAKE_SYSTEM_NAME Linux)"]),
            f"set(CMAKE_SYSTEM_PROCESSOR {toolchain.processor})",
            "if(NOT CMAKE_C_COMPILER)", f"  set(CMAKE_C_COMPILER {toolchain.default_tool('gcc')})", "endif()",
            "set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)", "set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)",
            "set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)", ""])

    def readme(self) -> str:
        rows = [f"| input{i} | float32 | {_dims(s)} |" for i, s in enumerate(self.inputs)]
        rows += [f"| output{i} | {s.dtype.name} | {_dims(s)} |" for i, s in enumerate(self.outputs)]
        return (f"# {self.name}\n\nGenerated by bnncc {__version__} for target `{self.target.name}` "
                f"({self.target.description}).\nSelf-contained C99: no dependencies, no heap allocation.\n\n"
                "## API\n```c\n"
                f"size_t {self.name}_arena_size(void);   /* = {self.name.upper()}_ARENA_SIZE = {self.arena_size} bytes */\n"
                f"{self.signature};\n```\n\n| tensor | type | shape (N = batch) |\n|---|---|---|\n" + "\n".join(rows) +
                "\n\n## Build\n```\n"
                f"make                      # lib{self.name}.a and {self._program_name()}\n"
                "make WERROR=1             # the same, with warnings as errors (-Werror)\n"
                "make CFLAGS='-O2 -g'      # your optimization flags; the artifact's own flags still apply\n"
                "cmake -B build && cmake --build build       # -DBNNCC_WERROR=ON: warnings as errors\n```\n"
                "The Makefile and CMakeLists.txt always add the flags the artifact needs: the target's ISA flags\n"
                "and `-ffp-contract=off` (fused multiply-adds would change float rounding, and with it results\n"
                "that must match the original model bit for bit). Keep them if you build the sources otherwise.\n\n"
                + self._running_readme() + "## Threads\n" + self._threads_readme())

    def _threads_readme(self) -> str:
        if self.target.toolchain.freestanding:
            return "None: the code is freestanding (one call runs to its end; give each caller its own arena).\n"
        if self.threads > 1:
            return f"One call runs on {self.threads} threads; calls from several threads at once wait for each other.\n"
        return "Calls from several threads at once are safe when each thread passes its own arena.\n"
