"""Exact region counts on degenerate networks (the exactness issue), against the
independent rational oracle of ``exact_oracle.py``."""

from __future__ import annotations

from fractions import Fraction

import exact_oracle
import numpy as np
import pytest
import regions
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from regions import Box, SparseMatrix


def _issue_net(b2):
    W1 = [[1.0, -2.0, -1.0], [0.0, -1.0, 2.0], [2.0, -1.0, -2.0]]
    b1 = [0.0, 0.0, 0.0]
    W2 = [[-2.0, 0.0, -1.0], [0.0, -2.0, 1.0]]
    W3, b3, W4, b4 = [[2.0, 1.0]], [0.0], [[1.0]], [0.0]
    return regions.Network.from_arrays([np.array(w) for w in (W1, W2, W3, W4)], [np.array(b) for b in (b1, b2, b3, b4)])


def test_issue_case_concurrent_hyperplanes_and_tiny_biases():
    net = _issue_net([2.0**-16, 2.0 * 2.0**-16])
    box = Box([-2.0, -1.0, -2.0], [2.0, 2.0, 1.0])
    assert net.regions(box).count == 21
    assert net.regions(box, count_only=True) == 21
    assert net.regions(box, exact="rational").count == 21
    # The same network with biases [1, 2] on the box scaled by 2^16.
    net2 = _issue_net([1.0, 2.0])
    box2 = Box(np.array([-2.0, -1.0, -2.0]) * 2**16, np.array([2.0, 2.0, 1.0]) * 2**16)
    assert net2.regions(box2, count_only=True) == 21
    # Every region reported has interior in exact arithmetic.
    rs = net.regions(box)
    oracle = exact_oracle.regions(net, box.lo, box.hi)
    assert {tuple(p) for p in rs.patterns.astype(int).tolist()} == {c for c, _ in oracle}


def test_three_lines_through_one_point():
    # 3x - 1 = 0, 3x + y - 1 = 0, 3x - y - 1 = 0 all pass through (1/3, 0): 6 regions.
    net = regions.Network.from_arrays(
        [np.array([[3.0, 0.0], [3.0, 1.0], [3.0, -1.0]]), np.ones((1, 3))], [np.array([-1.0, -1.0, -1.0]), np.zeros(1)]
    )
    assert net.regions(Box.cube(2)).count == 6
    assert net.regions(Box.cube(2), tol=0).count == 6
    assert net.regions_on_plane([0.0, 0.0], [1.0, 0.0], [0.0, 1.0], (-1, 1, -1, 1)).count == 6
    assert net.regions_on_plane([0.0, 0.0], [1.0, 0.0], [0.0, 1.0], (-1, 1, -1, 1), tol=0).count == 6
    assert len(exact_oracle.regions(net, [-1, -1], [1, 1])) == 6


def test_parallel_hyperplanes_2_pow_minus_40_apart_keep_their_sliver():
    net = regions.Network.from_arrays(
        [np.array([[1.0, 0.0], [1.0, 0.0]]), np.ones((1, 2))], [np.array([0.0, -(2.0**-40)]), np.zeros(1)]
    )
    assert net.regions(Box.cube(2)).count == 3
    assert net.regions_on_segment([-1.0, 0.0], [1.0, 0.0]).count == 3
    # The explicit tolerance merges it.
    assert net.regions(Box.cube(2), exact=False, tol=1e-9).count == 2


def test_exact_and_tolerance_arguments():
    net = regions.Network.random([2, 4, 1], seed=0)
    with pytest.raises(ValueError, match="exact=False"):
        net.regions(Box.cube(2), tol=1e-9)
    with pytest.raises(TypeError, match="exact"):
        net.regions(Box.cube(2), exact="yes")
    assert net.regions(Box.cube(2), exact=False).count == net.regions(Box.cube(2)).count


def _degenerate_net(rng, d, widths, act, scale, shift):
    """Weights in {-2..2}·scale, biases in {-1, 0, 1}·scale·2^-shift, with coincident,
    opposite, parallel and zero units mixed in."""
    sizes = [d, *widths]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        if act == "maxout":
            W = rng.integers(-2, 3, (b, 2, a)) * scale
            B = rng.integers(-1, 2, (b, 2)) * scale * 2.0**-shift
        else:
            W = (rng.integers(-2, 3, (b, a)) * scale).astype(float)
            B = (rng.integers(-1, 2, b) * scale * 2.0**-shift).astype(float)
            for i in range(1, b):
                kind = rng.integers(0, 6)
                j = int(rng.integers(0, i))
                if kind == 0:  # coincident
                    W[i], B[i] = W[j], B[j]
                elif kind == 1:  # opposite
                    W[i], B[i] = -W[j], -B[j]
                elif kind == 2:  # parallel
                    W[i] = 2 * W[j]
                elif kind == 3:  # zero (pruned)
                    W[i], B[i] = 0.0, 0.0
        layers.append(regions.Layer.dense(W, B, act))
    return regions.Network.from_layers(layers, np.ones((1, sizes[-1])), np.zeros(1))


def _check_against_oracle(net, d):
    box = Box.cube(d)
    rs = net.regions(box)
    oracle = exact_oracle.regions(net, box.lo, box.hi)
    got = [tuple(p) for p in rs.patterns.astype(int).tolist()]
    assert len(set(got)) == len(got) == rs.count
    assert set(got) == {c for c, _ in oracle}
    assert rs.count == net.regions(box, count_only=True)
    if d == 2:
        assert sum(exact_oracle.area(c) for _, c in oracle) == 4
        assert rs.volumes.sum() == pytest.approx(4.0, rel=1e-9)
    else:
        # Volumes from the cells' vertices and facets in Rust (no qhull), flat cells too.
        assert rs.volumes.sum() == pytest.approx(2.0**d, rel=1e-9)
        # Positive, except for regions thinner than the float grid (weights 0.1 k are
        # not dyadic: exact cells 1e-16 wide at a corner exist), whose float vertices
        # collapse: their volume rounds to 0.
        vols = rs.volumes
        assert np.all(vols >= 0)
        for i in np.flatnonzero(vols == 0):
            v = rs.vertices[i]
            assert np.linalg.matrix_rank(v[1:] - v[0], tol=1e-12) < d
    # The rational oracle path of the library agrees with its filtered path.
    assert net.regions(box, exact="rational", count_only=True) == rs.count


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.sampled_from(["relu", "leaky_relu", "maxout"]),
    st.sampled_from([1.0, 0.5, 0.1]),
    st.sampled_from([0, 3, 16, 40]),
)
def test_degenerate_2d_networks_match_the_rational_oracle(seed, widths, act, scale, shift):
    net = _degenerate_net(np.random.default_rng(seed), 2, widths, act, scale, shift)
    _check_against_oracle(net, 2)


@settings(max_examples=8, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(1, 3), min_size=1, max_size=2),
    st.sampled_from(["relu", "leaky_relu", "maxout"]),
    st.sampled_from([1.0, 0.1]),
    st.sampled_from([0, 40]),
)
@example(seed=259, widths=[2, 3], act="maxout", scale=0.1, shift=0)  # two cells 1e-16 wide
def test_degenerate_3d_networks_match_the_rational_oracle(seed, widths, act, scale, shift):
    net = _degenerate_net(np.random.default_rng(seed), 3, widths, act, scale, shift)
    _check_against_oracle(net, 3)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.sampled_from(["relu", "leaky_relu", "maxout"]),
    st.sampled_from([1.0, 0.1]),
    st.sampled_from([0, 40]),
)
def test_degenerate_segments_match_exact_breakpoints(seed, widths, act, scale, shift):
    """On a segment, the oracle is the 2D oracle restricted: count the distinct exact
    patterns at the midpoints of the exact breakpoints."""
    d = 2
    net = _degenerate_net(np.random.default_rng(seed), d, widths, act, scale, shift)
    p, q = np.array([-1.0, -0.75]), np.array([1.0, 0.5])
    rs = net.regions_on_segment(p, q)
    assert rs.count == net.regions_on_segment(p, q, exact="rational", count_only=True)
    # Each interval's pattern is the exact pattern at a rational point inside it.
    P, Q = [Fraction(v) for v in p], [Fraction(v) for v in q]
    for (t0, t1), code in zip(rs.intervals, rs.patterns.astype(int).tolist()):
        if t1 - t0 > 1e-12:
            t = (Fraction(t0) + Fraction(t1)) / 2
            assert exact_oracle.codes_at(net, [a + t * (b - a) for a, b in zip(P, Q)]) == tuple(code)


@settings(max_examples=20, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 3),
    st.integers(3, 6),
    st.sampled_from([1.0, 0.1]),
    st.sampled_from([0, 40]),
)
def test_max_pooling_filtered_path_equals_the_rational_path(seed, d, width, scale, shift):
    """ReLU, overlapping max-pooling windows, ReLU: the filtered walk and the exact
    arithmetic walk (``exact="rational"``) give the same regions."""
    rng = np.random.default_rng(seed)
    W1 = rng.integers(-2, 3, (width, d)) * scale
    b1 = rng.integers(-1, 2, width) * scale * 2.0**-shift
    windows = [[i, i + 1] for i in range(width - 1)]
    W2 = rng.integers(-2, 3, (2, width - 1)) * scale
    b2 = rng.integers(-1, 2, 2) * scale
    net = regions.Network.from_layers(
        [regions.Layer.dense(W1, b1), regions.MaxPool(windows, width), regions.Layer.dense(W2, b2)],
        np.ones((1, 2)),
        np.zeros(1),
    )
    box = Box.cube(d)
    a, b = net.regions(box), net.regions(box, exact="rational")
    assert a.count == b.count == net.regions(box, count_only=True)
    assert {tuple(p) for p in a.packed_patterns.tolist()} == {tuple(p) for p in b.packed_patterns.tolist()}


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([2, 3]))
def test_max_pooling_networks_match_the_rational_oracle(seed, d):
    """Dense + max-pooling networks with small integer weights (ties between window
    inputs, coincident hyperplanes) against the independent Fraction oracle: the same
    regions, pattern for pattern, and the same streamed count."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 5))
    W, b = rng.integers(-2, 3, (n, d)).astype(float), rng.integers(-1, 2, n).astype(float)
    k = int(rng.integers(2, n + 1))
    windows = [list(range(j, j + k)) for j in range(0, n - k + 1)]
    dense = regions.Layer.dense(W, b, "relu" if seed % 2 else "leaky_relu", alpha=0.25)
    net = regions.Network.from_layers([dense, regions.MaxPool(windows)], np.ones((1, len(windows))), np.zeros(1))
    box = Box.cube(d, -2.0, 2.0)
    oracle = {c for c, _ in exact_oracle.regions(net, box.lo, box.hi)}
    rs = net.regions(box)
    assert {tuple(p) for p in rs.patterns.astype(int).tolist()} == oracle
    assert net.regions(box, count_only=True) == len(oracle)


@settings(max_examples=12, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([2, 3]),
    st.sampled_from(["relu", 0.25, 0.5]),
    st.booleans(),
    st.sampled_from([0, 30]),
)
def test_pooling_after_relu_uses_known_signs_and_matches_the_oracle(seed, d, act, twice, shift):
    """ReLU or leaky ReLU, max-pooling (twice: a pool of a pool), dense: the walk decides
    "active beats inactive" inside a window from the pattern, without a comparison. With
    dead units, duplicated units and tiny biases, the regions equal the Fraction oracle's,
    in the filtered and the rational walk."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 6 if d == 2 else 5))
    W = rng.integers(-2, 3, (n, d)).astype(float)
    b = rng.integers(-1, 2, n) * 2.0**-shift
    W[rng.integers(n)] = 0.0  # a dead unit (output identically 0)
    j, k = rng.integers(n, size=2)
    W[j], b[j] = W[k], b[k]  # a duplicated unit
    dense = regions.Layer.dense(W, b, "relu") if act == "relu" else regions.Layer.dense(W, b, "leaky_relu", alpha=act)
    windows = [[i, i + 1] for i in range(n - 1)]
    layers = [dense, regions.MaxPool(windows, n)]
    m = n - 1
    if twice:
        layers.append(regions.MaxPool([[i, i + 1] for i in range(m - 1)], m))
        m -= 1
    layers.append(regions.Layer.dense(rng.integers(-2, 3, (2, m)).astype(float), np.zeros(2)))
    net = regions.Network.from_layers(layers, np.ones((1, 2)), np.zeros(1))
    box = Box.cube(d)
    oracle = {c for c, _ in exact_oracle.regions(net, box.lo, box.hi)}
    for rs in (net.regions(box), net.regions(box, exact="rational")):
        got = [tuple(p) for p in rs.patterns.astype(int).tolist()]
        assert len(got) == len(set(got))
        assert set(got) == oracle
    assert net.regions(box, count_only=True) == len(oracle)


@settings(max_examples=15, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([2, 3]),
    st.sampled_from([1.0, 2.0**-20, 2.0**20]),
    st.sampled_from([0.05, 0.5]),
)
def test_pooling_windows_decided_per_visit_match_the_rational_walk(seed, d, scale, half):
    """Conv-like ReLU layers (small integer weights, repeated rows: ties inside windows)
    with 2x2-style pooling twice, on small boxes away from the origin, where most windows
    are decided once per visit by the layer cell's bounding box and by the parent cell
    before its cuts: the filtered walk gives the regions of the rational walk (exact
    arithmetic throughout, which decides every window by exact comparisons on each part),
    pattern for pattern. (The Fraction oracle takes a minute per network here; the
    smaller networks above check the rational walk against it.)"""
    rng = np.random.default_rng(seed)
    n1 = 16
    W1 = rng.integers(-2, 3, (n1, d)) * scale
    W1[rng.integers(n1, size=3)] = W1[rng.integers(n1)]  # coincident units
    b1 = rng.integers(-2, 3, n1) * scale / 4
    pool1 = regions.MaxPool([[4 * i + j for j in range(4)] for i in range(4)], n1)
    W2 = rng.integers(-2, 3, (8, 4)).astype(float)
    b2 = rng.integers(-1, 2, 8) * scale
    pool2 = regions.MaxPool([[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]], 8)
    net = regions.Network.from_layers(
        [regions.Layer.dense(W1, b1), pool1, regions.Layer.dense(W2, b2), pool2],
        np.ones((1, 3)),
        np.zeros(1),
    )
    c = rng.integers(-3, 4, d) / 4
    box = Box(c - half, c + half)
    a, b = net.regions(box), net.regions(box, exact="rational")
    assert a.count == b.count == net.regions(box, count_only=True)
    assert sorted(map(tuple, a.packed_patterns.tolist())) == sorted(map(tuple, b.packed_patterns.tolist()))


@settings(max_examples=10, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([2, 3]),
    st.sampled_from([1.0, 2.0**-30, 2.0**30]),
    st.sampled_from([0.1, 0.6]),
)
def test_sparse_layer_after_pooling_updated_from_a_reference_matches_the_rational_walk(seed, d, scale, half):
    """A convolution-like (banded, sparse) ReLU layer after a pooling layer whose windows
    are not all decided on the cell: each part's map is the reference part's map updated
    where its pooled inputs differ (two rounded products per changed input and reader),
    with error bounds that count those terms. Weights mix scales (2**20 next to 1, so the
    updates round) and repeat rows (ties); the counts and patterns equal the rational
    walk's, and the plain pooled network's (sparse vs dense second layer) too."""
    rng = np.random.default_rng(seed)
    n1 = 64
    W1 = rng.integers(-2, 3, (n1, d)) * scale
    W1[rng.integers(n1, size=4)] = W1[rng.integers(n1)]  # coincident units
    b1 = (rng.integers(-2, 3, n1) / 4 + 3) * scale  # mostly active: windows cut by comparisons
    pool1 = regions.MaxPool([[2 * i, 2 * i + 1] for i in range(32)], n1)
    n2, width = 32, 3
    W2 = np.zeros((n2, 32))
    for i in range(n2):
        W2[i, (i + np.arange(width)) % 32] = rng.integers(-2, 3, width) * 2.0 ** rng.choice([0, 20], width)
    W2[rng.integers(n2)] = W2[rng.integers(n2)]
    b2 = rng.integers(-1, 2, n2) * scale * 2.0**10
    pool2 = regions.MaxPool([[2 * i, 2 * i + 1] for i in range(16)], n2)
    out = (np.ones((1, 16)), np.zeros(1))
    sparse = regions.Network.from_layers(
        [regions.Layer.dense(W1, b1), pool1, regions.Layer.sparse(SparseMatrix.from_dense(W2), b2), pool2], *out
    )
    dense = regions.Network.from_layers([regions.Layer.dense(W1, b1), pool1, regions.Layer.dense(W2, b2), pool2], *out)
    c = rng.integers(-3, 4, d) / 4 * scale
    box = Box(c - half * scale, c + half * scale)
    a, b = sparse.regions(box), sparse.regions(box, exact="rational")
    assert a.count == b.count == sparse.regions(box, count_only=True) == dense.regions(box, count_only=True)
    assert sorted(map(tuple, a.packed_patterns.tolist())) == sorted(map(tuple, b.packed_patterns.tolist()))


@settings(max_examples=15, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from(["relu", 0.25]),
    st.sampled_from([2, 4]),
    st.sampled_from([1.0, 2.0**-30, 2.0**30]),
)
@example(seed=80, act=0.25, k=4, scale=2.0**30)
@example(seed=123, act="relu", k=4, scale=2.0**30)
def test_pooled_active_inputs_whose_relu_lines_meet_at_a_vertex_need_no_exact_arithmetic(seed, act, k, scale):
    """Inside a pooling window after a (leaky) ReLU layer, two active inputs compare
    along ``h_q = h_r``, which passes through the point where ``h_q = 0`` and ``h_r = 0``
    cross: a vertex of the cells there, exactly on the comparison line, which no float
    filter can certify. The walk knows it (the vertex lies on the two units' cuts) and
    gives it sign 0. On generic inputs (Gaussian weights: that is the only degeneracy
    of a ReLU-pooling network) the walk never falls back to exact arithmetic, in a 2D box (polytope cells) and on
    a plane through three points of R^3 (polygons), and its regions equal the rational
    walk's and the independent Fraction oracle's."""
    rng = np.random.default_rng(seed)
    n = 4 * k
    for d in (2, 3):
        # The box and the points scale by `scale`, the weights too, so the biases by
        # scale^2: the same geometry at every scale. (With biases ~ scale every line
        # passed within 2^-30 of the origin at 2^30: 16 nearly concurrent lines, whose
        # exact steps were that near-degeneracy, not the pooling comparisons'.)
        W1, b1 = rng.standard_normal((n, d)) * scale, rng.standard_normal(n) * scale * scale * 0.5
        if act == "relu":
            dense = regions.Layer.dense(W1, b1, "relu")
        else:
            dense = regions.Layer.dense(W1, b1, "leaky_relu", alpha=act)
        pool = regions.MaxPool([list(range(k * i, k * i + k)) for i in range(4)], n)
        # The pooling layer is the last hidden layer, so that the only exact degeneracy
        # is the one at its comparisons (a ReLU layer after it may pass within rounding
        # of a vertex by chance, at large scales, and rightly go exact).
        net = regions.Network.from_layers([dense, pool], rng.standard_normal((2, 4)), np.zeros(2))
        if d == 2:
            box = Box(np.full(2, -scale), np.full(2, scale))
            rs, rat = net.regions(box), net.regions(box, exact="rational")
        else:
            pts = rng.standard_normal((3, 3)) * scale
            rs, rat = net.regions_through(*pts), net.regions_through(*pts, exact="rational")
        assert rs.stats.exact_steps == 0
        assert sorted(map(tuple, rs.packed_patterns.tolist())) == sorted(map(tuple, rat.packed_patterns.tolist()))
        if d == 2 and k == 2 and scale == 1.0:
            oracle = {c for c, _ in exact_oracle.regions(net, box.lo, box.hi)}
            assert {tuple(p) for p in rs.patterns.astype(int).tolist()} == oracle


def test_a_triangle_of_width_1e_9_is_counted_on_planes_and_segments():
    """Found in ``Network.random([2, 2000, 1], seed=0)`` (1,830,897 regions on [-1, 1]^2,
    the plane walk gave 1,830,895): three lines whose crossings are 1e-9 apart. The
    plane walk dropped the middle triangle because its float area rounded to <= 0."""
    W = np.array(
        [
            [1.3040000451301372, 0.9470809631292422],
            [-0.21354462808298652, 0.6650660656292455],
            [0.8443084416557756, 1.0020902211528702],
        ]
    )
    b = np.array([0.09782301660508295, -0.12038660717088173, 0.01385257637716613])
    net = regions.Network.from_arrays([W, np.ones((1, 3))], [b, np.zeros(1)])
    rect = (-0.16796875, -0.1640625, 0.125, 0.12890625)
    lo, hi = [rect[0], rect[2]], [rect[1], rect[3]]
    assert len(exact_oracle.regions(net, lo, hi)) == 7
    assert net.regions_on_plane([0, 0], [1, 0], [0, 1], rect, count_only=True) == 7
    assert net.regions_on_plane([0, 0], [1, 0], [0, 1], rect).count == 7
    assert net.regions(Box(lo, hi), count_only=True) == 7


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(20, 50),
    st.sampled_from([0.1, 0.16796875, 0.7]),
)
def test_tiny_triangles_of_three_nearly_concurrent_lines_are_counted(seed, k, c):
    """Three lines through (c, c / 2), the third shifted by 2^-k: a triangle of width
    about 2^-k (or none when the rounded lines meet in one point). Plane, box and segment
    walks against the Fraction oracle."""
    rng = np.random.default_rng(seed)
    W = rng.integers(-3, 4, (3, 2)).astype(float)
    assume(all(abs(np.linalg.det(W[[i, j]])) > 0 for i, j in ((0, 1), (0, 2), (1, 2))))
    p = np.array([c, c / 2])
    b = -(W @ p)
    b[2] += 2.0**-k
    net = regions.Network.from_arrays([W, np.ones((1, 3))], [b, np.zeros(1)])
    want = len(exact_oracle.regions(net, [-1, -1], [1, 1]))
    assert net.regions_on_plane([0, 0], [1, 0], [0, 1], (-1, 1, -1, 1), count_only=True) == want
    assert net.regions(Box.cube(2), count_only=True) == want
    assert net.regions_on_plane([0, 0], [1, 0], [0, 1], (-1, 1, -1, 1)).count == want


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 12),
    st.sampled_from([1.0, 0.5, 2.0**-30, 3.0]),
    st.sampled_from([(-1.0, 1.0, -1.0, 1.0), (-0.5, 2.0, 0.0, 1.0), (0.0, 1.0, -3.0, -1.0)]),
)
def test_one_layer_counts_in_a_box_by_the_line_formula_match_the_oracle(seed, n, scale, rect):
    """``count_only`` of a one-layer network of two inputs counts the lines' crossings
    (``regions::lines``) instead of walking: against the Fraction oracle and the walk,
    with concurrent, parallel, coincident, zero lines and lines through box corners."""
    rng = np.random.default_rng(seed)
    W = rng.integers(-2, 3, (n, 2)).astype(float) * scale
    b = rng.integers(-2, 3, n).astype(float) * scale
    for i in range(1, n):
        j = int(rng.integers(0, i))
        kind = int(rng.integers(0, 5))
        if kind == 0:
            W[i], b[i] = -2 * W[j], -2 * b[j]  # coincident, opposite
        elif kind == 1:
            W[i] = W[j]  # parallel
        elif kind == 2:  # through a corner of the box
            b[i] = -(W[i] @ np.array([rect[0], rect[2]]))
    net = regions.Network.from_arrays([W, np.ones((1, n))], [b, np.zeros(1)], activation="leaky_relu")
    lo, hi = [rect[0], rect[2]], [rect[1], rect[3]]
    want = len(exact_oracle.regions(net, lo, hi))
    assert net.regions(Box(lo, hi), count_only=True) == want
    assert net.regions(Box(lo, hi)).count == want


def test_a_20000_unit_first_layer_counts_without_walking():
    """Issue 30 item 6: ``Network.random([2, 20000, 1])`` took minutes (the walk visits
    ~2e8 regions at O(n) each). The 2,000-unit case is checked against an independent
    count of the arrangement (1,830,897; NumPy + Fractions, see the session notes)."""
    net = regions.Network.random([2, 2000, 1], seed=0)
    assert net.regions(Box.cube(2), count_only=True) == 1_830_897
    with pytest.raises(regions.LimitExceededError):
        net.regions(Box.cube(2), count_only=True, max_regions=1_000_000)
