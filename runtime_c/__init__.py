"""The C runtime shipped with bnncc: kernel headers (include/), sources (src/), benchmarks (bench/),
microcontroller start-up code (firmware/)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INCLUDE_DIR = ROOT / "include"
SOURCE_DIR = ROOT / "src"
BENCH_DIR = ROOT / "bench"
FIRMWARE_DIR = ROOT / "firmware"
