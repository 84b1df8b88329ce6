"""Exact local region counts in any input dimension (issue 11 item 1): the halfspace walk
(``method="halfspaces"``: the box and the cuts, every decision a certificate) against the
vertex walk in low dimension, and against an independent SciPy oracle in high dimension."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import regions
from hypothesis import given, settings
from hypothesis import strategies as st


def _degenerate(rng, d, widths, act):
    """Small integer weights, a duplicated unit and a dead one (ties and coincident
    hyperplanes through the box)."""
    layers, n_in = [], d
    for w in widths:
        W = rng.integers(-2, 3, (w, n_in)).astype(float)
        b = rng.integers(-2, 3, w) / 4
        W[rng.integers(w)] = W[rng.integers(w)]
        if w > 2:
            W[rng.integers(w)] = 0.0
        layers.append(regions.Layer.dense(W, b, act) if act == "relu" else regions.Layer.dense(W, b, act, alpha=0.25))
        n_in = w
    return regions.Network.from_layers(layers, np.ones((1, n_in)), np.zeros(1))


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 7),
    st.sampled_from([[6], [5, 4], [4, 4, 3]]),
    st.sampled_from(["relu", "leaky_relu"]),
    st.sampled_from([0.05, 0.3, 1.0]),
    st.booleans(),
)
def test_halfspace_counts_equal_vertex_counts(seed, d, widths, act, radius, gaussian):
    """Degenerate integer networks (where a sign may be left to the vertex walk) and
    Gaussian ones (where the certificates decide everything)."""
    rng = np.random.default_rng(seed)
    if gaussian:
        net = regions.Network.random([d, *widths, 1], seed=seed % 1000)
    else:
        net = _degenerate(rng, d, widths, act)
    X = rng.integers(-4, 5, (3, d)) / 4
    a = net.local_regions(X, radius, method="vertices")
    b = net.local_regions(X, radius, method="halfspaces")
    np.testing.assert_array_equal(a, b)
    if d <= 3 and (len(widths) == 1 or radius < 1.0):  # the independent Fraction oracle (slow: vertex enumeration)
        import exact_oracle

        want = [len(exact_oracle.regions(net, x - radius, x + radius)) for x in X]
        np.testing.assert_array_equal(b, want)
    if d > 6:
        np.testing.assert_array_equal(net.local_regions(X, radius), b)  # auto: halfspaces


def test_pooling_and_maxout_networks_in_halfspace_form():
    rng = np.random.default_rng(3)
    d = 5
    W = rng.standard_normal((8, d))
    pool = regions.MaxPool([[0, 1], [2, 3], [4, 5], [6, 7]], 8)
    maxout = regions.Layer.dense(rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 2)), "maxout")
    net = regions.Network.from_layers(
        [regions.Layer.dense(W, rng.standard_normal(8)), pool, maxout], np.ones((1, 3)), np.zeros(1)
    )
    X = rng.standard_normal((4, d))
    np.testing.assert_array_equal(
        net.local_regions(X, 0.5, method="vertices"), net.local_regions(X, 0.5, method="halfspaces")
    )


def _high_dim_nets(rng, d):
    """Every layer type above the vertex walk's dimensions: max-pooling after ReLU
    (windows of 2 and 3), maxout then leaky ReLU, and a ReLU layer carrying its input
    past its units into a second one (a skip connection)."""
    W = rng.standard_normal((8, d))
    pool = regions.MaxPool([[0, 1, 2], [3, 4], [5, 6, 7]], 8)
    yield regions.Network.from_layers(
        [regions.Layer.dense(W, rng.standard_normal(8) * 0.1), pool], rng.standard_normal((1, 3)), np.zeros(1)
    )
    maxout = regions.Layer.dense(rng.standard_normal((3, 3, d)), rng.standard_normal((3, 3)) * 0.1, "maxout")
    leaky = regions.Layer.dense(rng.standard_normal((4, 3)), rng.standard_normal(4) * 0.1, "leaky_relu", alpha=0.1)
    yield regions.Network.from_layers([maxout, leaky], rng.standard_normal((1, 4)), np.zeros(1))
    first = regions.Layer.dense(rng.standard_normal((4, d)), rng.standard_normal(4) * 0.1)
    first = regions.Layer(first.kind, first.weights, first.bias, first.alpha, None, np.arange(d))
    second = regions.Layer.dense(rng.standard_normal((3, 4 + d)), rng.standard_normal(3) * 0.1)
    yield regions.Network.from_layers([first, second], rng.standard_normal((1, 3)), np.zeros(1))


def test_every_layer_type_in_dimension_24_matches_the_cell_splitting_oracle():
    """Issue 11 item 4: pooling, maxout, leaky ReLU and skip connections in d = 24 (the
    halfspace walk, chosen automatically) against the Fraction oracle's cell splitting
    with a max-slack LP for each cell's interior (``exact_oracle.has_interior_lp``)."""
    import exact_oracle

    rng = np.random.default_rng(24)
    d, r = 24, 0.02
    for net in _high_dim_nets(rng, d):
        X = rng.standard_normal((2, d)) * 0.1
        got = net.local_regions(X, r)
        want = [len(exact_oracle.regions(net, x - r, x + r, exact_oracle.has_interior_lp)) for x in X]
        np.testing.assert_array_equal(got, want)
        assert max(want) > 10
        np.testing.assert_array_equal(got, net.local_regions(X, r, n_threads=1))


def _oracle_one_layer(W, b, x, r):
    """Regions of one ReLU layer in the box ``[x - r, x + r]``: the sign vectors whose
    cell has interior, each decided by a max-slack LP (SciPy's HiGHS): maximize ``t``
    with ``s_i (w_i·y + b_i) >= t ‖w_i‖`` and the box; interior iff ``t > 0``."""
    from scipy.optimize import linprog

    n, d = W.shape
    norms = np.linalg.norm(W, axis=1)
    count = 0
    for signs in itertools.product((-1.0, 1.0), repeat=n):
        s = np.array(signs)
        # variables (y, t): minimize -t; -s_i w_i·y + t ‖w_i‖ <= s_i b_i
        A = np.hstack([-s[:, None] * W, norms[:, None]])
        res = linprog(
            np.r_[np.zeros(d), -1.0],
            A_ub=A,
            b_ub=s * b,
            bounds=[(xi - r, xi + r) for xi in x] + [(None, 1.0)],
            method="highs",
        )
        if res.status == 0 and -res.fun > 1e-9:
            count += 1
    return count


@pytest.mark.parametrize("d", [50, 784])
def test_high_dimension_matches_an_lp_oracle(d):
    """One ReLU layer of 7 units in dimension 50 and 784 (beyond the vertex walk's 20):
    the count equals the independent LP oracle's, and is at least the number of
    distinct patterns of points sampled in the box."""
    rng = np.random.default_rng(d)
    n = 7
    W, b = rng.standard_normal((n, d)), rng.standard_normal(n) * 0.05
    net = regions.Network.from_layers([regions.Layer.dense(W, b)], np.ones((1, n)), np.zeros(1))
    X = rng.standard_normal((3, d)) * 0.01
    r = 0.02
    got = net.local_regions(X, r)
    for x, c in zip(X, got):
        assert c == _oracle_one_layer(W, b, x, r)
        Y = x + rng.uniform(-r, r, (4000, d))
        assert c >= len({tuple(p) for p in (Y @ W.T + b > 0).tolist()})
    assert got.max() > 4


def test_deep_network_in_dimension_784_counts_at_least_the_sampled_patterns():
    rng = np.random.default_rng(0)
    net = regions.Network.random([784, 32, 32, 10], seed=0)
    X = rng.random((2, 784))
    got = net.local_regions(X, 0.002)
    for x, c in zip(X, got):
        Y = x + rng.uniform(-0.002, 0.002, (3000, 784))
        assert c >= len({tuple(p) for p in net.activation_patterns(Y).tolist()})
    np.testing.assert_array_equal(got, net.local_regions(X, 0.002, n_threads=1))


def test_method_is_checked():
    net = regions.Network.random([3, 4, 1], seed=0)
    with pytest.raises(ValueError, match="method: expected one of"):
        net.local_regions(np.zeros((1, 3)), 0.1, method="lp")
    with pytest.raises(TypeError, match="method"):
        net.local_regions(np.zeros((1, 3)), 0.1, method=None)


def test_a_huge_input_dimension_raises_memory_error_not_abort():
    """The halfspace walk holds d x d input maps per concurrent box: d = 300,000 asks for
    terabytes, refused up front (it aborted the process when allocated)."""
    d = 300_000
    net = regions.Network.from_layers([regions.Layer.dense(np.ones((1, d)), np.zeros(1))], np.ones((1, 1)), np.zeros(1))
    with pytest.raises(MemoryError, match="local counts"):
        net.local_regions(np.zeros((1, d)), 0.1)


def test_imported_cnn_in_dimension_36_matches_the_cell_splitting_oracle():
    """A PyTorch convolution, ReLU and 2x2 max-pooling on 6x6 images (sparse layers,
    d = 36): the halfspace walk against the same oracle."""
    torch = pytest.importorskip("torch")
    import exact_oracle

    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 2))
    net = regions.Network.from_torch(model.double().eval(), input_shape=(1, 6, 6))
    X = np.random.default_rng(0).standard_normal((2, 36)) * 0.1
    r = 0.07
    got = net.local_regions(X, r)
    np.testing.assert_array_equal(
        got, [len(exact_oracle.regions(net, x - r, x + r, exact_oracle.has_interior_lp)) for x in X]
    )
    assert got[0] == 20


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(7, 9), st.sampled_from([[6], [5, 4]]), st.booleans())
def test_box_counts_above_dimension_6_walk_in_halfspace_form(seed, d, widths, gaussian):
    """``net.regions(Box, count_only=True)`` above d = 6 takes the halfspace walk: the
    same count as the box's vertex walk (``local_regions(..., method="vertices")`` on
    the same box), on degenerate integer and Gaussian networks."""
    rng = np.random.default_rng(seed)
    net = regions.Network.random([d, *widths, 1], seed=seed % 1000) if gaussian else _degenerate(rng, d, widths, "relu")
    c = rng.integers(-2, 3, d) / 4
    r = 0.5
    got = net.regions(regions.Box(c - r, c + r), count_only=True)
    assert got == net.local_regions(c[None], r, method="vertices")[0]


def test_box_count_in_dimension_20_and_784():
    """One unit in a 20-dimensional cube: 2 regions (the vertex walk took minutes over
    the 2^20 vertices); a box in R^784 has no vertex form at all."""
    assert regions.Network.random([20, 1, 1], seed=0).regions(regions.Box.cube(20), count_only=True) == 2
    net = regions.Network.random([784, 16, 16, 10], seed=0, init="he")
    box = regions.Box(np.full(784, -0.001), np.full(784, 0.001))
    got = net.regions(box, count_only=True)
    assert got == net.local_regions(np.zeros((1, 784)), 0.001)[0] > 1
