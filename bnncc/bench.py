"""`bnncc bench`: bnncc against onnxruntime on the same model, in one process, on this machine.

Reports median latencies and their ratio, per-layer time and share (from the artifact's own
-DBNNCC_PROFILE timers), binary MAC/s per binary layer as a fraction of this CPU's measured
XOR-popcount peak (a register-only loop built with the target's flags, `runtime_c/bench/`), and
artifact/weight sizes against the float model. Medians, because this machine is shared and noisy.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .compiler import CompiledModel, compile
from .onnxruntime_session import session
from .runtime import compiler_command, run_compiler
from .runtime_c import BENCH_DIR


@dataclass
class LayerTime:
    index: int
    op_type: str
    detail: str
    ms: float
    share: float
    binary_macs: int
    float_macs: int
    gmacs_per_s: float          # binary MACs for binary layers, float MACs for float layers
    fraction_of_peak: float | None   # binary layers only


@dataclass
class BenchResult:
    model: str
    target: str
    threads: int
    runs: int
    timing: str                             # "blocks" (steady state) or "interleaved" (see medians_ms)
    bnncc_ms: float
    onnxruntime_ms: float
    speedup: float
    one_thread_ms: float                    # bnncc built for one thread, timed in the same run
    # with threads: the one-thread build pinned to each CPU in turn ({"cpu": ms}), the best time
    # `threads` such CPUs could reach together (ideal_threads_ms) and ideal / bnncc_ms
    one_thread_ms_by_cpu: dict[str, float]
    ideal_threads_ms: float | None
    parallel_efficiency: float | None
    popcount_peak_gmacs: float
    binary_fraction_of_peak: float | None   # binary layers together: MACs / time / peak
    binary_macs: int
    float_macs: int
    float_model_bytes: int
    artifact_constant_bytes: int
    compiled_library_bytes: int
    binary_weight_bits_per_weight: float | None
    layers: list[LayerTime] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def measure_popcount_peak(target) -> float:
    """Binary MACs per second of the register-only XOR-popcount loop, built for `target`."""
    with tempfile.TemporaryDirectory(prefix="bnncc-peak-") as folder:
        exe = Path(folder) / "peak"
        flags = [f for f in target.cflags if not f.startswith("-O")]
        run_compiler([*compiler_command(target.toolchain.compiler()), "-O2", *flags, str(BENCH_DIR / "popcount_peak.c"), "-o",
                      str(exe)], "the popcount peak benchmark")
        run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
        return float(run.stdout.split()[0])


BLOCK_RUNS = 4        # timed runs per block (see medians_ms)
# With threads: pause before each block, for the other contender's pool to go idle. onnxruntime's
# workers spin for about 50 ms after a run (measured: 50 ms of CPU during any longer sleep), which
# would take a core from bnncc's second thread; bnncc's own poll for about a millisecond.
BLOCK_PAUSE_S = 0.15


def block_rounds(runs: int) -> int:
    """Rounds of blocks for `runs` timed runs of each contender."""
    return max(1, runs // BLOCK_RUNS)


def medians_ms(functions, runs: int, interleave: bool = False, pause_s: float = 0.0, setups=None) -> list[float]:
    """Median time of each function, in its steady state: each is timed in blocks of about
    BLOCK_RUNS runs after an untimed one, the blocks taking turns over block_rounds(runs) rounds so
    that a machine whose speed drifts slows all of them alike. pause_s before each block lets the
    other contender's thread pool (onnxruntime's and bnncc's poll for a while after a run) go idle.
    interleave: one run each in turn instead (A, B, A, B, ...), every run right after the other
    contender's, which evicts a small model's weights and activations from the caches.
    setups: per function, None or a callable run untimed before each of its blocks (each of its
    runs when interleaved), e.g. to pin the calling thread to a CPU."""
    times = [[] for _ in functions]
    setups = setups or [None] * len(functions)

    def prepare(index):
        if setups[index] is not None:
            setups[index]()

    if interleave:
        for index, function in enumerate(functions):
            prepare(index)
            function()                           # warm caches and lazy initialisation
        for _ in range(runs):
            for index, (function, samples) in enumerate(zip(functions, times)):
                prepare(index)
                start = time.perf_counter()
                function()
                samples.append(time.perf_counter() - start)
    else:
        rounds = block_rounds(runs)
        for round_ in range(rounds):
            for index, (function, samples) in enumerate(zip(functions, times)):
                time.sleep(pause_s)
                prepare(index)
                function()
                for _ in range(runs * (round_ + 1) // rounds - runs * round_ // rounds):
                    start = time.perf_counter()
                    function()
                    samples.append(time.perf_counter() - start)
    return [1e3 * statistics.median(samples) for samples in times]


# CPUs on which the one-thread baseline is also timed pinned, one by one, when the process may run
# on at most this many (a bigger machine's cores are alike, and timing each would take long)
MAX_PINNED_CPUS = 8


def pinnable_cpus(threads: int) -> list[int]:
    """The CPUs to time the one-thread build on one by one: those this process may run on, when
    threads > 1, the OS can pin a thread, and there are from `threads` to MAX_PINNED_CPUS of them.

    Why: the cores of a virtual machine need not be equally fast (a vCPU shares its host core with
    other guests), so "N threads against 1" depends on which core the one thread drew. With each
    core's one-thread time t_i, N threads on the N fastest cores take at best 1 / sum(1 / t_i)."""
    if threads < 2 or not hasattr(os, "sched_setaffinity"):
        return []
    cpus = sorted(os.sched_getaffinity(0))
    return cpus if threads <= len(cpus) <= MAX_PINNED_CPUS else []


def ideal_parallel_ms(times_ms: list[float], threads: int) -> float:
    """Best time for work spread over the `threads` fastest cores whose one-thread times are
    `times_ms`: each core does work at rate 1/t_i, so together they need 1 / sum(1/t_i)."""
    fastest = sorted(times_ms)[:threads]
    return 1.0 / sum(1.0 / t for t in fastest)


def onnxruntime_session(model_path_or_bytes, threads: int):
    """onnxruntime as users run it: all graph optimizations on, `threads` intra-op threads."""
    return session(model_path_or_bytes, optimized=True, threads=threads)


def bench(model_path: str | os.PathLike, target: str = "native", threads: int = 1, runs: int = 50,
          interleave: bool = False, progress=None) -> BenchResult:
    say = progress or (lambda _message: None)
    compiled: CompiledModel = compile(model_path, target=target, threads=threads, progress=say)
    say("build with per-layer timers")
    name = compiled.name
    native = compiled.build(extra_flags=("-DBNNCC_PROFILE",),
                            extra_cdef=f"int {name}_profile(uint64_t *ns, int n);")
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(spec.shape).astype(np.float32) for spec in compiled.inputs]

    session = onnxruntime_session(str(model_path), threads)
    feeds = {spec.name: array for spec, array in zip(compiled.inputs, inputs)}
    calls = 0                                            # of the profiled artifact, warm-ups included

    def run_native():
        nonlocal calls
        calls += 1
        native.run(*inputs)

    contenders = [run_native, lambda: session.run(None, feeds)]
    cpus = pinnable_cpus(threads)
    if threads > 1:
        say("compile the one-thread baseline")
        single = compile(model_path, target=target, threads=1).build()
        contenders += [lambda: single.run(*inputs)] * (1 + len(cpus))
    everywhere = set(cpus)                  # pinnable_cpus lists all the process may run on, or none
    # the unpinned contenders run on every CPU the process had; each pinned one on its CPU (a thread
    # pool started later would inherit the pin: bnncc's and onnxruntime's exist by now)
    setups = [(lambda: os.sched_setaffinity(0, everywhere)) if cpus else None] * (len(contenders) - len(cpus))
    setups += [(lambda cpu=cpu: os.sched_setaffinity(0, {cpu})) for cpu in cpus]

    say(f"time bnncc and onnxruntime ({runs} runs each)" +
        (f"; the one-thread build also pinned to each of CPUs {', '.join(map(str, cpus))}" if cpus else ""))
    layers = compiled.layers
    counters = native.ffi.new("uint64_t[]", max(1, len(layers)))
    profile = getattr(native.lib, f"{name}_profile")
    native.run(*inputs)
    profile(counters, len(layers))                       # reset after the first call
    try:
        medians = medians_ms(contenders, runs, interleave=interleave,
                             pause_s=BLOCK_PAUSE_S if threads > 1 else 0.0, setups=setups)
    finally:
        if cpus:
            os.sched_setaffinity(0, everywhere)
    ours, theirs = medians[0], medians[1]
    profile(counters, len(layers))
    per_layer_ms = [counters[i] / 1e6 / calls for i in range(len(layers))]

    by_cpu = {str(cpu): ms for cpu, ms in zip(cpus, medians[3:])}
    ideal = ideal_parallel_ms(list(by_cpu.values()), threads) if by_cpu else None

    say("measure the popcount peak")
    peak = measure_popcount_peak(compiled.target)
    total_ms = sum(per_layer_ms) or 1.0
    layer_times = []
    for layer, ms in zip(layers, per_layer_ms):
        macs = layer.binary_macs or layer.float_macs
        rate = macs / (ms * 1e-3) / 1e9 if ms > 0 and macs else 0.0
        fraction = (layer.binary_macs / (ms * 1e-3) / (peak * threads)) if layer.binary_macs and ms > 0 else None
        layer_times.append(LayerTime(layer.index, layer.op_type, layer.detail, ms, ms / total_ms, layer.binary_macs,
                                     layer.float_macs, rate, fraction))
    binary_ms = sum(t.ms for t in layer_times if t.binary_macs)
    binary_macs = sum(t.binary_macs for t in layer_times)
    binary_weights = sum(layer.binary_weights for layer in layers)
    binary_weight_bytes = sum(layer.weight_bytes for layer in layers if layer.binary_weights)
    return BenchResult(
        model=Path(model_path).name, target=compiled.target.name if target != "native" else
        f"native ({compiled.target.description.split(': ')[-1]})", threads=threads, runs=runs,
        timing="interleaved" if interleave else "blocks",
        bnncc_ms=ours, onnxruntime_ms=theirs, speedup=theirs / ours, popcount_peak_gmacs=peak / 1e9,
        one_thread_ms=medians[2] if threads > 1 else ours,
        one_thread_ms_by_cpu=by_cpu, ideal_threads_ms=ideal,
        parallel_efficiency=ideal / ours if ideal else None,
        binary_fraction_of_peak=(binary_macs / (binary_ms * 1e-3) / (peak * threads)) if binary_ms > 0 else None,
        binary_macs=binary_macs, float_macs=sum(t.float_macs for t in layer_times),
        float_model_bytes=Path(model_path).stat().st_size, artifact_constant_bytes=compiled.report.weight_bytes_packed,
        compiled_library_bytes=native.library_bytes,
        binary_weight_bits_per_weight=8 * binary_weight_bytes / binary_weights if binary_weights else None,
        layers=layer_times)


@dataclass
class TvmBenchResult:
    """`bnncc bench` on a TVM target: end-to-end medians per batch size (numpy in, numpy out, so
    host-device copies included on a GPU), against onnxruntime's CPU provider on all this
    machine's cores (TVM's CPU runtime uses them all too). Per-layer times: C targets only."""

    model: str
    target: str
    runs: int
    onnxruntime_threads: int
    batches: list[int]
    bnncc_ms: list[float]
    onnxruntime_ms: list[float]
    float_model_bytes: int
    artifact_constant_bytes: int

    def to_dict(self) -> dict:
        return asdict(self)


def bench_tvm(model_path: str | os.PathLike, target: str, runs: int = 50, batches=(1, 64),
              progress=None) -> TvmBenchResult:
    say = progress or (lambda _message: None)
    compiled = compile(model_path, target=target, progress=say)
    if not all(spec.batched for spec in compiled.inputs):
        batches = (1,)                              # a model with a fixed batch runs one sample
    threads = len(os.sched_getaffinity(0))
    session = onnxruntime_session(str(model_path), threads)
    rng = np.random.default_rng(0)
    ours, theirs = [], []
    for batch in batches:
        inputs = [rng.standard_normal((batch,) + tuple(spec.shape[1:]) if spec.batched else spec.shape)
                  .astype(np.float32) for spec in compiled.inputs]
        feeds = {spec.name: array for spec, array in zip(compiled.inputs, inputs)}
        say(f"time bnncc ({target}) and onnxruntime at batch {batch} ({runs} runs each)")
        medians = medians_ms([lambda: compiled.run(*inputs), lambda: session.run(None, feeds)], runs)
        ours.append(medians[0])
        theirs.append(medians[1])
    return TvmBenchResult(Path(model_path).name, target, runs, threads, list(batches), ours, theirs,
                          Path(model_path).stat().st_size, compiled.report.weight_bytes_packed)


def format_tvm_result(r: TvmBenchResult) -> str:
    lines = [f"bnncc bench: {r.model}  target {r.target}  median of {r.runs} runs (blocks of {BLOCK_RUNS} taking turns)",
             f"  end to end, numpy in and out; onnxruntime: CPU provider, {r.onnxruntime_threads} thread(s), "
             "all optimizations", "",
             f"  {'batch':>5} {'bnncc ms':>10} {'onnxruntime ms':>15} {'speed-up':>9} {'bnncc images/s':>15}"]
    for batch, ours, theirs in zip(r.batches, r.bnncc_ms, r.onnxruntime_ms):
        lines.append(f"  {batch:>5} {ours:>10.3f} {theirs:>15.3f} {theirs / ours:>8.2f}x {batch / ours * 1e3:>15,.0f}")
    lines += ["", f"  size: float model {r.float_model_bytes:,} B -> artifact constants {r.artifact_constant_bytes:,} B "
              f"({r.float_model_bytes / max(1, r.artifact_constant_bytes):.1f}x smaller)",
              "  per-layer times and the popcount peak: C targets only (the GPU check in examples/gpu profiles "
              "tvm-cuda)"]
    return "\n".join(lines)


def format_result(r: BenchResult) -> str:
    how = ("runs alternating one by one" if r.timing == "interleaved" else
           f"blocks of {BLOCK_RUNS} runs taking turns")
    lines = [f"bnncc bench: {r.model}  target {r.target}  threads {r.threads}  median of {r.runs} runs ({how})", "",
             f"  bnncc        {r.bnncc_ms:9.3f} ms",
             f"  onnxruntime  {r.onnxruntime_ms:9.3f} ms   (same model, {r.threads} thread(s), all optimizations)",
             f"  speed-up     {r.speedup:9.2f} x"]
    if r.threads > 1:
        lines.append(f"  bnncc 1 thread {r.one_thread_ms:7.3f} ms   -> {r.threads} threads are "
                     f"{r.one_thread_ms / r.bnncc_ms:.2f}x faster")
        if r.ideal_threads_ms:
            pinned = ", ".join(f"cpu{cpu} {ms:.3f}" for cpu, ms in r.one_thread_ms_by_cpu.items())
            lines += [f"  1 thread pinned, per CPU (ms): {pinned}",
                      f"    -> {r.threads} threads on the fastest of these cores take at best {r.ideal_threads_ms:.3f} ms "
                      f"({r.one_thread_ms / r.ideal_threads_ms:.2f}x the 1-thread time); "
                      f"bnncc reaches {100 * r.parallel_efficiency:.0f} % of that"]
    lines += ["",
             f"  popcount peak of this CPU (register-only xor+popcount+add): {r.popcount_peak_gmacs:,.0f} G binary MAC/s"]
    if r.binary_fraction_of_peak is not None:
        cores = f" x {r.threads} threads" if r.threads > 1 else ""
        lines.append(f"  binary layers together: {100 * r.binary_fraction_of_peak:.1f} % of peak{cores}")
    lines += [f"  MACs per sample: {r.binary_macs:,} binary, {r.float_macs:,} float",
              f"  size: float model {r.float_model_bytes:,} B -> artifact constants {r.artifact_constant_bytes:,} B "
              f"({r.float_model_bytes / max(1, r.artifact_constant_bytes):.1f}x smaller); whole compiled library "
              f"{r.compiled_library_bytes:,} B ({r.float_model_bytes / max(1, r.compiled_library_bytes):.1f}x smaller)"]
    if r.binary_weight_bits_per_weight is not None:
        lines.append(f"  binary layers: {r.binary_weight_bits_per_weight:.3f} bits per weight incl. per-channel constants")
    lines += ["", f"  {'#':>3} {'layer':<17} {'geometry':<30} {'ms':>8} {'share':>6} {'GMAC/s':>8} {'% peak':>7}"]
    for t in r.layers:
        peak = f"{100 * t.fraction_of_peak:6.1f}%" if t.fraction_of_peak is not None else ""
        rate = f"{t.gmacs_per_s:8.1f}" if t.gmacs_per_s else ""
        lines.append(f"  {t.index:>3} {t.op_type:<17} {t.detail[:30]:<30} {t.ms:8.3f} {100 * t.share:5.1f}% {rate:>8} {peak:>7}")
    return "\n".join(lines)


def svg_chart(r: BenchResult) -> str:
    """A horizontal bar per layer (time), binary layers in one colour, float in another."""
    bar_height, gap, label_width, width = 14, 4, 330, 900
    top = 50
    height = top + len(r.layers) * (bar_height + gap) + 30
    longest = max((t.ms for t in r.layers), default=1.0) or 1.0
    scale = (width - label_width - 120) / longest
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             'font-size="11">', f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="10" y="20" font-size="14">{_escape(r.model)} — bnncc {r.bnncc_ms:.3f} ms vs onnxruntime '
             f'{r.onnxruntime_ms:.3f} ms ({r.speedup:.2f}x), target {_escape(r.target)}, {r.threads} thread(s)</text>',
             '<text x="10" y="38" fill="#555">time per layer (ms); blue: binary layers (with % of popcount peak), '
             'orange: float and other layers</text>']
    for row, t in enumerate(r.layers):
        y = top + row * (bar_height + gap)
        colour = "#3b6fb6" if t.binary_macs else "#e08a2e"
        label = f"{t.index} {t.op_type} {t.detail}"[:52]
        note = f" {t.ms:.3f} ms" + (f"  {100 * t.fraction_of_peak:.0f}% peak" if t.fraction_of_peak else "")
        parts += [f'<text x="10" y="{y + 11}">{_escape(label)}</text>',
                  f'<rect x="{label_width}" y="{y}" width="{max(1.0, t.ms * scale):.1f}" height="{bar_height}" '
                  f'fill="{colour}"/>',
                  f'<text x="{label_width + max(1.0, t.ms * scale) + 4:.1f}" y="{y + 11}">{_escape(note)}</text>']
    parts.append("</svg>")
    return "\n".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
