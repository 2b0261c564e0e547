"""transpose and block copy vs numpy."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st


@st.composite
def transpose_case(draw):
    rank = draw(st.integers(1, 6))
    shape = draw(st.lists(st.integers(1, 5), min_size=rank, max_size=rank))
    perm = draw(st.permutations(list(range(rank))))
    return shape, perm


@given(transpose_case())
def test_transpose(kernels, case):
    k = kernels
    shape, perm = case
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    out = np.full(x.size, np.nan, np.float32)
    k.lib.bnn_transpose_f32(len(shape), k.ints(shape), k.ints(perm), k.f32(x), k.f32(out))
    np.testing.assert_array_equal(out, np.transpose(x, perm).reshape(-1))


def test_transpose_edge(kernels):
    k = kernels
    x = np.array([5.0], np.float32)
    out = np.zeros(1, np.float32)
    k.lib.bnn_transpose_f32(0, k.ints([]), k.ints([]), k.f32(x), k.f32(out))
    assert out[0] == 5.0
    e = np.zeros((0, 3), np.float32)
    k.lib.bnn_transpose_f32(2, k.ints([0, 3]), k.ints([1, 0]), k.f32(e), k.f32(out))  # nothing written
    assert out[0] == 5.0


def test_copy_blocks_concat(kernels):
    """Concat of two inputs along each axis as the compiler lowers it (two block copies)."""
    k = kernels
    rng = np.random.default_rng(0)
    for axis in range(4):
        sa, sb = [2, 4, 3, 5], [2, 4, 3, 5]
        sa[axis], sb[axis] = 3, 6
        a = rng.standard_normal(sa).astype(np.float32)
        b = rng.standard_normal(sb).astype(np.float32)
        ref = np.concatenate([a, b], axis=axis)
        out = np.full(ref.size, np.nan, np.float32)
        outer = int(np.prod(ref.shape[:axis]))
        ia, ib, io = (int(np.prod(t.shape[axis:])) for t in (a, b, ref))
        k.lib.bnn_copy_blocks_f32(outer, ia, io, 0, k.f32(a), k.f32(out))
        k.lib.bnn_copy_blocks_f32(outer, ib, io, ia, k.f32(b), k.f32(out))
        np.testing.assert_array_equal(out.reshape(ref.shape), ref)
