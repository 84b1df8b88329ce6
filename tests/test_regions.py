"""Exact regions on segments and 2D slices against independent oracles."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
import regions
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import forward_reference, raises_naming


def clip(poly, a, b):
    """Split a convex polygon (list of (u, v)) by a + b·s into (<= 0, >= 0) parts."""
    f = [a + b[0] * p[0] + b[1] * p[1] for p in poly]
    neg, pos = [], []
    for i, p in enumerate(poly):
        j = (i + 1) % len(poly)
        if f[i] <= 0:
            neg.append(p)
        if f[i] >= 0:
            pos.append(p)
        if (f[i] < 0 < f[j]) or (f[j] < 0 < f[i]):
            t = f[i] / (f[i] - f[j])
            q = (p[0] + t * (poly[j][0] - p[0]), p[1] + t * (poly[j][1] - p[1]))
            neg.append(q)
            pos.append(q)
    area = lambda P: (
        0.5 * sum(P[k][0] * P[(k + 1) % len(P)][1] - P[(k + 1) % len(P)][0] * P[k][1] for k in range(len(P)))
        if len(P) >= 3
        else 0.0
    )
    return [P for P in (neg, pos) if area(P) > 1e-12]


def python_plane_regions(net, origin, e1, e2, box):
    """Independent, simple clipper for ReLU networks: cut by each unit, layer by layer."""
    u0, u1, v0, v1 = box
    cells = [([(u0, v0), (u1, v0), (u1, v1), (u0, v1)], np.array(origin, float), np.stack([e1, e2], 1).astype(float))]
    for layer in net.layers:
        W, b = layer.weights, layer.bias
        new = []
        for poly, za, zb in cells:
            ha, hb = W @ za + b, W @ zb
            parts = [poly]
            for i in range(len(ha)):
                parts = [q for P in parts for q in clip(P, ha[i], hb[i])]
            for P in parts:
                c = np.mean(P, axis=0)
                on = ha + hb @ c > 0
                new.append((P, np.where(on, ha, 0.0), np.where(on[:, None], hb, 0.0)))
        cells = new
    return cells


def poly_area(P):
    P = np.asarray(P)
    return 0.5 * float(np.sum(P[:, 0] * np.roll(P[:, 1], -1) - np.roll(P[:, 0], -1) * P[:, 1]))


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_plane_matches_python_clipper_and_areas_sum(seed, d, widths):
    rng = np.random.default_rng(seed)
    net = regions.Network.random([d, *widths, 1], seed=seed)
    origin, e1, e2 = rng.standard_normal(d), rng.standard_normal(d), rng.standard_normal(d)
    if np.linalg.matrix_rank(np.stack([e1, e2])) < 2:
        return
    rs = net.regions_on_plane(origin, e1, e2, (-1, 1, -1, 1))
    ref = python_plane_regions(net, origin, e1, e2, (-1, 1, -1, 1))
    assert rs.count == len(ref)
    assert abs(rs.volumes.sum() - 4.0) < 1e-9 and np.all(rs.volumes > 0)
    assert sorted(np.round(rs.volumes, 8)) == pytest.approx(
        sorted(np.round([poly_area(P) for P, _, _ in ref], 8)), abs=1e-7
    )
    # Every interior point has its region's pattern; patterns are distinct.
    codes, out = forward_reference(net, rs.interior_points)
    np.testing.assert_array_equal(rs.patterns.astype(int), codes)
    assert len({tuple(r) for r in rs.packed_patterns.tolist()}) == rs.count
    # Affine maps reproduce the network.
    for i in range(min(rs.count, 5)):
        M, c = rs.affine_map(i)
        np.testing.assert_allclose(M @ rs.interior_points[i] + c, out[i], atol=1e-9)


@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 20),
    st.lists(st.integers(1, 8), min_size=1, max_size=3),
    st.sampled_from(["relu", "leaky_relu", "maxout"]),
)
def test_segment_breakpoints_match_dense_evaluation(seed, d, widths, act):
    rng = np.random.default_rng(seed)
    net = regions.Network.random([d, *widths, 1], activation=act, seed=seed, k=3)
    p, q = rng.standard_normal(d) * 2, rng.standard_normal(d) * 2
    rs = net.regions_on_segment(p, q)
    assert abs(rs.volumes.sum() - np.linalg.norm(q - p)) < 1e-9
    iv = rs.intervals
    assert iv[0, 0] == 0.0 and iv[-1, 1] == 1.0 and np.all(iv[1:, 0] == iv[:-1, 1])
    # Dense evaluation: the pattern is constant on each interval and changes at each breakpoint.
    t = np.linspace(0, 1, 20001)
    pats = net.activation_patterns(p + t[:, None] * (q - p))
    which = np.searchsorted(rs.breakpoints, t, side="right")
    inner = (
        np.all(np.abs(t[:, None] - rs.breakpoints[None, :]) > 1e-6, axis=1) if rs.count > 1 else np.ones_like(t, bool)
    )
    np.testing.assert_array_equal(pats[inner], rs.patterns[which[inner]])
    changes = np.flatnonzero(np.any(pats[1:] != pats[:-1], axis=1))
    assert len(changes) <= rs.count - 1  # dense sampling may miss tiny pieces, never invent one


@pytest.mark.parametrize("m", [1, 3, 7, 12])
def test_zaslavsky_count_for_one_generic_layer(m):
    rng = np.random.default_rng(m)
    W, b = rng.standard_normal((m, 2)), rng.standard_normal(m)
    net = regions.Network.from_arrays([W, np.ones((1, m))], [b, np.zeros(1)])
    # A box containing every vertex of the arrangement.
    verts = [np.linalg.solve(W[[i, j]], -b[[i, j]]) for i in range(m) for j in range(i + 1, m)]
    R = 1.5 * max([1.0] + [np.abs(v).max() for v in verts])
    rs = net.regions_on_plane(np.zeros(2), [1.0, 0.0], [0.0, 1.0], (-R, R, -R, R))
    assert rs.count == sum(comb(m, j) for j in range(3)) == regions.bounds.zaslavsky(m, 2)
    # d = 1: m generic points on a long segment give m + 1 pieces.
    net1 = regions.Network.from_arrays(
        [rng.standard_normal((m, 1)), np.ones((1, m))], [rng.standard_normal(m), np.zeros(1)]
    )
    assert net1.regions_on_segment([-1e3], [1e3]).count == m + 1


def test_degenerate_networks_hand_counts():
    # Duplicate units and coincident hyperplanes: two lines x = 0 (twice) and y = 0.
    W = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    net = regions.Network.from_arrays([W, np.ones((1, 3))], [np.zeros(3), np.zeros(1)])
    assert net.regions_on_plane(np.zeros(2), [1, 0], [0, 1], (-1, 1, -1, 1)).count == 4
    # A zero unit cuts nothing; three lines through one point give 6 regions.
    W2 = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    net2 = regions.Network.from_arrays([W2, np.ones((1, 4))], [np.zeros(4), np.zeros(1)])
    assert net2.regions_on_plane(np.zeros(2), [1, 0], [0, 1], (-1, 1, -1, 1)).count == 6
    # Opposite hyperplanes w and -w: the same line, 2 regions.
    net3 = regions.Network.from_arrays(
        [np.array([[1.0, 1.0], [-1.0, -1.0]]), np.ones((1, 2))], [np.zeros(2), np.zeros(1)]
    )
    assert net3.regions_on_plane(np.zeros(2), [1, 0], [0, 1], (-1, 1, -1, 1)).count == 2


def test_slices_in_high_dimension_and_thread_independence():
    net = regions.Network.random([784, 32, 32, 10], seed=0)
    rng = np.random.default_rng(0)
    x0, x1, x2 = rng.uniform(0, 1, (3, 784))
    a = net.regions_through(x0, x1, x2, n_threads=1)
    b = net.regions_through(x0, x1, x2, n_threads=3)
    assert a.count == b.count > 1
    np.testing.assert_array_equal(a.packed_patterns, b.packed_patterns)
    assert abs(a.volumes.sum() - 0.5) < 1e-9  # the triangle
    codes, _ = forward_reference(net, a.interior_points)
    np.testing.assert_array_equal(a.patterns.astype(int), codes)
    ranks = a.jacobian_ranks
    assert ranks.shape == (a.count,) and ranks.max() <= 10


def test_sampled_patterns_never_exceed_the_exact_count():
    net = regions.Network.random([2, 8, 8, 1], seed=3)
    rs = net.regions_on_plane(np.zeros(2), [1, 0], [0, 1], (-1, 1, -1, 1))
    sampled = net.count_patterns_sampled(-1, 1, 200_000, seed=0)
    assert sampled <= rs.count <= net.bounds()["serra_upper (Serra et al. 2018)"]
    assert sampled >= 0.8 * rs.count


def test_plot_and_limits(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    net = regions.Network.random([2, 16, 16, 1], seed=1)
    rs = net.regions_on_plane(np.zeros(2), [1, 0], [0, 1], (-1, 1, -1, 1))
    ax = rs.plot()
    ax.figure.savefig(tmp_path / "r.png")
    seg = net.regions_on_segment([-1, -1], [1, 1])
    seg.plot().figure.savefig(tmp_path / "s.png")
    assert (tmp_path / "r.png").stat().st_size > 1000
    with pytest.raises(regions.LimitExceededError, match="max_regions"):
        net.regions_on_plane(np.zeros(2), [1, 0], [0, 1], (-1, 1, -1, 1), max_regions=5)
    with pytest.raises(AttributeError, match="segment"):
        rs.breakpoints


BAD = [
    (lambda n: n.regions_on_segment([0, 0], [0, 0]), ValueError, "p, q: the segment is a single point"),
    (lambda n: n.regions_on_segment([0, np.nan], [1, 1]), ValueError, "p: contains NaN"),
    (lambda n: n.regions_on_segment([0, 0, 0], [1, 1]), ValueError, "p: expected size 2"),
    (lambda n: n.regions_on_plane([0, 0], [1, 0], [2, 0]), ValueError, "e1, e2: must be linearly independent"),
    (lambda n: n.regions_on_plane([0, 0], [1, 0], [0, 1], (1, 0, 0, 1)), ValueError, "bounds: need u0 < u1"),
    (
        lambda n: n.regions_on_plane([0, 0], [1, 0], [0, 1], polygon=[(0, 0), (1, 1)]),
        ValueError,
        "polygon: need at least 3",
    ),
    (lambda n: n.regions_through([0, 0], [1, 0], [0, 1], region="disk"), ValueError, "region: expected"),
]


@pytest.mark.parametrize("call,exc,frag", BAD, ids=[b[2] for b in BAD])
def test_bad_input(call, exc, frag):
    raises_naming(call, exc, frag, regions.Network.random([2, 4, 1]))


def test_walk_stats_print_their_numbers():
    rs = regions.Network.random([2, 8, 1], seed=0).regions_on_segment([0, 0], [1, 1])
    assert repr(rs.stats) == f"WalkStats(steps={rs.stats.steps}, exact_steps={rs.stats.exact_steps})"


def test_plane_plots_name_the_count_mark_the_inputs_and_label_the_axes():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    net = regions.Network.random([3, 16, 16, 1], seed=0)
    X = np.random.default_rng(0).standard_normal((3, 3))
    rs = net.regions_through(X[0], X[1], X[2])
    ax = rs.plot()
    assert ax.get_title() == f"{rs.count:,} linear regions"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("u", "v")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["output 0 = 0", "x0, x1, x2"]
    marks = [c for c in ax.collections if c.get_label() == "x0, x1, x2"][0]
    np.testing.assert_array_equal(marks.get_offsets(), [[0, 0], [1, 0], [0, 1]])
    square = regions.Network.random([2, 8, 1], seed=0).regions(regions.Box.cube(2))
    ax = square.plot(output=None)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x₁", "x₂") and ax.get_legend() is None
    plt.close("all")
