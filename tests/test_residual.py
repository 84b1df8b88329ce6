"""Skip connections in the core: layers that carry some of their inputs past their units
(``Layer.carry``), checked against the independent NumPy reference and the Fraction
oracle on degenerate networks."""

from __future__ import annotations

import pickle

import exact_oracle
import numpy as np
import pytest
import regions
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import forward_reference
from regions import Box


def _random_carry_net(rng: np.random.Generator, d: int, depth: int, kinds: list[str], shift: int) -> regions.Network:
    """Hidden layers of small integer weights (a dead unit, a duplicated unit, biases
    ``±2^-shift``) of the given kinds, each carrying a random subset of its inputs; the
    first always carries the whole input (a residual block's shortcut)."""
    layers: list[regions.Layer | regions.MaxPool] = []
    n_in = d
    for l in range(depth):
        kind = kinds[l % len(kinds)]
        carry = np.arange(n_in) if l == 0 else np.flatnonzero(rng.random(n_in) < 0.5)
        if kind == "maxpool":
            if n_in < 2:
                kind = "relu"
            else:
                windows = [[i, i + 1] for i in range(n_in - 1)]
                layers.append(regions.MaxPool(windows, n_in, carry=carry))
                n_in = len(windows) + carry.size
                continue
        n = int(rng.integers(2, 4))
        k = 2 if kind == "maxout" else 1
        W = rng.integers(-2, 3, (n * k, n_in)).astype(float)
        b = rng.integers(-1, 2, n * k) * 2.0**-shift
        W[rng.integers(n * k)] = 0.0
        i, j = rng.integers(n * k, size=2)
        W[i], b[i] = W[j], b[j]
        if kind == "maxout":
            layer = regions.Layer.dense(W.reshape(n, k, n_in), b.reshape(n, k), "maxout")
        else:
            layer = regions.Layer.dense(W, b, kind, alpha=0.5)
        layers.append(regions.Layer(layer.kind, layer.weights, layer.bias, layer.alpha, None, carry))
        n_in = n + carry.size
    out = rng.integers(-2, 3, (1, n_in)).astype(float)
    return regions.Network.from_layers(layers, out, np.zeros(1), input_dim=d)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([2, 3]),
    st.integers(1, 3),
    st.sampled_from([["relu"], ["leaky_relu"], ["maxout"], ["relu", "maxpool"], ["maxpool", "relu", "leaky_relu"]]),
    st.sampled_from([0, 30]),
)
def test_carried_layers_match_the_reference_and_the_rational_oracle(seed, d, depth, kinds, shift):
    rng = np.random.default_rng(seed)
    net = _random_carry_net(rng, d, depth, kinds, shift)
    X = rng.integers(-4, 5, (64, d)) / 4.0
    codes, out = forward_reference(net, X)
    np.testing.assert_array_equal(net.activation_patterns(X, packed=False).astype(int), codes)
    np.testing.assert_allclose(net(X), out, rtol=1e-12, atol=1e-12)
    box = Box.cube(d)
    if d == 3 and net.n_hidden > 9:
        return  # the oracle's vertex enumeration grows too fast
    oracle = {c for c, _ in exact_oracle.regions(net, box.lo, box.hi)}
    for rs in (net.regions(box), net.regions(box, exact="rational")):
        got = [tuple(p) for p in rs.patterns.astype(int).tolist()]
        assert len(got) == len(set(got))
        assert set(got) == oracle
    assert net.regions(box, count_only=True) == len(oracle)


def _block(rng: np.random.Generator, d: int, h: int) -> regions.Network:
    """``relu(x + W2 relu(W1 x + b1) + b2)`` then a linear output: the residual block."""
    W1, b1 = rng.normal(size=(h, d)), rng.normal(size=h) * 0.3
    W2, b2 = rng.normal(size=(d, h)), rng.normal(size=d) * 0.3
    first = regions.Layer("relu", W1, b1, 0.0, None, np.arange(d))
    second = regions.Layer.dense(np.hstack([W2, np.eye(d)]), b2)
    return regions.Network.from_layers([first, second], rng.normal(size=(2, d)), np.zeros(2))


def test_a_residual_block_is_what_it_says():
    rng = np.random.default_rng(1)
    net = _block(rng, 3, 5)
    (l1, l2) = net.layers
    W1, b1 = l1.weights, l1.bias
    W2 = l2.weights[:, :5]
    X = rng.normal(size=(200, 3))
    h = np.maximum(X @ W1.T + b1, 0)
    y = np.maximum(X + h @ W2.T + l2.bias, 0)
    np.testing.assert_allclose(net(X), y @ net._out_w.T, rtol=1e-12, atol=1e-12)
    assert l1.width == 8 and l2.width == 3
    assert net.n_hidden == 8 and net.widths == (5, 3)
    # The affine map of each region found on a plane reproduces the network there.
    rs = net.regions_through(X[0], X[1], X[2])
    assert rs.count > 3
    pts = rs.interior_points
    np.testing.assert_array_equal(net.activation_patterns(pts, packed=False), rs.patterns)
    for i, p in enumerate(pts):
        M, c = rs.affine_map(i)
        np.testing.assert_allclose(M @ p + c, net(p[None])[0], rtol=1e-9, atol=1e-9)


def test_carry_survives_save_load_pickle_and_tokens(tmp_path):
    net = _block(np.random.default_rng(2), 3, 4)
    X = np.random.default_rng(3).normal(size=(50, 3))
    path = tmp_path / "res.npz"
    net.save(path)
    for other in (regions.Network.load(path), pickle.loads(pickle.dumps(net))):
        np.testing.assert_array_equal(other(X), net(X))
        np.testing.assert_array_equal(other.layers[0].carry, np.arange(3))
        assert other.__dask_tokenize__() == net.__dask_tokenize__()
    plain = regions.Network.from_arrays(
        [np.eye(3), np.eye(3), np.ones((1, 3))], [np.zeros(3), np.zeros(3), np.zeros(1)]
    )
    assert plain.__dask_tokenize__() != net.__dask_tokenize__()
    assert net.bounds() == {"bounds": "no known bound implemented for networks with skip connections"}


def test_parameter_jacobian_of_a_residual_block_matches_finite_differences():
    rng = np.random.default_rng(4)
    net = _block(rng, 2, 3)
    X = rng.normal(size=(6, 2))
    J = net.parameter_jacobian(X)
    layers, out_w, out_b, _, _ = net._state()
    flat = [np.asarray(layers[0][1]).ravel(), layers[0][2], np.asarray(layers[1][1]).ravel(), layers[1][2]]
    flat += [out_w.ravel(), out_b]
    theta = np.concatenate(flat)
    sizes = np.cumsum([0] + [a.size for a in flat])

    def rebuild(t: np.ndarray) -> regions.Network:
        parts = [t[sizes[i] : sizes[i + 1]] for i in range(len(flat))]
        a = regions.Layer("relu", parts[0].reshape(3, 2), parts[1], 0.0, None, np.arange(2))
        b = regions.Layer("relu", parts[2].reshape(2, 5), parts[3], 0.0, None, None)
        return regions.Network([a, b], parts[4].reshape(2, 2), parts[5])

    eps = 1e-6
    for p in range(theta.size):
        up, dn = theta.copy(), theta.copy()
        up[p] += eps
        dn[p] -= eps
        fd = (rebuild(up)(X) - rebuild(dn)(X)).ravel() / (2 * eps)
        np.testing.assert_allclose(J[:, p], fd, rtol=1e-5, atol=1e-6)
    fdim = net.functional_dimension(X, exact=True)
    assert fdim.rank == np.linalg.matrix_rank(J)


def test_bad_carry_is_refused_naming_it():
    W, b = np.ones((2, 3)), np.zeros(2)
    with pytest.raises(ValueError, match="carry: index 3 is out of range"):
        regions.Layer("relu", W, b, 0.0, None, [0, 3])
    with pytest.raises(TypeError, match="carry"):
        regions.Layer("relu", W, b, 0.0, None, [0.5])
    with pytest.raises(ValueError, match="carry: index -1"):
        regions.MaxPool([[0, 1]], 3, carry=[-1])
    first = regions.Layer("relu", W, b, 0.0, None, [0, 1])
    with pytest.raises(ValueError, match="expects 2 inputs but layer 0 has 4 outputs"):
        regions.Network([first, regions.Layer.dense(np.ones((1, 2)), np.zeros(1))], np.ones((1, 1)), np.zeros(1))
