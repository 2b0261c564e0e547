"""Time two exports of the same network side by side in one process: bnncc on each, onnxruntime on
each (1 thread), in blocks that take turns (bnncc bench's method), then each kernel's time.

    python examples/bireal/bireal.py -o bireal18.onnx
    python examples/bireal/bireal.py --fold-batchnorm -o bireal18_torch.onnx
    python examples/bireal/compare_forms.py bireal18.onnx bireal18_torch.onnx -t x86-avx512

The per-kernel table pairs the two forms' kernels in order; a kernel only one form has (a
BatchNormalization folded into its conv's bias needs none) stands alone on its line.
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
    paths = (args.first, args.second)
    models = [bnncc.compile(path, target=args.target) for path in paths]
    runners = [model.build(extra_flags=("-DBNNCC_PROFILE",),
                           extra_cdef=f"int {model.name}_profile(uint64_t *ns, int n);") for model in models]
    x = np.random.default_rng(0).standard_normal(models[0].inputs[0].shape).astype(np.float32)
    sessions = [onnxruntime_session(path, 1) for path in paths]
    name = models[0].inputs[0].name
    calls = [0, 0]

    def run_bnncc(k: int) -> None:
        calls[k] += 1
        runners[k].run(x)

    counters = [runner.ffi.new("uint64_t[]", len(model.layers)) for runner, model in zip(runners, models)]
    profiles = [getattr(runner.lib, f"{model.name}_profile") for runner, model in zip(runners, models)]
    for k in (0, 1):
        runners[k].run(x)
        profiles[k](counters[k], len(models[k].layers))          # reset after the first call
    contenders = [lambda: run_bnncc(0), lambda: run_bnncc(1)] + [lambda s=s: s.run(None, {name: x}) for s in sessions]
    ours_first, ours_second, theirs_first, theirs_second = medians_ms(contenders, args.runs)
    layers = []
    for k in (0, 1):
        profiles[k](counters[k], len(models[k].layers))
        layers.append([(layer.op_type, layer.detail, counters[k][i] / 1e6 / calls[k])
                       for i, layer in enumerate(models[k].layers)])
    print(f"{'':12} {'first':>10} {'second':>10}")
    print(f"bnncc        {ours_first:7.3f} ms {ours_second:7.3f} ms   second / first {ours_second / ours_first:.3f}")
    print(f"onnxruntime  {theirs_first:7.3f} ms {theirs_second:7.3f} ms")
    print(f"speed-up     {theirs_first / ours_first:8.2f} x {theirs_second / ours_second:8.2f} x\n")
    print("mean time per kernel (ms):")
    first, second = layers
    while first or second:
        if first and second and first[0][:2] == second[0][:2]:
            (op, detail, a), (_, _, b) = first.pop(0), second.pop(0)
            print(f"  {op:18} {detail:42} {a:7.3f} {b:7.3f}   {b / a:5.2f}")
        elif first and (not second or first[0][0] not in [op for op, _, _ in second]):
            op, detail, a = first.pop(0)
            print(f"  {op:18} {detail:42} {a:7.3f}       -")
        else:
            op, detail, b = second.pop(0)
            print(f"  {op:18} {detail:42}       - {b:7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
