"""The thread team: members' shares cover the work, barriers order the layers, balanced shares
take every item once, in pieces no smaller than asked, move a slow member's items to the others and
measure it slower (ThreadSanitizer)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")
def test_team_barrier_under_thread_sanitizer(tmp_path):
    exe = tmp_path / "team_check"
    build = subprocess.run(["cc", "-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-fsanitize=thread",
                            f"-I{ROOT / 'runtime_c' / 'include'}", str(Path(__file__).parent / "c" / "team_check.c"),
                            str(ROOT / "runtime_c" / "src" / "team.c"), "-o", str(exe), "-pthread"],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    # the kernel suite's ASan rerun preloads libasan, which cannot share a process with TSan
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:3] == ["rc=0 data[999]=1220 bad=0", "share: rc=0 bad=0 stolen=yes slow=yes",
                                          "alone: bad=0 pieces=10 small=0"], run.stdout + run.stderr
