"""Shared test setup: the generated-model zoo is importable as `zoo`, and the real models of
../shared/models are found (tests that need them skip, naming the folder, when it is absent)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS_DIR))

SHARED_MODELS = Path(os.environ.get("BNNCC_SHARED_MODELS", TESTS_DIR.parent.parent / "shared" / "models"))


@pytest.fixture(scope="session")
def shared_models() -> Path:
    if not (SHARED_MODELS / "README.md").is_file():
        pytest.skip(f"the reference models folder {SHARED_MODELS} is absent (CI provides ../shared/models)")
    return SHARED_MODELS
