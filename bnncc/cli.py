"""The `bnncc` command line."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

from . import __version__
from .errors import BnnccError

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
    try:
        return args.handler(args)
    except BnnccError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"bnncc: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


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
    compile_cmd.add_argument("-o", "--output", help="artifact folder (default: build/<name>); replaced atomically")
    compile_cmd.add_argument("--name", help="C prefix of the API (default: the model file's name)")
    compile_cmd.add_argument("--dump-ir", metavar="DIR", help="save every pipeline stage as .onnx in DIR")
    compile_cmd.add_argument("--threads", type=int, default=1, metavar="N",
                             help="threads the artifact uses per call (POSIX threads; default 1)")
    compile_cmd.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    compile_cmd.set_defaults(handler=cmd_compile)

    run_cmd = commands.add_parser("run", help="run a compiled artifact folder on .npy/.npz inputs",
                                  description="Build the artifact in DIR and run it on the given inputs.")
    run_cmd.add_argument("dir", help="a folder written by `bnncc compile`")
    run_cmd.add_argument("--input", required=True, help=".npy (one input) or .npz (by input name or input0..)")
    run_cmd.add_argument("--output", help="write the outputs to this .npz (default: print a summary)")
    run_cmd.set_defaults(handler=cmd_run)

    verify_cmd = commands.add_parser("verify", help="compile, run, and compare with the reference runtime",
                                     description="Compile MODEL, run it and its reference runtime (onnxruntime, "
                                                 "or qonnx for QONNX/FINN models) on the given and on random inputs, "
                                                 "and compare every output. Exit status 1 on any mismatch.")
    verify_cmd.add_argument("model", help="the .onnx file")
    _target_option(verify_cmd)
    verify_cmd.add_argument("--input", help=".npy or .npz inputs to check (batch first)")
    verify_cmd.add_argument("--samples", type=int, default=8, help="random samples to check as well (default 8)")
    verify_cmd.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    verify_cmd.set_defaults(handler=cmd_verify)

    inspect_cmd = commands.add_parser("inspect", help="print the conversion report of a model",
                                      description="Show, for every layer, whether it runs binary or float and why, "
                                                  "MAC counts, weight bytes before and after packing, arena bytes.")
    inspect_cmd.add_argument("model", help="the .onnx file")
    _target_option(inspect_cmd, default="generic-c")
    inspect_cmd.add_argument("--json", action="store_true", help="print the report as JSON")
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
    bench_cmd.set_defaults(handler=cmd_bench)

    targets_cmd = commands.add_parser("targets", help="list the compilation targets")
    targets_cmd.set_defaults(handler=cmd_targets)
    for sub in (compile_cmd, run_cmd, verify_cmd, inspect_cmd, bench_cmd, targets_cmd):
        # SUPPRESS: without it the sub-command's default (False) would override `bnncc --debug COMMAND`.
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show Python tracebacks on errors")
    return parser


def _target_option(parser, default: str = "native") -> None:
    from .targets import TARGET_NAMES

    parser.add_argument("-t", "--target", default=default, choices=TARGET_NAMES,
                        help=f"what to generate code for (default: {default}; see `bnncc targets`)")


def _progress(quiet: bool):
    start = time.perf_counter()

    def say(step: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - start:6.2f}s] {step}", file=sys.stderr)
    return say


def cmd_compile(args) -> int:
    from .compiler import c_identifier, compile

    name = c_identifier(args.name or Path(args.model).stem)
    output = args.output or str(Path("build") / name)
    model = compile(args.model, target=args.target, output_dir=output, name=name, dump_ir=args.dump_ir,
                    threads=args.threads, progress=_progress(args.quiet))
    write_manifest(model)
    if not args.quiet:
        print(model.report)
        print(f"\nwrote {model.output_dir}  (build it with `make -C {output}`)")
    return EXIT_OK


def write_manifest(model) -> None:
    """bnncc.json lets `bnncc run` rebuild and call the artifact; it is not part of the C build."""
    manifest = {
        "bnncc": __version__, "name": model.name, "target": model.target.name,
        "inputs": [{"name": s.name, "shape": list(s.shape), "dtype": s.dtype.name, "batched": s.batched}
                   for s in model.inputs],
        "outputs": [{"name": s.name, "shape": list(s.shape), "dtype": s.dtype.name, "batched": s.batched}
                    for s in model.outputs],
    }
    (model.output_dir / "bnncc.json").write_text(json.dumps(manifest, indent=2) + "\n")


def load_inputs(path: str, specs) -> list[np.ndarray]:
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise BnnccError(f"cannot read inputs from {path!r}: {exc}") from None
    if isinstance(data, np.ndarray):
        if len(specs) != 1:
            raise BnnccError(f"the model has {len(specs)} inputs: give an .npz with one array per input")
        return [data.astype(np.float32)]
    arrays = []
    for i, spec in enumerate(specs):
        key = spec.name if spec.name in data.files else f"input{i}"
        if key not in data.files:
            raise BnnccError(f"{path!r} has no array named {spec.name!r} or 'input{i}'")
        arrays.append(data[key].astype(np.float32))
    return arrays


def cmd_run(args) -> int:
    from .artifact_loader import load_artifact

    model = load_artifact(args.dir)
    outputs = model.run(*load_inputs(args.input, model.inputs))
    if args.output:
        np.savez(args.output, **{f"output{i}": o for i, o in enumerate(outputs)},
                 **{s.name: o for s, o in zip(model.outputs, outputs) if s.name.isidentifier()})
        print(f"wrote {args.output}")
    for i, output in enumerate(outputs):
        summary = np.array2string(output if output.size <= 64 else output.reshape(-1)[:64], precision=6)
        print(f"output{i} {output.dtype} {list(output.shape)}:\n{summary}")
    return EXIT_OK


def cmd_verify(args) -> int:
    from .compiler import compile
    from .verify import compare, random_inputs

    with tempfile.TemporaryDirectory(prefix="bnncc-verify-") as folder:
        model = compile(args.model, target=args.target, output_dir=Path(folder) / "artifact",
                        progress=_progress(False))
        for note in model.report.notes:
            print(f"note: {note}")
        batches = []
        if args.input:
            batches.append(("given", load_inputs(args.input, model.inputs)))
        if args.samples > 0:
            batches.append((f"random x{args.samples}", random_inputs(model, args.samples, args.seed)))
        failed = False
        print(f"{'inputs':<14} {'output':<8} {'rule':<6} {'max |diff|':>12} {'mismatches':>12} {'argmax diff':>12}")
        for label, inputs in batches:
            for check in compare(model, inputs):
                failed |= not check.ok
                print(f"{label:<14} {'output' + str(check.index):<8} {check.kind:<6} {check.max_abs_diff:>12.4g} "
                      f"{check.mismatches:>5}/{check.elements:<6} {check.argmax_mismatches:>12}")
        print("MISMATCH" if failed else "OK: bit-exact on exact outputs, float outputs within 1e-5 relative")
        return EXIT_MISMATCH if failed else EXIT_OK


def cmd_inspect(args) -> int:
    from .compiler import compile

    model = compile(args.model, target=args.target)
    print(json.dumps(model.report.to_dict(), indent=2) if args.json else model.report)
    return EXIT_OK


def cmd_bench(args) -> int:
    from .bench import bench, format_result, svg_chart

    if args.runs < 1 or args.threads < 1:
        raise BnnccError("--runs and --threads must be at least 1")
    result = bench(args.model, target=args.target, threads=args.threads, runs=args.runs, interleave=args.interleave,
                   progress=_progress(False))
    print(format_result(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2) + "\n")
        print(f"wrote {args.json}")
    if args.chart:
        Path(args.chart).write_text(svg_chart(result))
        print(f"wrote {args.chart}")
    return EXIT_OK


def cmd_targets(args) -> int:
    from .targets import TARGET_NAMES, get_target

    for name in TARGET_NAMES:
        target = get_target(name)
        runs = "" if target.runs_here() else "   (this CPU cannot run it; the C still builds elsewhere)"
        print(f"{name:<12} {target.description}{runs}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
