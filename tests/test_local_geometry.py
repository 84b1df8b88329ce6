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
