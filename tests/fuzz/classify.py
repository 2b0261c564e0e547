"""The outcome classes of a fuzz case, and how a compile's process result maps to one.

The CLI's contract: exit 0 on success; exit 2 with exactly one stderr line starting
"bnncc: error:" for a bad or unsupported model. Anything else is a failure of bnncc.
"""
from __future__ import annotations

from fuzz.sandbox import ProcessResult

# Failures, most severe first: a case with several problems is counted under the first.
# "run-error": the compiled model refused or failed on inputs of its own declared shapes.
# "harness-error": the runner itself (tests/fuzz) raised; a bug of the harness, not of bnncc.
FAILING = ("crash", "hang", "traceback", "mismatch", "build-failure", "run-error", "multi-line-error", "leftover",
           "harness-error")
# Worth naming in the report, not failures: a documented float-threshold tie; a mismatch that is
# exactly bnncc's documented ONNX Sign(0) -> +1; a model the reference runtime itself refuses;
# a successful `compile -q` that printed on stderr.
INFORMATIONAL = ("tie", "documented", "reference-refused", "noisy")
CLASSES = FAILING + INFORMATIONAL + ("clean-error", "ok")
ERROR_PREFIX = "bnncc: error:"


def stderr_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def first_line(text: str, limit: int = 300) -> str:
    lines = stderr_lines(text)
    return lines[0][:limit] if lines else ""


def last_line(text: str, limit: int = 300) -> str:
    lines = stderr_lines(text)
    return lines[-1][:limit] if lines else ""


def classify_compile(result: ProcessResult) -> tuple[str, str]:
    """(class, the stderr line that tells most) of one `bnncc compile -q` run; class "ok" means exit 0."""
    if result.timed_out:
        return "hang", f"no exit after {result.seconds:.0f}s"
    if result.signal is not None:
        return "crash", f"killed by signal {result.signal}; {last_line(result.stderr)}".rstrip("; ")
    lines = stderr_lines(result.stderr)
    if "Traceback (most recent call last)" in result.stderr:
        return "traceback", last_line(result.stderr)          # the exception is the last line
    if result.returncode == 2:
        if len(lines) == 1 and lines[0].startswith(ERROR_PREFIX):
            return "clean-error", lines[0][:300]
        return "multi-line-error", f"{len(lines)} lines: {first_line(result.stderr)}"
    if result.returncode == 0:
        return ("noisy", first_line(result.stderr)) if lines else ("ok", "")
    return "traceback", f"exit {result.returncode}: {last_line(result.stderr)}"


def worst(classes) -> str:
    """The class a case is counted under, given every class its steps reported."""
    classes = set(classes)
    for name in CLASSES:
        if name in classes:
            return name
    raise ValueError(f"unknown classes {classes}")
