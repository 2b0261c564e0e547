"""The TVM backend's tests: compiled models are cached for the session (TVM builds take seconds).
Each test module skips itself where apache-tvm is missing (`tvm_testing.require_tvm`)."""
from __future__ import annotations

import pytest

from tvm_testing import BuildCache


@pytest.fixture(scope="session")
def tvm_builds(tmp_path_factory) -> BuildCache:
    return BuildCache(tmp_path_factory.mktemp("tvm-builds"))
