"""The GPU check of the TVM backend: run on a machine with an NVIDIA GPU, from the bundle that
examples/gpu/prepare.py built elsewhere (no TVM compiler, no network needed here).

    python3 examples/gpu/gpu_check.py --bundle .gpu --out $OUT            # the GPU run
    python3 examples/gpu/gpu_check.py --bundle .gpu-llvm --target llvm --dry-run --out /tmp/o   # CPU rehearsal

1. Exactness: every model of the bundle on tvm-cuda at batch 1 and N against the reference
   runtime's outputs computed at build time (bnncc.verify's rules: bit-exact on integer, binary and
   argmax outputs, float outputs within 1e-5 relative), and Bi-Real-18's first samples at batch 64
   against the same samples at batch 2 (a sample's result must not depend on the batch).
2. Speed: Bi-Real-18 (224x224; the bundle's benchmark model) with TVM (bnncc's schedules, and DLight's for the same kernels) at
   batch 1 (latency) and 64, 256 (throughput), against the same float network in PyTorch/cuDNN
   (fp32, TF32, fp16, bf16; eager and CUDA graphs), all timed here with CUDA events, median of
   repeats. onnxruntime's CUDA provider is not installable on that machine (CUDA 13, no network).
3. Weight memory on the GPU (packed vs float) and the roofline loops of roofline.cu.

Everything goes to $OUT/gpu_check.json (and the TVM outputs to $OUT/outputs/ for re-checking with
examples/gpu/verify_outputs.py); a short table goes to stdout.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
FLOAT_RTOL = 1e-5
ISOLATED_S = 90.0          # at most this long for the checks of one isolated bench variant
SLOW_CALL_S = 0.2          # a call slower than this is timed 3 times alone, not in loops


# -- set-up -------------------------------------------------------------------------------------
def setup_runtime(bundle: Path, device: str):
    """Import the bundle's TVM in runtime-only mode and bnncc's runner.py (by path: bnncc's package
    needs more than this machine may have). Returns (tvm, runner module, torch or None)."""
    os.environ["TVM_USE_RUNTIME_LIB"] = "1"              # never load libtvm_compiler.so (not carried)
    os.environ["TVM_FFI_DISABLE_TORCH_C_DLPACK"] = "1"   # no JIT build of tvm_ffi's torch extension
    torch = None
    if device == "cuda":
        try:
            import torch                                 # first: its CUDA runtime serves TVM's too
        except ImportError:
            torch = None
    sys.path.insert(0, str(bundle / "runtime"))
    import tvm

    assert Path(tvm.__file__).resolve().is_relative_to((bundle / "runtime").resolve()), tvm.__file__
    assert "tvm_compiler" not in tvm.base._LOADED_LIBS and tvm._RUNTIME_ONLY
    spec = importlib.util.spec_from_file_location("bnncc_tvm_runner", ROOT / "bnncc" / "tvm" / "runner.py")
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    if device == "cuda":
        runner.load_cudart([bundle / "runtime" / "cuda"])
        if not runner.load_tvm_cuda_runtime():
            raise SystemExit("TVM's CUDA runtime library does not load: no CUDA driver here?")
    return tvm, runner, torch


def comparison_rule():
    """bnncc.verify.check_output where bnncc imports here, else its rule restated (bit-exact when the
    output is integer or the reference is integral, else within 1e-5 of the reference's largest
    magnitude; argmax equal over the last axis of float outputs)."""
    try:
        sys.path.insert(0, str(ROOT))
        from bnncc.verify import check_output

        def check(name, ours, reference):
            result = check_output(0, name, ours, reference)
            return {"ok": result.ok, "kind": result.kind, "mismatches": result.mismatches,
                    "argmax_mismatches": result.argmax_mismatches, "max_abs_diff": result.max_abs_diff}
        return check, "bnncc.verify"
    except Exception:                                   # e.g. cffi missing: bnncc's C path needs it
        def check(name, ours, reference):
            reference = np.asarray(reference).reshape(ours.shape)
            exact = ours.dtype.kind in "iub" or bool(np.all(np.isfinite(reference)) and np.all(reference == np.round(reference)))
            diff = np.abs(ours.astype(np.float64) - reference.astype(np.float64))
            limit = 0 if exact else FLOAT_RTOL * max(float(np.max(np.abs(reference))) if reference.size else 0, 1e-30)
            argmax = int(np.sum(ours.argmax(-1) != reference.argmax(-1))) if ours.dtype.kind == "f" and ours.ndim and ours.shape[-1] > 1 else 0
            mismatches = int(np.sum(diff > limit))
            return {"ok": mismatches == 0 and argmax == 0, "kind": "exact" if exact else "float",
                    "mismatches": mismatches, "argmax_mismatches": argmax, "max_abs_diff": float(diff.max(initial=0))}
        return check, "restated rule (bnncc.verify not importable here)"


# -- timing ---------------------------------------------------------------------------------------
class Timer:
    """Median milliseconds per call of fn over repeats of `iterations` calls, after warm-up: CUDA
    events around the calls on the GPU (both TVM and torch launch on the default stream), wall
    clock after a device sync on the CPU."""

    def __init__(self, torch, sync):
        self.torch, self.sync = torch, sync

    def __call__(self, fn, warmup: int, iterations: int, repeats: int) -> dict:
        started = time.perf_counter()
        for _ in range(warmup):
            fn()
        self.sync()
        if warmup and (time.perf_counter() - started) / warmup > SLOW_CALL_S:   # keep the run short
            iterations, repeats = 1, min(repeats, 3)
        samples = []
        for _ in range(repeats):
            if self.torch is not None:
                start, end = self.torch.cuda.Event(enable_timing=True), self.torch.cuda.Event(enable_timing=True)
                start.record()
                for _ in range(iterations):
                    fn()
                end.record()
                end.synchronize()
                samples.append(start.elapsed_time(end) / iterations)
            else:
                started = time.perf_counter()
                for _ in range(iterations):
                    fn()
                self.sync()
                samples.append((time.perf_counter() - started) * 1e3 / iterations)
        return {"median_ms": statistics.median(samples), "min_ms": min(samples), "samples_ms": samples,
                "iterations": iterations, "repeats": repeats}


# -- 1. exactness ---------------------------------------------------------------------------------
def check_models(bundle, data, runner, device, check, out: Path, deadline: float) -> list[dict]:
    results = []
    (out / "outputs").mkdir(parents=True, exist_ok=True)
    for entry in data["models"]:
        if time.time() > deadline:
            results.append({"model": entry["key"], "skipped": "time budget"})
            continue
        try:
            model = runner.Runner(str(bundle / entry["library"]), device)
            for batch, files in entry["data"].items():
                inputs = list(np.load(bundle / files["inputs"]).values())
                expected = list(np.load(bundle / files["references"]).values())
                ours = model.run(*inputs)
                np.savez(out / "outputs" / f"{entry['key']}_{batch}.npz", *ours)
                checks = [check(name, a, b) for name, a, b in zip(entry["outputs"], ours, expected)]
                results.append({"model": entry["key"], "schedules": entry["schedules"], "batch": int(batch),
                                "ok": all(c["ok"] for c in checks), "outputs": checks})
        except Exception as error:                     # one broken model must not hide the others
            results.append({"model": entry["key"], "ok": False, "error": f"{type(error).__name__}: {error}",
                            "traceback": traceback.format_exc()})
        status = "ok" if all(r.get("ok") for r in results if r["model"] == entry["key"]) else "MISMATCH/ERROR"
        print(f"  {entry['key']:<44} {status}", flush=True)
    return results


def batch_invariance(bundle, entry, runner, device, big_batch: int) -> dict:
    """The first samples of a big batch give bit-identical outputs to the same samples alone."""
    model = runner.Runner(str(bundle / entry["library"]), device)
    files = entry["data"][max(entry["data"], key=int)]
    small = list(np.load(bundle / files["inputs"]).values())
    n = small[0].shape[0]
    rng = np.random.default_rng(5)
    big = [np.concatenate([x, rng.standard_normal((big_batch - n,) + x.shape[1:]).astype(np.float32)]) for x in small]
    alone, together = model.run(*small), model.run(*big)
    return {"model": entry["key"], "batch": big_batch, "samples": n,
            "identical": all(np.array_equal(a, b[:n]) for a, b in zip(alone, together))}


# -- 2. speed -------------------------------------------------------------------------------------
def bench_tvm(bundle, data, runner, device, timer, batches, counts) -> list[dict]:
    results = []
    shape = tuple(data["bench"]["input_shape"])
    for schedules, key in data["bench"]["variants"].items():
        entry = next(e for e in data["models"] if e["key"] == key)
        model = guarded(runner.Runner, str(bundle / entry["library"]), device)
        for batch in batches:
            try:
                x = model.to_device(np.random.default_rng(batch).standard_normal((batch,) + shape).astype(np.float32))
                timing = timer(lambda: model.run_device(x), *counts[batch])
                results.append({"engine": f"tvm-{device} ({schedules} schedules)", "batch": batch, **timing,
                                "images_per_s": batch / timing["median_ms"] * 1e3})
            except Exception as error:
                results.append({"engine": f"tvm-{device} ({schedules} schedules)", "batch": batch,
                                "error": f"{type(error).__name__}: {error}"})
            print(f"  tvm {schedules:<7} batch {batch:>3}: {results[-1].get('median_ms', float('nan')):9.3f} ms",
                  flush=True)
    return results


# -- 2b. per-kernel profile -----------------------------------------------------------------------
POPC64_ROOFLINE = 2.07e14      # binary MAC/s of roofline.cu's popc64 loop on the H200 (first run)


def kernel_work(name: str, shapes: list) -> tuple[str, int | None]:
    """(kind, multiply-accumulates) of one kernel call from its argument shapes (inputs, then
    outputs: Relax's destination-passing calls). Binary convs count the bit MACs the kernel does,
    N * OH*OW * M * KH*KW * 64*words, padded taps included; float convs and matmuls their MACs."""
    dims = [shape for shape, _ in shapes]
    if "binary_conv" in name and len(dims) >= 3:
        (n, _, _, words), (kh, kw, _, m) = dims[0], dims[1]
        last, dtype = shapes[-1]
        pixels = last[1] * last[2] if dtype == "uint64" else (last[2] * last[3] if len(last) == 4 else 1)
        return "binary conv", n * pixels * m * kh * kw * 64 * words
    if ("conv2d" in name or "float_conv" in name) and len(dims) >= 3 and len(dims[0]) == len(dims[1]) == 4:
        x, w, y = dims[0], dims[1], dims[-1]
        return "float conv", y[0] * y[1] * y[2] * y[3] * w[1] * w[2] * w[3]
    if "matmul" in name and len(dims) >= 3 and len(dims[0]) == 2 and len(dims[1]) == 2:
        return "float matmul", dims[0][0] * dims[0][1] * dims[1][1]
    return "other", None


def profile_tvm(library: str, runner, device: str, x: np.ndarray, elapsed_ms, repeats: int = 3) -> dict:
    """Every kernel call of one run of the Relax VM at this batch, timed on its own: the VM's
    instrument hook (the runtime-only library has no profiler) runs each call once to warm up,
    then `repeats` times between two device timestamps (elapsed_ms), before the VM's own call.
    The sum of the kernels against the whole run is the VM's overhead (launches, allocation)."""
    model = runner.Runner(library, device)
    x = model.to_device(x)
    calls = []

    def instrument(func, symbol, before_run, _result, *args):
        symbol = str(symbol)
        tensors = [a for a in args if hasattr(a, "shape") and hasattr(a, "dtype")]
        if not before_run or symbol.startswith("vm.") or not tensors:
            return 0
        func(*args)
        shapes = [([int(d) for d in a.shape], str(a.dtype)) for a in tensors]
        ms = elapsed_ms(lambda: func(*args), repeats)
        kind, macs = kernel_work(symbol, shapes)
        calls.append({"index": len(calls), "kernel": symbol, "kind": kind, "ms": ms, "macs": macs,
                      "macs_per_s": macs / ms * 1e3 if macs else None,
                      "shapes": [f"{'x'.join(map(str, shape))}:{dtype}" for shape, dtype in shapes]})
        return 0

    model.vm.set_instrument(instrument)
    model.run_device(x)
    model.sync()
    total = sum(c["ms"] for c in calls)
    by_kind = {}
    for call in calls:
        by_kind[call["kind"]] = by_kind.get(call["kind"], 0.0) + call["ms"]
        call["share"] = call["ms"] / total if total else None
        if call["kind"] == "binary conv":
            call["of_popc64_roofline"] = call["macs_per_s"] / POPC64_ROOFLINE
    binary = [c for c in calls if c["kind"] == "binary conv"]
    summary = {"kernels_ms": total, "by_kind_ms": by_kind, "calls": len(calls)}
    if binary:
        macs, ms = sum(c["macs"] for c in binary), sum(c["ms"] for c in binary)
        summary["binary_conv_of_popc64_roofline"] = macs / ms * 1e3 / POPC64_ROOFLINE
    return {"batch": int(x.shape[0]), "summary": summary, "calls": calls}


def event_timer(torch, sync):
    """elapsed_ms(fn, repeats): median milliseconds of one call of fn over `repeats` single calls,
    each between CUDA events (torch), or the device's sync and the wall clock (CPU, no torch)."""
    def elapsed_ms(fn, repeats):
        samples = []
        for _ in range(repeats):
            if torch is not None:
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                fn()
                end.record()
                end.synchronize()
                samples.append(start.elapsed_time(end))
            else:
                sync()
                started = time.perf_counter()
                fn()
                sync()
                samples.append((time.perf_counter() - started) * 1e3)
        return statistics.median(samples)
    return elapsed_ms


def profile_table(profile: dict) -> str:
    lines = [f"per-kernel profile at batch {profile['batch']} (each call alone; kernels "
             f"{profile['summary']['kernels_ms']:.3f} ms in all)",
             f"  {'#':>3} {'kernel':<34} {'ms':>9} {'share':>6} {'GMAC/s':>10} {'popc64':>7}  shapes"]
    for call in profile["calls"]:
        rate = f"{call['macs_per_s'] / 1e9:10.0f}" if call["macs_per_s"] else f"{'':>10}"
        roof = f"{call['of_popc64_roofline']:7.0%}" if "of_popc64_roofline" in call else f"{'':>7}"
        lines.append(f"  {call['index']:>3} {call['kernel'][:34]:<34} {call['ms']:9.4f} {call['share']:6.1%} {rate} {roof}  "
                     + " ".join(call["shapes"][:3]))
    kinds = ", ".join(f"{kind} {ms:.3f} ms" for kind, ms in profile["summary"]["by_kind_ms"].items())
    lines.append(f"  by kind: {kinds}")
    if "binary_conv_of_popc64_roofline" in profile["summary"]:
        lines.append(f"  binary convs at {profile['summary']['binary_conv_of_popc64_roofline']:.0%} of the popc64 loop")
    return "\n".join(lines)


def torch_float_model(torch, onnx_model, dtype, device):
    """The float network of an ONNX graph as a torch callable, for the ops Bi-Real-18 uses."""
    import torch.nn.functional as F
    from onnx import numpy_helper

    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()).to(device) for t in onnx_model.graph.initializer}
    for name, value in weights.items():
        if value.dtype.is_floating_point:
            weights[name] = value.to(dtype).contiguous(memory_format=torch.channels_last) if value.dim() == 4 \
                else value.to(dtype)
    nodes = []
    for node in onnx_model.graph.node:
        attributes = {a.name: (list(a.ints) if a.ints else a.i if a.type == 2 else a.f) for a in node.attribute}
        nodes.append((node.op_type, list(node.input), list(node.output), attributes))
    graph_input, graph_output = onnx_model.graph.input[0].name, onnx_model.graph.output[0].name

    def same_pads(pads):
        if pads and (pads[0] != pads[2] or pads[1] != pads[3]):
            raise ValueError(f"asymmetric pads {pads}")
        return (pads[0], pads[1]) if pads else (0, 0)

    def forward(x):
        values = dict(weights)
        values[graph_input] = x
        for op, inputs, outputs, attrs in nodes:
            a = [values[name] for name in inputs if name]
            if op == "Conv":
                y = F.conv2d(a[0], a[1], a[2] if len(a) > 2 else None, stride=tuple(attrs.get("strides", [1, 1])),
                             padding=same_pads(attrs.get("pads")), dilation=tuple(attrs.get("dilations", [1, 1])),
                             groups=attrs.get("group", 1))
            elif op == "BatchNormalization":
                y = F.batch_norm(a[0], a[3], a[4], a[1], a[2], training=False, eps=attrs.get("epsilon", 1e-5))
            elif op == "MaxPool":
                y = F.max_pool2d(a[0], tuple(attrs["kernel_shape"]), tuple(attrs.get("strides", [1, 1])),
                                 same_pads(attrs.get("pads")))
            elif op == "AveragePool":
                y = F.avg_pool2d(a[0], tuple(attrs["kernel_shape"]), tuple(attrs.get("strides", [1, 1])),
                                 same_pads(attrs.get("pads")), count_include_pad=bool(attrs.get("count_include_pad", 0)))
            elif op == "GlobalAveragePool":
                y = F.adaptive_avg_pool2d(a[0], 1)
            elif op == "Sign":
                y = torch.sign(a[0])
            elif op == "Add":
                y = a[0] + a[1]
            elif op == "Flatten":
                y = torch.flatten(a[0], attrs.get("axis", 1))
            elif op == "Gemm":
                if attrs.get("transA", 0) or not attrs.get("transB", 0) or attrs.get("alpha", 1.0) != 1.0 \
                        or attrs.get("beta", 1.0) != 1.0:
                    raise ValueError("only Gemm(transB=1, alpha=beta=1) is converted")
                y = F.linear(a[0], a[1], a[2] if len(a) > 2 else None)
            else:
                raise ValueError(f"op {op} is not converted")
            values[outputs[0]] = y
        return values[graph_output]

    return forward, sum(w.numel() * w.element_size() for w in weights.values() if w.dtype.is_floating_point)


def bench_torch(torch, onnx_model, timer, batches, counts, reference_input, reference_output,
                shape) -> tuple[list, dict]:
    results, sizes = [], {}
    configurations = [("fp32", torch.float32, False), ("tf32", torch.float32, True), ("fp16", torch.float16, True),
                      ("bf16", torch.bfloat16, True)]
    torch.backends.cudnn.benchmark = True
    for name, dtype, tf32 in configurations:
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        try:
            forward, sizes[name] = torch_float_model(torch, onnx_model, dtype, "cuda")
        except Exception as error:
            results.append({"engine": f"torch {name}", "error": f"{type(error).__name__}: {error}"})
            continue
        with torch.inference_mode():
            ref = torch.from_numpy(reference_input).cuda().to(dtype).contiguous(memory_format=torch.channels_last)
            agreement = float((forward(ref).float().cpu().numpy() - reference_output).__abs__().max())
            for batch in batches:
                x = torch.randn((batch,) + shape, device="cuda").to(dtype).contiguous(memory_format=torch.channels_last)
                for mode in ("eager", "cuda graph"):
                    engine = f"torch {name} ({mode})"
                    try:
                        if mode == "eager":
                            fn = lambda: forward(x)  # noqa: E731
                        else:
                            fn = _graphed(torch, forward, x)
                        timing = timer(fn, *counts[batch])
                        results.append({"engine": engine, "batch": batch, **timing,
                                        "images_per_s": batch / timing["median_ms"] * 1e3,
                                        "max_abs_diff_vs_onnxruntime_batch1": agreement})
                    except Exception as error:
                        results.append({"engine": engine, "batch": batch, "error": f"{type(error).__name__}: {error}"})
                    print(f"  {engine:<26} batch {batch:>3}: {results[-1].get('median_ms', float('nan')):9.3f} ms",
                          flush=True)
        torch.cuda.empty_cache()
    return results, sizes


def _graphed(torch, forward, x):
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            forward(x)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        forward(x)
    return graph.replay


# -- 3. memory and roofline -----------------------------------------------------------------------
def tvm_memory(torch, bundle, entry, runner, shape) -> dict:
    """Device memory taken by loading and running the TVM library once (weights, code, pools)."""
    torch.cuda.synchronize()
    free_before = torch.cuda.mem_get_info()[0]
    model = runner.Runner(str(bundle / entry["library"]), "cuda")
    model.run(np.zeros((1,) + shape, np.float32))
    model.sync()
    return {"measured_device_bytes_after_load_and_one_batch1_run": int(free_before - torch.cuda.mem_get_info()[0])}


def roofline(bundle, cubin: str | None, timer) -> dict:
    """Throughput of the loops of roofline.cu (cupy loads the cubin built at prepare time), and of
    torch's big GEMMs as the practical tensor-core and FMA peaks."""
    out = {}
    try:
        import cupy

        module = cupy.RawModule(path=str(bundle / cubin))
        sms = cupy.cuda.Device().attributes["MultiProcessorCount"]
        grid, block, rounds = sms * 16, 256, 4096
        seed = cupy.asarray(np.random.default_rng(0).integers(1, 2 ** 31, 64), dtype=cupy.uint64)
        sink = cupy.zeros(grid * block, dtype=cupy.float32)
        warps = grid * block // 32
        per_call = {"popc32_loop": grid * block * rounds * 8 * 32, "popc64_loop": grid * block * rounds * 8 * 64,
                    "b1_and_mma_loop": warps * rounds * 4 * 16 * 8 * 256,
                    "b1_xor_mma_loop": warps * rounds * 4 * 16 * 8 * 256,
                    "bf16_mma_loop": warps * rounds * 4 * 16 * 8 * 16}
        for name, macs in per_call.items():
            try:
                kernel = module.get_function(name)
                args = (seed, sink, np.int32(rounds))

                def call():
                    kernel((grid,), (block,), args)
                start, end = cupy.cuda.Event(), cupy.cuda.Event()
                call()
                cupy.cuda.Device().synchronize()
                samples = []
                for _ in range(5):
                    start.record()
                    call()
                    end.record()
                    end.synchronize()
                    samples.append(cupy.cuda.get_elapsed_time(start, end))
                ms = statistics.median(samples)
                out[name] = {"ms": ms, "macs_per_s": macs / ms * 1e3}
            except Exception as error:
                out[name] = {"error": f"{type(error).__name__}: {error}"}
        out["launch"] = {"grid": grid, "block": block, "rounds": rounds, "sms": sms}
    except Exception as error:
        out["cupy"] = f"unavailable: {type(error).__name__}: {error}"
    return out


def torch_gemm_peaks(torch) -> dict:
    peaks = {}
    n = 8192
    for name, dtype, tf32 in (("bf16", torch.bfloat16, True), ("fp16", torch.float16, True),
                              ("tf32", torch.float32, True), ("fp32", torch.float32, False)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        a, b = torch.randn(n, n, device="cuda", dtype=dtype), torch.randn(n, n, device="cuda", dtype=dtype)
        timing = Timer(torch, torch.cuda.synchronize)(lambda: a @ b, 2, 5, 3)
        peaks[name] = {"ms": timing["median_ms"], "macs_per_s": n ** 3 / timing["median_ms"] * 1e3}
        del a, b
    torch.cuda.empty_cache()
    return peaks


def weights_hash(model) -> str:
    """sha256 over an ONNX model's initializers (name, dtype, shape, bytes), in order: the GPU side
    regenerates Bi-Real-18 and checks that its weights are the ones the bundle was built from."""
    import hashlib

    from onnx import numpy_helper

    digest = hashlib.sha256()
    for tensor in model.graph.initializer:
        array = numpy_helper.to_array(tensor)
        digest.update(tensor.name.encode() + str(array.dtype).encode() + str(array.shape).encode() + array.tobytes())
    return digest.hexdigest()


# -- report -----------------------------------------------------------------------------------------
def environment(torch, device) -> dict:
    info = {"python": platform.python_version(), "numpy": np.__version__, "device": device}
    if torch is not None and device == "cuda":
        properties = torch.cuda.get_device_properties(0)
        info.update(gpu=properties.name, sms=properties.multi_processor_count,
                    memory_gib=round(properties.total_memory / 2 ** 30, 1), torch=torch.__version__,
                    cudnn=torch.backends.cudnn.version(), cuda=torch.version.cuda)
        try:
            query = subprocess.run(["nvidia-smi", "--query-gpu=clocks.max.sm,clocks.sm,power.limit,driver_version",
                                    "--format=csv,noheader"], capture_output=True, text=True, timeout=20)
            info["nvidia_smi"] = query.stdout.strip()
        except Exception:
            pass
    return info


def best_exact_tvm(results: dict, variants: dict) -> dict:
    """Per batch, the fastest TVM build of the benchmark model whose outputs were all exact (the
    one to report; a faster build with a mismatch is a bug, not a result)."""
    exact = {name for name, key in variants.items()
             if (rows := [r for r in results["exactness"] if r["model"] == key]) and all(r.get("ok") for r in rows)}
    best = {}
    for row in results["speed"]:
        name = row["engine"].removeprefix("tvm-cuda (").removeprefix("tvm-cpu (").removesuffix(" schedules)")
        if name in exact and "images_per_s" in row and row["images_per_s"] > best.get(row["batch"], {}).get("images_per_s", 0):
            best[row["batch"]] = {"variant": name, "median_ms": row["median_ms"], "images_per_s": row["images_per_s"]}
    return {"exact_variants": sorted(exact), "best_by_batch": best}


def guarded(function, *args) -> dict:
    """function(*args), or what went wrong: one failing part must not stop the check."""
    try:
        return function(*args)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}


def save(out: Path, results: dict, name: str = "gpu_check.json") -> None:
    """gpu_check.json as far as the check got (written after each phase, so a later failure
    keeps what was measured)."""
    (out / name).write_text(json.dumps(results, indent=1, default=str) + "\n")


def table(results: dict) -> str:
    lines = ["", "exactness: " + ", ".join(f"{k}: {v}" for k, v in results["exactness_summary"].items())]
    lines.append(f"{'engine':<36} {'batch':>5} {'ms':>10} {'images/s':>11}")
    for row in results["speed"]:
        if "median_ms" in row:
            lines.append(f"{row['engine']:<36} {row['batch']:>5} {row['median_ms']:>10.3f} {row['images_per_s']:>11.0f}")
        else:
            lines.append(f"{row['engine']:<36} {row.get('batch', ''):>5} {'error: ' + row.get('error', '')[:60]}")
    memory = results.get("memory", {})
    if memory:
        lines.append("weights on the GPU: " + ", ".join(f"{k} {v / 2 ** 20:.2f} MiB" for k, v in memory.items()
                                                      if isinstance(v, (int, float))))
    best = results.get("best_exact_tvm", {})
    for batch, row in best.get("best_by_batch", {}).items():
        lines.append(f"best exact TVM build at batch {batch}: {row['variant']} {row['median_ms']:.3f} ms "
                     f"({row['images_per_s']:.0f} images/s)")
    for profile in results.get("profile", []):
        if "calls" in profile:
            lines.append(f"[{profile['variant']}] " + profile_table(profile))
    for name, row in results.get("roofline", {}).items():
        if isinstance(row, dict) and "macs_per_s" in row:
            lines.append(f"peak {name:<20} {row['macs_per_s']:.3e} MAC/s")
    return "\n".join(lines)


def check_tvm_builds(bundle: Path, data: dict, out: Path, runner, device: str, check, timer, elapsed_ms,
                     variants: dict, dry_run: bool, deadline: float, json_name: str, results: dict) -> dict:
    """Exactness of the bundle's models that belong to `variants` (or to no bench variant) and, per
    bench variant: batch invariance, speed at batch 1 and N, and the per-kernel profile. Saved to
    out/json_name after each phase."""
    bench_keys = set(data["bench"]["variants"].values())
    models = [e for e in data["models"] if e["key"] not in bench_keys or e["key"] in variants.values()]
    print("exactness", flush=True)
    results["exactness"] = check_models(bundle, {**data, "models": models}, runner, device, check, out, deadline)
    big = [e for e in models if e["key"] in variants.values()]
    shape = tuple(data["bench"]["input_shape"])
    results["batch_invariance"] = [guarded(batch_invariance, bundle, e, runner, device, 4 if dry_run else 64)
                                   for e in big]
    save(out, results, json_name)
    print("speed", flush=True)
    results["speed"] = bench_tvm(bundle, {**data, "bench": {**data["bench"], "variants": variants}}, runner, device,
                                 timer, *speed_plan(dry_run))
    save(out, results, json_name)
    print("profile", flush=True)
    results["profile"] = []
    for schedules, key in variants.items():
        entry = next(e for e in data["models"] if e["key"] == key)
        for batch in ([2, 1] if dry_run else [256, 1]):
            if time.time() > deadline:
                results["profile"].append({"variant": schedules, "batch": batch, "skipped": "time budget"})
                continue
            try:
                x = np.random.default_rng(batch).standard_normal((batch,) + shape).astype(np.float32)
                profile = profile_tvm(str(bundle / entry["library"]), runner, device, x, elapsed_ms)
                results["profile"].append({"variant": schedules, **profile})
                print(f"[{schedules}] " + profile_table(profile), flush=True)
            except Exception as error:                 # the profile must not stop the check
                results["profile"].append({"variant": schedules, "batch": batch,
                                           "error": f"{type(error).__name__}: {error}",
                                           "traceback": traceback.format_exc()})
                print(f"  profile of {schedules} at batch {batch} failed: {error}", flush=True)
    save(out, results, json_name)
    return results


def speed_plan(dry_run: bool) -> tuple[list, dict]:
    """Batches, and (warm-up, calls per repeat, repeats) per batch."""
    batches = [1, 2] if dry_run else [1, 64, 256]
    return batches, ({b: (1, 1, 2) for b in batches} if dry_run else {1: (20, 50, 7), 64: (3, 10, 7), 256: (2, 5, 7)})


def run_isolated(name: str, args, out: Path, deadline: float) -> dict:
    """The checks of one bench variant in a process of its own (`--only-variant`): a kernel that
    faults leaves the CUDA context unusable for the rest of its process, so a new build cannot
    take the rest of the check down with it. Returns its results (as far as it got) and status."""
    json_name = f"gpu_check_variant_{name}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--bundle", args.bundle, "--out", str(out), "--target",
               args.target, "--only-variant", name, "--json-name", json_name,
               "--budget", str(max(10.0, deadline - time.time()))] + (["--dry-run"] if args.dry_run else [])
    status = {}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=max(10.0, min(ISOLATED_S, deadline - time.time())))
        status = {"returncode": done.returncode, "output_tail": (done.stdout + done.stderr)[-4000:]}
        print(done.stdout + done.stderr, flush=True)
    except subprocess.TimeoutExpired as error:
        status = {"timeout_s": error.timeout, "output_tail": str(error.stdout or "")[-4000:]}
        print(f"  variant {name}: timed out after {error.timeout:.0f} s", flush=True)
    saved = out / json_name
    child = json.loads(saved.read_text()) if saved.is_file() else {}
    return {**child, "status": status}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", default=str(ROOT / ".gpu"))
    parser.add_argument("--out", default=os.environ.get("OUT", "gpu-check-out"))
    parser.add_argument("--target", choices=("cuda", "llvm"), default="cuda")
    parser.add_argument("--dry-run", action="store_true", help="few iterations, small batches (CPU rehearsal)")
    parser.add_argument("--budget", type=float, default=480.0, help="seconds before later phases are skipped")
    parser.add_argument("--isolate", default=None, help="comma-separated bench variants checked each in a process "
                        "of its own (default: all but bnncc)")
    parser.add_argument("--only-variant", default=None, help=argparse.SUPPRESS)   # the isolated process
    parser.add_argument("--json-name", default="gpu_check.json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    started = time.time()
    deadline = started + args.budget
    bundle, out = Path(args.bundle).resolve(), Path(args.out)
    args.bundle = str(bundle)
    out.mkdir(parents=True, exist_ok=True)
    device = "cuda" if args.target == "cuda" else "cpu"
    data = json.loads((bundle / "bundle.json").read_text())
    tvm, runner, torch = setup_runtime(bundle, device)
    check, rule = comparison_rule()
    if device == "cuda":
        sync = torch.cuda.synchronize if torch is not None else tvm.cuda(0).sync
    else:
        sync = lambda: None  # noqa: E731  (the CPU runs synchronously)
    timer = Timer(torch if device == "cuda" else None, sync)
    elapsed_ms = event_timer(torch if device == "cuda" else None, sync)
    variants = data["bench"]["variants"]
    if args.only_variant:
        check_tvm_builds(bundle, {**data, "models": [e for e in data["models"] if e["key"] == variants[args.only_variant]]},
                         out, runner, device, check, timer, elapsed_ms, {args.only_variant: variants[args.only_variant]},
                         args.dry_run, deadline, args.json_name, {"variant": args.only_variant})
        return 0
    isolated = set(args.isolate.split(",")) if args.isolate is not None else set(variants) - {"bnncc"}
    results = {"environment": environment(torch, device), "bundle": {k: data[k] for k in ("target", "arch", "tvm_version",
                                                                                            "created")},
               "comparison_rule": rule, "tvm_runtime_only": bool(tvm._RUNTIME_ONLY)}
    check_tvm_builds(bundle, data, out, runner, device, check, timer, elapsed_ms,
                     {k: v for k, v in variants.items() if k not in isolated}, args.dry_run, deadline,
                     args.json_name, results)
    results["isolated"] = {}
    for name in [v for v in variants if v in isolated]:      # in the bundle's order: mma before dlight
        if time.time() > deadline:
            results["isolated"][name] = {"skipped": "time budget"}
            continue
        print(f"variant {name} (own process)", flush=True)
        child = run_isolated(name, args, out, deadline)
        results["isolated"][name] = child.get("status", {})
        for part in ("exactness", "batch_invariance", "speed", "profile"):
            results[part] += child.get(part, [])
        if "exactness" not in child:
            results["exactness"].append({"model": variants[name], "ok": False, "error": "its process recorded nothing"})
    ran = [r for r in results["exactness"] if "skipped" not in r]
    results["exactness_summary"] = {"checked": len(ran), "exact": sum(bool(r.get("ok")) for r in ran),
                                    "failed": sorted({r["model"] for r in ran if not r.get("ok")})}
    results["best_exact_tvm"] = guarded(best_exact_tvm, results, variants)
    save(out, results)
    big = [e for e in data["models"] if e["key"] in variants.values()]
    shape = tuple(data["bench"]["input_shape"])
    batches, counts = speed_plan(args.dry_run)
    import onnx                                                  # noqa: F401  (bireal.py builds with it)
    sys.path.insert(0, str(ROOT / "examples" / "bireal"))
    import bireal

    onnx_model = getattr(bireal, data["bench"]["generator"])()
    results["bench_model"] = data["bench"]["model"]
    results["bench_weights_match_build"] = weights_hash(onnx_model) == data["bench"]["weights_sha256"]
    memory = dict(data["models"][[e["key"] for e in data["models"]].index(big[0]["key"])]["weight_bytes"])
    memory = {"tvm_packed_binary_weights": memory["packed_binary"], "tvm_other_constants": memory["other"]}
    if torch is not None and device == "cuda" and time.time() < deadline:
        files = big[0]["data"]["1"]
        reference_input = list(np.load(bundle / files["inputs"]).values())[0]
        reference_output = list(np.load(bundle / files["references"]).values())[0]
        torch_rows, sizes = bench_torch(torch, onnx_model, timer, batches, counts, reference_input, reference_output,
                                        shape)
        results["speed"] += torch_rows
        memory.update({f"torch_{name}_weights": size for name, size in sizes.items()})
        memory.update(guarded(tvm_memory, torch, bundle, big[0], runner, shape))
    results["memory"] = memory
    if device == "cuda" and data.get("roofline") and time.time() < deadline:
        print("roofline", flush=True)
        results["roofline"] = roofline(bundle, data["roofline"], timer)
        if torch is not None:
            results["roofline"]["torch_gemm_8192"] = torch_gemm_peaks(torch)
    results["seconds"] = round(time.time() - started, 1)
    save(out, results)
    print(table(results))
    print(f"\nfull results: {out / 'gpu_check.json'} ({results['seconds']} s)")
    return 0 if not results["exactness_summary"]["failed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
