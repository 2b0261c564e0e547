"""Fuzz cases: what a case id means and how its mutated model is regenerated from it.

A campaign is (seed, number of cases). Case `index` of campaign `seed` has the id "SEED-INDEX";
restricted to some mutators it is "SEED-INDEX@name+name". Everything random about a case comes
from numpy's Generator seeded with [SEED, INDEX], so the id alone regenerates the same bytes
(given the same zoo and ../shared/models).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx

from fuzz.mutators import MUTATORS, Mutant, Mutator, NotApplicable
from fuzz.seeds import Seed, all_seeds

MUTATION_COUNTS = (0, 1, 2, 3)
MUTATION_COUNT_WEIGHTS = (0.04, 0.58, 0.28, 0.10)    # a few unmutated seeds check the baseline
ATTEMPTS = 20                                       # draws before a case settles for fewer mutations
MODEL_FILE = "model.onnx"


@dataclass
class Case:
    id: str
    seed: Seed
    mutations: list[tuple[str, str]] = field(default_factory=list)   # (mutator, what it did)
    mutant: Mutant | None = None

    def describe(self) -> str:
        return "; ".join(f"{name}: {text}" for name, text in self.mutations) or "(unmutated)"


def case_id(campaign_seed: int, index: int, only: list[str] | None = None) -> str:
    return f"{campaign_seed}-{index}" + (f"@{'+'.join(sorted(only))}" if only else "")


def parse_case_id(text: str) -> tuple[int, int, list[str] | None]:
    match = re.fullmatch(r"(\d+)-(\d+)(?:@([\w+]+))?", text.strip())
    if not match:
        raise ValueError(f"not a case id: {text!r} (expected SEED-INDEX or SEED-INDEX@mutator+mutator)")
    only = match.group(3).split("+") if match.group(3) else None
    unknown = [name for name in only or [] if name not in MUTATORS]
    if unknown:
        raise ValueError(f"unknown mutator(s) in case id: {', '.join(unknown)}")
    return int(match.group(1)), int(match.group(2)), only


def generate(campaign_seed: int, index: int, only: list[str] | None = None) -> Case:
    """Case `index` of campaign `campaign_seed` (restricted to the mutators `only`, if given)."""
    rng = np.random.default_rng([campaign_seed, index])
    seeds = all_seeds()
    seed = seeds[int(rng.integers(len(seeds)))]
    pool = [MUTATORS[name] for name in sorted(only)] if only else sorted(MUTATORS.values(), key=lambda m: m.name)
    count = int(rng.choice(MUTATION_COUNTS, p=MUTATION_COUNT_WEIGHTS))
    if only:
        count = max(count, 1)
    weights = np.array([m.weight for m in pool])
    drawn = [pool[int(i)] for i in rng.choice(len(pool), size=count, p=weights / weights.sum())]
    drawn.sort(key=lambda m: m.stage != "model")       # byte edits run on the final model's bytes
    case = Case(case_id(campaign_seed, index, only), seed, mutant=Mutant(seed.model()))
    for first_choice in drawn:
        _apply_one(case, first_choice, [m for m in pool if m.stage == first_choice.stage], rng)
    return case


def _apply_one(case: Case, first_choice: Mutator, same_stage: list[Mutator], rng) -> None:
    """Apply `first_choice`, or, where it finds nothing to change, another mutator of its stage."""
    choice = first_choice
    for _ in range(ATTEMPTS):
        trial = _copy(case.mutant)
        try:
            text = choice.func(trial, rng)
        except NotApplicable:
            choice = same_stage[int(rng.integers(len(same_stage)))]
            continue
        case.mutant = trial
        case.mutations.append((choice.name, text))
        return


def _copy(mutant: Mutant) -> Mutant:
    model = onnx.ModelProto()
    model.CopyFrom(mutant.model)
    return Mutant(model, dict(mutant.files), dict(mutant.links), mutant.data)


def write_case(mutant: Mutant, model_dir: Path) -> Path:
    """Write the model and the files beside it ("../x" goes into model_dir's parent); returns the model path."""
    model_dir.mkdir(parents=True, exist_ok=True)
    for relative, data in mutant.files.items():
        _inside(model_dir, relative).write_bytes(data)
    for relative, target in mutant.links.items():
        _inside(model_dir, relative).symlink_to(target)
    path = model_dir / MODEL_FILE
    path.write_bytes(mutant.serialized())
    return path


def _inside(model_dir: Path, relative: str) -> Path:
    """A path in model_dir or its parent, never further: mutators name files, not places."""
    parts = Path(relative).parts
    if not (len(parts) == 1 or (len(parts) == 2 and parts[0] == "..")) or parts[-1] in ("..", "."):
        raise ValueError(f"a case file must be NAME or ../NAME, not {relative!r}")
    return model_dir / relative
