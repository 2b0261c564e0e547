"""Toolchains and runners of the C targets: which compiler builds an artifact, and how its programs run.

A host toolchain is the machine's own `cc` ($CC when set). A cross toolchain names a triple and
finds, in this order: $CC, Debian's cross gcc (`<triple>-gcc`), then zig's bundled clang (pip
`ziglang`, `zig cc -target <zig triple>`). Programs built for another architecture run under
qemu-user; they are linked statically, so qemu needs no sysroot, and the bits they compute are
those the same code gives on a board (integer and IEEE float arithmetic are emulated exactly;
armv7 NEON's flush-to-zero of subnormals included).

A board toolchain (microcontrollers: targets/cortex_m.py) builds freestanding code: no OS, no
threads, no libc beyond memcpy/memset (and libm where a float op needs it). Its programs are
firmware for an emulated board, run by qemu-system with semihosting I/O (bnncc/firmware.py).
"""
from __future__ import annotations

import functools
import os
import platform
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass

from bnncc.errors import BnnccError


@dataclass(frozen=True)
class Board:
    """A microcontroller board that qemu-system emulates, and its memory map."""

    qemu_machine: str            # qemu-system-arm -M
    flash: tuple[int, int]       # (origin, bytes): where code and constants live
    ram: tuple[int, int]         # (origin, bytes): data, the arena, I/O buffers and the stack
    stack_bytes: int = 16 * 1024
    qemu: str = "qemu-system-arm"
    qemu_package: str = "qemu-system-arm"


@dataclass(frozen=True)
class Toolchain:
    """How to build for one architecture and run what was built."""

    machine: str                 # `uname -m` of the machines that run it natively ("" = any: the host)
    processor: str = ""          # CMake's CMAKE_SYSTEM_PROCESSOR
    triple: str = ""             # GNU triple of the cross gcc ("" = the host's cc)
    zig_target: str = ""         # zig cc's -target
    zig_flags: tuple[str, ...] = ()   # what zig cc (clang) needs besides the target's flags
    gcc_package: str = ""        # Debian package of the cross gcc
    qemu: str = ""               # qemu-user binary that runs its programs on other hosts
    machine_aliases: tuple[str, ...] = ()   # other `uname -m` names of native hosts ("armv8l", ...)
    board: Board | None = None   # set: freestanding firmware run on this emulated board

    @property
    def is_host(self) -> bool:
        return not self.triple

    @property
    def freestanding(self) -> bool:
        """True for code with no OS under it: no threads, no stdio, no heap (a board's firmware)."""
        return self.board is not None

    def native_here(self) -> bool:
        """True when this machine runs the code itself (no emulator)."""
        return self.is_host or host_machine() in (self.machine, *self.machine_aliases)

    def compiler(self) -> list[str]:
        """The C compiler command: $CC when set, else the first toolchain found (see module doc)."""
        from_env = os.environ.get("CC", "").strip()
        if from_env:
            return shlex.split(from_env)
        if self.native_here():
            return ["cc"]
        found = self._found_compiler()
        if found is None:
            zig = " or zig (pip install ziglang)" if self.zig_target else ""
            raise BnnccError(f"no C cross compiler for {self.triple}: install Debian's {self.gcc_package} "
                             f"(apt-get install {self.gcc_package}){zig}, or set CC")
        return found

    def _found_compiler(self) -> list[str] | None:
        gcc = shutil.which(self.default_tool("gcc"))
        if gcc:
            return [gcc]
        if self.zig_target and _zig_available():
            return [sys.executable, "-m", "ziglang", "cc", *self.zig_arguments()]
        return None

    def zig_arguments(self) -> list[str]:
        """zig cc's arguments for this architecture (after `zig cc`)."""
        return ["-target", self.zig_target, *self.zig_flags]

    def default_tool(self, tool: str) -> str:
        """The cross tool ("gcc", "ar") a cross artifact's Makefile and CMake file use by default."""
        return f"{self.triple}-{tool}"

    def link_flags(self) -> list[str]:
        """Flags for the programs bnncc itself runs: static under an emulator (no sysroot needed)."""
        return [] if self.native_here() else ["-static"]

    def emulator(self) -> list[str]:
        """The command prefix that runs this toolchain's programs here ([] when they run natively)."""
        if self.native_here():
            return []
        name, package = (self.board.qemu, self.board.qemu_package) if self.board else (self.qemu, "qemu-user")
        qemu = shutil.which(name)
        if qemu is None:
            raise BnnccError(f"running {self.machine} code on this {host_machine()} machine needs {name}: "
                             f"install Debian's {package} (apt-get install {package})")
        return [qemu]

    def run_command(self, program, arguments: list[str], emulator_options=()) -> list[str]:
        """The command that runs `program` with `arguments` here; `emulator_options` go to qemu
        (e.g. a plugin). A board's firmware reads its arguments through semihosting and reports on
        stderr (its semihosting console)."""
        if self.board is None:
            return [*self.emulator(), *emulator_options, str(program), *arguments]
        # qemu splits options at commas (",," is a literal comma); the firmware splits arguments at spaces
        semihosting = ",".join(["enable=on", "target=native",
                                *(f"arg={a.replace(',', ',,')}" for a in ["firmware", *arguments])])
        return [*self.emulator(), "-M", self.board.qemu_machine, "-display", "none", "-serial", "null",
                "-monitor", "none", "-semihosting-config", semihosting, *emulator_options, "-kernel", str(program)]

    def unavailable_here(self) -> str | None:
        """Why this machine cannot build and run this toolchain's programs, or None."""
        try:
            if not self.native_here():
                self.compiler()
            self.emulator()
        except BnnccError as error:
            return str(error)
        return None


HOST = Toolchain(machine="")
AARCH64 = Toolchain(machine="aarch64", processor="aarch64", triple="aarch64-linux-gnu", zig_target="aarch64-linux-musl",
                    gcc_package="gcc-aarch64-linux-gnu", qemu="qemu-aarch64", machine_aliases=("arm64",))
# clang vectorizes portable float compares with NEON, which on ARMv7 flushes subnormals to zero
# (-1e-40 >= 0 came out true): zig builds for armv7 keep the portable loops scalar, as gcc does.
ARMV7 = Toolchain(machine="armv7l", processor="arm", triple="arm-linux-gnueabihf", zig_target="arm-linux-musleabihf",
                  zig_flags=("-fno-vectorize", "-fno-slp-vectorize"),
                  gcc_package="gcc-arm-linux-gnueabihf", qemu="qemu-arm", machine_aliases=("armv8l", "armv7"))


def host_machine() -> str:
    """`uname -m` of this machine."""
    return platform.machine()


@functools.lru_cache(maxsize=1)
def _zig_available() -> bool:
    try:
        return subprocess.run([sys.executable, "-m", "ziglang", "version"], capture_output=True,
                              timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
