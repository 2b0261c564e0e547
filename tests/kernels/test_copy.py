"""transpose, block copies and packed channel copies vs numpy."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bnncc import bits


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


def test_copy_blocks_concat_and_split(kernels):
    """Concat of two inputs along each axis as the compiler lowers it (two block copies into
    ranges of the output), and the Split back (two block copies out of ranges of the input)."""
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
        k.lib.bnn_copy_blocks_f32(outer, ia, ia, io, k.f32(a), k.f32(out))
        k.lib.bnn_copy_blocks_f32(outer, ib, ib, io, k.f32(b), k.f32(out[ia:]))
        np.testing.assert_array_equal(out.reshape(ref.shape), ref)
        pieces = [np.full(t.size, np.nan, np.float32) for t in (a, b)]
        k.lib.bnn_copy_blocks_f32(outer, ia, io, ia, k.f32(out), k.f32(pieces[0]))
        k.lib.bnn_copy_blocks_f32(outer, ib, io, ib, k.f32(out[ia:]), k.f32(pieces[1]))
        np.testing.assert_array_equal(pieces[0].reshape(sa), a)
        np.testing.assert_array_equal(pieces[1].reshape(sb), b)


# Channel counts around word boundaries: cuts at 0, inside a word, at 64, past it.
CHANNELS = st.sampled_from([1, 5, 31, 63, 64, 65, 100, 127, 128, 129, 190])


@settings(max_examples=200, deadline=None)
@given(st.lists(CHANNELS, min_size=1, max_size=4), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_copy_bits_concat_and_slice(kernels, sizes, pixels, seed):
    """Packed concat of pieces at any bit offset (written in order into garbage-filled words) equals
    packing the float concat, tail bits 0; copying each piece back out (a packed Slice) gives the piece."""
    k = kernels
    rng = np.random.default_rng(seed)
    minus = [rng.random((pixels, c)) < 0.5 for c in sizes]
    total = sum(sizes)
    pieces = [bits.pack_channels_last(m) for m in minus]
    out = rng.integers(0, 2**63, (pixels, bits.words(total)), dtype=np.uint64) | np.uint64(1 << 63)
    start = 0
    for c, piece in zip(sizes, pieces):
        k.lib.bnn_copy_bits(pixels, c, piece.shape[1], 0, out.shape[1], start, k.words(piece), k.words(out))
        start += c
    np.testing.assert_array_equal(out, bits.pack_channels_last(np.concatenate(minus, axis=1)))
    start = 0
    for c, piece in zip(sizes, pieces):
        back = np.full_like(piece, ~np.uint64(0))
        k.lib.bnn_copy_bits(pixels, c, out.shape[1], start, back.shape[1], 0, k.words(out), k.words(back))
        np.testing.assert_array_equal(back, piece)
        start += c
