"""Regions of full-dimensional domains (Box, Polytope), local counts, adjacency and
linear pieces, checked against closed formulas, the 1D/2D slice code, sampling and
hand counts."""

from __future__ import annotations

import itertools
from math import comb

import numpy as np
import pytest
import regions
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import forward_reference, raises_naming
from regions import Box, Polytope


def one_layer(W, b):
    m = W.shape[0]
    return regions.Network.from_arrays([W, np.ones((1, m))], [b, np.zeros(1)])


def arrangement_box(W, b):
    """A box containing every vertex of the arrangement {W x + b = 0}."""
    m, d = W.shape
    R = 1.0
    for idx in itertools.combinations(range(m), d):
        A = W[list(idx)]
        if abs(np.linalg.det(A)) > 1e-12:
            R = max(R, np.abs(np.linalg.solve(A, -b[list(idx)])).max())
    return Box.cube(d, -1.5 * R, 1.5 * R)


@pytest.mark.parametrize("d,m", [(1, 9), (2, 10), (3, 9), (3, 14), (4, 8), (4, 11)])
def test_zaslavsky_count_in_general_dimension(d, m):
    rng = np.random.default_rng(10 * d + m)
    W, b = rng.standard_normal((m, d)), rng.standard_normal(m)
    net = one_layer(W, b)
    box = arrangement_box(W, b)
    expected = sum(comb(m, j) for j in range(d + 1))
    assert net.regions(box, count_only=True) == expected == regions.bounds.zaslavsky(m, d)
    rs = net.regions(box)
    assert rs.count == len(rs) == expected
    if d >= 2:
        assert rs.volumes.sum() == pytest.approx(box.volume, rel=1e-9)
    # Every interior point has its region's pattern; patterns are distinct.
    codes, _ = forward_reference(net, rs.interior_points)
    np.testing.assert_array_equal(rs.patterns.astype(int), codes)
    assert len({p.tobytes() for p in rs.packed_patterns}) == rs.count


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(1, 6), min_size=1, max_size=3),
    st.sampled_from(["relu", "leaky_relu", "maxout"]),
)
def test_general_code_agrees_with_plane_and_segment_code(seed, widths, act):
    for d in (1, 2):
        net = regions.Network.random([d, *widths, 1], activation=act, seed=seed, k=3)
        full = net.regions(Box.cube(d))
        if d == 2:
            sl = net.regions_on_plane(np.zeros(2), [1, 0], [0, 1], (-1, 1, -1, 1))
        else:
            sl = net.regions_on_segment([-1.0], [1.0])
        assert full.count == sl.count
        assert sorted(p.tobytes() for p in full.packed_patterns) == sorted(p.tobytes() for p in sl.packed_patterns)
        if d == 2:
            assert full.volumes.sum() == pytest.approx(4.0, rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(3, 4),
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.sampled_from(["relu", "leaky_relu", "maxout"]),
)
def test_volumes_partition_the_domain_and_interiors_match(seed, d, widths, act):
    net = regions.Network.random([d, *widths, 1], activation=act, seed=seed, k=2)
    rs = net.regions(Box.cube(d))
    assert rs.volumes.sum() == pytest.approx(2.0**d, rel=1e-8)
    codes, out = forward_reference(net, rs.interior_points)
    np.testing.assert_array_equal(rs.patterns.astype(int), codes)
    # The affine map of each region reproduces the network there.
    for i in range(min(rs.count, 5)):
        M, c = rs.affine_map(i)
        np.testing.assert_allclose(M @ rs.interior_points[i] + c, out[i], rtol=1e-9, atol=1e-9)
    # Ranks from the core's maps equal ranks of the maps composed from the patterns.
    slow = [np.linalg.matrix_rank(rs.affine_map(i)[0]) for i in range(rs.count)]
    np.testing.assert_array_equal(rs.jacobian_ranks, slow)
    # Sampled distinct patterns never exceed the exact count.
    X = np.random.default_rng(seed).uniform(-1, 1, (20_000, d))
    assert net.count_patterns(X) <= rs.count


def test_dense_sampling_finds_every_region_of_a_small_network():
    net = regions.Network.random([3, 4, 3, 1], seed=2)
    n = net.regions(Box.cube(3), count_only=True)
    # The smallest region has volume 1.7e-5 (of 8): 4 million samples hit it ~8 times.
    assert net.count_patterns_sampled(-1, 1, 4_000_000, seed=1) == n
    assert n <= net.bounds()["serra_upper (Serra et al. 2018)"]


def test_degenerate_networks_in_3d():
    # Coordinate planes (one duplicated, one scaled), a zero unit: 8 octants.
    W = np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [2, 0, 0], [0, 0, 0]])
    net = one_layer(W, np.zeros(5))
    assert net.regions(Box.cube(3), count_only=True) == 8
    # Opposite normals: the same plane.
    net2 = one_layer(np.array([[1.0, 1, 1], [-1, -1, -1]]), np.zeros(2))
    assert net2.regions(Box.cube(3), count_only=True) == 2
    # A plane through a vertex of the box only (x + y + z = 3 at (1, 1, 1)): no cut.
    net3 = one_layer(np.array([[1.0, 1, 1], [1, 0, 0]]), np.array([-3.0, 0.0]))
    assert net3.regions(Box.cube(3), count_only=True) == 2
    # Three planes through one line (the z-axis): 6 wedges.
    net4 = one_layer(np.array([[1.0, 0, 0], [0, 1, 0], [1, 1, 0]]), np.zeros(3))
    assert net4.regions(Box.cube(3), count_only=True) == 6
    # Four planes through the origin in general position: 14 regions of the central
    # arrangement (2 * sum_{j<3} C(3, j)).
    net5 = one_layer(np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]), np.zeros(4))
    assert net5.regions(Box.cube(3), count_only=True) == 14


def test_units_that_cancel_exactly_are_identically_zero():
    """Where layer 1 has pattern (0, 1, 0), layer-3 unit 1 is
    0.6 - 0.2 u - 0.6 + 0.2 u = 0 identically (u = x - 2y + 0.3), but its map composed in
    float64 is ~1e-17. The walk treats maps below their rounding error as zero
    (inactive, no cut): exact arithmetic's answer. The oracle evaluates patterns in exact
    rationals (a float forward pass sees spurious patterns there)."""
    from fractions import Fraction

    Ws = [
        np.array([[1.0, 1.0], [1.0, -2.0], [0.0, 0.0]]),
        np.array([[-0.1, -0.2, 0.2], [0.1, 0.0, 0.2], [0.2, 0.1, 0.0], [0.0, 0.1, 0.2]]),
        np.array([[1.0, 0.0, 2.0, -1.0], [1.0, 2.0, -2.0, 2.0], [-2.0, 0.0, 2.0, 0.0]]),
    ]
    bs = [np.array([0.0, 0.3, -0.3]), np.array([-0.3, 0.3, 0.3, 0.0]), np.array([-0.5, 0.0, 0.5])]
    net = regions.Network.from_layers([regions.Layer.dense(W, b) for W, b in zip(Ws, bs)], np.ones((1, 3)), np.zeros(1))

    def exact(x):
        z, codes = [Fraction(v) for v in x], []
        for W, b in zip(Ws, bs):
            h = [sum(Fraction(W[i][j]) * z[j] for j in range(len(z))) + Fraction(b[i]) for i in range(len(b))]
            codes += [int(v > 0) for v in h]
            z = [max(v, Fraction(0)) for v in h]
        return tuple(codes)

    rs = net.regions(Box.cube(2))
    assert [tuple(p) for p in rs.patterns.astype(int).tolist()] == [exact(x) for x in rs.interior_points]
    assert rs.volumes.sum() == pytest.approx(4.0)
    assert rs.count == len({exact(x) for x in np.random.default_rng(0).uniform(-1, 1, (3000, 2))})


def test_polytope_domains():
    net = regions.Network.random([3, 6, 6, 1], seed=4)
    A = np.vstack([np.eye(3), -np.eye(3)])
    as_box = net.regions(Box.cube(3), count_only=True)
    assert net.regions(Polytope(A, np.ones(6)), count_only=True) == as_box
    # The simplex {x >= 0, x1 + x2 + x3 <= 1}: its regions are a subset of the
    # patterns of a box containing it, and its volume is 1/6.
    S = Polytope(np.vstack([-np.eye(3), np.ones((1, 3))]), np.r_[np.zeros(3), 1.0])
    rs = net.regions(S)
    assert rs.volumes.sum() == pytest.approx(1 / 6, rel=1e-9)
    big = {p.tobytes() for p in net.regions(Box.cube(3, 0, 1)).packed_patterns}
    assert {p.tobytes() for p in rs.packed_patterns} <= big
    assert np.all(rs.interior_points @ S.A.T < S.b)


def test_thread_count_never_changes_a_result():
    net = regions.Network.random([3, 10, 10, 1], seed=5)
    a = net.regions(Box.cube(3), n_threads=1)
    b = net.regions(Box.cube(3), n_threads=2)
    np.testing.assert_array_equal(a.packed_patterns, b.packed_patterns)
    np.testing.assert_array_equal(a.interior_points, b.interior_points)
    X = np.random.default_rng(0).uniform(-1, 1, (8, 3))
    np.testing.assert_array_equal(net.local_regions(X, 0.2, n_threads=1), net.local_regions(X, 0.2, n_threads=2))


def test_local_regions_equal_box_counts():
    net = regions.Network.random([4, 8, 8, 1], seed=6)
    X = np.random.default_rng(1).uniform(-1, 1, (6, 4))
    counts = net.local_regions(X, 0.3)
    assert counts.dtype == np.int64 and counts.shape == (6,)
    for x, c in zip(X, counts):
        assert c == net.regions(Box(x - 0.3, x + 0.3), count_only=True)
    assert np.all(net.local_regions(X, 1e-9) == 1)


def test_count_only_limits_and_streaming():
    net = regions.Network.random([3, 12, 12, 1], seed=7)
    n = net.regions(Box.cube(3), count_only=True)
    assert isinstance(n, int) and n == net.regions(Box.cube(3)).count
    with pytest.raises(regions.LimitExceededError, match="max_regions"):
        net.regions(Box.cube(3), count_only=True, max_regions=n - 1)
    assert net.regions(Box.cube(3), count_only=True, max_regions=n) == n
    assert (
        net.regions_on_segment([-1, -1, -1], [1, 1, 1], count_only=True)
        == net.regions_on_segment([-1, -1, -1], [1, 1, 1]).count
    )


@pytest.mark.parametrize("d", [2, 3])
def test_adjacency_of_an_arrangement_is_hamming_distance_one(d):
    rng = np.random.default_rng(d)
    W, b = rng.standard_normal((6, d)), rng.standard_normal(6) * 0.3
    rs = one_layer(W, b).regions(Box.cube(d))
    P = rs.patterns.astype(int)
    expected = {(i, j) for i in range(len(P)) for j in range(i + 1, len(P)) if np.sum(P[i] != P[j]) == 1}
    assert {tuple(e) for e in rs.adjacency.tolist()} == expected


@pytest.mark.parametrize("d", [2, 3])
def test_merge_linear_pieces(d):
    rng = np.random.default_rng(11 + d)
    W, b = rng.standard_normal((5, d)), rng.standard_normal(5) * 0.3
    v = np.r_[rng.standard_normal(3), 0.0, 0.0]  # units 4 and 5 do not reach the output
    net = regions.Network.from_arrays([W, v[None]], [b, np.zeros(1)])
    fewer = regions.Network.from_arrays([W[:3], v[None, :3]], [b[:3], np.zeros(1)])
    box = Box.cube(d, -2, 2)
    merged = net.regions(box, merge_linear_pieces=True)
    assert merged.count == fewer.regions(box, count_only=True) < len(merged)
    assert net.regions(box, merge_linear_pieces=True, count_only=True) == merged.count
    if d == 2:
        sl = net.regions_on_plane(np.zeros(2), [1, 0], [0, 1], (-2, 2, -2, 2), merge_linear_pieces=True)
        assert sl.count == merged.count and "linear pieces" in repr(sl)
    # On a segment: a line crossing the dead units' hyperplanes.
    p, q = -2 * np.ones(d), 2 * np.ones(d)
    assert net.regions_on_segment(p, q, merge_linear_pieces=True, count_only=True) == fewer.regions_on_segment(
        p, q, count_only=True
    )


BAD = [
    (lambda n: n.regions(Box([0, 0], [1, 1])), ValueError, "domain: a box of dimension 2"),
    (lambda n: n.regions([0, 1]), TypeError, "domain: expected regions.Box, regions.Polytope or regions.Space"),
    (lambda n: Box([0, 1, 0], [1, 1, 1]), ValueError, "lo, hi: need lo < hi"),
    (lambda n: Box([0, 0], [1, 1, 1]), ValueError, "lo, hi: expected two vectors"),
    (lambda n: Box([0, np.nan, 0], [1, 1, 1]), ValueError, "lo: contains NaN"),
    (lambda n: n.regions(Polytope(np.vstack([np.eye(3), -np.eye(3)[:2]]), np.ones(5))), ValueError, "unbounded"),
    (
        lambda n: n.regions(Polytope(np.vstack([np.eye(3), -np.eye(3)]), np.r_[np.ones(3), -2 * np.ones(3)])),
        ValueError,
        "empty interior",
    ),
    (lambda n: Polytope(np.vstack([np.eye(3), np.zeros((1, 3))]), np.ones(4)), ValueError, "A: row 3 is zero"),
    (lambda n: Polytope(np.eye(3), np.ones(2)), ValueError, "A, b: A has 3 rows but b has 2"),
    (lambda n: n.regions(Box.cube(3), tol=0.1), ValueError, "tol: must be in [0, 1e-3)"),
    (lambda n: n.local_regions(np.zeros((2, 3)), 0.0), ValueError, "radius: must be > 0"),
    (lambda n: n.local_regions(np.zeros((2, 2)), 0.1), ValueError, "X: expected"),
    (lambda n: regions.Network.random([21, 2, 1]).regions(Box.cube(21)), ValueError, "2^21 vertices"),
    (lambda n: Box([], []), ValueError, "lo: must not be empty"),
    (lambda n: Box(["a"], ["b"]), TypeError, "lo: expected a real"),
    (lambda n: Polytope(np.array([[np.nan, 0, 0]] * 4), np.ones(4)), ValueError, "A: contains NaN"),
    (lambda n: Polytope(np.array([["a", "b", "c"]] * 4), np.ones(4)), TypeError, "A: expected a real"),
    (lambda n: Polytope(np.zeros((0, 3)), np.zeros(0)), ValueError, "A: must not be empty"),
    (lambda n: n.local_regions(np.array([[0, np.nan, 0]]), 0.1), ValueError, "X: contains NaN"),
    (lambda n: n.local_regions(np.array([[1 + 1j, 0, 0]]), 0.1), TypeError, "X: expected a real"),
    (lambda n: n.local_regions(np.zeros((0, 3)), 0.1), ValueError, "X: must not be empty"),
    (lambda n: n.local_regions(np.zeros((2, 3)), "x"), TypeError, "radius: expected a real number"),
    (lambda n: n.regions(Box.cube(3), max_regions=1.5), TypeError, "max_regions: expected an integer"),
    (lambda n: n.regions(Box.cube(3)).linear_pieces(rtol=np.nan), ValueError, "rtol: must be finite"),
]


@pytest.mark.parametrize("call,exc,frag", BAD, ids=[b[2] for b in BAD])
def test_bad_input(call, exc, frag):
    raises_naming(call, exc, frag, regions.Network.random([3, 4, 1]))


def shared_edge_pairs(polys, tol=1e-9):
    """Independent oracle: pairs of convex polygons sharing an edge piece of positive
    length (collinear edges with opposite directions and overlapping extents)."""
    pairs = set()
    edges = []
    for p in polys:
        q = np.roll(p, -1, axis=0)
        edges.append([(a, b) for a, b in zip(p, q) if np.linalg.norm(b - a) > tol])
    for i in range(len(polys)):
        for j in range(i + 1, len(polys)):
            found = False
            for a, b in edges[i]:
                u = (b - a) / np.linalg.norm(b - a)
                n = np.array([-u[1], u[0]])
                for c, e in edges[j]:
                    if abs((c - a) @ n) > tol or abs((e - a) @ n) > tol or (e - c) @ u > 0:
                        continue  # not on the same line, or not opposite
                    lo, hi = sorted(((c - a) @ u, (e - a) @ u))
                    if min(hi, (b - a) @ u) - max(lo, 0.0) > tol:
                        found = True
                        break
                if found:
                    break
            if found:
                pairs.add((i, j))
    return pairs


@pytest.mark.parametrize("seed,act", [(0, "relu"), (1, "relu"), (2, "leaky_relu"), (3, "maxout")])
def test_adjacency_of_deep_networks_matches_shared_edges(seed, act):
    net = regions.Network.random([2, 6, 6, 1], activation=act, seed=seed)
    for rs in (net.regions(Box.cube(2)), net.regions_on_plane(np.zeros(2), [1, 0], [0, 1], (-1, 1, -1, 1))):
        assert {tuple(e) for e in rs.adjacency.tolist()} == shared_edge_pairs(rs.polygons)


def exact_codes(net, x):
    """Pattern of ``x`` in exact rational arithmetic (ReLU, leaky ReLU, maxout)."""
    from fractions import Fraction

    z, codes = [Fraction(v) for v in x], []
    for layer in net.layers:
        W, b = layer.weights, layer.bias
        if layer.kind == "maxout":
            h = [
                [sum(Fraction(W[i, r, j]) * z[j] for j in range(len(z))) + Fraction(b[i, r]) for r in range(W.shape[1])]
                for i in range(W.shape[0])
            ]
            best = [max(range(len(hi)), key=lambda r, hi=hi: (hi[r], -r)) for hi in h]
            codes += best
            z = [hi[r] for hi, r in zip(h, best)]
        else:
            h = [sum(Fraction(W[i, j]) * z[j] for j in range(len(z))) + Fraction(b[i]) for i in range(len(b))]
            codes += [int(v > 0) for v in h]
            slope = Fraction(layer.alpha) if layer.kind == "leaky_relu" else Fraction(0)
            z = [v if v > 0 else slope * v for v in h]
    return tuple(codes)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 3),
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.sampled_from(["relu", "leaky_relu", "maxout"]),
    st.sampled_from([0.5, 1.0, 0.1]),
)
def test_degenerate_small_integer_networks_against_exact_rationals(seed, d, widths, act, scale):
    """Weights in {-2..2}·scale and biases in {-1, 0, 1}·scale: coincident and parallel
    boundaries, boundaries through vertices and exact cancellations everywhere."""
    rng = np.random.default_rng(seed)
    sizes = [d, *widths]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        if act == "maxout":
            W = rng.integers(-2, 3, (b, 2, a)) * scale
            layers.append(regions.Layer.dense(W, rng.integers(-1, 2, (b, 2)) * scale, "maxout"))
        else:
            layers.append(regions.Layer.dense(rng.integers(-2, 3, (b, a)) * scale, rng.integers(-1, 2, b) * scale, act))
    net = regions.Network.from_layers(layers, np.ones((1, sizes[-1])), np.zeros(1))
    # The tolerance mode (the default before exact mode): its regions are never thinner
    # than float resolution, so float interior points carry their patterns. Exact mode
    # is checked against a rational oracle in test_exactness.py.
    rs = net.regions(Box.cube(d), exact=False)
    pats = [tuple(p) for p in rs.patterns.astype(int).tolist()]
    assert pats == [exact_codes(net, x) for x in rs.interior_points]
    assert len(set(pats)) == len(pats)
    assert rs.volumes.sum() == pytest.approx(2.0**d, rel=1e-9)
    known = set(pats)
    for x in rng.uniform(-1, 1, (300, d)):
        assert exact_codes(net, x) in known


@settings(max_examples=15, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 4),
    st.lists(st.integers(2, 8), min_size=1, max_size=3),
    st.sampled_from(["relu", "leaky_relu", "maxout"]),
)
def test_thread_count_never_changes_regions(seed, d, widths, act):
    net = regions.Network.random([d, *widths, 1], activation=act, seed=seed)
    a = net.regions(Box.cube(d), n_threads=1)
    b = net.regions(Box.cube(d), n_threads=2)
    np.testing.assert_array_equal(a.packed_patterns, b.packed_patterns)
    for va, vb in zip(a.vertices, b.vertices):
        np.testing.assert_array_equal(va, vb)
    assert net.regions(Box.cube(d), count_only=True, n_threads=2) == a.count


def _shared_boundary(P, Q):
    """Length of the boundary of convex polygon P inside the closed convex polygon Q
    (counter-clockwise vertices), with a relative tolerance of 1e-12."""
    tot = 0.0
    for a, b in zip(P, np.roll(P, -1, 0)):
        t0, t1 = 0.0, 1.0
        for c, d in zip(Q, np.roll(Q, -1, 0)):
            e = d - c
            nrm = np.array([e[1], -e[0]])
            fa, fb = nrm @ (a - c), nrm @ (b - c)
            s = 1e-12 * np.linalg.norm(e) * (1 + np.abs(P).max())
            if fa > s and fb > s:
                t0, t1 = 1.0, 0.0
                break
            if fa > s or fb > s:
                t = fa / (fa - fb)
                t0, t1 = (max(t0, t), t1) if fa > s else (t0, min(t1, t))
        tot += max(t1 - t0, 0.0) * np.linalg.norm(b - a)
    return tot


@pytest.mark.parametrize("seed", [0, 1, 3, 4, 5])
def test_adjacent_regions_share_a_boundary_segment(seed):
    """Near-degenerate weights (small integers plus 1e-7 noise) make slivers about 5e-8
    wide; stepping 1e-6 off a facet crossed them and paired regions that share no
    boundary (41 such pairs at seed 0). The nearest region across the facet is taken."""
    rng = np.random.default_rng(seed)
    W = [
        rng.integers(-2, 3, (6, 2)) + 1e-7 * rng.normal(size=(6, 2)),
        rng.integers(-2, 3, (4, 6)) + 1e-7 * rng.normal(size=(4, 6)),
        rng.integers(-2, 3, (1, 4)).astype(float),
    ]
    b = [rng.integers(-1, 2, 6) + 1e-7 * rng.normal(size=6), rng.integers(-1, 2, 4).astype(float), np.zeros(1)]
    rs = regions.Network.from_arrays(W, b).regions_on_plane([0, 0], [1, 0], [0, 1], (-2, 2, -2, 2))
    polys = rs.polygons
    assert len(rs.adjacency) > 0
    for i, j in rs.adjacency:
        assert _shared_boundary(polys[i], polys[j]) > 1e-13, (i, j)
