"""examples/gpu: the GPU check's own code path, rehearsed on the CPU. prepare.py builds a small
llvm bundle (TVM runtime without its compiler, a few models with inputs and references);
gpu_check.py --dry-run then runs it with TVM in runtime-only mode: exactness, batch invariance,
timing and the JSON report."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tvm_testing import require_tvm

require_tvm()

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gpu"


def test_prepare_and_dry_run(tmp_path):
    bundle, out = tmp_path / "bundle", tmp_path / "out"
    subprocess.run([sys.executable, str(EXAMPLE / "prepare.py"), "--target", "llvm", "--out", str(bundle), "--quick",
                    "--only", "plain_sign,TFC", "--bench-model", "bireal_small",
                    "--pythons", f"cp{sys.version_info.major}{sys.version_info.minor}"], check=True, capture_output=True,
                   timeout=600)
    assert not (bundle / "runtime" / "tvm" / "lib" / "libtvm_compiler.so").exists()
    done = subprocess.run([sys.executable, str(EXAMPLE / "gpu_check.py"), "--bundle", str(bundle), "--target", "llvm",
                           "--dry-run", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((out / "gpu_check.json").read_text())
    assert results["tvm_runtime_only"] and results["bench_weights_match_build"]
    assert results["exactness_summary"]["failed"] == [] and results["exactness_summary"]["exact"] == 6
    assert all(entry["identical"] for entry in results["batch_invariance"])
    assert [row["batch"] for row in results["speed"]] == [1, 2] and all("median_ms" in r for r in results["speed"])
    check = subprocess.run([sys.executable, str(EXAMPLE / "verify_outputs.py"), "--bundle", str(bundle), "--outputs",
                            str(out / "outputs")], capture_output=True, text=True, timeout=300)
    assert check.returncode == 0 and "6 of 6 outputs match" in check.stdout, check.stdout + check.stderr
