"""The output folder: what compile() may replace, atomic replacement under kill -9, stale staging
folders, temporary folders and modes (issue 9, items 7, 8 and 9)."""
from __future__ import annotations

import gc
import multiprocessing
import os
import pathlib
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import bnncc
import bnncc.cli
import zoo
from bnncc import output_folder
from bnncc.artifact_loader import load_artifact

MODEL = zoo.plain_sign_mlp(0).SerializeToString()


def compile_into(folder, name="net", **kwargs) -> bnncc.CompiledModel:
    return bnncc.compile(MODEL, target="generic-c", output_dir=folder, name=name, **kwargs)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def staging_folders(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if "-staging-" in p.name)


def user_folder(path: Path) -> Path:
    path.mkdir()
    (path / "thesis.tex").write_text("years of work\n")
    return path


# ------------------------------------------------------------------------------------------
# what -o may replace (item 7)
# ------------------------------------------------------------------------------------------
def test_folder_without_manifest_is_refused_and_kept(tmp_path):
    out = user_folder(tmp_path / "out")
    with pytest.raises(bnncc.BnnccError, match="no bnncc artifact.*--force"):
        compile_into(out)
    assert tree(out) == {"thesis.tex": b"years of work\n"}
    assert staging_folders(tmp_path) == []


def test_force_replaces_a_folder_without_manifest(tmp_path):
    out = user_folder(tmp_path / "out")
    model = compile_into(out, force=True)
    assert model.output_dir == out.resolve()
    assert "thesis.tex" not in tree(out) and (out / "net.c").is_file()
    assert staging_folders(tmp_path) == []


def test_artifact_and_empty_folders_are_replaced_without_force(tmp_path):
    compile_into(tmp_path / "out", name="old")
    (tmp_path / "out" / "old.o").write_bytes(b"\x7fELF")               # what `make` left in the artifact
    compile_into(tmp_path / "out", name="net")
    compile_into(tmp_path / "fresh", name="net")
    assert tree(tmp_path / "out") == tree(tmp_path / "fresh")
    (tmp_path / "empty").mkdir()
    compile_into(tmp_path / "empty")
    assert tree(tmp_path / "empty") == tree(tmp_path / "fresh")
    assert staging_folders(tmp_path) == []


@pytest.mark.parametrize("output", [".", "..", "/"])
@pytest.mark.parametrize("force", [False, True])
def test_current_folder_and_its_parents_are_never_replaced(output, force, tmp_path, monkeypatch):
    """`-o .` in an artifact folder, even with --force: replacing it would pull the folder out from under the user."""
    work = tmp_path / "work"
    compile_into(work)                       # the current folder is even an artifact
    (work / "notes.txt").write_text("mine\n")
    before = tree(tmp_path)
    monkeypatch.chdir(work)
    with pytest.raises(bnncc.BnnccError, match="current folder"):
        compile_into(output, force=force)
    assert tree(tmp_path) == before and Path.cwd() == work


def test_compile_from_a_removed_current_folder(tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert (compile_into(tmp_path / "out").output_dir / "net.c").is_file()


def test_folder_holding_the_model_or_the_ir_dump_is_never_replaced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    model = out / "model.onnx"
    model.write_bytes(MODEL)
    with pytest.raises(bnncc.BnnccError, match="holds the model file"):
        bnncc.compile(model, target="generic-c", output_dir=out, force=True)
    assert model.read_bytes() == MODEL
    with pytest.raises(bnncc.BnnccError, match="dump-ir"):
        compile_into(tmp_path / "other", dump_ir=tmp_path / "other" / "ir", force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_output_folder_is_checked_before_the_compile(tmp_path, monkeypatch):
    def no_compile(*args, **kwargs):
        raise AssertionError("the model was compiled before the output folder was checked")

    monkeypatch.setattr(bnncc.compiler, "translate", no_compile)
    out = user_folder(tmp_path / "out")
    with pytest.raises(bnncc.BnnccError, match="no bnncc artifact"):
        compile_into(out)
    (tmp_path / "file").write_text("x")
    with pytest.raises(bnncc.BnnccError, match="is not a folder"):
        compile_into(tmp_path / "file" / "out")


def test_failed_compile_removes_the_parent_folders_it_created(tmp_path):
    with pytest.raises(bnncc.BnnccError):
        bnncc.compile(b"not onnx", target="generic-c", output_dir=tmp_path / "a" / "b" / "out")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------
# atomic replacement and stale staging folders (item 8)
# ------------------------------------------------------------------------------------------
def test_compile_writes_the_manifest_that_load_artifact_reads(tmp_path):
    model = compile_into(tmp_path / "out")
    native = load_artifact(model.output_dir)
    x = np.random.default_rng(0).standard_normal((5, 64)).astype(np.float32)
    assert np.array_equal(native.run(x)[0], model.run(x)[0])


def test_replacement_without_atomic_exchange_still_works(tmp_path, monkeypatch):
    """Where renameat2(RENAME_EXCHANGE) is missing, two renames replace the folder."""
    monkeypatch.setattr(output_folder, "_exchange", lambda first, second: False)
    compile_into(tmp_path / "out", name="old")
    compile_into(tmp_path / "out", name="net")
    assert (tmp_path / "out" / "net.c").is_file() and not (tmp_path / "out" / "old.c").exists()
    assert staging_folders(tmp_path) == []


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_staging_folders_of_dead_compiles_are_removed(tmp_path):
    stale = tmp_path / f".out-staging-{_dead_pid()}-0badc0de"
    running = tmp_path / f".out-staging-{os.getppid()}-0badc0de"      # a live process: a compile still running
    other = tmp_path / ".out-backup"                                   # not a staging folder's name
    for folder in (stale, running, other):
        folder.mkdir()
        (folder / "net.c").write_text("int x;\n")
    compile_into(tmp_path / "out")
    assert not stale.exists() and running.is_dir() and other.is_dir()


def _compile_killed_at(step: int, out: str) -> None:
    """In a child process: `bnncc compile`, SIGKILLed just before its step-th file-system operation
    on the output's parent folder (mkdir, write, rename, exchange, rmdir, rmtree)."""
    parent, calls = str(Path(out).parent), 0

    def kill_before(function):
        def wrapper(*args, **kwargs):
            nonlocal calls
            if any(isinstance(a, (str, os.PathLike)) and os.fspath(a).startswith(parent) for a in args):
                calls += 1
                if calls == step:
                    os.kill(os.getpid(), signal.SIGKILL)
            return function(*args, **kwargs)
        return wrapper

    for owner, name in [(os, "mkdir"), (os, "rename"), (os, "rmdir"), (shutil, "rmtree"),
                        (pathlib.Path, "write_text"), (output_folder, "_exchange")]:
        setattr(owner, name, kill_before(getattr(owner, name)))
    model = Path(out).parent.parent / "model.onnx"
    sys.exit(bnncc.cli.main(["compile", str(model), "-o", out, "--name", "net", "-t", "generic-c", "-q"]))


@pytest.mark.skipif(sys.platform != "linux", reason="the atomic exchange is Linux's renameat2")
def test_kill_at_any_step_leaves_the_old_or_the_new_artifact(tmp_path):
    (tmp_path / "model.onnx").write_bytes(MODEL)
    old, new = compile_into(tmp_path / "old", name="old").output_dir, compile_into(tmp_path / "new").output_dir
    old_tree, new_tree = tree(old), tree(new)
    work = tmp_path / "work"
    work.mkdir()
    out = work / "out"
    context = multiprocessing.get_context("forkserver")      # fork a process that has imported bnncc
    context.set_forkserver_preload(["bnncc.cli", "bnncc.compiler"])
    states = []
    for step in range(1, 200):
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(old, out)
        child = context.Process(target=_compile_killed_at, args=(step, str(out)))
        child.start()
        child.join(120)
        if child.exitcode == 0:
            break                                             # fewer steps than `step`: it ran to the end
        assert child.exitcode == -signal.SIGKILL, f"step {step}: exit {child.exitcode}"
        after_kill = tree(out) if out.is_dir() else None
        assert after_kill in (old_tree, new_tree), f"killed at step {step}: the output folder is damaged or missing"
        states.append("new" if after_kill == new_tree else "old")
        compile_into(out)                                     # the next compile cleans up after the dead one
        assert tree(out) == new_tree and staging_folders(work) == [], f"step {step}"
    assert tree(out) == new_tree and staging_folders(work) == []
    assert len(states) >= 10 and states[0] == "old" and states[-1] == "new", states


# ------------------------------------------------------------------------------------------
# temporary folders and modes (item 9)
# ------------------------------------------------------------------------------------------
def leftovers(tmp: Path) -> list[str]:
    """What is left in a TMPDIR (bnncc turns off onnxruntime's telemetry file .ses too)."""
    return sorted(p.name for p in tmp.iterdir())


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr("tempfile.tempdir", None)           # re-read TMPDIR
    return folder


def test_compile_without_output_dir_leaves_no_temporary_folder(private_tmp):
    model = bnncc.compile(MODEL, target="generic-c")
    assert private_tmp in model.output_dir.parents and (model.output_dir / "model.c").is_file()
    model.run(np.zeros((1, 64), np.float32))              # the shared library is built in TMPDIR too
    del model
    gc.collect()
    assert leftovers(private_tmp) == []


@pytest.mark.parametrize("command", [["inspect"], ["verify", "--samples", "2"], ["compile", "-o", "{out}"],
                                     ["compile", "-o", "{file}/out"]])
def test_commands_leave_no_temporary_folder(command, private_tmp, tmp_path):
    model = tmp_path / "model.onnx"
    model.write_bytes(MODEL)
    (tmp_path / "file").write_text("x")
    args = [a.format(out=tmp_path / "out", file=tmp_path / "file") for a in command]
    result = subprocess.run([sys.executable, "-m", "bnncc.cli", args[0], str(model), *args[1:], "-t", "generic-c"],
                            capture_output=True, text=True, timeout=300, env={**os.environ, "TMPDIR": str(private_tmp)})
    assert result.returncode in (0, 2), result.stderr
    assert leftovers(private_tmp) == []


@pytest.mark.parametrize("umask,folder_mode,file_mode", [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600)])
def test_artifact_modes_follow_the_umask(umask, folder_mode, file_mode, tmp_path):
    previous = os.umask(umask)
    try:
        out = compile_into(tmp_path / "out").output_dir
    finally:
        os.umask(previous)
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (folder_mode if path.is_dir() else file_mode), (str(path), oct(mode))
