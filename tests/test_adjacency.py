"""Exact adjacency (issue 30 item 2) against an independent rational oracle: two regions
are adjacent when the closures of their cells share a piece of dimension ``d - 1``,
decided here by enumerating the vertices of the intersection in Fractions
(``exact_oracle.vertices``) and taking their affine rank."""

from __future__ import annotations

import exact_oracle
import numpy as np
import pytest
import regions
from hypothesis import example, given, settings
from hypothesis import strategies as st
from regions import Box


def oracle_pairs(net, box, patterns):
    """Adjacent pairs, as indices into ``patterns`` (rows of codes), by the oracle."""
    cells = dict(exact_oracle.regions(net, box.lo, box.hi))
    index = {tuple(p): i for i, p in enumerate(patterns)}
    assert set(index) == set(cells)
    d = len(box.lo)
    keys = sorted(cells, key=lambda c: index[c])
    verts = {c: exact_oracle.vertices(cells[c], d) for c in keys}
    lo = {c: [min(v[i] for v in verts[c]) for i in range(d)] for c in keys}
    hi = {c: [max(v[i] for v in verts[c]) for i in range(d)] for c in keys}

    def inside(v, cons):
        return all(c[0] + sum(a * x for a, x in zip(c[1:], v)) >= 0 for c in cons)

    out = set()
    for a in range(len(keys)):
        for b in range(a + 1, len(keys)):
            A, B = keys[a], keys[b]
            if any(lo[A][i] > hi[B][i] or lo[B][i] > hi[A][i] for i in range(d)):
                continue
            if d <= 2:
                # In the plane the common segment's ends are vertices of A or B.
                common = {v for v in verts[A] if inside(v, cells[B])} | {v for v in verts[B] if inside(v, cells[A])}
                if len(common) >= d:
                    out.add((index[A], index[B]))
                continue
            vs = exact_oracle.vertices(cells[A] + cells[B], d)
            if len(vs) < d:
                continue
            v0 = vs[0]
            if exact_oracle._rank([[x - y for x, y in zip(v, v0)] for v in vs[1:]]) == d - 1:
                out.add((index[A], index[B]))
    return out


def pairs(rs):
    return {tuple(e) for e in rs.adjacency.tolist()}


def degenerate_net(seed: int, d: int, act: str, pool: bool, n_max: int = 4, m_out: int = 3):
    """Small integer weights (coincident, opposite and dead units, concurrent
    hyperplanes), optionally max-pooling, and a second layer that reads few inputs (so
    that its boundaries may end on a first-layer hyperplane from one side)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, n_max + 1))
    W, b = rng.integers(-2, 3, (n, d)).astype(float), rng.integers(-1, 2, n).astype(float)
    if n >= 3:
        W[rng.integers(n)] = 0.0
        j, k = rng.integers(n, size=2)
        W[j], b[j] = W[k] * rng.choice([1.0, -1.0, 2.0]), b[k]
    kw = {"alpha": 0.25} if act == "leaky_relu" else {}
    layers = [regions.Layer.dense(W, b, act, **kw)]
    m = n
    if pool and n >= 3:
        layers.append(regions.MaxPool([[i, i + 1] for i in range(n - 1)], n))
        m = n - 1
    W2 = rng.integers(-2, 3, (m_out, m)).astype(float) * (rng.random((m_out, m)) < 0.6)
    layers.append(regions.Layer.dense(W2, rng.integers(-1, 2, m_out).astype(float), act, **kw))
    return regions.Network.from_layers(layers, np.ones((1, m_out)), np.zeros(1))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["relu", "leaky_relu"]), st.booleans())
@example(seed=7, act="relu", pool=False)
def test_adjacency_in_the_plane_equals_the_rational_oracle(seed, act, pool):
    net = degenerate_net(seed, 2, act, pool)
    box = Box.cube(2, -2.0, 2.0)
    rs = net.regions(box)
    want = oracle_pairs(net, box, rs.patterns.astype(int).tolist())
    assert pairs(rs) == want
    # The same square as a plane slice: the same regions, the same pairs.
    pl = net.regions_on_plane([0.0, 0.0], [1.0, 0.0], [0.0, 1.0], (-2, 2, -2, 2))
    index = {tuple(p): i for i, p in enumerate(rs.patterns.astype(int).tolist())}
    back = [index[tuple(p)] for p in pl.patterns.astype(int).tolist()]
    assert {tuple(sorted((back[i], back[j]))) for i, j in pairs(pl)} == want


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["relu", "leaky_relu"]), st.booleans())
def test_adjacency_in_3d_equals_the_rational_oracle(seed, act, pool):
    net = degenerate_net(seed, 3, act, pool, n_max=3, m_out=2)
    box = Box.cube(3, -2.0, 2.0)
    rs = net.regions(box)
    assert pairs(rs) == oracle_pairs(net, box, rs.patterns.astype(int).tolist())


def test_regions_meeting_at_a_corner_only_are_not_adjacent():
    # x = 0 and y = 0: four quadrants; diagonal quadrants share only the origin.
    net = regions.Network.from_arrays([np.eye(2), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    rs = net.regions(Box.cube(2))
    P = rs.patterns.astype(int)
    want = {(i, j) for i in range(4) for j in range(i + 1, 4) if np.sum(P[i] != P[j]) == 1}
    assert pairs(rs) == want and len(want) == 4


def test_a_boundary_bent_by_an_earlier_unit():
    # h = relu(y), v = relu(h - x): above y = 0 the boundary of v is x = y, below it is
    # x = 0; the two halves of each side of v meet along y = 0 in matching pieces.
    W1 = np.array([[0.0, 1.0], [1.0, 0.0]])
    W2 = np.array([[1.0, -1.0]])
    net = regions.Network.from_arrays([W1, W2, np.ones((1, 1))], [np.zeros(2), np.zeros(1), np.zeros(1)])
    rs = net.regions(Box.cube(2))
    want = oracle_pairs(net, Box.cube(2), rs.patterns.astype(int).tolist())
    assert pairs(rs) == want
    seg = net.regions_on_segment([-1.0, -0.5], [1.0, 0.5])
    assert pairs(seg) == {(i, i + 1) for i in range(seg.count - 1)}


@pytest.mark.parametrize("d", [1, 4])
def test_adjacency_in_1d_and_4d_against_the_oracle(d):
    rng = np.random.default_rng(d)
    n = 4 if d == 1 else 3
    W = rng.integers(-2, 3, (n, d)).astype(float)
    W[1] = W[0]
    b = rng.integers(-1, 2, n).astype(float)
    W2 = rng.integers(-2, 3, (1, n)).astype(float)
    net = regions.Network.from_arrays([W, W2, np.ones((1, 1))], [b, np.zeros(1), np.zeros(1)])
    box = Box.cube(d, -2.0, 2.0)
    rs = net.regions(box)
    assert pairs(rs) == oracle_pairs(net, box, rs.patterns.astype(int).tolist())


def test_adjacent_regions_have_equal_facets_and_coincident_units_flip_together():
    # Units 0 and 1 are the same hyperplane x = 0 (1 scaled by 2): crossing it flips
    # both; unit 2 (y = 0) is dead on x < 0 after the second layer. The oracle decides.
    W1 = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    W2 = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    net = regions.Network.from_arrays([W1, W2, np.ones((1, 2))], [np.zeros(3), np.zeros(2), np.zeros(1)])
    rs = net.regions(Box.cube(2))
    assert pairs(rs) == oracle_pairs(net, Box.cube(2), rs.patterns.astype(int).tolist())


def test_adjacency_agrees_across_thread_counts_and_is_sorted():
    net = regions.Network.random([3, 8, 8, 1], seed=3)
    rs = net.regions(Box.cube(3))
    a = rs.adjacency
    assert a.dtype == np.int64 and a.shape[1] == 2
    assert np.all(a[:, 0] < a[:, 1])
    assert [tuple(e) for e in a.tolist()] == sorted(tuple(e) for e in a.tolist())
    kind, lo, hi, through, origin, dirs = rs._exact_domain
    from regions import _core

    one = _core.exact_adjacency(
        net._core, np.ascontiguousarray(rs._packed), kind, origin, dirs, lo, hi, through, n_threads=1
    )
    np.testing.assert_array_equal(one, a)


def _both_paths(rs):
    """The pairs of ``rs.adjacency`` (from the walk's facets, exact cells only for the
    regions whose signs the float filter did not decide strictly) and of the exact
    cells of every region (``cells=True``): two exact methods that share no code."""
    return rs.adjacency, rs._exact_adjacency(cells=True)


def mixed_net(seed: int, d: int, act: str, width: int, depth: int = 2):
    """Gaussian layers, some rounded to quarters or integers, with a coincident
    (scaled or opposite) unit, a zero row and a sparse row with zero bias injected:
    generic regions next to degenerate ones, so that both paths of the walk-based
    adjacency (flip the facet's unit; exact cells) run on one set."""
    rng = np.random.default_rng(seed)
    kw = {"alpha": 0.25} if act == "leaky_relu" else {}
    layers, n_in = [], d
    for _ in range(depth):
        W, b = rng.normal(size=(width, n_in)), rng.normal(size=width) * 0.5
        q = rng.choice([0, 4, 1])
        if q:
            W, b = np.round(W * q) / q, np.round(b * q) / q
        j, k = rng.integers(width, size=2)
        if rng.random() < 0.5:
            W[j], b[j] = W[k] * rng.choice([1.0, -1.0, 2.0, 0.5]), b[k]
        if rng.random() < 0.3:
            W[rng.integers(width)] = 0.0
        if rng.random() < 0.5:
            r = rng.integers(width)
            W[r] *= rng.random(n_in) < 0.3
            b[r] = 0.0
        layers.append(regions.Layer.dense(W, b, act, **kw))
        n_in = width
    return regions.Network.from_layers(layers, np.ones((1, n_in)), np.zeros(1))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([2, 3, 4]), st.sampled_from(["relu", "leaky_relu"]))
@example(seed=0, d=2, act="relu")
@example(seed=1, d=3, act="leaky_relu")
def test_the_walks_facets_and_the_exact_cells_give_the_same_pairs(seed, d, act):
    net = mixed_net(seed, d, act, width={2: 10, 3: 8, 4: 5}[d])
    sets = [net.regions(Box.cube(d, -2.0, 2.0))]
    if d >= 3:
        e = np.eye(d)
        sets.append(net.regions_on_plane(np.zeros(d), e[0] + 0.5 * e[1], e[2], (-2, 2, -2, 2)))
        A = np.vstack([e, -e, np.ones((1, d))])
        sets.append(net.regions(regions.Polytope(A, np.r_[np.full(2 * d, 2.0), 2.5])))
    for rs in sets:
        walk, cells = _both_paths(rs)
        np.testing.assert_array_equal(walk, cells)


def test_the_walks_facets_on_a_generic_network_equal_the_exact_cells():
    # 15,619 regions, all clean: every pair comes from flipping a facet's unit.
    net = regions.Network.random([3, 16, 16, 16, 1], seed=0)
    walk, cells = _both_paths(net.regions(Box.cube(3)))
    assert len(walk) == 45677
    np.testing.assert_array_equal(walk, cells)
    pl = net.regions_on_plane([0.1, 0, 0], [1, 0.3, 0], [0, 0, 1], (-1, 1, -1, 1))
    np.testing.assert_array_equal(*_both_paths(pl))


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([1, 2, 3]),
    st.sampled_from(["relu", "leaky_relu"]),
    st.booleans(),
)
@example(seed=0, d=2, act="relu", pool=False)
def test_adjacency_of_all_of_space_equals_the_oracle(seed, d, act, pool):
    # Small-integer networks: every region of R^d, and a relative interior point of
    # every common facet, lies well inside [-1e4, 1e4]^d, so the oracle there decides.
    net = degenerate_net(seed, d, act, pool, n_max=4 if d <= 2 else 3, m_out=3 if d <= 2 else 2)
    sp = net.regions(regions.Space(d))
    want = oracle_pairs(net, Box.cube(d, -1e4, 1e4), sp.patterns.astype(int).tolist())
    assert pairs(sp) == want


def test_space_adjacency_across_ridges_of_the_homogenization_surface():
    # Breakpoints at x = +-1 are the ridges where the top facet (t = 1) meets the side
    # facets x = +-1: no facet of S holds a unit-made facet of both traces.
    net = regions.Network.from_arrays([np.ones((2, 1)), np.ones((1, 2))], [np.array([-1.0, 1.0]), np.zeros(1)])
    sp = net.regions(regions.Space(1))
    P = sp.patterns.astype(int).tolist()
    mid, left, right = P.index([0, 1]), P.index([0, 0]), P.index([1, 1])
    assert pairs(sp) == {tuple(sorted((mid, left))), tuple(sorted((mid, right)))}
    # In the plane: x1 = 1 bounded to |x2| < 1 by a second layer (a piece of the
    # ridge x1 = 1, t = 1), next to generic regions.
    W1 = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    b1 = np.array([-1.0, -1.0, -1.0])
    W2 = np.array([[1.0, -1.0, -1.0]])
    net = regions.Network.from_arrays([W1, W2, np.ones((1, 1))], [b1, np.zeros(1), np.zeros(1)])
    sp = net.regions(regions.Space(2))
    assert pairs(sp) == oracle_pairs(net, Box.cube(2, -1e4, 1e4), sp.patterns.astype(int).tolist())


def test_space_adjacency_of_a_generic_network_equals_a_large_box():
    net = regions.Network.random([2, 8, 8, 1], seed=1)
    sp = net.regions(regions.Space(2))
    bx = net.regions(Box.cube(2, -1e4, 1e4))
    index = {tuple(p): i for i, p in enumerate(sp.patterns.astype(int).tolist())}
    back = [index[tuple(p)] for p in bx.patterns.astype(int).tolist()]
    assert pairs(sp) == {tuple(sorted((back[i], back[j]))) for i, j in pairs(bx)}
