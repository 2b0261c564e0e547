"""What the CLI prints around its result: in scripts a failing command prints exactly one line;
progress shows as a status line on a terminal, or as lines with -v; warnings only with -v;
-q leaves only the result (issue 9, item 11)."""
from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

import bnncc
import zoo


def cli(*args, cwd=None, timeout=300, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bnncc.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, **kwargs)


@pytest.fixture(scope="module")
def lstm_model(tmp_path_factory) -> Path:
    """A model that fails after the import step (its LSTM node is unsupported)."""
    path = tmp_path_factory.mktemp("lstm") / "lstm.onnx"
    path.write_bytes(zoo.bad_models()["unsupported_op_lstm"][0].SerializeToString())
    return path


@pytest.fixture(scope="module")
def good_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mlp") / "mlp.onnx"
    path.write_bytes(zoo.plain_sign_mlp(0).SerializeToString())
    return path


@pytest.mark.parametrize("command", [["compile", "-o", "{tmp}/out"], ["verify"], ["inspect"], ["bench", "--runs", "1"]])
def test_failing_command_prints_exactly_one_line_in_scripts(command, lstm_model, tmp_path):
    args = [a.format(tmp=tmp_path) for a in command]
    result = cli(args[0], lstm_model, *args[1:], "-t", "generic-c")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("bnncc: error: "), result.stderr
    assert "LSTM" in result.stderr


def test_verbose_prints_progress_lines_then_the_error(lstm_model, tmp_path):
    result = cli("compile", lstm_model, "-o", tmp_path / "out", "-t", "generic-c", "-v")
    lines = result.stderr.splitlines()
    assert result.returncode == 2
    assert lines[0].endswith("] import") and lines[0].startswith("[")
    assert lines[-1].startswith("bnncc: error: ") and "LSTM" in lines[-1]


def on_terminal(*args) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal; its exit status and what it showed."""
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run([sys.executable, "-m", "bnncc.cli", *map(str, args)], stdout=terminal,
                                stderr=terminal, timeout=300)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:          # EIO: the other end is closed and everything was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
    return result.returncode, shown.decode()


def test_progress_is_a_status_line_on_a_terminal(lstm_model, tmp_path):
    """On a terminal each step overwrites the last, and the status is erased before the error line."""
    status, text = on_terminal("compile", lstm_model, "-o", tmp_path / "out", "-t", "generic-c")
    assert status == 2
    assert "\r\x1b[K[" in text and "] import" in text                      # the status line
    progress, error = text.rsplit("\r\x1b[K", 1)                         # erased, then the error alone
    assert error.startswith("bnncc: error: ") and error.count("\n") == 1 and error.endswith("\n")
    assert "\n" not in progress, "progress steps must overwrite each other, not scroll"


def test_status_line_is_erased_before_the_result(good_model, tmp_path):
    status, text = on_terminal("compile", good_model, "-o", tmp_path / "out", "-t", "generic-c")
    assert status == 0
    progress, result = text.rsplit("\r\x1b[K", 1)
    assert "] generate C" in progress and "\n" not in progress
    assert "wrote" in result and "] " not in result.splitlines()[0]


def test_python_warnings_show_only_with_verbose(good_model, tmp_path):
    """A library warning before an error: one line without -v; the warning (through logging) with -v."""
    script = ("import sys, warnings, bnncc.cli as cli\n"
              "from bnncc.errors import BnnccError\n"
              "def inspect(args):\n"
              "    warnings.warn('overflow encountered in multiply', RuntimeWarning)\n"
              "    raise BnnccError('a bad model')\n"
              "cli.cmd_inspect = inspect\n"
              "sys.exit(cli.main(sys.argv[1:]))\n")
    quiet = subprocess.run([sys.executable, "-c", script, "inspect", str(good_model)], capture_output=True, text=True,
                           timeout=120)
    assert quiet.returncode == 2 and quiet.stderr == "bnncc: error: a bad model\n", quiet.stderr
    verbose = subprocess.run([sys.executable, "-c", script, "inspect", str(good_model), "-v"], capture_output=True,
                             text=True, timeout=120)
    assert "overflow encountered in multiply" in verbose.stderr
    assert verbose.stderr.splitlines()[-1] == "bnncc: error: a bad model"


def test_verbose_shows_the_c_compilers_output(good_model, tmp_path):
    folder = tmp_path / "net"
    bnncc.compile(good_model, target="generic-c", output_dir=folder, name="net")
    with (folder / "net.c").open("a") as source:
        source.write("\nint broken(void) { return undeclared_name; }\n")
    (tmp_path / "x.npy").write_bytes(b"")
    plain = cli("run", folder, "--input", tmp_path / "x.npy")
    assert plain.returncode == 2 and len(plain.stderr.splitlines()) == 1, plain.stderr
    assert "undeclared_name" in plain.stderr                          # the compiler's first error, in the line
    verbose = cli("run", folder, "--input", tmp_path / "x.npy", "-v")
    assert len(verbose.stderr.splitlines()) > 2 and "net.c" in verbose.stderr
    assert verbose.stderr.splitlines()[-1] == plain.stderr.strip()


def test_quiet_verify_prints_nothing_when_everything_matches(good_model, tmp_path):
    result = cli("verify", good_model, "-t", "generic-c", "--samples", "3", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    loud = cli("verify", good_model, "-t", "generic-c", "--samples", "3", cwd=tmp_path)
    assert "OK" in loud.stdout and loud.stderr == ""


def test_quiet_and_verbose_exclude_each_other(good_model):
    result = cli("compile", good_model, "-q", "-v")
    assert result.returncode == 2 and "not allowed with" in result.stderr
