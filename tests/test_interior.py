"""Certified interior points (issue 30 item 3): every interior point has its region's
pattern in exact arithmetic (the Fraction oracle's forward pass); where no float point
is strictly inside, the row is NaN and the exact rational point is inside."""

from __future__ import annotations

from fractions import Fraction

import exact_oracle
import numpy as np
import regions
from hypothesis import given, settings
from hypothesis import strategies as st
from regions import Box
from test_exactness import _degenerate_net


def _check(net, rs):
    x, exact = rs.interior_points, rs.interior_points_exact
    assert len(exact) == len(rs) == x.shape[0]
    for i, code in enumerate(rs.patterns.astype(int).tolist()):
        nums, den = exact[i]
        pt = [Fraction(n, den) for n in nums]
        if np.all(np.isfinite(x[i])):
            assert pt == [Fraction(float(v)) for v in x[i]]
        else:
            assert np.all(np.isnan(x[i]))
        assert exact_oracle.codes_at(net, pt) == tuple(code)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.sampled_from(["relu", "leaky_relu", "maxout"]),
    st.sampled_from([1.0, 0.1]),
    st.sampled_from([0, 40]),
    st.sampled_from(["box", "plane", "segment", "box3"]),
)
def test_every_interior_point_has_its_regions_pattern_exactly(seed, widths, act, scale, shift, where):
    d = 3 if where == "box3" else 2
    net = _degenerate_net(np.random.default_rng(seed), d, widths, act, scale, shift)
    if where in ("box", "box3"):
        rs = net.regions(Box.cube(d))
    elif where == "plane":
        rs = net.regions_through([-1.0, -0.5], [1.0, -0.25], [0.0, 1.0])
    else:
        rs = net.regions_on_segment([-1.0, -0.75], [1.0, 0.5])
    _check(net, rs)


def test_a_sliver_without_a_float_inside_gets_an_exact_point():
    # x = -0.3 and x = -(0.3 + 2^-55): no float64 strictly between them.
    b = np.array([0.3, 0.3 + 2.0**-55])
    net = regions.Network.from_arrays([np.array([[1.0, 0.0], [1.0, 0.0]]), np.ones((1, 2))], [b, np.zeros(1)])
    lo, hi = -Fraction(0.3 + 2.0**-55), -Fraction(0.3)
    for rs in (
        net.regions(Box.cube(2)),
        net.regions_on_plane([0, 0], [1, 0], [0, 1], (-1, 1, -1, 1)),
        net.regions_on_segment([-1, 0], [1, 0.5]),
    ):
        assert rs.count == 3
        x = rs.interior_points
        thin = [i for i in range(3) if np.isnan(x[i]).any()]
        assert len(thin) == 1
        nums, den = rs.interior_points_exact[thin[0]]
        assert lo < Fraction(nums[0], den) < hi
        _check(net, rs)


def test_pooling_and_skip_connections():
    layers = [
        regions.Layer.dense(
            np.array([[1.0, 2.0], [-1.0, 1.0], [0.5, -3.0], [2.0, 1.0]]), np.array([1.0, -2.0, 0.5, 0.0])
        ),
        regions.MaxPool([[0, 1], [2, 3]]),
        regions.Layer.dense(np.array([[1.0, -1.0], [0.0, 0.0]]), np.array([0.25, 0.0])),
    ]
    net = regions.Network.from_layers(layers, np.ones((1, 2)), np.zeros(1))
    _check(net, net.regions(Box.cube(2, -3, 3)))
