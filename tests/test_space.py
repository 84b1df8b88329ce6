"""Regions of all of R^d (``regions.Space``, issue 30 item 9), against Zaslavsky's
formula, Whitney's formula in exact arithmetic (one layer, degenerate arrangements) and
the Fraction oracle on a box that provably holds every vertex of small-integer networks."""

from __future__ import annotations

import itertools
import subprocess
import sys
from fractions import Fraction
from math import comb

import exact_oracle
import numpy as np
import pytest
import regions
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from regions import Box, Space
from test_exactness import _degenerate_net


def _whitney(W: np.ndarray, b: np.ndarray) -> int:
    """Chambers of the arrangement of the distinct hyperplanes ``w·x + b = 0`` (``w != 0``)
    by Whitney's formula, in exact arithmetic: the sum over subsets with a common point
    of ``(-1)^(|S| - rank S)``."""
    planes = set()
    for w, c in zip(W.tolist(), b.tolist()):
        row = [Fraction(v) for v in (*w, c)]
        lead = next((v for v in row[:-1] if v != 0), None)
        if lead is None:
            continue
        planes.add(tuple(v / lead for v in row))
    hs = sorted(planes)
    total = 0
    for k in range(len(hs) + 1):
        for S in itertools.combinations(hs, k):
            if not S:
                total += 1
                continue
            A = [list(h[:-1]) for h in S]
            r = exact_oracle._rank(A)
            if exact_oracle._rank([list(h) for h in S]) != r:
                continue  # no common point
            total += (-1) ** (k - r)
    return total


@pytest.mark.parametrize("d, n", [(1, 7), (2, 9), (3, 8), (4, 7), (5, 6)])
def test_one_layer_in_general_position_counts_zaslavsky(d, n):
    net = regions.Network.random([d, n, 1], seed=d)
    expected = sum(comb(n, j) for j in range(d + 1))
    assert net.regions(Space(d), count_only=True) == expected
    rs = net.regions(Space(d))
    assert rs.count == expected
    # Zaslavsky's bounded chambers in general position: C(n - 1, d).
    assert rs.bounded.sum() == comb(n - 1, d)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 3),
    st.integers(1, 7),
    st.sampled_from([1.0, 0.5, 2.0**-30]),
    st.sampled_from([0, 3, 40]),
)
def test_one_layer_degenerate_arrangements_match_whitney(seed, d, n, scale, shift):
    """Coincident, opposite, parallel and zero units, concurrent hyperplanes (small
    integers), at tiny scales and with biases 2^-40: the count is Whitney's."""
    net = _degenerate_net(np.random.default_rng(seed), d, [n], "relu", scale, shift)
    layer = net.layers[0]
    assert net.regions(Space(d), count_only=True) == _whitney(layer.weights, layer.bias)


def _oracle_box_regions(net, M):
    return exact_oracle.regions(net, [-M] * net.input_dim, [M] * net.input_dim)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.sampled_from(["relu", "leaky_relu", "maxout"]),
    st.sampled_from([1.0, 0.125]),
    st.sampled_from([0, 40]),
)
def test_deep_degenerate_networks_match_the_oracle_on_a_box_holding_every_vertex(seed, widths, act, scale, shift):
    """Weights in {-2..2}·scale and biases in {-1, 0, 1}·scale·2^-shift with at most 4
    units per layer: the vertices of the region complex are ratios of small integer
    determinants (Cramer's rule), far inside [-2^24, 2^24]^2 (checked: every oracle
    vertex off the box's boundary is below 2^20), so the regions of R^2 are those
    meeting the box, and a region is unbounded exactly when it reaches the box's
    boundary. The oracle is the Fraction cell splitting of ``exact_oracle``."""
    net = _degenerate_net(np.random.default_rng(seed), 2, widths, act, scale, shift)
    M = 2.0**24
    oracle = _oracle_box_regions(net, M)
    assume(len(oracle) <= 400)
    rs = net.regions(Space(2))
    got = [tuple(p) for p in rs.patterns.astype(int).tolist()]
    assert len(set(got)) == len(got) == rs.count
    assert set(got) == {c for c, _ in oracle}
    assert net.regions(Space(2), count_only=True) == rs.count
    assert net.regions(Space(2), exact="rational", count_only=True) == rs.count
    # Unbounded exactly when the cell reaches the box's boundary.
    verts = {c: [max(abs(v) for v in x) for x in exact_oracle.vertices(cons, 2)] for c, cons in oracle}
    assert all(v < 2**20 for vs in verts.values() for v in vs if v != M)
    reaches = {c: M in vs for c, vs in verts.items()}
    assert {c: not b for c, b in zip(got, rs.bounded.tolist())} == reaches


def test_slabs_far_from_the_origin_are_counted_where_no_box_would_find_them():
    # Three parallel lines 1e6 .. 3e6 away: four slabs, none with a vertex.
    W = np.array([[1.0, 2.0], [1.0, 2.0], [-2.0, -4.0]])
    b = np.array([-1e6, -2e6, 6e6])
    net = regions.Network.from_arrays([W, np.ones((1, 3))], [b, np.zeros(1)])
    assert net.regions(Box.cube(2, -1e4, 1e4), count_only=True) == 1
    rs = net.regions(Space(2))
    assert rs.count == 4 and not rs.bounded.any()
    assert np.array_equal(net.activation_patterns(rs.interior_points), rs.patterns)
    # A slab contains a line: both directions of it are rays.
    for r in rs.rays:
        dirs = {tuple(np.sign(v).tolist()) for v in r @ np.array([[2.0], [-1.0]])}
        assert {(1.0,), (-1.0,)} <= dirs


def test_regions_of_space_hold_their_points_and_maps():
    net = regions.Network.random([2, 8, 8, 1], seed=3)
    rs = net.regions(Space(2))
    assert repr(rs).startswith(f"RegionSet(space, {rs.count} regions")
    # Monotone in the box, and equal to a box holding every vertex.
    counts = [net.regions(Box.cube(2, -M, M), count_only=True) for M in (1.0, 1e3)]
    assert counts[0] <= counts[1] == rs.count
    box_patterns = {p.tobytes() for p in net.regions(Box.cube(2)).packed_patterns}
    assert box_patterns <= {p.tobytes() for p in rs.packed_patterns}
    x = rs.interior_points
    assert np.array_equal(net.activation_patterns(x), rs.patterns)
    pred = np.einsum("rij,rj->ri", np.array([rs.output_map(i)[1] for i in range(len(rs))]), x) + np.array(
        [rs.output_map(i)[0] for i in range(len(rs))]
    )
    assert np.allclose(pred, net(x), rtol=1e-9, atol=1e-9)
    M, c = rs.affine_map(5)
    assert np.allclose(M, rs.output_map(5)[1]) and np.allclose(c, rs.output_map(5)[0])
    vols = rs.volumes
    assert np.all(np.isinf(vols[~rs.bounded])) and np.all(vols[rs.bounded] > 0)
    # Bounded regions: their points are inside the region (their pattern at the
    # points' average); unbounded: a point far along a ray stays in the region.
    for i in range(len(rs)):
        p = rs.points[i].mean(axis=0)
        if not rs.bounded[i]:
            p = x[i] + 1e3 * rs.rays[i].mean(axis=0) if np.abs(rs.rays[i].mean(axis=0)).max() > 0 else x[i]
        assert np.array_equal(net.activation_patterns(p[None])[0], rs.patterns[i])
    # Adjacent regions share a facet: their patterns differ (the pairs are checked
    # against an exact oracle in test_adjacency.py).
    adj = rs.adjacency
    assert len(adj) >= len(rs) - 1 and all((rs.patterns[i] != rs.patterns[j]).any() for i, j in adj)
    assert rs.linear_pieces().shape == (len(rs),)
    with pytest.raises(ValueError, match="plot"):
        rs.plot()


def test_space_in_one_dimension_and_pooling_and_skip_connections():
    net = regions.Network.random([1, 6, 5, 1], seed=2)
    assert net.regions(Space(1), count_only=True) == net.regions(Box.cube(1, -1e6, 1e6), count_only=True)
    # Max-pooling after ReLU and a carried input.
    layers = [
        regions.Layer.dense(
            np.array([[1.0, 2.0], [-1.0, 1.0], [0.5, -3.0], [2.0, 1.0]]), np.array([1.0, -2.0, 0.5, 3.0])
        ),
        regions.MaxPool([[0, 1], [2, 3]]),
    ]
    net = regions.Network.from_layers(layers, np.ones((1, 2)), np.zeros(1))
    oracle = _oracle_box_regions(net, 2.0**20)
    assert net.regions(Space(2), count_only=True) == len(oracle)


def test_space_arguments():
    net = regions.Network.random([2, 4, 1], seed=0)
    with pytest.raises(ValueError, match="d: must be >= 1"):
        Space(0)
    with pytest.raises(ValueError, match="d: must be <= 20"):
        Space(21)
    with pytest.raises(TypeError, match="d: expected an integer"):
        Space(True)
    with pytest.raises(ValueError, match=r"Space\(3\)"):
        net.regions(Space(3))
    with pytest.raises(ValueError, match="merge_linear_pieces"):
        net.regions(Space(2), merge_linear_pieces=True)
    with pytest.raises(regions.LimitExceededError):
        regions.Network.random([2, 16, 16, 1], seed=0).regions(Space(2), max_regions=10)
    assert repr(Space(2)) == "Space(2)"


def test_cli_counts_all_of_space():
    out = subprocess.run(
        [sys.executable, "-m", "regions", "count", "--sizes", "2-16-16-1", "--space"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    net = regions.Network.random([2, 16, 16, 1], seed=0)
    assert f"{net.regions(Space(2), count_only=True):,} linear regions on all of R^2" in out
