"""Fuzz campaign driver: mutate seed models, compile each case with the bnncc CLI, build, run and
compare what compiles, classify every outcome and report.

  python tests/fuzz/campaign.py --cases 10000 --json fuzz.json --save-failures fuzz-failures/
  python tests/fuzz/campaign.py --case 0-1234 --save-failures /tmp/f     # re-run one case by id

Every case runs in its own folder and processes (compile, then a runner for build/run/compare),
each with a wall-clock timeout and a memory limit. Outcome classes:
  failing        crash (signal), hang (timeout), traceback (exit 1 or a Python traceback), mismatch
                 (outputs differ from the reference), build-failure (compiled, then fails to build
                 with -Werror), run-error (the artifact refuses inputs of its own shapes),
                 multi-line-error (exit 2 without exactly one "bnncc: error:" line), leftover (files
                 left in TMPDIR or beside the model, or files removed), harness-error
  informational  tie (the reference differs from itself there), documented (ONNX Sign(0) -> +1, as
                 the report says), reference-refused, noisy (exit 0 but output on stderr with -q)
  fine           clean-error, ok
Exit status 1 when any case is in a failing class, 0 otherwise.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fuzz.cases import Case, case_id, generate, parse_case_id, write_case  # noqa: E402
from fuzz.classify import FAILING, classify_compile, first_line, worst  # noqa: E402
from fuzz.mutators import MUTATORS  # noqa: E402
from fuzz.report import human, summarize  # noqa: E402
from fuzz.sandbox import Launcher, ProcessResult, Workspace, unexpected_changes  # noqa: E402

OUTPUT = "out"


@dataclass
class Options:
    workdir: Path                             # case folders, the kernel object cache, captured output
    launcher: Launcher = field(default_factory=lambda: Launcher(warm=True))
    target: str = "generic-c"
    timeout: float = 60.0
    save_failures: Path | None = None
    keep: bool = False

    def __post_init__(self):
        for sub in ("cache", "capture"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)


def run_case(case: Case, options: Options) -> dict:
    """Compile, check for leftovers, build/run/compare; the case's record (see report.py)."""
    root = Path(tempfile.mkdtemp(prefix="case-", dir=options.workdir))
    workspace = Workspace(root)
    env = workspace.env(dict(os.environ), options.workdir / "cache")
    write_case(case.mutant, workspace.work)
    before = workspace.listing()
    compiled = options.launcher.run("cli", ["compile", "model.onnx", "-t", options.target, "-o", OUTPUT, "-q"],
                                    workspace.work, env, options.timeout, options.workdir / "capture")
    compile_class, detail = classify_compile(compiled)
    findings = [(compile_class, "compile", detail)]        # (class, stage, detail)
    changes = unexpected_changes(before, workspace.listing(), (f"work/{OUTPUT}",) if compiled.returncode == 0 else ())
    if changes:
        findings.append(("leftover", "compile", "left behind by the compile: " + ", ".join(changes[:5])))
    seconds = {"compile": round(compiled.seconds, 2)}
    extra: dict = {}
    if compile_class in ("ok", "noisy"):
        if (workspace.work / OUTPUT / "bnncc.json").is_file():
            found, extra = build_run_compare(case, workspace, env, options)
            findings += found
            seconds["run"] = extra.pop("seconds")
        else:
            findings.append(("build-failure", "compile", "compile exited 0 but wrote no artifact folder"))
    cls = worst(c for c, _, _ in findings)
    _, stage, detail = next(f for f in findings if f[0] == cls)
    record = {"id": case.id, "class": cls, "stage": stage, "detail": detail, "seed": case.seed.name,
              "mutations": case.mutations, "also": sorted({c for c, _, _ in findings} - {cls, "ok", "clean-error"}),
              "compile": compile_class, "first_stderr_line": first_line(compiled.stderr), "seconds": seconds,
              "stderr": compiled.stderr[-4000:], **extra}
    if options.save_failures and cls in FAILING:
        save_case(case, record, options.save_failures)
    if options.keep:
        record["folder"] = str(root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    return record


def build_run_compare(case: Case, workspace: Workspace, env, options: Options,
                      reference: Path | None = None) -> tuple[list[tuple], dict]:
    """(findings, what else to record) of the runner process on a compiled case and of what it left in
    TMPDIR. `reference`: compare with this model instead of the case's (the harness's tests use it)."""
    workspace.scratch.mkdir()
    stage_file, result_file = workspace.scratch / "stage", workspace.scratch / "result.json"
    stage_file.write_text("start")
    argv = ["--model", str(workspace.work / "model.onnx"), "--artifact", str(workspace.work / OUTPUT),
            "--api-dir", str(workspace.scratch / "api"), "--target", options.target,
            "--inputs", ":".join(map(str, case.seed.inputs)), "--seed", str(_input_seed(case.id)),
            "--stage", str(stage_file), "--result", str(result_file)] + (["--reference", str(reference)] if reference else [])
    timeout = 2 * options.timeout
    ran = options.launcher.run("runner", argv, workspace.scratch, env, timeout, options.workdir / "capture")
    stage = stage_file.read_text()
    findings, extra = [], {"seconds": round(ran.seconds, 2)}
    if ran.timed_out:
        findings.append(("hang", stage, f"the runner did not finish in {timeout:.0f}s (at {stage})"))
    elif ran.signal is not None:
        findings.append(("crash", stage, f"killed by signal {ran.signal} at {stage}"))
    elif ran.returncode != 0 or not result_file.is_file():
        findings.append(("traceback", stage, f"the runner failed at {stage}: {_last(ran)}"))
    else:
        result = json.loads(result_file.read_text())
        extra["notes"] = result["notes"]
        findings.append((result["class"], result["stage"], result["detail"]))
    if findings[0][0] != "ok":
        extra["runner_stderr"] = ran.stderr[-4000:]
    left = sorted(os.listdir(workspace.tmp))
    if left:
        findings.append(("leftover", "run", "TMPDIR holds after build/run: " + ", ".join(left[:5])))
    return findings, extra


def _input_seed(identifier: str) -> int:
    """A stable seed for the case's random inputs (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(identifier.encode()).digest()[:4], "little")


def _last(result: ProcessResult) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return lines[-1][:300] if lines else f"exit {result.returncode}"


def save_case(case: Case, record: dict, folder: Path) -> Path:
    """Write the case's model, its files and case.json into folder/ID (to make a regression test of it)."""
    target = folder / case.id
    if target.exists():
        shutil.rmtree(target)
    model = write_case(case.mutant, target / "model")
    (target / "case.json").write_text(json.dumps({**{k: v for k, v in record.items() if k != "folder"},
                                                  "model": str(model)}, indent=2) + "\n")
    return target


# ------------------------------------------------------------------------------------------------
def run_campaign(ids: list[str], options: Options, jobs: int, progress=None) -> list[dict]:
    """Generate and run the cases with `jobs` in parallel; records in id order."""
    records: list[dict | None] = [None] * len(ids)
    done = [0]
    lock = threading.Lock()

    def one(position: int) -> None:
        seed, index, only = parse_case_id(ids[position])
        record = run_case(generate(seed, index, only), options)
        records[position] = record
        with lock:
            done[0] += 1
            if progress:
                progress(done[0], len(ids), record)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for future in [pool.submit(one, i) for i in range(len(ids))]:
            future.result()
    return records


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="campaign.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=_count, default=100, help="number of cases (default 100)")
    parser.add_argument("--seed", type=_count, default=0, help="campaign seed: case N of seed S has id S-N (default 0)")
    parser.add_argument("--start", type=_count, default=0, help="index of the first case (default 0)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="cases run in parallel (default: the number of CPUs)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds for the compile of one case; build/run/compare gets twice that (default 60)")
    parser.add_argument("--memory", type=float, default=3.0,
                        help="address-space limit of every case process, GiB (default 3)")
    parser.add_argument("--cold", action="store_true",
                        help="start a fresh interpreter for every step (`python -m bnncc.cli ...`) instead of forking "
                             "it from a server that has imported bnncc already; slower, and also sees what is printed "
                             "at import time")
    parser.add_argument("--target", default="generic-c", help="bnncc target (default generic-c)")
    parser.add_argument("--mutators", help="comma-separated mutators to draw from (default: all; see --list)")
    parser.add_argument("--case", action="append", metavar="ID",
                        help="run only this case (repeatable) and print everything about it")
    parser.add_argument("--json", metavar="FILE", help="write the report as JSON")
    parser.add_argument("--save-failures", metavar="DIR",
                        help="save the mutated model of every failing case in DIR/ID/ (with case.json)")
    parser.add_argument("--keep", action="store_true", help="keep every case's folder (printed with --case)")
    parser.add_argument("--workdir", metavar="DIR", help="where case folders go (default: a new temporary folder)")
    parser.add_argument("--list", action="store_true", help="list the mutators and seed models, then exit")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list:
        from fuzz.seeds import all_seeds

        for mutator in MUTATORS.values():
            print(f"{mutator.name:<22} {mutator.stage:<6} {mutator.doc}")
        print("\nseed models: " + ", ".join(seed.name for seed in all_seeds()))
        return 0
    only = sorted(args.mutators.split(",")) if args.mutators else None
    try:
        ids = args.case or [case_id(args.seed, i, only) for i in range(args.start, args.start + args.cases)]
        for identifier in ids:
            parse_case_id(identifier)
    except ValueError as exc:
        print(f"campaign.py: error: {exc}", file=sys.stderr)
        return 2
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bnncc-fuzz-"))
    workdir.mkdir(parents=True, exist_ok=True)
    options = Options(workdir, Launcher(warm=not args.cold, memory=int(args.memory * 2**30)), args.target,
                      args.timeout, Path(args.save_failures) if args.save_failures else None, args.keep)
    start = time.monotonic()
    try:
        records = run_campaign(ids, options, args.jobs, None if args.quiet or args.case else _progress)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    seconds = time.monotonic() - start
    summary = summarize(records, {"seed": args.seed, "total": len(records), "target": args.target,
                                  "jobs": args.jobs, "seconds": seconds,
                                  "seconds_per_case": seconds / max(1, len(records))})
    if args.case:
        for record in records:
            print(json.dumps(record, indent=2))
    print(human(summary))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    return 1 if summary["failed"] else 0


def _progress(done: int, total: int, record: dict) -> None:
    if record["class"] in FAILING or done % 50 == 0 or done == total:
        print(f"[{done:>6}/{total}] {record['id']:<12} {record['class']:<16} {first_line(record['detail'], 150)}",
              file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
