"""Build C check programs for an ARM target and run them under qemu-user (or natively on ARM).

Kernel checks for ISAs this host cannot load through cffi are C programs: they compare a SIMD
kernel with the portable one (itself checked against numpy in the host tests) on shapes the Python
test generates from the kernel's tile geometry, and print one line per mismatch.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bnncc.firmware import LINK_FLAGS, linker_script
from bnncc.runtime_c import FIRMWARE_DIR
from bnncc.targets import get_target

from .helpers import INCLUDE, SRC

ARM_TARGETS = ("aarch64-neon", "armv7-neon")
CHECK_FLAGS = ["-std=c99", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror", f"-I{INCLUDE}", "-lm"]


def require(target_name: str):
    """The target, or a skip naming the missing tool (CI installs the cross gccs and qemu-user)."""
    target = get_target(target_name)
    reason = target.toolchain.unavailable_here()
    if reason:
        pytest.skip(reason)
    return target


def build_check(target_name: str, program: Path, sources: list[str], out: Path, extra: tuple[str, ...] = ()) -> Path:
    """Compile `program` with runtime_c/src/<sources>.c for the target; returns the executable."""
    target = require(target_name)
    exe = out / f"{program.stem}_{target_name}"
    command = [*target.toolchain.compiler(), *target.cflags, *extra, str(program),
               *(str(SRC / f"{s}.c") for s in sources), "-o", str(exe), *CHECK_FLAGS,
               *target.toolchain.link_flags()]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stderr[-4000:]}"
    return exe


def run_check(target_name: str, exe: Path, args: list[str], stdin: str | None = None, timeout: int = 600) -> str:
    """Run the check program (under qemu where needed); returns its stdout, asserting exit 0."""
    target = require(target_name)
    result = subprocess.run([*target.toolchain.emulator(), str(exe), *args], input=stdin, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def build_firmware_check(target_name: str, program: Path, sources: list[str], out: Path):
    """(target, firmware) of a check program for a Cortex-M target, with runtime_c/src/<sources>.c,
    bnncc/firmware.py's start-up code and linker script."""
    target = require(target_name)
    (out / "board.ld").write_text(linker_script(target.toolchain.board))
    exe = out / f"{program.stem}.elf"
    flags = [f for f in CHECK_FLAGS if f != "-lm"]
    command = [*target.toolchain.compiler(), *target.cflags, *flags, f"-I{FIRMWARE_DIR}", str(program),
               *(str(SRC / f"{s}.c") for s in sources), str(FIRMWARE_DIR / "startup_cortex_m.c"),
               *LINK_FLAGS, "-T", str(out / "board.ld"), "-o", str(exe)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stderr[-4000:]}"
    return target, exe


def run_firmware_cases(firmware, lines: list[str], folder: Path) -> None:
    """Run the check on the case lines (a file named on its semihosting command line); asserts that no
    line reports a mismatch and that every case ran."""
    target, exe = firmware
    path = folder / "cases.txt"
    path.write_text("\n".join(lines) + "\n")
    result = subprocess.run(target.toolchain.run_command(exe, [str(path)]), capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=300)
    output = (result.stdout + result.stderr).splitlines()
    assert result.returncode == 0, "\n".join(output[-20:])
    bad = [l for l in output if l.startswith("case ")]
    assert not bad, f"{len(bad)} mismatches, first:\n" + "\n".join(
        f"{b}   <- {lines[int(b.split()[1]) - 1]}" for b in bad[:20])
    assert output[-1] == f"cases {len(lines)}"
