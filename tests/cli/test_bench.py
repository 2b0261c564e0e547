"""`bnncc bench` end to end on the small Bi-Real model: it runs, and its numbers are consistent
(it is a measuring tool: nothing here asserts a speed)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "bireal"))

import bireal  # noqa: E402

CPUS = sorted(os.sched_getaffinity(0))


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


def test_setups_run_untimed_before_each_block_or_run():
    """A contender's setup (the bench pins the calling thread with it) runs before each of its
    blocks, or before each of its runs when interleaved, and never inside another's block."""
    from bnncc import bench

    calls = []
    bench.medians_ms([lambda: calls.append("a"), lambda: calls.append("b")], runs=8,
                     setups=[None, lambda: calls.append("S")])
    assert "".join(calls) == ("a" * 5 + "S" + "b" * 5) * 2
    calls.clear()
    bench.medians_ms([lambda: calls.append("a"), lambda: calls.append("b")], runs=2, interleave=True,
                     setups=[lambda: calls.append("S"), None])
    assert "".join(calls) == "Sab" * 3


def test_ideal_parallel_time_adds_the_fastest_cores_rates():
    from bnncc import bench

    assert bench.ideal_parallel_ms([6.0, 3.0], 2) == pytest.approx(2.0)          # 1/6 + 1/3 = 1/2
    assert bench.ideal_parallel_ms([4.0, 4.0, 9.0], 2) == pytest.approx(2.0)     # the slowest core unused
    assert bench.ideal_parallel_ms([5.0], 1) == pytest.approx(5.0)


@pytest.mark.skipif(len(CPUS) < 2, reason="needs a process allowed on at least 2 CPUs")
def test_bench_with_threads_times_one_thread_on_each_cpu(small_model, monkeypatch):
    """With --threads 2, the one-thread build is also timed pinned to each CPU, and the best
    2-thread time those cores allow, and bnncc's share of it, follow from those times."""
    from bnncc import bench

    pins, set_affinity = [], os.sched_setaffinity
    monkeypatch.setattr(bench.os, "sched_setaffinity", lambda pid, cpus: (pins.append(set(cpus)), set_affinity(pid, cpus)))
    result = bench.bench(small_model, target="generic-c", threads=2, runs=2)
    assert os.sched_getaffinity(0) == set(CPUS)                 # the bench leaves the calling thread unpinned
    if len(CPUS) > bench.MAX_PINNED_CPUS:
        assert result.one_thread_ms_by_cpu == {} and result.parallel_efficiency is None
        return
    assert all({cpu} in pins for cpu in CPUS) and pins[-1] == set(CPUS)
    assert sorted(result.one_thread_ms_by_cpu) == sorted(str(cpu) for cpu in CPUS)
    assert all(ms > 0 for ms in result.one_thread_ms_by_cpu.values())
    assert result.ideal_threads_ms == pytest.approx(bench.ideal_parallel_ms(list(result.one_thread_ms_by_cpu.values()), 2))
    assert result.parallel_efficiency == pytest.approx(result.ideal_threads_ms / result.bnncc_ms)
    text = bench.format_result(result)
    assert "1 thread pinned, per CPU" in text and f"{100 * result.parallel_efficiency:.0f} % of that" in text


def test_popcount_peak_builds_with_a_compiler_command_of_several_words(monkeypatch):
    """$CC may be a command line ("ccache gcc"), as make takes it."""
    from bnncc.bench import measure_popcount_peak
    from bnncc.targets import get_target

    monkeypatch.setenv("CC", "cc -w")
    assert measure_popcount_peak(get_target("generic-c")) > 0


def test_popcount_peak_without_a_compiler_is_a_clean_error(monkeypatch):
    import bnncc
    from bnncc.bench import measure_popcount_peak
    from bnncc.targets import get_target

    monkeypatch.setenv("CC", "/nonexistent/cc")
    with pytest.raises(bnncc.BnnccError, match="nonexistent"):
        measure_popcount_peak(get_target("generic-c"))
