"""fuse_output_transforms._thresholds_through: thresholds on a float32 z moved onto y = (z * s) + b
pass exactly the same z, checked on every float32 around them; refused where rounding merges the
threshold with its failing neighbour."""
from __future__ import annotations

import numpy as np

from bnncc.passes.fuse_output_transforms import _thresholds_through


def _passes(v, t, d):
    return np.where(d > 0, v >= t, v <= t)


def test_moved_thresholds_pass_the_same_values():
    rng = np.random.default_rng(0)
    channels = 64
    scale = rng.uniform(0.5, 3, channels).astype(np.float32) * rng.choice([-1, 1], channels).astype(np.float32)
    bias = rng.normal(0, 4, channels).astype(np.float32)
    t = rng.normal(0, 20, channels).astype(np.float32)
    d = rng.choice([-1, 0, 1], channels).astype(np.int8)
    # as a folded threshold is: the end of its run of z that f maps to one y (t's failing neighbour
    # maps elsewhere); f merges up to about 1 / |s| neighbours
    failing = np.where(d > 0, np.float32(-np.inf), np.float32(np.inf))
    for _ in range(8):
        f_t, f_n = (((v * scale).astype(np.float32) + bias).astype(np.float32) for v in (t, np.nextafter(t, failing)))
        t = np.where(f_t == f_n, np.nextafter(t, failing), t)
    t[3] = np.nan                                            # never passes
    moved = _thresholds_through(scale, bias, t, d)
    assert moved is not None
    t2, d2 = moved
    assert np.isnan(t2[3])
    for step in range(-300, 301):                            # every float32 near each threshold
        z = t.copy()
        for _ in range(abs(step)):
            z = np.nextafter(z, np.float32(np.inf) if step > 0 else np.float32(-np.inf))
        y = ((z * scale).astype(np.float32) + bias).astype(np.float32)
        assert np.array_equal(_passes(z, t, d), _passes(y, t2, d2)), step
    far = np.array([-1e30, 1e30, np.nan], np.float32)[:, None]
    y = ((far * scale).astype(np.float32) + bias).astype(np.float32)
    assert np.array_equal(_passes(far, t, d), _passes(y, t2, d2))


def test_refused_where_no_threshold_on_y_separates():
    t, d = np.array([1.0], np.float32), np.array([1], np.int8)
    assert _thresholds_through(np.float32([0.0]), np.float32([1.0]), t, d) is None          # constant map
    # z * 1e-30 + 1 is 1 for both t and the float below it
    assert _thresholds_through(np.float32([1e-30]), np.float32([1.0]), t, d) is None
