#!/usr/bin/env bash
# The GPU check, as run on the lent GPU machine: carry .gpu (built by examples/gpu/prepare.py),
# then from the repository root:   bash examples/gpu/run_gpu_check.sh
# Results: $OUT/gpu_check.json, $OUT/log.txt, $OUT/outputs/*.npz (re-check them with
# examples/gpu/verify_outputs.py). Needs python3 with numpy and onnx; torch (CUDA) for the float
# baseline and CUDA events, cupy for the roofline loops (each part is skipped, and says so, without).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-$PWD/gpu-check-out}"
mkdir -p "$OUT"
test -f .gpu/bundle.json || { echo "no .gpu/bundle.json: run examples/gpu/prepare.py where TVM is installed, and carry .gpu" >&2; exit 2; }
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv > "$OUT/nvidia-smi.txt" 2>&1 || true
python3 examples/gpu/gpu_check.py --bundle .gpu --out "$OUT" --budget "${BUDGET:-300}" "$@" 2>&1 | tee "$OUT/log.txt"
exit "${PIPESTATUS[0]}"
