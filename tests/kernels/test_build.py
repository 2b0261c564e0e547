"""Build hygiene of runtime_c: strict C99, self-contained families, signatures as the compiler
expects them, no heap / stdio / mutable globals."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from .helpers import CC, FAMILIES, FUNCS, INCLUDE, OP, SRC, STRICT, owned_sources

pytestmark = pytest.mark.skipif(shutil.which(CC) is None, reason="no C compiler")


def cc(args, tmp_path):
    res = subprocess.run([CC, *STRICT, *args], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def test_every_family_present():
    for fam in FAMILIES:
        assert (INCLUDE / "bnncc" / f"{fam}.h").is_file(), fam
        if fam != "common":
            assert (SRC / f"{fam}.c").is_file(), fam


@pytest.mark.parametrize("fam", FAMILIES)
def test_header_standalone(fam, tmp_path):
    tu = tmp_path / "tu.c"
    tu.write_text(f'#include "bnncc/{fam}.h"\n#include "bnncc/{fam}.h"\nint bnn_test_dummy;\n')
    cc(["-O2", "-Wstrict-prototypes", "-Wmissing-prototypes", "-c", str(tu), "-o", "tu.o"], tmp_path)


@pytest.mark.parametrize("src", sorted(SRC.glob("*.c")), ids=lambda p: p.name)
def test_source_self_contained(src, tmp_path):
    """Compiles alone (strict C99; a target's own source with its flags and toolchain), includes
    only common.h and the headers an artifact ships with it (its own, and private ones such as
    axpy.h), no heap, no stdio, no mutable globals."""
    from bnncc.codegen.artifact import PORTABLE_HEADERS

    owner = owned_sources().get(src.stem)
    text = src.read_text()
    includes = re.findall(r'#\s*include\s*[<"]([^>"]+)[>"]', text)
    if owner is None:
        public, private = PORTABLE_HEADERS.get(src.stem, ((src.stem,), ()))
        compiler, flags, intrinsics = [CC], [], set()
    else:
        target, kernel = owner
        reason = target.toolchain.unavailable_here() if target.emulated else None
        if reason:
            pytest.skip(reason)
        public, private = kernel.headers, kernel.private_headers
        compiler, flags = target.toolchain.compiler(), list(target.cflags)
        intrinsics = {"immintrin.h", "arm_neon.h", "arm_acle.h"}   # x86, NEON, ARM (DSP: USADA8)
    own = {"bnncc/common.h"} | {f"bnncc/{h}.h" for h in (src.stem, *public, *private)}
    assert {i for i in includes if i.startswith("bnncc/")} <= own, includes
    # the team is POSIX: threads, yielding, and a clock for the members' speeds
    system = {"math.h", "string.h", "stddef.h", "stdint.h"} | intrinsics | \
        ({"pthread.h", "sched.h", "time.h"} if src.stem == "team" else set())
    assert {i for i in includes if not i.startswith("bnncc/")} <= system
    code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    for banned in ("malloc", "calloc", "realloc", "free(", "alloca", "printf", "FILE", "stdio"):
        assert banned not in code, banned
    obj = tmp_path / (src.stem + ".o")
    result = subprocess.run([*compiler, *STRICT, "-O2", *flags, "-Wstrict-prototypes", "-Wmissing-prototypes",
                             "-Wshadow", "-c", str(src), "-o", str(obj)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    if shutil.which("nm"):
        syms = subprocess.run(["nm", "--defined-only", str(obj)], capture_output=True, text=True).stdout
        mutable = [line for line in syms.splitlines() if line.split()[-2] in "BbDdCc"]
        assert not mutable, mutable


def test_signatures_match_headers(tmp_path):
    """Redeclaring the cffi prototypes after the real headers is an error on any mismatch; enum
    values checked with a C99 negative-size-array assertion."""
    checks = "\n".join(f"typedef char check_{name}[({name}) == {value} ? 1 : -1];" for name, value in OP.items())
    tu = tmp_path / "sig.c"
    tu.write_text("\n".join(f'#include "bnncc/{f}.h"' for f in FAMILIES) + "\n" + FUNCS + "\n" + checks + "\n"
                  "typedef char check_pad[(BNN_PAD_ZERO) == -1 ? 1 : -1];\n"
                  "typedef char check_bits[(BNN_WORD_BITS) == 64 && sizeof(bnn_word) == 8 ? 1 : -1];\n")
    cc(["-c", str(tu), "-o", "sig.o"], tmp_path)
