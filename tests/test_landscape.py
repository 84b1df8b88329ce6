"""Parameter-space patterns, Jacobians, ranks and neuron dichotomies against oracles."""

from __future__ import annotations

import itertools
from fractions import Fraction
from math import comb

import numpy as np
import pytest
import regions
from hypothesis import given, settings
from hypothesis import strategies as st
from regions import landscape as L


def cover(n, D):
    return 2**n if D >= n else 2 * sum(comb(n - 1, k) for k in range(D))


def khatri_rao(X, A, v=None, bias=True):
    Xt = np.hstack([X, np.ones((len(X), 1))]) if bias else X
    m = A.shape[0]
    v = np.ones(m) if v is None else v
    return np.hstack([(v[i] * A[i])[:, None] * Xt for i in range(m)])


def shallow_outputs(X, W, b, v, c=0.0):
    return np.maximum(X @ W.T + b, 0) @ v + c


def exact_khatri_rao(X, A, v, wrt):
    """The Jacobian with exact rational entries v_i * A_ij * x̃_jc (no float rounding)."""
    n, d = X.shape
    rows = []
    for j in range(n):
        xt = [Fraction(float(x)) for x in X[j]] + [Fraction(1)]
        row = [Fraction(float(v[i])) * int(A[i, j]) * xc for i in range(A.shape[0]) for xc in xt]
        rows.append(row + ([Fraction(1)] if wrt == "all" else []))
    return rows


def fraction_rank(M):
    rows = [[x if isinstance(x, Fraction) else Fraction(float(x)) for x in r] for r in M]
    rank, ncols = 0, len(rows[0]) if rows else 0
    for col in range(ncols):
        piv = next((r for r in range(rank, len(rows)) if rows[r][col] != 0), None)
        if piv is None:
            continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][col] != 0:
                f = rows[r][col] / rows[rank][col]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[rank])]
        rank += 1
    return rank


def realizable(X, S, bias=True):
    """LP: ∃ w (, b) with w·x̃_j >= 1 on S and <= -1 off S."""
    from scipy.optimize import linprog

    Xt = np.hstack([X, np.ones((len(X), 1))]) if bias else X
    zero = ~Xt.any(axis=1)  # x̃_j = 0: w·x̃_j = 0 is inactive for every w (no hyperplane)
    if np.any(S & zero):
        return False
    Xt, S = Xt[~zero], S[~zero]
    if len(Xt) == 0:
        return True
    sign = np.where(S, -1.0, 1.0)
    res = linprog(
        np.zeros(Xt.shape[1]),
        A_ub=sign[:, None] * Xt,
        b_ub=-np.ones(len(Xt)),
        bounds=[(None, None)] * Xt.shape[1],
        method="highs",
    )
    return res.status == 0


@given(st.integers(0, 2**32 - 1), st.integers(1, 30), st.integers(1, 4), st.integers(1, 12), st.booleans())
def test_jacobian_formula_and_finite_differences(seed, n, d, m, bias):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n, d))
    W, b, v = rng.standard_normal((m, d)), rng.standard_normal(m), rng.standard_normal(m)
    if not bias:
        b = np.zeros(m)
    A = L.patterns(X, W, b if bias else None)
    np.testing.assert_array_equal(A, (W @ X.T + b[:, None]) > 0)
    J = L.jacobian(X, A, v, bias=bias)
    np.testing.assert_allclose(J, khatri_rao(X, A, v, bias), rtol=0, atol=0)
    # Central differences of the network outputs with respect to (w_i, b_i).
    h = 1e-6
    theta = np.hstack([W, b[:, None]]) if bias else W.copy()
    D = theta.shape[1]
    for i in range(m):
        for c in range(D):
            tp, tm = theta.copy(), theta.copy()
            tp[i, c] += h
            tm[i, c] -= h
            fp = shallow_outputs(X, tp[:, :d], tp[:, d] if bias else 0, v)
            fm = shallow_outputs(X, tm[:, :d], tm[:, d] if bias else 0, v)
            fd = (fp - fm) / (2 * h)
            near = np.abs(X @ W[i] + b[i]) < 1e-4  # skip points within h of the boundary
            np.testing.assert_allclose(fd[~near], J[~near, i * D + c], atol=1e-6)
    # The full Jacobian (v and the output bias columns too).
    Jall = L.jacobian(X, A, v, bias=bias, wrt="all", W=W, b=b if bias else None)
    np.testing.assert_allclose(Jall[:, m * D : m * D + m], np.maximum(X @ W.T + b, 0), atol=1e-12)


@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 25),
    st.integers(1, 3),
    st.integers(1, 10),
    st.sampled_from(["first", "all"]),
)
def test_numerical_rank_equals_numpy_and_exact_equals_fractions(seed, n, d, m, wrt):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n, d))
    A = rng.random((3, m, n)) < 0.5
    v = rng.standard_normal(m)
    ranks = L.jacobian_rank(X, A, v, wrt=wrt)
    exact = L.jacobian_rank(X, A, v, wrt=wrt, exact=True)
    for k in range(3):
        J = khatri_rao(X, A[k], v)
        if wrt == "all":
            J = np.hstack([J, np.ones((n, 1))])
        assert ranks[k] == np.linalg.matrix_rank(J)
        if n <= 12:
            assert exact[k] == fraction_rank(exact_khatri_rao(X, A[k], v, wrt))
        assert exact[k] >= ranks[k] or exact[k] == ranks[k]
    # wrt="all" is rank [J | 1] (docs/math.md identity), and never below the first-layer rank.
    first = L.jacobian_rank(X, A, v)
    assert np.all(L.jacobian_rank(X, A, v, wrt="all") >= first)


def test_large_matrix_ranks_match_numpy_on_any_thread_count():
    """Both sides >= 512 take the parallel QR path: certificate or SVD of R."""
    rng = np.random.default_rng(5)
    full = rng.standard_normal((520, 600))
    low = rng.standard_normal((520, 530)) @ np.diag(np.r_[np.ones(500), np.zeros(30)]) @ rng.standard_normal((530, 600))
    for M in (full, low, full.T):
        want = int(np.linalg.matrix_rank(M))
        assert L.matrix_rank(M) == want
        r, margin = L.matrix_rank(M, return_margin=True)
        s = np.linalg.svd(M, compute_uv=False)
        assert r == want and np.isclose(margin, s[-1] / s[0], rtol=1e-6, atol=1e-12)
        runs = {
            (res.rank, res.margin)
            for res in (
                regions._core.matrix_rank(np.ascontiguousarray(M), None, False, 0, True, n_threads=t) for t in (1, 2)
            )
        }
        assert len(runs) == 1  # bitwise the same margin on 1 and 2 threads


def test_exact_rank_where_a_tolerance_is_wrong():
    eps = 2.0**-52
    M = np.array([[1.0, 1.0], [1.0, 1.0 + eps]])
    assert np.linalg.matrix_rank(M) == 1 and L.matrix_rank(M) == 1
    assert L.matrix_rank(M, exact=True) == 2 == fraction_rank(M)
    tiny = np.array([[1e-200, 0.0], [0.0, 1.0]])
    assert L.matrix_rank(tiny) == 1 and L.matrix_rank(tiny, exact=True) == 2
    # 0.1 + 0.2 != 0.3 in float64: the third column is not the sum of the first two.
    N = np.array([[0.1, 0.2, 0.1 + 0.2], [1.0, 1.0, 2.0], [0.3, 0.3, 0.6]])
    assert L.matrix_rank(N, exact=True) == fraction_rank(N)
    exact_dep = np.array([[0.5, 0.25, 0.75], [1.0, 2.0, 3.0], [4.0, 0.125, 4.125]])
    assert L.matrix_rank(exact_dep, exact=True) == 2 == fraction_rank(exact_dep)
    r, margin = L.matrix_rank(M, return_margin=True)
    assert margin < 1e-15
    # Patterns: scaling the data by 1e-160 makes J tiny, not rank-deficient.
    X = np.random.default_rng(0).uniform(0, 1, (6, 2)) * 1e-160
    A = np.ones((4, 6), dtype=bool)
    assert L.jacobian_rank(X, A, bias=False, exact=True) == 2


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_neuron_patterns_follow_cover_for_gaussian_data(d):
    rng = np.random.default_rng(d)
    for n in [1, 2, 5, 17, 40] if d < 4 else [3, 9, 25]:
        X = rng.standard_normal((n, d))
        for bias in (True, False):
            P = L.neuron_patterns(X, bias)
            assert P.shape == (cover(n, d + bias), n)
            assert len(np.unique(P, axis=0)) == len(P)
    X = rng.standard_normal((30, 1))
    assert L.neuron_patterns(X).shape[0] == 60  # d = 1 with bias: 2n


@settings(max_examples=15)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 9),
    st.integers(1, 3),
    st.booleans(),
    st.sampled_from(["gauss", "repeat", "collinear", "grid"]),
)
def test_neuron_patterns_are_exactly_the_realizable_dichotomies(seed, n, d, bias, kind):
    rng = np.random.default_rng(seed)
    if kind == "gauss":
        X = rng.standard_normal((n, d))
    elif kind == "repeat":
        X = rng.standard_normal((max(1, n // 2), d))[rng.integers(0, max(1, n // 2), n)]
    elif kind == "collinear":
        X = np.outer(rng.integers(-3, 4, n), rng.integers(1, 3, d)).astype(float) + (1.0 if bias else 0.0)
    else:
        X = rng.integers(0, 3, (n, d)).astype(float)
    P = L.neuron_patterns(X, bias)
    listed = {tuple(r) for r in P.tolist()}
    assert len(listed) == len(P)
    everything = {S for S in itertools.product([False, True], repeat=n) if realizable(X, np.array(S), bias)}
    assert listed == everything


def test_count_regions_is_an_exact_power():
    X = np.random.default_rng(0).standard_normal((12, 2))
    total, per = L.count_regions(X, 50)
    assert per == cover(12, 3) and total == per**50 and isinstance(total, int)


def test_samplers_and_phase_diagram_are_deterministic_across_threads():
    X = np.random.default_rng(1).uniform(0, 1, (15, 2))
    for scheme in ("init", "uniform", "nonempty"):
        a = L.sample_patterns(X, 8, 20, scheme, seed=3, n_threads=1)
        b = L.sample_patterns(X, 8, 20, scheme, seed=3, n_threads=4)
        np.testing.assert_array_equal(a, b)
        assert a.shape == (20, 8, 15)
        f1, r1 = L.full_rank_fraction(X, 8, 20, scheme, seed=3, return_ranks=True, n_threads=1)
        f2, r2 = L.full_rank_fraction(X, 8, 20, scheme, seed=3, return_ranks=True, n_threads=2)
        assert f1 == f2 and np.array_equal(r1, r2)
        np.testing.assert_array_equal(r1, L.jacobian_rank(X, a))
    nonempty = L.sample_patterns(X, 30, 5, "nonempty")
    allowed = {tuple(r) for r in L.neuron_patterns(X).tolist()}
    assert all(tuple(row) in allowed for row in nonempty.reshape(-1, 15).tolist())
    p1 = L.phase_diagram(2, [5, 10], [3, 8], trials=10, seed=2, n_threads=1)
    p2 = L.phase_diagram(2, [5, 10], [3, 8], trials=10, seed=2, n_threads=3)
    np.testing.assert_array_equal(p1.p_full, p2.p_full)
    np.testing.assert_array_equal(p1.mean_rank_ratio, p2.mean_rank_ratio)
    pe = L.phase_diagram(2, [5, 10], [3, 8], trials=10, seed=2, exact=True)
    assert np.all((pe.p_full >= 0) & (pe.p_full <= 1))


def test_phase_diagram_outputs(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    pd = L.phase_diagram(1, [4, 8], [2, 6, 12], trials=8)
    pd.to_csv(tmp_path / "pd.csv")
    text = (tmp_path / "pd.csv").read_text().splitlines()
    assert text[0].startswith("d,n,width,trials,p_full") and len(text) == 7
    ax = pd.plot()
    ax.figure.savefig(tmp_path / "pd.png")
    assert (tmp_path / "pd.png").stat().st_size > 1000
    assert "float64" in pd.rank_rule()


def test_deep_parameter_jacobian_and_functional_dimension():
    rng = np.random.default_rng(0)
    net = regions.Network.random([3, 6, 5, 2], seed=1)
    X = rng.standard_normal((9, 3))
    J = net.parameter_jacobian(X)
    assert J.shape == (18, net.n_params)
    # Central differences over the flattened parameters in the documented order.
    Ws = [l.weights for l in net.layers] + [net._out_w]
    bs = [l.bias for l in net.layers] + [net._out_b]
    theta = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in zip(Ws, bs)])

    def outputs(th):
        off, Wn, bn = 0, [], []
        for W, b in zip(Ws, bs):
            Wn.append(th[off : off + W.size].reshape(W.shape))
            off += W.size
            bn.append(th[off : off + b.size])
            off += b.size
        return regions.Network.from_arrays(Wn, bn)(X).ravel()

    h = 1e-6
    for q in range(theta.size):
        tp, tm = theta.copy(), theta.copy()
        tp[q] += h
        tm[q] -= h
        np.testing.assert_allclose((outputs(tp) - outputs(tm)) / (2 * h), J[:, q], atol=1e-6)
    fd = net.functional_dimension(X)
    assert fd.rank == np.linalg.matrix_rank(J) and fd.rank <= fd.bound == net.n_params - net.n_hidden
    assert net.functional_dimension(X, exact=True).rank >= fd.rank
    big = net.functional_dimension(rng.standard_normal((200, 3)))
    assert big.rank <= big.bound
    with pytest.raises(ValueError, match="on a region boundary"):
        W0 = net.layers[0]
        x = np.zeros((1, 3))
        x[0, 0] = -W0.bias[0] / W0.weights[0, 0]
        net.functional_dimension(np.vstack([x, x]) if (x @ W0.weights[0] + W0.bias[0])[0] == 0 else _boundary(net))


def _boundary(net):
    W0 = net.layers[0]
    # A point exactly on unit 0's hyperplane: choose x with w·x + b == 0 in float64.
    x = np.zeros(3)
    j = int(np.argmax(np.abs(W0.weights[0])))
    x[j] = 1.0
    x[j] = -W0.bias[0] / W0.weights[0, j]
    assert x @ W0.weights[0] + W0.bias[0] == 0
    return x[None]


BAD = [
    (lambda: L.patterns(np.zeros((3, 2)), np.zeros((4, 3))), ValueError, "W: expected size 2 on axis 2"),
    (lambda: L.patterns(np.full((3, 2), np.nan), np.zeros((4, 2))), ValueError, "X: contains NaN"),
    (lambda: L.patterns(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros(5)), ValueError, "b: expected size"),
    (lambda: L.jacobian_rank(np.zeros((3, 2)), np.ones((4, 5), bool)), ValueError, "A: last axis must have n = 3"),
    (lambda: L.jacobian_rank(np.zeros((3, 2)), np.full((4, 3), 2)), ValueError, "A: entries must be 0 or 1"),
    (lambda: L.jacobian_rank(np.zeros((3, 2)), np.ones((4, 3)), wrt="some"), ValueError, "wrt: expected"),
    (lambda: L.jacobian_rank(np.zeros((3, 2)), np.ones((4, 3), float)), TypeError, "A: expected a bool"),
    (lambda: L.jacobian_rank(np.zeros((3, 2)), np.ones((4, 3), bool), tol=-1), ValueError, "tol: must be >= 0"),
    (lambda: L.jacobian_rank(np.zeros((3, 2)), np.ones((4, 3), bool), v=np.ones(3)), ValueError, "v: expected size 4"),
    (lambda: L.jacobian(np.zeros((3, 2)), np.ones((4, 3), bool), wrt="all"), ValueError, "W, b: the Jacobian"),
    (lambda: L.sample_patterns(np.zeros((3, 2)), 0, 5), ValueError, "width: must be >= 1"),
    (lambda: L.sample_patterns(np.zeros((3, 2)), 4, 5, scheme="bogus"), ValueError, "scheme: expected"),
    (lambda: L.full_rank_fraction(np.zeros((3, 2)), 4, 5, init="xavier"), ValueError, "init: expected"),
    (lambda: L.phase_diagram(2, [], [3]), ValueError, "n_values, widths: must not be empty"),
    (lambda: L.phase_diagram(2, [5], [3], data="mnist"), ValueError, "data: expected"),
    (lambda: L.phase_diagram(0, [5], [3]), ValueError, "d: must be >= 1"),
    (lambda: L.neuron_patterns(np.zeros((0, 2))), ValueError, "X: must not be empty"),
    (lambda: L.matrix_rank(np.array([[1.0, np.inf]])), ValueError, "M: contains NaN or inf"),
    (
        lambda: regions.Network.random([2, 3, 1]).functional_dimension(np.zeros((2, 3))),
        ValueError,
        "X: expected size 2",
    ),
]


@pytest.mark.parametrize("call,exc,frag", BAD, ids=[b[2] for b in BAD])
def test_bad_input(call, exc, frag):
    with pytest.raises(exc) as info:
        call()
    assert frag in str(info.value), str(info.value)


@pytest.mark.parametrize(
    "call, frag",
    [
        (lambda: L.sample_patterns(np.zeros((3, 2)), 2, 4, scheme="uniform", init="he"), "init: expected"),
        (lambda: L.full_rank_fraction(np.zeros((3, 2)), 2, 4, scheme="all"), "scheme: expected"),
        (lambda: L.phase_diagram(2, [3], [2], 2, data="normal"), "data: expected"),
    ],
)
def test_choices_are_checked_by_the_core(call, frag):
    with pytest.raises(ValueError, match=frag):
        call()


def _separable(A, B):
    """Exact strict separability of two finite point sets in the plane (Fractions): the
    convex hulls are disjoint iff some axis (normal or direction of a difference of two
    points) separates their projections."""
    from fractions import Fraction as Fr

    if not A or not B:
        return True
    pts = A + B
    axes = []
    for p in pts:
        for q in pts:
            dx, dy = p[0] - q[0], p[1] - q[1]
            if dx or dy:
                axes += [(dx, dy), (-dy, dx)]
    for ux, uy in axes:
        pa = [ux * Fr(a[0]) + uy * Fr(a[1]) for a in A]
        pb = [ux * Fr(b[0]) + uy * Fr(b[1]) for b in B]
        if max(pa) < min(pb) or max(pb) < min(pa):
            return True
    return False


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 7),
    st.sampled_from([0.0, 1e6, -3e9]),
    st.sampled_from([1.0, 2.0**-40, 2.0**30]),
)
def test_neuron_patterns_are_exact_on_degenerate_shifted_and_scaled_data(seed, n, shift, scale):
    """Dichotomies by lines of small-integer points (repeated and collinear ones), then
    translated by up to 3e9 and scaled by powers of two: every pattern equals the exact
    separability oracle's, whatever the offset (the tolerance of the float version
    merged directions 5.7e-11 apart)."""
    import itertools

    rng = np.random.default_rng(seed)
    P = rng.integers(-2, 3, (n, 2))
    X = (P.astype(float) + shift) * scale
    got = {tuple(r) for r in L.neuron_patterns(X).tolist()}
    pts = [tuple(int(v) for v in p) for p in P]
    want = set()
    for bits in itertools.product((False, True), repeat=n):
        A = [p for p, b in zip(pts, bits) if b]
        B = [p for p, b in zip(pts, bits) if not b]
        if _separable(A, B):
            want.add(bits)
    assert got == want


def _positive_somewhere(Y):
    """Whether some ``u`` has ``u·y > 0`` for every ``y`` in the finite set ``Y`` (exact
    Fractions; no zero vectors): candidates are the points and the sums of two of their
    perpendiculars (the valid cone's interior contains such a sum when it is open)."""
    if not Y:
        return True
    cands = list(Y)
    perps = [(-y[1], y[0]) for y in Y] + [(y[1], -y[0]) for y in Y]
    cands += [(p[0] + q[0], p[1] + q[1]) for p in perps for q in perps]
    return any(all(u[0] * y[0] + u[1] * y[1] > 0 for y in Y) for u in cands)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 6), st.sampled_from([0.0, 1e6, 2.0**40]))
def test_neuron_patterns_without_bias_are_exact_far_from_the_origin(seed, n, shift):
    """Units through the origin on points ``p + shift`` (small integers ``p``): the data
    are nearly parallel directions (5.7e-11 apart at 1e6), each pattern decided exactly
    (the float version gave 22 patterns for an exact 24)."""
    from fractions import Fraction as Fr

    rng = np.random.default_rng(seed)
    X = rng.integers(-2, 3, (n, 2)).astype(float) + shift
    got = {tuple(r) for r in L.neuron_patterns(X, bias=False).tolist()}
    pts = [(Fr(a), Fr(b)) for a, b in X]
    want = set()
    for bits in itertools.product((False, True), repeat=n):
        if any(b and p == (0, 0) for p, b in zip(pts, bits)):
            continue  # a zero point is never strictly positive
        Y = [p if b else (-p[0], -p[1]) for p, b in zip(pts, bits) if p != (0, 0)]
        if _positive_somewhere(Y):
            want.add(bits)
    assert got == want
