"""Compile a chain of evaluation-mode operators into a :class:`~regions.Network`.

Both importers (PyTorch, ONNX) translate their models into the operators of this
module (:class:`Linear`, :class:`Conv`, :class:`Pool`, :class:`ChannelAffine`,
:class:`Shift`, :class:`Act`, :class:`Flatten`); :func:`compile_chain` then folds every
run of affine operators between two nonlinearities into one affine layer.

An affine map is kept as its *terms*: entry ``(r, c)`` of the matrix (and entry ``r``
of the offset) is ``Σ coef · θ[pid]`` over its terms, where ``θ`` are the parameters of
the parameterized operators of the run (``Linear`` and ``Conv``: each one's weight in
PyTorch's layout, then its bias, in order) and ``pid = -1`` marks a constant term. Composing two
maps multiplies terms; the composed layer's values are the sums, and its
parameterization (``Layer.params``) is the coefficient of every parameter in every
entry, so the parameter Jacobian is exactly ``∂f/∂θ`` of the imported model's linear and
convolution weights and biases (batch-norm scales and shifts are constants). A run with
two parameterized operators (``Linear`` then ``Linear`` without an activation between
them) is bilinear in its parameters: the product of two parameters is linearized at the
model's values (``_products``), which keeps every value and every first derivative, so
the parameter Jacobian and the functional dimension are the chain rule's.

Max-pooling over activations (``Conv, ReLU, MaxPool``) or the input stays a window
layer. Max-pooling over affine maps (``Conv, MaxPool, ReLU``, or ``Conv, MaxPool``
without an activation) becomes a maxout layer whose pieces are the window's affine maps
(short windows repeat their first piece, a tie the lower index wins): a ReLU after it
adds a zero piece (``relu(max(w)) = max(w ∪ {0})``), a leaky ReLU of slope ``a`` adds
the pieces times ``a``. Its pattern entry is the winning piece: the position in the
window while the pooled value is positive, then the zero piece (index ``k - 1``), or
``k/2 +`` the position for a leaky ReLU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network._layers import Layer, _with_params
from ..sparse import SparseMatrix
from ._ops import (
    Act,
    AdaptiveAvg,
    ChannelAffine,
    Conv,
    Flatten,
    Linear,
    Op,
    Pool,
    Shift,
    _conv_out_shape,
    _conv_terms,
    _linear_terms,
    _pool_out_shape,
    _pool_windows,
)
from ._terms import MAX_TERMS, _compose, _fixed, _sum_terms, _Terms

__all__ = [
    "MAX_TERMS",
    "Act",
    "AdaptiveAvg",
    "ChannelAffine",
    "Conv",
    "Flatten",
    "Linear",
    "Op",
    "Pool",
    "Shift",
    "_conv_out_shape",
    "_conv_terms",
    "_fixed",
    "_linear_terms",
    "_pool_out_shape",
    "_pool_windows",
    "_sum_terms",
]


@dataclass
class _Run:
    """The affine operators since the last nonlinearity."""

    terms: _Terms | None  # None: identity
    theta: np.ndarray  # parameters of the run's Linear/Conv (empty if none)
    n_in: int
    # The operators whose parameters ``theta`` holds, in order, with their sizes.
    sources: tuple[tuple[str, int], ...] = ()


def _apply(run: _Run, t: _Terms, name: str, theta: np.ndarray | None = None) -> _Run:
    """The run followed by ``t`` (whose parameters are ``theta``, if it has any: they
    are appended to the run's, and ``t``'s parameter ids shifted past them)."""
    if theta is not None and run.theta.size:
        off = run.theta.size
        t = _Terms(
            t.n_out, t.n_in, t.row, t.col, t.coef, np.where(t.pid >= 0, t.pid + off, -1),
            t.brow, t.bcoef, np.where(t.bpid >= 0, t.bpid + off, -1),
        )  # fmt: skip
        theta = np.concatenate([run.theta, theta])
    new_theta = run.theta if theta is None else theta
    sources = run.sources if theta is None else (*run.sources, (name, theta.size - run.theta.size))
    if run.terms is None:
        terms = t
    else:
        sel = selected(run.terms)
        if sel is not None and t.n_in == sel.size:  # the run picks state entries: renumber
            terms = _Terms(t.n_out, run.n_in, t.row, sel[t.col], t.coef, t.pid, t.brow, t.bcoef, t.bpid)
            if np.unique(sel).size < sel.size:
                terms = _sum_terms(terms)
        else:
            terms = _compose(t, run.terms, name, np.concatenate([new_theta, [1.0]]))
    return _Run(terms, new_theta, run.n_in, sources)


def selected(t: _Terms) -> np.ndarray | None:
    """The entries a map picks (each output one input, weight 1, no offset, no
    parameter), in output order; ``None`` when it is not such a selection."""
    if t.row.size != t.n_out or np.any(t.bcoef != 0) or np.any(t.pid >= 0) or np.any(t.coef != 1.0):
        return None
    order = np.argsort(t.row, kind="stable")
    if not np.array_equal(t.row[order], np.arange(t.n_out)):
        return None
    return t.col[order]


def _layer(
    run: _Run, act: Act | None, dense: bool
) -> tuple[np.ndarray | SparseMatrix, np.ndarray, SparseMatrix | None]:
    """The run's weights, bias and parameterization (``None``: the identity one)."""
    assert run.terms is not None
    t = run.terms
    theta1 = np.concatenate([run.theta, [1.0]])  # pid -1 reads the trailing 1
    val = t.coef * theta1[t.pid]
    key = t.row * t.n_in + t.col
    bias = np.bincount(t.brow, weights=t.bcoef * theta1[t.bpid], minlength=t.n_out)
    if not dense and 3 * key.size < t.n_out * t.n_in:
        fast = _one_term_params(t, key, val, run.theta.size)
        if fast is not None:
            return fast[0], bias, fast[1]
    uniq, inv = np.unique(key, return_inverse=True)
    inv = inv.reshape(-1)
    w_val = np.bincount(inv, weights=val, minlength=uniq.size)
    weights: np.ndarray | SparseMatrix
    if dense or 3 * uniq.size >= t.n_out * t.n_in:
        full = np.zeros(t.n_out * t.n_in)
        full[uniq] = w_val
        weights = full.reshape(t.n_out, t.n_in)
        entry, n_entries = key, t.n_out * t.n_in
    else:
        ptr = np.zeros(t.n_out + 1, dtype=np.int64)
        np.cumsum(np.bincount(uniq // t.n_in, minlength=t.n_out), out=ptr[1:])
        weights = SparseMatrix(ptr, uniq % t.n_in, w_val, (t.n_out, t.n_in))
        entry, n_entries = inv, uniq.size
    wp, bp = t.pid >= 0, t.bpid >= 0
    prow = np.concatenate([entry[wp], n_entries + t.brow[bp]])
    pcol = np.concatenate([t.pid[wp], t.bpid[bp]])
    pval = np.concatenate([t.coef[wp], t.bcoef[bp]])
    n_rows, n_theta = n_entries + t.n_out, run.theta.size
    order = np.argsort(prow, kind="stable")
    ar = np.arange(n_rows)
    identity = (
        n_theta == n_rows
        and prow.size == n_rows
        and bool(np.all(pval == 1.0))
        and np.array_equal(prow[order], ar)
        and np.array_equal(pcol[order], ar)
    )
    params = None if identity else SparseMatrix.from_coo(prow, pcol, pval, (n_rows, n_theta))
    return weights, bias, params


def _one_term_params(
    t: _Terms, key: np.ndarray, val: np.ndarray, n_theta: int
) -> tuple[SparseMatrix, SparseMatrix] | None:
    """Sparse weights and parameterization without the general assembly, when every
    stored entry and every bias is one parameterized term (a lone convolution, the
    usual case): the parameterization has one entry per row. ``None`` otherwise. The
    general path holds several copies of the term arrays at once (800 MB for the second
    convolution of a CIFAR-shaped network); this one sorts once."""
    if not np.all(t.pid >= 0) or not np.all(t.bpid >= 0) or t.brow.size != t.n_out:
        return None
    border = np.argsort(t.brow, kind="stable")
    if not np.array_equal(t.brow[border], np.arange(t.n_out)):
        return None
    order = np.argsort(key, kind="stable")
    skey = key[order]
    if skey.size > 1 and not np.all(skey[1:] > skey[:-1]):  # two terms in one entry
        return None
    ptr = np.zeros(t.n_out + 1, dtype=np.int64)
    np.cumsum(np.bincount(skey // t.n_in, minlength=t.n_out), out=ptr[1:])
    np.remainder(skey, t.n_in, out=skey)
    weights = SparseMatrix._adopt(ptr, skey, val[order], (t.n_out, t.n_in), "weights")
    n_rows = key.size + t.n_out
    pid = np.empty(n_rows, dtype=np.int64)
    np.take(t.pid, order, out=pid[: key.size])
    pid[key.size :] = t.bpid[border]
    coef = np.empty(n_rows)
    np.take(t.coef, order, out=coef[: key.size])
    coef[key.size :] = t.bcoef[border]
    params = SparseMatrix._adopt(np.arange(n_rows + 1, dtype=np.int64), pid, coef, (n_rows, n_theta), "params")
    return weights, params


@dataclass
class _Pending:
    """A max-pooling over the outputs of an affine run (``Conv, MaxPool``), waiting for
    the next operator: a ReLU makes each window's max a maxout unit with a zero piece
    (``relu(max(w)) = max(w ∪ {0})``), a leaky ReLU adds the pieces times its slope,
    anything else leaves a plain maxout unit."""

    run: _Run
    windows: list[np.ndarray]
    name: str


def _max_layer(p: _Pending, act: Act | None) -> Layer | _Run:
    """The maxout layer of ``p`` (activated by ``act``); a window of one piece without
    activation is no layer at all: then the run, continued with a selection."""
    k0 = max(w.size for w in p.windows)
    extra = 0 if act is None else (1 if act.kind == "relu" else k0)
    k, units, n_in = k0 + extra, len(p.windows), p.run.terms.n_out if p.run.terms is not None else p.run.n_in
    if k == 1:
        sel = np.concatenate(p.windows)
        return _apply(p.run, _fixed(units, n_in, np.arange(units), sel, np.ones(units)), p.name)
    rows, cols, vals = [], [], []
    for u, win in enumerate(p.windows):
        # Short windows repeat their first piece: a tie that the lower index wins, so the
        # copy never wins and every code keeps its meaning (the zero piece is the last).
        full = np.concatenate([win, np.full(k0 - win.size, win[0])])
        rows.append(u * k + np.arange(k0))
        cols.append(full)
        vals.append(np.ones(k0))
        if act is not None and act.kind == "leaky_relu":
            rows.append(u * k + k0 + np.arange(k0))
            cols.append(full)
            vals.append(np.full(k0, act.alpha))
    t = _fixed(units * k, n_in, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals))
    run = _apply(p.run, t, p.name)
    w, b, params = _layer(run, None, dense=False)
    if isinstance(w, SparseMatrix):
        layer = Layer.sparse(w, b.reshape(units, k), "maxout")
    else:
        layer = Layer.dense(w.reshape(units, k, -1), b.reshape(units, k), "maxout")
    return _with_params(layer, params)


def _act_layer(run: _Run, op: Act, n: int) -> Layer:
    """The hidden layer ``op(run)``; an empty run is the identity of ``n`` values."""
    if run.terms is None:
        run = _Run(_fixed(n, n, np.arange(n), np.arange(n), np.ones(n)), np.zeros(0), n)
    w, b, p = _layer(run, op, dense=False)
    alpha = op.alpha if op.kind == "leaky_relu" else 0.01
    layer = (
        Layer.sparse(w, b, op.kind, alpha=alpha)
        if isinstance(w, SparseMatrix)
        else Layer.dense(w, b, op.kind, alpha=alpha)
    )
    return _with_params(layer, p)
