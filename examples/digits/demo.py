"""`make demo`: compile the bundled digits BNN, run it next to onnxruntime, compare.

Prints the accuracy of both on the held-out digits (they must be identical), whether the outputs
agree bit for bit, the artifact's size against the float model, and the median latency of both.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

import bnncc
from bnncc.onnxruntime_session import session as onnxruntime_session

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def median_seconds(function, repeats: int = 30) -> float:
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    model_path = HERE / "digits_bnn.onnx"
    images = np.load(HERE / "test_images.npy").astype(np.float32)
    labels = np.load(HERE / "test_labels.npy")
    print(f"compiling {model_path.relative_to(ROOT)} for the native target ...")
    # build/digits is the demo's own folder: replace it even if an older bnncc wrote it without a manifest
    model = bnncc.compile(model_path, target="native", output_dir=ROOT / "build" / "digits", name="digits", force=True)
    print(model.report, "\n")

    session = onnxruntime_session(str(model_path), optimized=True)        # as users run it, one thread
    input_name = session.get_inputs()[0].name
    reference = session.run(None, {input_name: images})[0]
    ours = model.run(images)[0]

    ref_accuracy = float(np.mean(reference.argmax(1) == labels))
    our_accuracy = float(np.mean(ours.argmax(1) == labels))
    same_labels = int(np.sum(reference.argmax(1) == ours.argmax(1)))
    max_diff = float(np.max(np.abs(reference - ours)))
    print(f"test digits: {len(labels)}")
    print(f"accuracy  onnxruntime {ref_accuracy:.2%}   bnncc {our_accuracy:.2%}   "
          f"same prediction on {same_labels}/{len(labels)}   max |logit diff| {max_diff:.3g}")

    float_bytes = model_path.stat().st_size
    print(f"size      float ONNX model {float_bytes:,} bytes   artifact constants {model.report.weight_bytes_packed:,} "
          f"bytes ({float_bytes / model.report.weight_bytes_packed:.1f}x smaller)   arena {model.report.arena_bytes:,} bytes")

    one = images[:1]
    ours_one = median_seconds(lambda: model.run(one))
    ref_one = median_seconds(lambda: session.run(None, {input_name: one}))
    ours_all = median_seconds(lambda: model.run(images), 10)
    ref_all = median_seconds(lambda: session.run(None, {input_name: images}), 10)
    print(f"time      batch 1: bnncc {ours_one * 1e6:.0f} us, onnxruntime {ref_one * 1e6:.0f} us   "
          f"batch {len(images)}: bnncc {ours_all * 1e3:.2f} ms, onnxruntime {ref_all * 1e3:.2f} ms (median, 1 thread)")
    print(f"\nthe C artifact is in {model.output_dir.relative_to(ROOT)}: `make -C build/digits` builds it anywhere.")
    return 0 if same_labels == len(labels) and ref_accuracy == our_accuracy else 1


if __name__ == "__main__":
    sys.exit(main())
