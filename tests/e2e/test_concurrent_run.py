"""`run()` from several Python threads at once gives every caller its own right answer (issue 9,
item 2: cffi releases the GIL, and the calls shared one arena)."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import bnncc
import zoo

THREADS, CALLS, DISTINCT_INPUTS = 4, 200, 8


def _hammer(model, inputs, expected) -> int:
    """Wrong results among THREADS x CALLS calls of model.run, each thread cycling through the inputs."""
    start, wrong, lock = threading.Barrier(THREADS), [0], threading.Lock()

    def worker(offset):
        start.wait()
        for call in range(CALLS):
            k = (call + offset) % DISTINCT_INPUTS
            outputs = model.run(inputs[k])
            if not all(np.array_equal(a, b) for a, b in zip(outputs, expected[k])):
                with lock:
                    wrong[0] += 1

    workers = [threading.Thread(target=worker, args=(offset,)) for offset in range(THREADS)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return wrong[0]


def _check(source, threads: int, tmp_path) -> None:
    model = bnncc.compile(source, target="generic-c", threads=threads, output_dir=tmp_path / "art")
    spec = model.inputs[0]
    rng = np.random.default_rng(5)
    # batches of 1 and 2 samples: a call's batch loop reuses the arena between its samples too
    inputs = [rng.standard_normal((1 + k % 2,) + tuple(spec.shape[1:])).astype(np.float32)
              for k in range(DISTINCT_INPUTS)]
    alone = model.build()                    # a second library, run from this thread only
    expected = [alone.run(x) for x in inputs]
    alone.close()
    # the model's own library is built by the first of the four threads (the others wait for it)
    assert _hammer(model, inputs, expected) == 0


@pytest.mark.parametrize("threads", [1, 2])
def test_bireal_block_from_four_threads(threads, tmp_path):
    _check(zoo.bireal_block(seed=3).SerializeToString(), threads, tmp_path)


@pytest.mark.parametrize("threads", [1, 2])
def test_finn_tfc_from_four_threads(threads, shared_models, tmp_path):
    _check(shared_models / "qonnx_model_zoo__TFC_1W1A.onnx", threads, tmp_path)


def test_a_caller_may_pass_its_own_arena(tmp_path):
    model = bnncc.compile(zoo.bireal_block(seed=3).SerializeToString(), target="generic-c", output_dir=tmp_path / "a")
    native = model.build()
    x = np.random.default_rng(0).standard_normal((2,) + tuple(model.inputs[0].shape[1:])).astype(np.float32)
    arena = np.zeros(native.arena_bytes, np.uint8)
    assert np.array_equal(native.run(x, arena=arena)[0], native.run(x)[0])
    with pytest.raises(bnncc.BnnccError, match="arena"):
        native.run(x, arena=arena[:-1])
