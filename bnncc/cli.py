"""The `bnncc` command line."""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import traceback
import zipfile
import zlib
from pathlib import Path

import numpy as np

from . import __version__
from .errors import BnnccError
from .report import NO_BINARY_LAYER

EXIT_OK, EXIT_MISMATCH, EXIT_BAD_INPUT = 0, 1, 2

DESCRIPTION = """\
bnncc compiles a trained binary neural network (ONNX, QONNX or FINN-ONNX) into self-contained,
bit-packed C with XOR-popcount kernels, and checks that it reproduces the original model exactly.

examples:
  bnncc compile model.onnx -t native -o build/model    write the C artifact folder
  bnncc run build/model --input x.npy --output y.npz   run a compiled artifact
  bnncc verify model.onnx --input x.npy --samples 16   compare with onnxruntime / qonnx
  bnncc inspect model.onnx                             what runs binary, MACs, sizes
  bnncc bench model.onnx --threads 1 --chart l.svg     speed vs onnxruntime, per layer
  bnncc targets                                        list the targets
"""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    verbose = getattr(args, "verbose", False)
    args.progress = Progress.for_command(verbose, getattr(args, "quiet", False))
    _route_warnings(verbose)
    try:
        return args.handler(args)
    except BnnccError as exc:
        args.progress.clear()
        if args.debug:
            traceback.print_exc()
        if getattr(exc, "detail", None) and (args.debug or verbose):
            print(exc.detail.rstrip(), file=sys.stderr)
        print(f"bnncc: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    finally:
        args.progress.clear()


class Progress:
    """A command's progress: nowhere (in scripts, where stderr is not a terminal, and with -q), one
    line per step on stderr (-v), or a status line on a terminal that each step overwrites and
    that is cleared before the command prints its result or an error."""

    def __init__(self, mode: str):
        self.mode = mode                   # "off", "lines" or "status"
        self.start = time.perf_counter()
        self.showing = False

    @classmethod
    def for_command(cls, verbose: bool, quiet: bool) -> Progress:
        if verbose:
            return cls("lines")
        return cls("status" if not quiet and sys.stderr.isatty() else "off")

    def __call__(self, step: str) -> None:
        line = f"[{time.perf_counter() - self.start:6.2f}s] {step}"
        if self.mode == "lines":
            print(line, file=sys.stderr)
        elif self.mode == "status":
            sys.stderr.write(f"\r\x1b[K{line}")
            sys.stderr.flush()
            self.showing = True

    def clear(self) -> None:
        """Erase the status line (a no-op unless one is shown)."""
        if self.showing:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.showing = False


class _WarningHandler(logging.StreamHandler):
    """bnncc's handler on the root logger; each main() replaces the previous one."""


def _route_warnings(verbose: bool) -> None:
    """Python warnings (numpy, onnx_ir, ...) and library log records go through `logging` to one
    handler that prints them on stderr with -v and drops them otherwise (its presence also keeps
    logging's last-resort handler quiet), so that an error stays one line."""
    logging.captureWarnings(True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _WarningHandler)]:
        root.removeHandler(old)
    handler = _WarningHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("bnncc: %(levelname)s: %(name)s: %(message)s"))
    handler.setLevel(logging.WARNING if verbose else logging.CRITICAL + 1)
    root.addHandler(handler)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bnncc", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"bnncc {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    compile_cmd = commands.add_parser("compile", help="compile an ONNX model to a C artifact folder",
                                      description="Compile MODEL into a folder of self-contained C: <name>.h, "
                                                  "<name>.c, the kernels it uses, Makefile, CMakeLists.txt, main.c.")
    compile_cmd.add_argument("model", help="the .onnx file")
    _target_option(compile_cmd)
    compile_cmd.add_argument("-o", "--output",
                             help="artifact folder (default: build/<name>). It must not exist, be empty, or hold an "
                                  "artifact (bnncc.json); it is replaced in one atomic step when the compile succeeds")
    compile_cmd.add_argument("--force", action="store_true",
                             help="replace the output folder even if it holds other files (never the current "
                                  "folder, or one holding the model or the --dump-ir folder)")
    compile_cmd.add_argument("--name", help="C prefix of the API (default: the model file's name)")
    compile_cmd.add_argument("--dump-ir", metavar="DIR", help="save every pipeline stage as .onnx in DIR")
    compile_cmd.add_argument("--threads", type=int, default=1, metavar="N",
                             help="threads the artifact uses per call (POSIX threads; default 1)")
    _verbosity_options(compile_cmd, quiet="print nothing but errors")
    compile_cmd.set_defaults(handler=cmd_compile)

    run_cmd = commands.add_parser("run", help="run a compiled artifact folder on .npy/.npz inputs",
                                  description="Build the artifact in DIR and run it on the given inputs.")
    run_cmd.add_argument("dir", help="a folder written by `bnncc compile`")
    run_cmd.add_argument("--input", required=True, help=".npy (one input) or .npz (by input name or input0..)")
    run_cmd.add_argument("--output", help="write the outputs to this .npz (default: print a summary)")
    _verbosity_options(run_cmd, quiet="print nothing but errors (the outputs go only to --output)")
    run_cmd.set_defaults(handler=cmd_run)

    verify_cmd = commands.add_parser("verify", help="compile, run, and compare with the reference runtime",
                                     description="Compile MODEL, run it and its reference runtime (onnxruntime, "
                                                 "or qonnx for QONNX/FINN models) on the given and on random inputs, "
                                                 "and compare every output. Exit status 1 on any mismatch.")
    verify_cmd.add_argument("model", help="the .onnx file")
    _target_option(verify_cmd)
    verify_cmd.add_argument("--input", help=".npy or .npz inputs to check (batch first)")
    verify_cmd.add_argument("--samples", type=int, default=8, help="random samples to check as well (default 8)")
    verify_cmd.add_argument("--seed", type=int, default=0,
                            help="seed of the random inputs (drawn from the inputs' QONNX datatype annotations where "
                                 "the model has them, e.g. UINT8 -> integers 0..255; standard normal otherwise)")
    _verbosity_options(verify_cmd, quiet="print nothing when every output matches; on a mismatch only the "
                                         "mismatching rows")
    verify_cmd.set_defaults(handler=cmd_verify)

    inspect_cmd = commands.add_parser("inspect", help="print the conversion report of a model",
                                      description="Show, for every layer, whether it runs binary or float and why, "
                                                  "MAC counts, weight bytes before and after packing, arena bytes.")
    inspect_cmd.add_argument("model", help="the .onnx file")
    _target_option(inspect_cmd, default="generic-c")
    inspect_cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    _verbosity_options(inspect_cmd, quiet="print the report only (no progress)")
    inspect_cmd.set_defaults(handler=cmd_inspect)

    bench_cmd = commands.add_parser("bench", help="time bnncc against onnxruntime, per layer, vs the popcount peak",
                                    description="Compile MODEL, then in one process measure the median latency of "
                                                "bnncc and of onnxruntime on it (same thread count), per-layer time and "
                                                "share, binary MAC/s per binary layer as a fraction of this CPU's "
                                                "measured XOR-popcount peak, and sizes against the float model. "
                                                "With --threads N > 1 it also times bnncc built for one thread, as "
                                                "the OS runs it and pinned to each CPU in turn (up to 8), and reports "
                                                "the N-thread speed-up and the share bnncc reaches of the best time "
                                                "those cores' measured speeds allow.")
    bench_cmd.add_argument("model", help="the .onnx file")
    _target_option(bench_cmd)
    bench_cmd.add_argument("--threads", type=int, default=1, metavar="N",
                           help="threads for both (default 1); N > 1 also times bnncc on one thread")
    bench_cmd.add_argument("--runs", type=int, default=50, metavar="R", help="timed runs of each (default 50)")
    bench_cmd.add_argument("--interleave", action="store_true",
                           help="time bnncc and onnxruntime one run each in turn, every run right after the other's "
                                "(caches cold from the other model), instead of in alternating blocks of runs "
                                "(each in its steady state, as a model runs frame after frame)")
    bench_cmd.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    bench_cmd.add_argument("--chart", metavar="FILE.svg", help="also write a per-layer bar chart (SVG)")
    _verbosity_options(bench_cmd, quiet="print the results only (no progress)")
    bench_cmd.set_defaults(handler=cmd_bench)

    targets_cmd = commands.add_parser("targets", help="list the compilation targets")
    targets_cmd.set_defaults(handler=cmd_targets)
    for sub in (compile_cmd, run_cmd, verify_cmd, inspect_cmd, bench_cmd, targets_cmd):
        # SUPPRESS: without it the sub-command's default (False) would override `bnncc --debug COMMAND`.
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show Python tracebacks on errors")
    return parser


def _verbosity_options(parser, quiet: str) -> None:
    """-q and -v, the same on every command that works for a while."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", help=quiet)
    group.add_argument("-v", "--verbose", action="store_true",
                       help="print progress lines, Python warnings and the C compiler's output on failure (stderr); "
                            "without -v, progress shows only as a status line on a terminal")


def _target_option(parser, default: str = "native") -> None:
    from .targets import TARGET_NAMES

    parser.add_argument("-t", "--target", default=default, choices=TARGET_NAMES,
                        help=f"what to generate code for (default: {default}; see `bnncc targets`)")


def cmd_compile(args) -> int:
    from .compiler import c_identifier, compile

    name = c_identifier(args.name or Path(args.model).stem)
    output = args.output or str(Path("build") / name)
    model = compile(args.model, target=args.target, output_dir=output, name=name, dump_ir=args.dump_ir,
                    threads=args.threads, progress=args.progress, force=args.force)
    args.progress.clear()
    if not args.quiet:
        print(model.report)
        print(f"\nwrote {model.output_dir}  ({model.backend.usage(output)})")
    return EXIT_OK


LOAD_ERRORS = (OSError, ValueError, EOFError, MemoryError, zipfile.BadZipFile, zlib.error)


def load_inputs(path: str, specs) -> list[np.ndarray]:
    """The model's inputs from an .npy (one input) or .npz file, as float32; numbers only."""
    try:
        data = np.load(path, allow_pickle=False)
        if isinstance(data, np.ndarray):
            if len(specs) != 1:
                raise BnnccError(f"the model has {len(specs)} inputs: give an .npz with one array per input")
            arrays = [("the array", data)]
        else:
            with data:
                keys = [spec.name if spec.name in data.files else f"input{i}" for i, spec in enumerate(specs)]
                missing = [f"{spec.name!r} or 'input{i}'" for i, (spec, key) in enumerate(zip(specs, keys))
                           if key not in data.files]
                if missing:
                    raise BnnccError(f"{path!r} has no array named {missing[0]}")
                arrays = [(f"array {key!r}", data[key]) for key in keys]
    except LOAD_ERRORS as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise BnnccError(f"cannot read inputs from {path!r}: {type(exc).__name__}: {reason}") from None
    for label, array in arrays:
        if array.dtype.kind not in "biuf":
            raise BnnccError(f"{label} in {path!r} holds {array.dtype} values: inputs must be numbers")
    return [array.astype(np.float32) for _, array in arrays]


def _writable_file(path: str, option: str) -> Path:
    """`path` for a file to write later; its folder must exist (checked before the long work)."""
    folder = Path(path).absolute().parent
    if not folder.is_dir():
        raise BnnccError(f"{option} {path!r}: the folder {str(folder)!r} does not exist")
    if Path(path).is_dir():
        raise BnnccError(f"{option} {path!r} is a folder")
    return Path(path)


def _write(path: Path, write) -> None:
    """Call write(path), turning a failure (disk full, no permission) into a clean error."""
    try:
        write(path)
    except OSError as exc:
        raise BnnccError(f"cannot write {str(path)!r}: {exc.strerror}") from None


def cmd_run(args) -> int:
    from .artifact_loader import load_artifact

    output = _writable_file(args.output, "--output") if args.output else None
    args.progress("build")
    model = load_artifact(args.dir)
    inputs = load_inputs(args.input, model.inputs)
    args.progress("run")
    outputs = model.run(*inputs)
    args.progress.clear()
    if output:
        arrays = {f"output{i}": o for i, o in enumerate(outputs)}
        arrays.update({s.name: o for s, o in zip(model.outputs, outputs) if s.name.isidentifier()})
        _write(output, lambda path: np.savez(path, **arrays))
        if not args.quiet:
            print(f"wrote {output}")
    for i, result in enumerate([] if args.quiet else outputs):
        summary = np.array2string(result if result.size <= 64 else result.reshape(-1)[:64], precision=6)
        print(f"output{i} {result.dtype} {list(result.shape)}:\n{summary}")
    return EXIT_OK


def cmd_verify(args) -> int:
    from .compiler import compile
    from .verify import compare, random_inputs

    _require_runs_here(args.target)
    model = compile(args.model, target=args.target, progress=args.progress)
    batches = []
    if args.input:
        batches.append(("given", load_inputs(args.input, model.inputs)))
    if args.samples > 0:
        batches.append((f"random x{args.samples}", random_inputs(model, args.samples, args.seed)))
    rows = []
    for label, inputs in batches:
        args.progress(f"run and compare: {label}")
        rows += [(label, check) for check in compare(model, inputs)]
    args.progress.clear()
    failed = any(not check.ok for _, check in rows)
    if args.quiet and not failed:
        return EXIT_OK
    if not args.quiet:
        for note in model.report.notes:
            print(f"note: {note}")
    print(f"{'inputs':<14} {'output':<8} {'rule':<6} {'max |diff|':>12} {'mismatches':>12} {'argmax diff':>12}")
    for label, check in rows:
        if check.ok and args.quiet:
            continue
        print(f"{label:<14} {'output' + str(check.index):<8} {check.kind:<6} {check.max_abs_diff:>12.4g} "
              f"{check.mismatches:>5}/{check.elements:<6} {check.argmax_mismatches:>12}")
    print("MISMATCH" if failed else "OK: bit-exact on exact outputs, float outputs within 1e-5 relative")
    return EXIT_MISMATCH if failed else EXIT_OK


def _require_runs_here(name: str) -> None:
    """verify and bench run what they compile: refuse at once a target this machine cannot run."""
    from .targets import get_target

    target = get_target(name)
    why_not = target.unavailable_here()
    if why_not:
        raise BnnccError(f"target {target.name} cannot run on this machine: {why_not}")


def cmd_inspect(args) -> int:
    from .compiler import conversion_report

    args.progress("convert")
    report = conversion_report(args.model, target=args.target)
    args.progress.clear()
    print(json.dumps(report.to_dict(), indent=2) if args.json else report)
    if not report.has_binary_layer and not args.quiet:
        print(f"bnncc: warning: {NO_BINARY_LAYER}", file=sys.stderr)
    return EXIT_OK


def cmd_bench(args) -> int:
    from .bench import bench, bench_tvm, format_result, format_tvm_result, svg_chart
    from .targets import get_target

    if args.runs < 1 or args.threads < 1:
        raise BnnccError("--runs and --threads must be at least 1")
    json_file = _writable_file(args.json, "--json") if args.json else None
    chart_file = _writable_file(args.chart, "--chart") if args.chart else None
    _require_runs_here(args.target)
    if get_target(args.target).emulated:
        from .instruction_count import count_instructions, format_count_result

        if args.threads != 1 or args.chart or args.interleave:
            raise BnnccError(f"{args.target} code is emulated here: bench counts its instructions on one thread "
                             "(--threads, --chart and --interleave need a native run)")
        result = count_instructions(args.model, target=args.target, progress=args.progress)
        args.progress.clear()
        print(format_count_result(result))
    elif get_target(args.target).backend == "tvm":
        if args.threads != 1 or args.chart or args.interleave:
            raise BnnccError("--threads, --chart and --interleave apply to C targets only")
        result = bench_tvm(args.model, target=args.target, runs=args.runs, progress=args.progress)
        args.progress.clear()
        print(format_tvm_result(result))
    else:
        result = bench(args.model, target=args.target, threads=args.threads, runs=args.runs,
                       interleave=args.interleave, progress=args.progress)
        args.progress.clear()
        print(format_result(result))
    if json_file:
        _write(json_file, lambda path: path.write_text(json.dumps(result.to_dict(), indent=2) + "\n"))
        print(f"wrote {json_file}")
    if chart_file:
        _write(chart_file, lambda path: path.write_text(svg_chart(result)))
        print(f"wrote {chart_file}")
    return EXIT_OK


def cmd_targets(args) -> int:
    from .targets import TARGET_NAMES, get_target

    for name in TARGET_NAMES:
        target = get_target(name)
        why_not = target.unavailable_here()
        print(f"{name:<12} {target.description}" + (f"   (cannot run here: {why_not})" if why_not else ""))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
