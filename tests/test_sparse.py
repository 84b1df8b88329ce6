"""Sparse (CSR) affine layers: every quantity equals the dense network's, and weight
sharing through ``params`` equals the chain rule applied to the per-entry Jacobian.

The oracles are the dense network (the same weights, zeros stored) and the identity
``∂f/∂θ = ∂f/∂(W, b) · P`` for a parameterization ``P``; weights are small integers
and halves with many zeros (pruned units, dead rows, coincident rows)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import regions
from hypothesis import given, settings
from hypothesis import strategies as st
from regions import Layer, Network, SparseMatrix


def _pruned(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    w = rng.integers(-2, 3, size=shape) / 2.0
    w[rng.random(shape) < 0.5] = 0.0
    if shape[0] > 2:
        w[1] = w[0]  # coincident units
    return w


def _pair(seed: int, widths: tuple[int, ...]) -> tuple[Network, Network]:
    """A network whose hidden layers are sparse and its dense twin."""
    rng = np.random.default_rng(seed)
    dense, sparse = [], []
    for i in range(len(widths) - 2):
        w = _pruned(rng, (widths[i + 1], widths[i]))
        b = rng.integers(-2, 3, size=widths[i + 1]) / 4.0
        act = "leaky_relu" if i % 2 else "relu"
        dense.append(Layer.dense(w, b, act, alpha=0.25))
        sparse.append(Layer.sparse(SparseMatrix.from_dense(w), b, act, alpha=0.25))
    out_w = rng.integers(-2, 3, size=(widths[-1], widths[-2])) / 2.0
    out_b = np.zeros(widths[-1])
    return Network(dense, out_w, out_b), Network(sparse, out_w, out_b)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), d=st.sampled_from([2, 3]))
def test_sparse_layers_agree_with_dense(seed, d):
    dense, sparse = _pair(seed, (d, 5, 4, 1))
    rng = np.random.default_rng(seed + 1)
    X = rng.integers(-4, 5, size=(60, d)) / 2.0
    np.testing.assert_array_equal(sparse(X), dense(X))
    np.testing.assert_array_equal(sparse.activation_patterns(X), dense.activation_patterns(X))
    assert sparse.count_patterns(X) == dense.count_patterns(X)
    a, b = X[0], X[0] + np.arange(1, d + 1) / 3.0
    assert len(sparse.regions_on_segment(a, b)) == len(dense.regions_on_segment(a, b))
    box = regions.Box.cube(d, -2.0, 2.0)
    if d == 2:
        assert sparse.regions(box, count_only=True) == dense.regions(box, count_only=True)
        rs, rd = sparse.regions(box), dense.regions(box)
        np.testing.assert_array_equal(rs.jacobian_ranks, rd.jacobian_ranks)
    else:
        plane = (np.zeros(d), np.eye(d)[0] * 3.0, np.eye(d)[1] * 3.0)
        assert len(sparse.regions_through(*plane)) == len(dense.regions_through(*plane))
    np.testing.assert_array_equal(sparse.local_regions(X[:5], 0.5), dense.local_regions(X[:5], 0.5))


def test_sparse_parameter_jacobian_is_the_dense_one_on_stored_entries():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((6, 3))
    w[rng.random(w.shape) < 0.4] = 0.0
    b = rng.standard_normal(6)
    out_w, out_b = rng.standard_normal((2, 6)), rng.standard_normal(2)
    dense = Network([Layer.dense(w, b)], out_w, out_b)
    sparse = Network([Layer.sparse(SparseMatrix.from_dense(w), b)], out_w, out_b)
    X = rng.standard_normal((20, 3))
    jd, js = dense.parameter_jacobian(X), sparse.parameter_jacobian(X)
    keep = np.concatenate([w.reshape(-1) != 0, np.ones(6 + out_w.size + out_b.size, dtype=bool)])
    np.testing.assert_array_equal(js, jd[:, keep])
    assert sparse.n_params == keep.sum()


def test_shared_parameters_follow_the_chain_rule():
    """A 1-D convolution (kernel 2, one channel) written as a sparse layer whose three
    parameters (two kernel taps and one shared bias) feed every stored entry."""
    rng = np.random.default_rng(4)
    n_in, taps = 5, np.array([0.75, -1.25])
    rows, cols, vals, prow, pcol = [], [], [], [], []
    for i in range(n_in - 1):
        for t in range(2):
            prow.append(len(rows))
            pcol.append(t)
            rows.append(i)
            cols.append(i + t)
            vals.append(taps[t])
    units = n_in - 1
    w = SparseMatrix.from_coo(rows, cols, vals, (units, n_in))
    nnz = w.nnz
    prow += [nnz + u for u in range(units)]
    pcol += [2] * units
    P = SparseMatrix.from_coo(prow, pcol, np.ones(len(prow)), (nnz + units, 3))
    bias = np.full(units, 0.1)
    out_w, out_b = rng.standard_normal((1, units)), np.zeros(1)
    shared = Network([Layer.sparse(w, bias, params=P)], out_w, out_b)
    free = Network([Layer.sparse(w, bias)], out_w, out_b)
    X = rng.standard_normal((30, n_in))
    jf = free.parameter_jacobian(X)
    n_first = nnz + units
    expect = np.hstack([jf[:, :n_first] @ P.toarray(), jf[:, n_first:]])
    np.testing.assert_allclose(shared.parameter_jacobian(X), expect, rtol=1e-13, atol=1e-15)
    assert shared.n_params == 3 + units + 1
    assert shared.functional_dimension(X, exact=True).rank == np.linalg.matrix_rank(expect)


def test_sparse_networks_save_load_pickle(tmp_path):
    _, sparse = _pair(7, (3, 6, 5, 2))
    X = np.random.default_rng(0).standard_normal((10, 3))
    path = tmp_path / "net.npz"
    sparse.save(path)
    back = Network.load(path)
    assert all(l.is_sparse for l in back.layers)
    np.testing.assert_array_equal(back(X), sparse(X))
    again = pickle.loads(pickle.dumps(sparse))
    np.testing.assert_array_equal(again(X), sparse(X))
    assert again.layers[0].weights == sparse.layers[0].weights


def test_sparse_matrix_validation():
    with pytest.raises(ValueError, match="indptr"):
        SparseMatrix([0, 2, 1], [0, 1], [1.0, 2.0], (2, 2))
    with pytest.raises(ValueError, match="column indices"):
        SparseMatrix([0, 1], [3], [1.0], (1, 2))
    with pytest.raises(ValueError, match="strictly increasing"):
        SparseMatrix([0, 2], [1, 1], [1.0, 2.0], (1, 2))
    with pytest.raises(ValueError, match="finite"):
        SparseMatrix([0, 1], [0], [np.nan], (1, 2))
    with pytest.raises(ValueError, match="cols"):
        SparseMatrix.from_coo([0], [2], [1.0], (2, 2))  # would wrap into row 1
    with pytest.raises(ValueError, match="rows"):
        SparseMatrix.from_coo([-1], [0], [1.0], (2, 2))
    with pytest.raises(TypeError, match="weights"):
        Layer.sparse(np.eye(2), np.zeros(2))
    with pytest.raises(ValueError, match="params"):
        Layer.sparse(SparseMatrix.from_dense(np.eye(2)), np.zeros(2), params=SparseMatrix.from_dense(np.eye(3)))
    m = SparseMatrix.from_coo([1, 0, 1], [0, 1, 0], [1.0, 2.0, 3.0], (2, 2))
    np.testing.assert_array_equal(m.toarray(), [[0.0, 2.0], [4.0, 0.0]])
    scipy = pytest.importorskip("scipy.sparse")
    assert SparseMatrix.from_scipy(scipy.csr_matrix(m.toarray())) == m


def test_sparse_maxout_layers_agree_with_dense_and_reject_bad_input(tmp_path):
    """A sparse maxout layer (weights (units * k, in), biases (units, k)) computes what the
    dense one does, survives save / load / pickle, and rejects bad biases by name."""
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, 3, 5)) * (rng.random((4, 3, 5)) < 0.5)
    b = rng.standard_normal((4, 3))
    dense = Network.from_layers([Layer.dense(W, b, "maxout")], np.ones((1, 4)), np.zeros(1))
    sparse_layer = Layer.sparse(SparseMatrix.from_dense(W.reshape(12, 5)), b, "maxout")
    net = Network.from_layers([sparse_layer], np.ones((1, 4)), np.zeros(1))
    X = rng.standard_normal((50, 5))
    np.testing.assert_array_equal(net.activation_patterns(X), dense.activation_patterns(X))
    np.testing.assert_allclose(net(X), dense(X), rtol=1e-14)
    codes = net.activation_patterns(X)[0].astype(int)
    for got, want in zip(net.pattern_affine_map(codes), dense.pattern_affine_map(codes)):
        np.testing.assert_allclose(got, want, rtol=1e-14)
    net.save(tmp_path / "m.npz")
    for other in (Network.load(tmp_path / "m.npz"), pickle.loads(pickle.dumps(net))):
        np.testing.assert_array_equal(other(X), net(X))
    S = SparseMatrix.from_dense(W.reshape(12, 5))
    with pytest.raises(ValueError, match="bias"):
        Layer.sparse(S, b.reshape(-1), "maxout")  # 1-d biases
    with pytest.raises(ValueError, match="bias"):
        Layer.sparse(S, np.zeros((5, 2)), "maxout")  # units * k != 12 rows
    with pytest.raises(ValueError, match="bias"):
        Layer.sparse(S, np.full((4, 3), np.nan), "maxout")
    with pytest.raises(ValueError, match="bias"):
        Layer.sparse(S, np.zeros((12, 1)), "maxout")  # k = 1
    with pytest.raises(ValueError, match="activation"):
        Layer.sparse(S, b, "tanh")
