"""The models every fuzz case starts from: the real models of ../shared/models and the zoo.

Each seed has a stable name, builds the same bytes every time, and says how to draw inputs that
reach its thresholds (the fastinference exports were trained on MNIST pixels x 255, TFC on 0..1).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import onnx

import zoo

TESTS_DIR = Path(__file__).resolve().parents[1]
SHARED_MODELS = Path(os.environ.get("BNNCC_SHARED_MODELS", TESTS_DIR.parent.parent / "shared" / "models"))

# file in ../shared/models -> (low, high) of the uniform inputs its training data had
SHARED = {
    "qonnx_model_zoo__TFC_1W1A.onnx": (0.0, 1.0),
    "fastinference__bnntest.onnx": (0.0, 65025.0),
    "fastinference__model_fashion_test.onnx": (0.0, 65025.0),
}


@dataclass(frozen=True)
class Seed:
    name: str
    inputs: tuple = ("normal", 0.0, 1.0)     # ("normal", mean, std) or ("uniform", low, high)

    def model(self) -> onnx.ModelProto:
        """A fresh copy of the seed model (callers mutate it)."""
        return onnx.ModelProto.FromString(_seed_bytes(self.name))


@lru_cache(maxsize=None)
def _seed_bytes(name: str) -> bytes:
    if name.startswith("shared/"):
        return (SHARED_MODELS / name.removeprefix("shared/")).read_bytes()
    builder_name, _, variant = name.rpartition("#")
    builder, variants = zoo.BUILDERS[builder_name]
    return builder(0, **variants[int(variant)]).SerializeToString()


@lru_cache(maxsize=None)
def all_seeds() -> tuple[Seed, ...]:
    """Every seed, in a fixed order (case ids index into it: only ever append to it)."""
    seeds = [Seed(f"{name}#{i}") for name, (_, variants) in zoo.BUILDERS.items() for i in range(len(variants))]
    for filename, (low, high) in SHARED.items():
        if (SHARED_MODELS / filename).is_file():
            seeds.append(Seed(f"shared/{filename}", ("uniform", low, high)))
    return tuple(seeds)


def seed_by_name(name: str) -> Seed:
    for seed in all_seeds():
        if seed.name == name:
            return seed
    raise KeyError(f"no seed model named {name!r}")
