"""Exact batch functional dimension against a Jacobian built in rational arithmetic."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
import regions
from hypothesis import given, settings
from hypothesis import strategies as st


def _rank_q(rows: list[list[F]]) -> int:
    m = [r[:] for r in rows]
    rank, cols = 0, len(m[0]) if m else 0
    for c in range(cols):
        p = next((i for i in range(rank, len(m)) if m[i][c] != 0), None)
        if p is None:
            continue
        m[rank], m[p] = m[p], m[rank]
        for i in range(rank + 1, len(m)):
            if m[i][c] != 0:
                f = m[i][c] / m[rank][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[rank])]
        rank += 1
    return rank


def fraction_jacobian(net, X) -> list[list[F]]:
    """Rows d F_o(x) / d θ by backpropagation in Fractions (ReLU / leaky ReLU layers),
    in the library's column layout (each layer's weights row-major, then its biases; the
    output layer last)."""
    layers = [(np.asarray(L.weights), np.asarray(L.bias), L.kind, L.alpha) for L in net.layers]
    Wo, _bo = net._out_w, net._out_b
    rows = []
    for x in X:
        z = [F(float(v)) for v in x]
        ins, slopes = [], []
        for W, b, kind, alpha in layers:
            ins.append(z)
            h = [F(float(b[i])) + sum(F(float(W[i, j])) * z[j] for j in range(len(z))) for i in range(W.shape[0])]
            assert all(v != 0 for v in h)
            a = F(float(alpha)) if kind == "leaky_relu" else F(0)
            s = [F(1) if v > 0 else a for v in h]
            slopes.append(s)
            z = [si * v for si, v in zip(s, h)]
        for o in range(Wo.shape[0]):
            parts = []
            g = [F(float(w)) for w in Wo[o]]
            for (W, _b, _kind, _alpha), zin, s in reversed(list(zip(layers, ins, slopes))):
                delta = [si * gi for si, gi in zip(s, g)]
                parts.append([di * zc for di in delta for zc in zin] + delta)
                g = [sum(F(float(W[i, c])) * delta[i] for i in range(W.shape[0])) for c in range(W.shape[1])]
            out = [F(0)] * Wo.size + [F(0)] * Wo.shape[0]
            for c in range(Wo.shape[1]):
                out[o * Wo.shape[1] + c] = z[c]
            out[Wo.size + o] = F(1)
            row = [v for part in reversed(parts) for v in part] + out
            rows.append(row)
    return rows


def test_jacobian_layout_matches_the_float_one():
    net = regions.Network.random([2, 3, 2, 1], seed=3)
    X = np.random.default_rng(0).uniform(-1, 1, (4, 2))
    J = net.parameter_jacobian(X)
    np.testing.assert_allclose(np.array(fraction_jacobian(net, X), dtype=float), J, rtol=1e-12, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(1, 4), min_size=1, max_size=2),
    st.integers(1, 9),
    st.sampled_from(["relu", "leaky_relu"]),
    st.sampled_from([0.1, 0.3, 1.0]),
)
def test_exact_rank_equals_the_rank_over_q(seed, widths, n, act, scale):
    rng = np.random.default_rng(seed)
    sizes = [2, *widths]
    layers = [
        regions.Layer.dense(
            rng.integers(-3, 4, (b, a)) * scale + rng.standard_normal((b, a)) * (scale < 1),
            rng.integers(-2, 3, b) * scale + 0.5,
            act,
        )
        for a, b in zip(sizes[:-1], sizes[1:])
    ]
    net = regions.Network.from_layers(layers, rng.integers(1, 3, (1, sizes[-1])) * 0.7, np.zeros(1))
    X = rng.uniform(-1, 1, (n, 2))
    try:
        want = _rank_q(fraction_jacobian(net, X))
    except AssertionError:  # an input on a region boundary
        with pytest.raises(ValueError, match="boundary"):
            net.functional_dimension(X, exact=True)
        return
    fd = net.functional_dimension(X, exact=True)
    assert fd.rank == want
    if fd.bound is not None:
        assert fd.rank <= fd.bound


def test_rounded_jacobian_overstates_the_rank_but_exact_does_not():
    """The issue's case: J of a 1-2-1 network is rank-deficient, but its float64-rounded
    entries can have a larger exact rank, even above the bound P - n_hidden."""
    found = False
    for seed in range(40):
        net = regions.Network.random((1, 2, 1), seed=seed)
        X = np.random.default_rng(seed).uniform(-1, 1, (6, 1))
        try:
            fd = net.functional_dimension(X, exact=True)
        except ValueError:
            continue
        want = _rank_q(fraction_jacobian(net, X))
        assert fd.rank == want <= fd.bound
        J = net.parameter_jacobian(X)
        rounded = regions.landscape.matrix_rank(J, exact=True)
        found |= rounded > want
    assert found  # the rounded Jacobian's exact rank exceeded the true rank somewhere


def test_boundary_inputs_are_rejected_exactly():
    net = regions.Network.from_arrays([np.array([[1.0, -1.0]]), np.array([[1.0]])], [np.zeros(1), np.zeros(1)])
    with pytest.raises(ValueError, match="row 1 lies on a region boundary"):
        net.functional_dimension(np.array([[1.0, 0.5], [0.25, 0.25]]), exact=True)
    with pytest.raises(ValueError, match="tol"):
        net.functional_dimension(np.array([[1.0, 0.5]]), exact=True, tol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 9),
    st.integers(1, 5),
    st.integers(1, 3),
    st.sampled_from(["first", "all"]),
    st.booleans(),
)
def test_landscape_exact_rank_equals_the_rank_over_q(seed, n, m, d, wrt, bias):
    """J_j = (v_i A_ij x̃_j)_i built in Fractions from non-dyadic-looking data (0.1 steps,
    repeated points); wrt="all" is rank [J | 1] (docs/math.md section 3)."""
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, (n, d)) * 0.1
    A = rng.integers(0, 2, (m, n))
    v = rng.choice([-0.3, 0.7, 1.1], m)
    rows = []
    for j in range(n):
        xt = [F(float(c)) for c in X[j]] + ([F(1)] if bias else [])
        row = [F(float(v[i])) * A[i, j] * c for i in range(m) for c in xt]
        rows.append(row + ([F(1)] if wrt == "all" else []))
    want = _rank_q(rows)
    got = regions.landscape.jacobian_rank(X, A, v, wrt=wrt, bias=bias, exact=True)
    assert got == want
