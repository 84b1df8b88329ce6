"""Forward pass, activation patterns and pattern counting against NumPy oracles."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
import regions
from hypothesis import given
from hypothesis import strategies as st
from optional import require
from reference import forward_reference, pack_reference


def make_net(seed, d, widths, activation, integer, k=2):
    """A random network; `integer=True` uses small integer weights so every value is
    exact in float64 and many pre-activations are exactly zero."""
    rng = np.random.default_rng(seed)
    sizes = [d, *widths, 2]
    Ws, bs = [], []
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        hidden = l < len(widths)
        shape = (b, k, a) if hidden and activation == "maxout" else (b, a)
        if integer:
            Ws.append(rng.integers(-2, 3, shape).astype(float))
            bs.append(rng.integers(-2, 3, shape[:-1]).astype(float))
        else:
            Ws.append(rng.standard_normal(shape) / np.sqrt(a))
            bs.append(0.3 * rng.standard_normal(shape[:-1]))
    return regions.Network.from_arrays(Ws, bs, activation=activation, alpha=0.25)


def make_points(seed, n, d, integer):
    rng = np.random.default_rng(seed + 1)
    return rng.integers(-2, 3, (n, d)).astype(float) if integer else rng.uniform(-2, 2, (n, d))


net_params = st.tuples(
    st.integers(0, 2**32 - 1),
    st.integers(1, 50),
    st.lists(st.integers(1, 64), min_size=1, max_size=3),
    st.sampled_from(["relu", "leaky_relu", "maxout"]),
    st.booleans(),
    st.integers(2, 4),
)


@given(net_params, st.integers(1, 300))
def test_patterns_and_forward_match_reference(params, n):
    seed, d, widths, act, integer, k = params
    net = make_net(seed, d, widths, act, integer, k)
    X = make_points(seed, n, d, integer)
    codes, out = forward_reference(net, X)
    pats = net.activation_patterns(X)
    if act == "maxout":
        assert pats.dtype == np.int32
    else:
        assert pats.dtype == np.bool_
    assert pats.shape == (n, net.n_hidden)
    np.testing.assert_array_equal(pats.astype(np.int64), codes)
    np.testing.assert_allclose(net(X), out, rtol=1e-10, atol=1e-10)
    bits = [max(1, int(np.ceil(np.log2(l.k)))) if l.kind == "maxout" else 1 for l in net.layers for _ in range(l.units)]
    packed = net.activation_patterns(X, packed=True)
    assert packed.dtype == np.uint64 and packed.shape == (n, net.n_words)
    np.testing.assert_array_equal(packed, pack_reference(codes, bits))
    np.testing.assert_array_equal(net.decode_patterns(packed), pats)


@given(net_params, st.integers(1, 400))
def test_count_and_unique_match_numpy(params, n):
    seed, d, widths, act, integer, k = params
    d = min(d, 3)  # low dimension and integer points: many repeated patterns
    net = make_net(seed, d, widths, act, integer, k)
    X = make_points(seed, n, d, integer)
    codes, _ = forward_reference(net, X)
    ref_u, ref_idx, ref_inv, ref_cnt = np.unique(
        codes, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    assert net.count_patterns(X) == len(ref_u)
    u, idx, inv, cnt = net.unique_patterns(X, return_index=True, return_inverse=True, return_counts=True)
    # Documented order: first occurrence. np.unique sorts; compare via the permutation.
    assert np.all(np.diff(idx) > 0)
    order = np.argsort(ref_idx)
    np.testing.assert_array_equal(u.astype(np.int64), ref_u[order])
    np.testing.assert_array_equal(idx, ref_idx[order])
    np.testing.assert_array_equal(cnt, ref_cnt[order])
    np.testing.assert_array_equal(u[inv].astype(np.int64), codes)
    assert isinstance(net.count_patterns(X), int)


def test_unique_return_forms():
    net = make_net(0, 2, [5], "relu", False)
    X = make_points(0, 100, 2, False)
    u = net.unique_patterns(X)
    assert isinstance(u, np.ndarray) and u.dtype == np.bool_
    p, c = net.unique_patterns(X, return_counts=True, packed=True)
    assert p.dtype == np.uint64 and c.sum() == 100 and c.dtype == np.int64


def test_points_exactly_on_hyperplanes_are_inactive():
    # Unit 0: x0 - 0.5; unit 1: -x1; unit 2: x0 + x1 - 1 (all exact in float64).
    W = np.array([[1.0, 0.0], [0.0, -1.0], [1.0, 1.0]])
    b = np.array([-0.5, 0.0, -1.0])
    net = regions.Network.from_arrays([W, np.ones((1, 3))], [b, np.zeros(1)])
    X = np.array([[0.5, 0.0], [0.5, -0.0], [0.25, 0.75], [0.75, -1.0], [1.0, 0.5]])
    expected = np.array([[0, 0, 0], [0, 0, 0], [0, 0, 0], [1, 1, 0], [1, 0, 1]], dtype=bool)
    np.testing.assert_array_equal(net.activation_patterns(X), expected)


def test_maxout_ties_go_to_lowest_index():
    W = np.zeros((1, 3, 1))
    W[0, :, 0] = [1.0, 1.0, -1.0]
    b = np.zeros((1, 3))
    net = regions.Network.from_arrays([W, np.ones((1, 1))], [b, np.zeros(1)], activation="maxout")
    X = np.array([[0.0], [1.0], [-1.0]])
    np.testing.assert_array_equal(net.activation_patterns(X)[:, 0], [0, 0, 2])


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "maxout"])
def test_thread_count_never_changes_results(act):
    net = make_net(3, 3, [20, 20], act, False, k=3)
    X = make_points(3, 5000, 3, False)
    results = []
    for t in (1, 2, 4):
        results.append(
            (
                net(X, n_threads=t),
                net.activation_patterns(X, packed=True, n_threads=t),
                net.count_patterns(X, n_threads=t),
                net.unique_patterns(X, return_inverse=True, return_counts=True, n_threads=t),
                net.count_patterns_sampled(-1, 1, 30_000, seed=5, n_threads=t),
            )
        )
    for r in results[1:]:
        np.testing.assert_array_equal(r[0], results[0][0])
        np.testing.assert_array_equal(r[1], results[0][1])
        assert r[2] == results[0][2] and r[4] == results[0][4]
        for a, b in zip(r[3], results[0][3]):
            np.testing.assert_array_equal(a, b)


@given(st.integers(0, 2**32 - 1), st.integers(1, 12))
def test_sampled_patterns_never_exceed_zaslavsky(seed, m):
    # One hidden layer of m generic units in R^2: exactly 1 + m + C(m, 2) regions in the plane.
    net = regions.Network.random([2, m, 1], seed=seed)
    sampled = net.count_patterns_sampled(-50, 50, 20_000, seed=seed)
    assert 1 <= sampled <= sum(comb(m, j) for j in range(3))


def test_sampled_is_reproducible_and_depends_on_seed():
    net = regions.Network.random([2, 32, 32, 1], seed=1)
    a = net.count_patterns_sampled([-1, -1], [1, 1], 100_000, seed=3)
    assert a == net.count_patterns_sampled(np.array([-1.0, -1.0]), np.array([1.0, 1.0]), 100_000, seed=3)
    assert a != net.count_patterns_sampled([-1, -1], [1, 1], 1_000, seed=3)
    # Random samples and a dense grid are both lower bounds of the same region count
    # (at most 22 for 6 generic lines in the plane) and find nearly all regions.
    small = regions.Network.random([2, 6, 1], seed=2)
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 600), np.linspace(-1, 1, 600)), -1).reshape(-1, 2)
    sampled, dense = small.count_patterns_sampled(-1, 1, 400_000, seed=0), small.count_patterns(grid)
    assert sampled <= 22 and dense <= 22 and abs(sampled - dense) <= 2


def test_properties_and_random_init():
    net = regions.Network.random([3, 5, 4, 2], seed=0)
    assert net.input_dim == 3 and net.output_dim == 2
    assert net.widths == (5, 4) and net.sizes == (3, 5, 4, 2)
    assert net.n_hidden == 9 and net.n_params == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2
    # He recipe: one default_rng, layer by layer, W then b.
    rng = np.random.default_rng(0)
    W0 = rng.standard_normal((5, 3)) * np.sqrt(2 / 3)
    b0 = rng.standard_normal(5) * 0.1
    np.testing.assert_array_equal(net.layers[0].weights, W0)
    np.testing.assert_array_equal(net.layers[0].bias, b0)
    t = regions.Network.random([4, 8, 1], init="torch", seed=1)
    assert np.abs(t.layers[0].weights).max() <= 0.5
    m = regions.Network.random([2, 6, 1], activation="maxout", k=3)
    assert m.layers[0].weights.shape == (6, 3, 2) and m.n_hidden == 6
    assert "Network" in repr(net)


def test_save_load_round_trip(tmp_path):
    for act in ("relu", "leaky_relu", "maxout"):
        net = regions.Network.random([3, 7, 5, 2], activation=act, seed=4, k=3, alpha=0.2)
        path = tmp_path / f"{act}.npz"
        net.save(path)
        back = regions.Network.load(path)
        assert back.activations == net.activations and back.sizes == net.sizes
        X = make_points(1, 200, 3, False)
        np.testing.assert_array_equal(back(X), net(X))
        np.testing.assert_array_equal(back.activation_patterns(X), net.activation_patterns(X))


def test_from_torch_round_trip():
    torch = require("torch")
    torch.manual_seed(0)
    mod = torch.nn.Sequential(
        torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 6), torch.nn.LeakyReLU(0.2), torch.nn.Linear(6, 2)
    ).double()
    net = regions.Network.from_torch(mod)
    assert net.activations == ("relu", "leaky_relu") and net.sizes == (3, 8, 6, 2)
    X = make_points(0, 100, 3, False)
    np.testing.assert_allclose(net(X), mod(torch.from_numpy(X)).detach().numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(TypeError, match="module\\[1\\]"):
        regions.Network.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1)))
