"""Time two exports of the same network side by side in one process: bnncc on each, onnxruntime on
each (1 thread), in blocks that take turns (bnncc bench's method), and print the medians and ratios.

    python examples/bireal/bireal.py -o bireal18.onnx
    python examples/bireal/bireal.py --fold-batchnorm -o bireal18_torch.onnx
    python examples/bireal/compare_forms.py bireal18.onnx bireal18_torch.onnx -t x86-avx512

Also checks that both compile to the same sequence of kernels, but for the layers the second form
leaves out (a BatchNormalization folded into its conv's bias needs no kernel of its own).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

import bnncc
from bnncc.bench import medians_ms, onnxruntime_session


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("-t", "--target", default="native")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)
    models = [bnncc.compile(path, target=args.target) for path in (args.first, args.second)]
    kernels = [[layer.op_type for layer in model.layers] for model in models]
    for path, ops in zip((args.first, args.second), kernels):
        print(f"{path}: {len(ops)} kernels: {' '.join(ops)}")
    x = np.random.default_rng(0).standard_normal(models[0].inputs[0].shape).astype(np.float32)
    runners = [model.build() for model in models]
    sessions = [onnxruntime_session(path, 1) for path in (args.first, args.second)]
    name = models[0].inputs[0].name
    contenders = [lambda r=r: r.run(x) for r in runners] + [lambda s=s: s.run(None, {name: x}) for s in sessions]
    ours_first, ours_second, theirs_first, theirs_second = medians_ms(contenders, args.runs)
    print(f"bnncc        {ours_first:8.3f} ms  {ours_second:8.3f} ms  (second / first {ours_second / ours_first:.3f})")
    print(f"onnxruntime  {theirs_first:8.3f} ms  {theirs_second:8.3f} ms")
    print(f"speed-up     {theirs_first / ours_first:8.2f} x   {theirs_second / ours_second:8.2f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
