"""Build, run and compare one compiled case; runs in its own process (`campaign.py` starts it).

Steps, each named in the stage file first so that a crash or hang is attributed to it:
  make        `make -C ARTIFACT WERROR=1` (the artifact's own Makefile, warnings as errors)
  api-compile `bnncc.compile(MODEL)`, then api-run: `.run(...)` (the Python build, also -Werror) at
              batch 1 and N
  demo        the Makefile-built example program on sample 0 must print what api-run computed
  reference   the reference runtime on the same inputs; on a mismatch, the alternatives (exactness.py)
The result is one JSON object in the result file: class, stage, detail, notes.
"""
from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
import sys
import traceback
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import onnx

BATCH_N = 3
HERE = Path(__file__).resolve().parent


class Outcome(Exception):
    """Ends the run with a class."""

    def __init__(self, cls: str, detail: str, stage: str = ""):
        super().__init__(detail)
        self.cls, self.detail, self.stage = cls, detail, stage


class Runner:
    def __init__(self, args):
        self.args = args
        self.stage_file = Path(args.stage)
        self.notes: list[str] = []
        self.rng = np.random.default_rng(args.seed)
        self.kind, *params = args.inputs.split(":")
        self.params = [float(p) for p in params]

    def stage(self, name: str) -> None:
        self.stage_file.write_text(name)

    # -------------------------------------------------------------------------------------------
    def run(self) -> dict:
        try:
            self.make()
            self.compare_everything()
            cls, detail, stage = "ok", "", ""
        except Outcome as outcome:
            cls, detail, stage = outcome.cls, outcome.detail, outcome.stage or self.stage_file.read_text()
        except BaseException as exc:  # noqa: BLE001 - an unexpected exception is what we classify
            innermost = traceback.extract_tb(exc.__traceback__)[-1].filename
            cls = "harness-error" if Path(innermost).resolve().parent == HERE else "traceback"
            detail, stage = f"{type(exc).__name__}: {exc}"[:300], self.stage_file.read_text()
            self.notes.append(traceback.format_exc()[-2000:])
        return {"class": cls, "stage": stage, "detail": detail, "notes": self.notes}

    def make(self) -> None:
        self.stage("make")
        folder = Path(self.args.artifact)
        result = subprocess.run(["make", "-C", str(folder), *werror_arguments(folder / "Makefile")],
                                capture_output=True, text=True)
        if result.returncode != 0:
            output = result.stderr + result.stdout
            errors = [line for line in output.splitlines() if "error" in line.lower()]
            raise Outcome("build-failure", (errors or output.splitlines() or ["make failed"])[0][:300], "make")

    def compare_everything(self) -> None:
        import bnncc
        from bnncc.errors import BnnccError

        self.stage("api-compile")
        try:
            model = bnncc.compile(self.args.model, target=self.args.target, output_dir=self.args.api_dir)
        except BnnccError as exc:
            raise Outcome("traceback", f"the API refused what the CLI compiled: {exc}"[:300])
        self.report_notes = list(model.report.notes)
        try:
            reference_model, refused = self.load_reference(), None
        except Outcome as outcome:                      # judged after our own runs
            reference_model, refused = None, outcome
        declared = {v.name: _static_dims(v) for v in reference_model.graph.input} if reference_model else {}
        batches = [1, BATCH_N] if any(spec.batched for spec in model.inputs) else [1]
        runs = []
        for batch in batches:
            inputs = self.draw_inputs(model.inputs, batch, declared)
            self.stage(f"api-run batch {batch}")
            try:
                ours = model.run(*inputs)
            except BnnccError as exc:
                if "C compiler failed" in str(exc):
                    raise Outcome("build-failure", str(exc).splitlines()[0][:300] + " " + _first_error(str(exc)))
                if batch > 1 and "one sample at a time" in str(exc):
                    self.notes.append(f"batch {batch}: {exc}")
                    continue
                raise Outcome("run-error", f"run at batch {batch}: {exc}"[:300])
            if batch == 1:
                self.check_demo(model, inputs, ours)
            runs.append((batch, inputs, ours))
        if refused:
            raise refused
        for batch, inputs, ours in runs:
            self.stage(f"reference batch {batch}")
            reference = self.reference(reference_model, model, inputs, batch)
            if reference is not None:
                self.judge(reference_model, model, batch, inputs, ours, reference)

    # -------------------------------------------------------------------------------------------
    def load_reference(self) -> onnx.ModelProto:
        self.stage("reference load")
        try:
            return onnx.load(self.args.reference or self.args.model)
        except Exception as exc:  # noqa: BLE001 - onnx raises many kinds
            raise Outcome("reference-refused", f"onnx.load: {exc}"[:300])

    def draw_inputs(self, specs, batch: int, declared: dict) -> list[np.ndarray]:
        """Inputs of the shapes the model declares (where static), else of those bnncc's specs say; the
        first dimension of a batched input is `batch`."""
        arrays = []
        for spec in specs:
            dims = declared.get(spec.name) or spec.shape
            shape = (batch,) + tuple(dims[1:]) if spec.batched else tuple(dims)
            arrays.append(self.draw(shape))
        return arrays

    def draw(self, shape) -> np.ndarray:
        if self.kind == "uniform":
            return self.rng.uniform(*self.params, size=shape).astype(np.float32)
        return self.rng.normal(*self.params, size=shape).astype(np.float32)

    def reference(self, reference_model, model, inputs, batch: int, runner=None):
        """Reference outputs for the batch, or None (noted) when this batch cannot be fed to it."""
        from bnncc.reference import real_input_names, run_reference

        runner = runner or run_reference
        declared = {v.name: v for v in reference_model.graph.input}
        feeds = {spec.name: array for spec, array in zip(model.inputs, inputs)}
        for name in real_input_names(reference_model):        # inputs bnncc left out (unused ones)
            if name not in feeds and name in declared:
                dims = declared[name].type.tensor_type.shape.dim
                feeds[name] = self.draw([d.dim_value if d.HasField("dim_value") else batch for d in dims])
        feeds = {name: array for name, array in feeds.items() if name in declared}
        whole = all(_first_dim(declared[spec.name]) in (None, batch) for spec in model.inputs
                    if spec.batched and spec.name in declared)
        try:
            if batch == 1 or whole:
                return runner(reference_model, feeds)
            if all(_first_dim(declared[spec.name]) == 1 for spec in model.inputs
                   if spec.batched and spec.name in declared):
                return _per_sample(runner, reference_model, model, feeds, batch)
            self.notes.append(f"batch {batch}: the model fixes another batch size; not compared")
            return None
        except Exception as exc:  # noqa: BLE001 - onnxruntime and qonnx raise many kinds
            if batch == 1:
                raise Outcome("reference-refused", f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
            self.notes.append(f"batch {batch}: the reference refused: {str(exc).splitlines()[0][:200]}")
            return None

    # -------------------------------------------------------------------------------------------
    def judge(self, reference_model, model, batch, inputs, ours, reference) -> None:
        from fuzz.exactness import compare_outputs

        deviations, reason = compare_outputs(ours, reference)
        if reason:
            raise Outcome("mismatch", f"batch {batch}: {reason}", f"compare batch {batch}")
        failing = [d for d in deviations if d.any]
        if not failing:
            return
        detail = f"batch {batch}: " + "; ".join(d.detail for d in failing)
        if all(d.only_close_argmax for d in failing):
            raise Outcome("tie", f"{detail} (argmax between values within float rounding of each other)",
                          f"compare batch {batch}")
        self.stage(f"alternatives batch {batch}")
        for label, alternative in self.alternatives(reference_model, model, inputs, batch):
            if alternative is None:
                continue
            if label == "sign-zero":
                alt_deviations, alt_reason = compare_outputs(ours, alternative)
                if not alt_reason and not any(d.any for d in alt_deviations):
                    if any("ONNX Sign" in note for note in self.report_notes):
                        raise Outcome("documented", f"{detail} (ONNX Sign(0) = 0 mapped to +1, as the report says)",
                                      f"compare batch {batch}")
                    raise Outcome("mismatch", f"{detail} (ONNX Sign(0) = 0 mapped to +1; the report does not say so)",
                                  f"compare batch {batch}")
                continue
            from fuzz.exactness import is_tie
            if is_tie(deviations, alternative, reference):
                raise Outcome("tie", f"{detail} (the reference differs from itself there: {label})",
                              f"compare batch {batch}")
        raise Outcome("mismatch", detail, f"compare batch {batch}")

    def alternatives(self, reference_model, model, inputs, batch):
        """(label, outputs or None) of the alternative references (see fuzz.exactness)."""
        from bnncc.reference import run_onnxruntime, run_reference, uses_qonnx_ops
        from fuzz.exactness import as_float64, sign_zero_as_plus_one

        def attempt(label, variant, runner):
            try:
                return label, self.reference(variant, model, inputs, batch, runner)
            except Outcome:
                return label, None

        if not uses_qonnx_ops(reference_model):
            yield attempt("onnxruntime with all optimizations", reference_model,
                          functools.partial(run_onnxruntime, optimized=True))
            yield attempt("recomputed in float64", as_float64(reference_model), _run_float64)
        else:                                # qonnx runs its custom ops in float64 as well
            yield attempt("recomputed in float64", as_float64(reference_model), _run_float64_qonnx)
        variant = sign_zero_as_plus_one(reference_model)
        if variant is not None:
            yield attempt("sign-zero", variant, run_reference)

    def check_demo(self, model, inputs, ours) -> None:
        """Run the Makefile-built example on sample 0 (it reads input 0 only): it must print what the
        Python-built artifact computed (to the 6 digits of %g; the reference is judged on the latter)."""
        if len(model.inputs) != 1:
            self.notes.append("demo not compared: the model has several inputs")
            return
        self.stage("demo")
        folder = Path(self.args.artifact)
        name = json.loads((folder / "bnncc.json").read_text())["name"]
        sample = Path(self.args.api_dir).parent / "sample0.bin"
        sample.write_bytes(np.ascontiguousarray(inputs[0].reshape(-1)[:model.inputs[0].sample_size]).tobytes())
        result = subprocess.run([str(folder / f"{name}_demo"), str(sample)], capture_output=True, text=True)
        if result.returncode < 0:
            raise Outcome("crash", f"the Makefile-built demo was killed by signal {-result.returncode}")
        if result.returncode != 0:
            raise Outcome("mismatch", f"the Makefile-built demo exited {result.returncode}: {result.stderr[:200]}")
        printed = [np.array([float(v) for v in line.split()]) for line in result.stdout.splitlines()]
        for index, expected in enumerate(ours):
            expected = np.asarray(expected, dtype=np.float64).reshape(-1)
            got = printed[index] if index < len(printed) else np.array([])
            scale = float(np.max(np.abs(expected))) if expected.size else 0.0
            with np.errstate(invalid="ignore"):
                bad = got.size != expected.size or bool(np.any(
                    (np.abs(got - expected) > 2e-5 * max(scale, 1e-30)) | (np.isnan(got) != np.isnan(expected))))
            if bad:
                raise Outcome("mismatch", f"the Makefile-built demo prints output {index} as "
                                          f"{np.array2string(got[:6], precision=6)}, the Python-built artifact gives "
                                          f"{np.array2string(expected[:6], precision=6)}")


# ----------------------------------------------------------------------------------------------
def werror_arguments(makefile: Path) -> list[str]:
    """`WERROR=1` where the Makefile has that switch; otherwise its own default CFLAGS plus -Werror."""
    text = makefile.read_text() if makefile.is_file() else ""
    if "WERROR" in text:
        return ["WERROR=1"]
    match = re.search(r"^CFLAGS\s*\?=\s*(.*)$", text, re.MULTILINE)
    return [f"CFLAGS={(match.group(1).strip() if match else '-O2')} -Werror"]


def _static_dims(value: onnx.ValueInfoProto) -> tuple[int, ...] | None:
    """The declared shape when every dimension (the first excepted) is a number; the first may be anything."""
    dims = value.type.tensor_type.shape.dim
    if not value.type.tensor_type.HasField("shape") or not all(d.HasField("dim_value") for d in dims[1:]):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else 1 for d in dims)


def _first_dim(value: onnx.ValueInfoProto) -> int | None:
    dims = value.type.tensor_type.shape.dim
    return dims[0].dim_value if dims and dims[0].HasField("dim_value") else None


def _per_sample(runner, reference_model, model, feeds, batch: int) -> list[np.ndarray]:
    batched = {spec.name for spec in model.inputs if spec.batched}
    samples = [runner(reference_model, {n: a[i:i + 1] if n in batched else a for n, a in feeds.items()})
               for i in range(batch)]
    return [np.concatenate([s[k] for s in samples]) if model.outputs[k].batched else samples[0][k]
            for k in range(len(samples[0]))] if len(samples[0]) == len(model.outputs) else samples[0]


def _first_error(text: str) -> str:
    return next((line for line in text.splitlines() if "error" in line), "")[:200]


def _run_float64_qonnx(model: onnx.ModelProto, feeds):
    from bnncc.reference import run_reference

    outputs = run_reference(model, {n: a.astype(np.float64) for n, a in feeds.items()})
    return [o.astype(np.float32) if o.dtype == np.float64 else o for o in outputs]


def _run_float64(model: onnx.ModelProto, feeds):
    from onnx.reference import ReferenceEvaluator

    outputs = ReferenceEvaluator(model).run(None, {n: a.astype(np.float64) for n, a in feeds.items()})
    return [o.astype(np.float32) if o.dtype == np.float64 else o for o in outputs]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="build, run and compare one compiled fuzz case")
    parser.add_argument("--model", required=True, help="the mutated model the CLI compiled")
    parser.add_argument("--artifact", required=True, help="the folder the CLI wrote")
    parser.add_argument("--api-dir", required=True, help="where bnncc.compile() writes its own copy")
    parser.add_argument("--target", default="generic-c")
    parser.add_argument("--inputs", default="normal:0:1", help="normal:MEAN:STD or uniform:LOW:HIGH")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    parser.add_argument("--reference", help="compare with this model instead of --model (tests use it)")
    parser.add_argument("--stage", required=True, help="file that holds the current step's name")
    parser.add_argument("--result", required=True, help="where to write the JSON result")
    args = parser.parse_args(argv)
    result = Runner(args).run()
    Path(args.result).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
