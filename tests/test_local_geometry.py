"""Distance to the region boundary and boundary density (issue 11 items 2-3), against an
independent NumPy oracle that composes each unit's affine map from the point's pattern,
and against the definition: moving a point by less than its distance keeps its pattern,
moving it a little farther along the nearest constraint's normal changes it."""

from __future__ import annotations

import numpy as np
import pytest
import regions
from hypothesis import given, settings
from hypothesis import strategies as st
from test_residual import _random_carry_net


def _dense(w):
    return w.toarray() if hasattr(w, "toarray") else np.asarray(w)


def oracle(net, x):
    """Per hidden unit (pattern order): its distance ``min |c(x)| / ‖∇c‖`` over its
    constraints, and the constraint ``(g, c)`` nearest; from the pattern at ``x`` and
    the layers' weights, in NumPy."""
    codes = net.activation_patterns(x[None], packed=False)[0].astype(int)
    M, c = np.eye(len(x)), np.zeros(len(x))
    dists, cons, u = [], [], 0
    for layer in net.layers:
        M_in, c_in = M, c
        code = codes[u : u + layer.units]
        u += layer.units
        if layer.kind == "maxpool":
            pieces = [(M[w], c[w]) for w in layer.windows]
        elif layer.kind == "maxout":
            W = _dense(layer.weights).reshape(layer.units * layer.k, -1)
            pm, pc = W @ M, W @ c + layer.bias.reshape(-1)
            k = layer.k
            pieces = [(pm[i * k : (i + 1) * k], pc[i * k : (i + 1) * k]) for i in range(layer.units)]
        else:
            W = _dense(layer.weights)
            pm, pc = W @ M, W @ c + layer.bias
            pieces = None
        if pieces is None:
            for i in range(layer.units):
                g, v = pm[i], pm[i] @ x + pc[i]
                n = np.linalg.norm(g)
                dists.append(abs(v) / n if n > 0 else np.inf)
                cons.append((g, v))
            slope = np.where(code == 1, 1.0, layer.alpha)
            M, c = slope[:, None] * pm, slope * pc
        else:
            rows_m, rows_c = [], []
            for (gm, gc), r in zip(pieces, code):
                best, arg = np.inf, None
                for q in range(len(gc)):
                    if q == r:
                        continue
                    g = gm[r] - gm[q]
                    v = g @ x + gc[r] - gc[q]
                    n = np.linalg.norm(g)
                    d = abs(v) / n if n > 0 else np.inf
                    if d < best:
                        best, arg = d, (g, v)
                dists.append(best)
                cons.append(arg)
                rows_m.append(gm[r])
                rows_c.append(gc[r])
            M, c = np.array(rows_m), np.array(rows_c)
        if layer.carry.size:
            M, c = np.vstack([M, M_in[layer.carry]]), np.concatenate([c, c_in[layer.carry]])
    return np.array(dists), cons


def _check(net, X, radius=0.05, moves=True):
    dist, unit = net.distance_to_boundary(X, return_unit=True)
    dens = net.boundary_density(X, radius)
    rng = np.random.default_rng(0)
    for i, x in enumerate(X):
        want, cons = oracle(net, x)
        j = int(np.argmin(want))
        np.testing.assert_allclose(dist[i], want[j], rtol=1e-9, atol=1e-12)
        assert want[unit[i]] <= want[j] * (1 + 1e-9) + 1e-15
        assert dens[i] == np.sum(want < radius) / (2 * radius) or np.any(np.isclose(want, radius, rtol=1e-9))
        if not moves or not np.isfinite(dist[i]) or dist[i] == 0:
            continue
        p0 = net.activation_patterns(x[None])
        for _ in range(4):  # inside the ball of radius dist: the same region
            v = rng.standard_normal(len(x))
            y = x + 0.99 * dist[i] * v / np.linalg.norm(v)
            np.testing.assert_array_equal(net.activation_patterns(y[None]), p0)
        g, c = cons[unit[i]]
        y = x - np.sign(c) * 1.01 * dist[i] * g / np.linalg.norm(g)  # across the nearest boundary
        assert not np.array_equal(net.activation_patterns(y[None]), p0)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([2, 3, 5]),
    st.integers(1, 3),
    st.sampled_from([["relu"], ["leaky_relu"], ["maxout"], ["relu", "maxpool"], ["maxpool", "relu", "leaky_relu"]]),
)
def test_distances_match_the_oracle_and_the_definition(seed, d, depth, kinds):
    """Layers of every kind with carried inputs, small integer weights (dead and
    duplicated units, ties)."""
    rng = np.random.default_rng(seed)
    net = _random_carry_net(rng, d, depth, kinds, 0)
    X = rng.uniform(-1, 1, (12, d))
    _check(net, X)


def test_gaussian_mlps_and_a_point_on_a_boundary():
    net = regions.Network.random([6, 20, 20, 20, 2], seed=1)
    X = np.random.default_rng(1).standard_normal((40, 6))
    _check(net, X, radius=0.1)
    # A point on a first-layer hyperplane: distance 0, that unit nearest.
    W, b = net.layers[0].weights, net.layers[0].bias
    x = X[0] - (W[3] @ X[0] + b[3]) / (W[3] @ W[3]) * W[3]
    x[np.argmax(np.abs(W[3]))] -= (W[3] @ x + b[3]) / W[3][np.argmax(np.abs(W[3]))]
    if W[3] @ x + b[3] == 0.0:
        dist, unit = net.distance_to_boundary(x[None], return_unit=True)
        assert dist[0] == 0.0 and unit[0] == 3


def test_a_network_without_hidden_units_has_no_boundary():
    net = regions.Network.from_arrays([np.zeros((3, 2)), np.ones((1, 3))], [np.zeros(3), np.zeros(1)])
    dist, unit = net.distance_to_boundary(np.ones((2, 2)), return_unit=True)
    assert np.all(np.isinf(dist)) and np.all(unit == -1)
    assert np.all(net.boundary_density(np.ones((2, 2)), 1.0) == 0)


def test_imported_cnn_distances(tmp_path):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(3, 4, 2), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(4, 2),
    ).double().eval()  # fmt: skip
    net = regions.Network.from_torch(model, input_shape=(1, 8, 8))
    X = np.random.default_rng(2).standard_normal((6, 64))
    _check(net, X, radius=0.01)


def test_distances_do_not_depend_on_threads():
    net = regions.Network.random([10, 32, 32, 1], seed=3)
    X = np.random.default_rng(3).standard_normal((101, 10))
    a = net.distance_to_boundary(X, n_threads=1)
    assert np.array_equal(a, net.distance_to_boundary(X, n_threads=2))


def test_bad_input_names_the_argument():
    net = regions.Network.random([3, 4, 1], seed=0)
    X = np.zeros((2, 3))
    for r in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="radius"):
            net.boundary_density(X, r)
    with pytest.raises(ValueError, match="X"):
        net.distance_to_boundary(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="X"):
        net.distance_to_boundary(np.array([[np.nan, 0, 0]]))
    with pytest.raises(ValueError, match="X"):
        net.boundary_density(np.zeros((0, 3)), 0.1)


def _exact_sq_distances(net, x):
    """Per unit, the squared distance ``c(x)^2 / ‖∇c‖^2`` in exact rationals (the maps
    composed in ``fractions.Fraction`` from the exact pattern at ``x``); ``None`` for no
    boundary."""
    from fractions import Fraction as Q

    import exact_oracle

    codes = exact_oracle.codes_at(net, x)
    d = len(x)
    xq = [Q(float(v)) for v in x]
    M = [[Q(int(i == j)) for j in range(d)] for i in range(d)]
    c = [Q(0)] * d
    out, u = [], 0

    def dist2(g, v):
        n2 = sum(t * t for t in g)
        return None if n2 == 0 else v * v / n2

    def affine(W, b):
        rows = []
        for i in range(W.shape[0]):
            g = [sum(Q(float(W[i, j])) * M[j][k] for j in range(len(M)) if W[i, j]) for k in range(d)]
            rows.append((g, Q(float(b[i])) + sum(Q(float(W[i, j])) * c[j] for j in range(len(M)) if W[i, j])))
        return rows

    for layer in net.layers:
        code = codes[u : u + layer.units]
        u += layer.units
        if layer.kind == "maxpool":
            groups = [[(M[i], c[i]) for i in w] for w in layer.windows]
        elif layer.kind == "maxout":
            rows = affine(_dense(layer.weights).reshape(layer.units * layer.k, -1), layer.bias.reshape(-1))
            groups = [rows[i * layer.k : (i + 1) * layer.k] for i in range(layer.units)]
        else:
            rows = affine(_dense(layer.weights), layer.bias)
            groups = None
        carried_M, carried_c = [M[i] for i in layer.carry], [c[i] for i in layer.carry]
        if groups is None:
            slope = Q(float(layer.alpha))
            for g, v in rows:
                out.append(dist2(g, v + sum(a * b for a, b in zip(g, xq))))
            M = [g if bit else [slope * t for t in g] for (g, _), bit in zip(rows, code)]
            c = [v if bit else slope * v for (_, v), bit in zip(rows, code)]
        else:
            best = []
            for pieces, r in zip(groups, code):
                (gr, vr) = pieces[r]
                ds = [
                    dist2([a - b for a, b in zip(gr, gq)], vr - vq + sum((a - b) * t for a, b, t in zip(gr, gq, xq)))
                    for q, (gq, vq) in enumerate(pieces)
                    if q != r
                ]
                ds = [t for t in ds if t is not None]
                best.append(min(ds) if ds else None)
            out += best
            M, c = [p[r][0] for p, r in zip(groups, code)], [p[r][1] for p, r in zip(groups, code)]
        M, c = M + carried_M, c + carried_c
    return out


@settings(max_examples=20, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([2, 3]),
    st.integers(1, 2),
    st.sampled_from([["relu"], ["leaky_relu"], ["maxout"], ["relu", "maxpool"]]),
    st.sampled_from([0, 30]),
)
def test_distances_match_exact_rationals_on_degenerate_networks(seed, d, depth, kinds, shift):
    """Small integer weights, dead and duplicated units, biases 2^-30, points on a grid
    of quarters (some on boundaries): the float distance squared equals the Fraction
    oracle's to rounding, and the nearest unit is one at the exact minimum."""
    rng = np.random.default_rng(seed)
    net = _random_carry_net(rng, d, depth, kinds, shift)
    X = rng.integers(-4, 5, (10, d)) / 4.0
    dist, unit = net.distance_to_boundary(X, return_unit=True)
    for i, x in enumerate(X):
        exact = _exact_sq_distances(net, x)
        finite = [t for t in exact if t is not None]
        if not finite:
            assert np.isinf(dist[i]) and unit[i] == -1
            continue
        m = min(finite)
        assert dist[i] ** 2 == pytest.approx(float(m), rel=1e-12, abs=1e-300)
        if m == 0:
            assert dist[i] == 0.0  # on a boundary: exactly 0
        assert exact[unit[i]] is not None and float(exact[unit[i]]) == pytest.approx(float(m), rel=1e-12, abs=1e-300)


def test_non_real_inputs_are_refused():
    net = regions.Network.random([3, 4, 1], seed=0)
    for X in (np.array([["a", "b", "c"]]), np.zeros((2, 3), dtype=complex)):
        with pytest.raises(TypeError, match="X: expected a real"):
            net.distance_to_boundary(X)
        with pytest.raises(TypeError, match="X: expected a real"):
            net.boundary_density(X, 0.1)
