"""Run one step of a case in its own process, with a wall-clock timeout and a memory limit, and
check what it left behind.

Every case gets its own folder: `tmp/` (its TMPDIR), `work/` (the working folder, holding the
model and its data files), and files "outside" the model's folder at the top. A step's process
group is killed when it runs past its timeout, so a hang cannot outlive its case.

Steps are "cli" (`python -m bnncc.cli ARGS`) and "runner" (`python tests/fuzz/runner.py ARGS`).
`Launcher(warm=False)` starts a fresh interpreter for each. `warm=True` forks each step from a
server process that has already imported bnncc, onnx and numpy (multiprocessing's forkserver):
the same code runs in a new process, about 1.5 s sooner. What that cannot see: output printed
while those modules are imported (it happens once, in the server). onnxruntime and qonnx are
not preloaded, so what they do at import (onnxruntime writes $TMPDIR/.ses) still happens per step.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MEMORY_LIMIT = 3 << 30
RUNNER = Path(__file__).resolve().parent / "runner.py"
PRELOAD = ["bnncc.cli", "bnncc.compiler", "bnncc.verify", "bnncc.reference", "bnncc.artifact_loader",
           "fuzz.runner", "fuzz.exactness"]


@dataclass
class ProcessResult:
    returncode: int | None          # None when the timeout killed it
    stdout: str
    stderr: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    @property
    def signal(self) -> int | None:
        return -self.returncode if self.returncode is not None and self.returncode < 0 else None


def _limits(memory: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))      # a core file would be a leftover
    return apply


def run_limited(command: list[str], cwd: Path, env: dict[str, str], timeout: float,
                memory: int = MEMORY_LIMIT) -> ProcessResult:
    """Run `command` in its own session; kill its whole process group past `timeout` seconds."""
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True, preexec_fn=_limits(memory))
    try:
        out, err = process.communicate(timeout=timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        code = None
    return ProcessResult(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                         time.monotonic() - start)


class Launcher:
    """Runs the steps of cases, cold or warm (see the module docstring)."""

    def __init__(self, warm: bool, memory: int = MEMORY_LIMIT, cli_command: list[str] | None = None):
        """`cli_command` replaces `python -m bnncc.cli` (always cold): the harness's tests use fakes."""
        self.warm, self.memory, self.cli_command = warm, memory, cli_command
        self._context = None
        self._lock = threading.Lock()

    def command(self, kind: str, argv: list[str]) -> list[str]:
        if kind == "cli":
            return [*(self.cli_command or [sys.executable, "-m", "bnncc.cli"]), *argv]
        return [sys.executable, str(RUNNER), *argv]

    def run(self, kind: str, argv: list[str], cwd: Path, env: dict[str, str], timeout: float,
            capture: Path) -> ProcessResult:
        """Run step `kind` with `argv`; `capture` is a folder (outside the case's) for its output."""
        if not self.warm or (kind == "cli" and self.cli_command):
            return run_limited(self.command(kind, argv), cwd, env, timeout, self.memory)
        with self._lock:
            if self._context is None:
                self._context = multiprocessing.get_context("forkserver")
                self._context.set_forkserver_preload(PRELOAD)
        out, err, status = (_capture_file(capture, kind, suffix) for suffix in (".out", ".err", ".status"))
        start = time.monotonic()
        process = self._context.Process(target=_warm_step, args=(kind, argv, str(cwd), env, self.memory, str(out),
                                                                 str(err), str(status)), daemon=False)
        process.start()
        process.join(timeout)
        code = process.exitcode
        if code is None:
            _kill_group(process.pid)
            process.join()
        elif code >= 0 and status.read_text():
            # the forkserver relays the exit status through a pipe and says 255 when that read fails:
            # the status the step wrote just before exiting is the true one
            code = int(status.read_text())
        seconds = time.monotonic() - start
        process.close()                      # its sentinel: thousands of steps must not run out of descriptors
        result = ProcessResult(code, out.read_text(errors="replace"), err.read_text(errors="replace"), seconds)
        for path in (out, err, status):
            path.unlink()
        return result


def _capture_file(folder: Path, kind: str, suffix: str) -> Path:
    """A new empty file for a step's output (its descriptor closed: the step opens it by name)."""
    descriptor, path = tempfile.mkstemp(prefix=f"{kind}-", suffix=suffix, dir=folder)
    os.close(descriptor)
    return Path(path)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)       # the step made itself a session leader: its make, cc ...
    except ProcessLookupError:
        pass
    try:
        os.kill(pid, signal.SIGKILL)         # ... unless it had not got that far
    except ProcessLookupError:
        pass


def _warm_step(kind: str, argv: list[str], cwd: str, env: dict[str, str], memory: int, out: str, err: str,
               status: str):
    """In the forked process: become the step as a fresh interpreter would be, run it, exit."""
    os.setsid()
    _limits(memory)()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None
    for fd, path in ((1, out), (2, err)):
        os.dup2(os.open(path, os.O_WRONLY | os.O_TRUNC), fd)
    sys.argv = [kind, *argv]
    code = 1
    try:
        if kind == "cli":
            from bnncc.cli import main
        else:
            from fuzz.runner import main
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - printed as the interpreter would, then exit 1
        import traceback
        traceback.print_exc()
    finally:
        atexit._run_exitfuncs()             # weakref finalizers run at exit, as in a fresh interpreter
        sys.stdout.flush()
        sys.stderr.flush()
    code = code if isinstance(code, int) else 1
    Path(status).write_text(str(code & 0xFF))
    os._exit(code)


class Workspace:
    """The folders of one case (see the module docstring)."""

    def __init__(self, root: Path):
        self.root = root
        self.tmp = root / "tmp"
        self.work = root / "work"
        self.scratch = root / "runner"          # the runner's own files, made after the compile check
        self.tmp.mkdir(parents=True)
        self.work.mkdir()

    def env(self, base: dict[str, str], cache_dir: Path) -> dict[str, str]:
        return {**base, "TMPDIR": str(self.tmp), "BNNCC_CACHE_DIR": str(cache_dir), "PYTHONDONTWRITEBYTECODE": "1"}

    def listing(self) -> set[str]:
        """Every path under the case folder, relative, links not followed."""
        found = set()
        for folder, dirs, files in os.walk(self.root):
            for name in dirs + files:
                found.add(str((Path(folder) / name).relative_to(self.root)))
        return found


def unexpected_changes(before: set[str], after: set[str], allowed_prefixes: tuple[str, ...]) -> list[str]:
    """Paths that appeared (outside the allowed prefixes) or disappeared between two listings."""
    new = sorted(p for p in after - before if not any(p == a or p.startswith(a + os.sep) for a in allowed_prefixes))
    lost = sorted(before - after)
    return [f"new {p}" for p in new] + [f"removed {p}" for p in lost]
