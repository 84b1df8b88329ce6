"""Max-pooling vertex and face counts against brute force and geometric oracles."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import regions
from hypothesis import given, settings
from hypothesis import strategies as st
from regions import maxpool


def acyclic(windows, n, winners):
    """Topological sort of the beats graph (the test's own implementation)."""
    adj = [set() for _ in range(n)]
    for w, a in zip(windows, winners):
        adj[a].update(x for x in w if x != a)
    indeg = [0] * n
    for a in range(n):
        for b in adj[a]:
            indeg[b] += 1
    stack = [i for i in range(n) if indeg[i] == 0]
    seen = 0
    while stack:
        u = stack.pop()
        seen += 1
        for v in adj[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                stack.append(v)
    return seen == n


def brute_vertices(windows, n):
    return [t for t in itertools.product(*windows) if acyclic(windows, n, t)]


def argmax_tuples(windows, n):
    """Distinct winner tuples over all n! orderings of the input values."""
    out = set()
    for perm in itertools.permutations(range(n)):
        x = np.array(perm, dtype=float)
        out.add(tuple(int(w[np.argmax(x[w])]) for w in map(np.asarray, windows)))
    return out


def hull_counts(windows, n):
    """(vertices, facets) of Σ Δ_{W_j} with qhull, in coordinates of its affine hull."""
    from scipy.spatial import ConvexHull

    pts = np.array(sorted({tuple(np.bincount(t, minlength=n)) for t in itertools.product(*windows)}), float)
    c = pts - pts.mean(0)
    u, s, vt = np.linalg.svd(c, full_matrices=False)
    r = int((s > 1e-9).sum())
    if r == 0:
        return 1, 0
    y = c @ vt[:r].T
    if r == 1:
        return 2, 2
    hull = ConvexHull(y)
    facets = len({tuple(np.round(eq, 6)) for eq in hull.equations})
    return len(hull.vertices), facets


families = st.integers(2, 12).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.lists(st.integers(0, n - 1), min_size=1, max_size=4, unique=True), min_size=1, max_size=5),
    )
)


@given(families, st.randoms(use_true_random=False))
def test_dp_equals_brute_force_for_every_order(fam, rnd):
    n, windows = fam
    expect = len(brute_vertices(windows, n))
    assert maxpool.count_vertices(windows, n) == expect
    order = list(range(len(windows)))
    rnd.shuffle(order)
    assert maxpool.count_vertices(windows, n, order=order) == expect
    perms = list(itertools.permutations(range(len(windows))))
    if len(perms) > 24:  # five windows: 24 random orders of the 120
        perms = [perms[i] for i in sorted(rnd.sample(range(len(perms)), 24))]
    for perm in perms:  # every order for up to four windows
        assert maxpool.count_vertices(windows, n, order=list(perm)) == expect
    v = maxpool.vertices(windows, n)
    assert v.shape == (expect, len(windows))
    assert {tuple(r) for r in v.tolist()} == set(brute_vertices(windows, n))


@settings(max_examples=25)
@given(
    st.integers(3, 7).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.lists(st.integers(0, n - 1), min_size=2, max_size=3, unique=True), min_size=1, max_size=4),
        )
    )
)
def test_geometric_oracles(fam):
    n, windows = fam
    count = maxpool.count_vertices(windows, n)
    if n <= 7:
        assert count == len(argmax_tuples(windows, n))
    hv, hf = hull_counts(windows, n)
    assert count == hv
    f = maxpool.f_vector(windows, n)
    assert f[0] == count and f[-1] == 1
    assert len(f) == maxpool.dimension(windows, n) + 1
    assert maxpool.count_facets(windows, n) == hf
    # Euler-Poincaré: Σ (-1)^i f_i = 1 for a polytope (f_d = 1 included).
    assert sum((-1) ** i * c for i, c in enumerate(f)) == 1


def test_known_values_and_structure():
    assert [maxpool.count_vertices_1d(4 + 2 * m, 4, 2) for m in range(4)] == [4, 14, 48, 164]
    assert maxpool.count_vertices_1d(21, 2, 1) == 2**20
    for k, s in [(3, 2), (3, 3), (2, 5), (4, 3)]:  # s >= k - 1: k^m
        n = k + 6 * s
        assert maxpool.count_vertices_1d(n, k, s) == k**7
    # 1D equals 2D with one row, and the generic DP on the same windows.
    for n, k, s in [(9, 3, 1), (10, 4, 2), (11, 2, 1), (12, 5, 3)]:
        v = maxpool.count_vertices_1d(n, k, s)
        assert maxpool.count_vertices_2d((1, n), (1, k), (1, s)) == v
        assert maxpool.count_vertices(maxpool.windows_1d(n, k, s)) == v
    # R x C equals C x R with the window transposed.
    for shape, win, st_ in [((4, 6), (2, 3), (1, 2)), ((5, 3), (2, 2), (1, 1)), ((3, 7), (2, 2), (1, 2))]:
        a = maxpool.count_vertices_2d(shape, win, st_)
        assert a == maxpool.count_vertices_2d(shape[::-1], win[::-1], st_[::-1])
        assert a == maxpool.count_vertices(maxpool.windows_2d(shape, win, st_))
    assert maxpool.count_vertices_2d("3x3", "2x2", 1) == maxpool.count_vertices(maxpool.windows_2d(3, 2))


def test_generating_function_and_recurrence():
    for k, s in [(2, 1), (3, 1), (4, 2), (5, 2), (3, 2), (4, 1)]:
        num, den = maxpool.generating_function_1d(k, s)
        assert den[0] == 1
        series = []
        for d in range(14):
            v = num[d] if d < len(num) else 0
            v -= sum(den[i] * series[d - i] for i in range(1, min(len(den), d + 1)))
            series.append(v)
        counts = [1] + [maxpool.count_vertices_1d(k + (m - 1) * s, k, s) for m in range(1, 14)]
        assert series == counts
        rec = maxpool.recurrence_1d(k, s)
        for m in range(k + 1, 14):
            assert counts[m] == sum(a * counts[m - 1 - i] for i, a in enumerate(rec))


def test_big_exact_counts():
    v = maxpool.count_vertices_1d(100_000, 3, 1)
    assert isinstance(v, int) and v.bit_length() > 100_000
    assert maxpool.count_vertices_1d(40_003, 3, 1) == maxpool.count_vertices_1d(40_003, 3, 1, n_threads=1)
    # The counts grow: the m > 20000 (matrix power) and m <= 20000 (additions) paths agree on a ratio.
    a, b = maxpool.count_vertices_1d(20_001, 2, 1), maxpool.count_vertices_1d(20_002, 2, 1)
    assert (a, b) == (2**20_000, 2**20_001)


def test_region_of_and_vertices_agree():
    windows = maxpool.windows_2d((3, 3), (2, 2), 1)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 9))
    R = maxpool.region_of(X, windows)
    assert R.shape == (2000, 4)
    verts = {tuple(r) for r in maxpool.vertices(windows).tolist()}
    assert {tuple(r) for r in R.tolist()} <= verts
    assert maxpool.region_of(np.zeros(9), windows).tolist() == [0, 1, 3, 4]  # ties: lowest position


def test_thread_count_never_changes_result():
    counts = {maxpool.count_vertices_2d((7, 7), (2, 2), 1, n_threads=t) for t in (1, 2, 4)}
    assert len(counts) == 1


def test_limits_raise_instead_of_truncating():
    with pytest.raises(regions.LimitExceededError, match="max_states"):
        maxpool.count_vertices_2d((6, 6), (2, 2), 1, max_states=100)
    with pytest.raises(regions.LimitExceededError, match="limit"):
        maxpool.vertices(maxpool.windows_1d(12, 2, 1), limit=10)


BAD = [
    (lambda: maxpool.count_vertices([]), ValueError, "windows: need at least one window"),
    (lambda: maxpool.count_vertices([[0, 1], []]), ValueError, "windows[1]: window is empty"),
    (lambda: maxpool.count_vertices([[0, 5]], n=3), ValueError, "outside the 3 inputs"),
    (lambda: maxpool.count_vertices([[0, -1]]), ValueError, "negative index"),
    (lambda: maxpool.count_vertices([[0, 1, 1]]), ValueError, "duplicate index"),
    (lambda: maxpool.count_vertices([[0.5, 1]]), TypeError, "expected integer indices"),
    (lambda: maxpool.count_vertices("abc"), TypeError, "windows: expected a sequence"),
    (lambda: maxpool.count_vertices([[0, 1]], order=[1]), ValueError, "order: must be a permutation"),
    (lambda: maxpool.count_vertices_1d(10, 3, 0), ValueError, "stride: must be >= 1"),
    (lambda: maxpool.count_vertices_1d(10, 0, 1), ValueError, "k: must be >= 1"),
    (lambda: maxpool.count_vertices_1d(3, 5, 1), ValueError, "k: window 5 is larger"),
    (lambda: maxpool.count_vertices_1d(10.0, 3, 1), TypeError, "n: expected an integer"),
    (lambda: maxpool.count_vertices_2d((4, 4), (5, 2), 1), ValueError, "window: 5x2 is larger"),
    (lambda: maxpool.count_vertices_2d((4, 4), (2, 2), (0, 1)), ValueError, "stride: must be >= 1"),
    (lambda: maxpool.count_vertices_2d((4, 4), (2, 2), 1, padding="same"), ValueError, "padding"),
    (lambda: maxpool.count_vertices_2d((4, 4, 4), (2, 2), 1), ValueError, "shape: expected a pair"),
    (lambda: maxpool.region_of(np.array([1.0, np.nan, 0]), [[0, 1]]), ValueError, "x: contains NaN"),
    (lambda: maxpool.region_of(np.zeros(2), [[0, 3]]), ValueError, "x: windows index 4 inputs"),
]


@pytest.mark.parametrize("call,exc,frag", BAD, ids=[b[2] for b in BAD])
def test_bad_input(call, exc, frag):
    with pytest.raises(exc) as info:
        call()
    assert frag in str(info.value), str(info.value)


def test_networks_with_pooling_layers(tmp_path):
    from reference import forward_reference

    rng = np.random.default_rng(0)
    pool = regions.MaxPool(maxpool.windows_2d((3, 4), (2, 2), 1))
    net = regions.Network.from_layers(
        [
            regions.Layer.dense(rng.standard_normal((12, 5)), rng.standard_normal(12)),
            pool,
            regions.Layer.dense(rng.standard_normal((4, 6)), rng.standard_normal(4), "leaky_relu", 0.1),
            regions.MaxPool([[0, 1, 2], [1, 3]]),
        ],
        rng.standard_normal((1, 2)),
        rng.standard_normal(1),
    )
    assert net.activations == ("relu", "maxpool", "leaky_relu", "maxpool")
    assert net.widths == (12, 6, 4, 2) and net.n_hidden == 24
    X = rng.integers(-2, 3, (3000, 5)).astype(float)  # integer inputs: many exact ties
    codes, out = forward_reference(net, X)
    pats = net.activation_patterns(X)
    assert pats.dtype == np.int32
    np.testing.assert_array_equal(pats, codes)
    np.testing.assert_allclose(net(X), out, rtol=1e-12, atol=1e-12)
    assert net.count_patterns(X) == len(np.unique(codes, axis=0))
    net.save(tmp_path / "pool.npz")
    back = regions.Network.load(tmp_path / "pool.npz")
    np.testing.assert_array_equal(back.activation_patterns(X), pats)
    # Pooling the inputs directly: patterns are the winner positions of region_of.
    direct = regions.Network.from_layers(
        [regions.MaxPool(maxpool.windows_1d(6, 3, 1))], np.ones((1, 4)), np.zeros(1), input_dim=6
    )
    Y = rng.standard_normal((500, 6))
    winners = maxpool.region_of(Y, maxpool.windows_1d(6, 3, 1))
    np.testing.assert_array_equal(direct.activation_patterns(Y) + np.arange(4), winners)
    # Distinct patterns of a pooling layer never exceed its vertex count.
    assert direct.count_patterns(Y) <= maxpool.count_vertices_1d(6, 3, 1)
    with pytest.raises(ValueError, match="input_dim: required"):
        regions.Network.from_layers([regions.MaxPool([[0, 1]])], np.ones((1, 1)), np.zeros(1))
    with pytest.raises(ValueError, match="windows"):
        regions.Network.from_layers(
            [regions.Layer.dense(np.ones((2, 2)), np.zeros(2)), regions.MaxPool([[0, 5]])], np.ones((1, 1)), np.zeros(1)
        )
