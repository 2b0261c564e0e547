#!/bin/sh
# Regenerate every number in docs/bench/arm/ from the current tree (run from the repository root):
#   (b) mca.py       llvm-mca on our extracted inner loops and the LCE loop models -> mca.json, mca.md, out/
#   (a) count.py     qemu instruction counts of four Bi-Real-18 builds          -> count.json, count.md
#   (c) estimate.py  Raspberry Pi 4 ESTIMATE from (a) and (b)                    -> estimate.json, estimate.md
# then copies the three tables into README.md between its BEGIN/END marks.
set -e
cd "$(dirname "$0")/../../.."
[ -f /tmp/bireal18.onnx ] || .venv/bin/python examples/bireal/bireal.py -o /tmp/bireal18.onnx
python3 docs/bench/arm/mca.py > /dev/null
.venv/bin/python docs/bench/arm/count.py /tmp/bireal18.onnx
python3 docs/bench/arm/estimate.py > /dev/null
python3 docs/bench/arm/fill_readme.py
