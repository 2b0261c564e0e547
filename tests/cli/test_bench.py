"""`bnncc bench` end to end on the small Bi-Real model: it runs, and its numbers are consistent
(it is a measuring tool: nothing here asserts a speed)."""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "bireal"))

import bireal  # noqa: E402


@pytest.fixture(scope="module")
def small_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "bireal_small.onnx"
    path.write_bytes(bireal.build_bireal_small(resolution=32, seed=0).SerializeToString())
    return path


def test_bench_reports_ratio_layers_peak_and_sizes(small_model, tmp_path):
    result_file, chart = tmp_path / "bench.json", tmp_path / "layers.svg"
    run = subprocess.run([sys.executable, "-m", "bnncc.cli", "bench", str(small_model), "-t", "generic-c",
                          "--runs", "3", "--json", str(result_file), "--chart", str(chart)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "speed-up" in run.stdout and "% of peak" in run.stdout
    result = json.loads(result_file.read_text())
    assert result["bnncc_ms"] > 0 and result["onnxruntime_ms"] > 0
    assert result["speedup"] == pytest.approx(result["onnxruntime_ms"] / result["bnncc_ms"])
    assert result["popcount_peak_gmacs"] > 0
    binary = [layer for layer in result["layers"] if layer["binary_macs"]]
    assert len(binary) == 16                      # Bi-Real-18's sixteen binary convolutions
    assert sum(layer["binary_macs"] for layer in binary) == result["binary_macs"] == bireal.count_macs(
        bireal.build_bireal_small(resolution=32, seed=0))[0]
    assert sum(layer["share"] for layer in result["layers"]) == pytest.approx(1.0)
    assert all(layer["fraction_of_peak"] > 0 for layer in binary)
    assert 1.0 <= result["binary_weight_bits_per_weight"] < 1.5   # 1 bit + per-channel constants
    svg = ElementTree.parse(chart).getroot()
    assert svg.tag.endswith("svg") and len(svg.findall("{http://www.w3.org/2000/svg}rect")) == len(result["layers"]) + 1


@pytest.mark.parametrize("interleave", [False, True])
def test_timing_order_blocks_or_interleaved(interleave):
    """Blocks: each contender runs BLOCK_RUNS times in a row after an untimed run, the contenders
    taking turns; interleaved: one run each in turn. Either way every contender is timed `runs` times."""
    from bnncc import bench

    calls = []
    medians = bench.medians_ms([lambda: calls.append("a"), lambda: calls.append("b")], runs=8, interleave=interleave)
    assert len(medians) == 2 and all(m >= 0 for m in medians)
    if interleave:
        assert "".join(calls) == "ab" * 9
    else:
        assert "".join(calls) == ("a" * 5 + "b" * 5) * 2
