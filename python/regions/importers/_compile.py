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

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..network._layers import Layer, _with_params
from ..sparse import SparseMatrix

# Largest number of terms one composition may produce (about 1.5 GB of term arrays).
MAX_TERMS = 1 << 26


@dataclass(frozen=True)
class Linear:
    """``y = W x + b`` on a flat input; ``W`` is ``(out, in)``, ``b`` ``(out,)`` or None."""

    name: str
    weight: np.ndarray
    bias: np.ndarray | None


@dataclass(frozen=True)
class Conv:
    """An N-d cross-correlation (PyTorch's ``ConvNd``, ONNX ``Conv``): ``weight`` is
    ``(out_ch, in_ch / groups, *kernel)``; ``pads`` is ``((lo, hi), ...)`` per dim."""

    name: str
    weight: np.ndarray
    bias: np.ndarray | None
    stride: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int


@dataclass(frozen=True)
class Pool:
    """Max or average pooling over N-d windows; ``ceil`` is PyTorch's ``ceil_mode``."""

    name: str
    kind: str  # "max" or "avg"
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    ceil: bool
    count_include_pad: bool = True
    divisor: int | None = None


@dataclass(frozen=True)
class ChannelAffine:
    """``y[c, ...] = scale[c] · x[c, ...] + shift[c]`` (batch norm in evaluation)."""

    name: str
    scale: np.ndarray
    shift: np.ndarray


@dataclass(frozen=True)
class Shift:
    """``y = x + shift``, with ``shift`` broadcast to the current shape."""

    name: str
    shift: np.ndarray


@dataclass(frozen=True)
class Act:
    """``relu`` or ``leaky_relu`` with slope ``alpha``."""

    name: str
    kind: Literal["relu", "leaky_relu"]
    alpha: float = 0.0


@dataclass(frozen=True)
class Flatten:
    """Reshape one sample (row-major, so the data does not move): to a vector, to
    ``shape``, or (``split``) its first axis into several (torch's ``Unflatten(1, split)``,
    one ``-1`` inferred). ``Identity``/``Dropout`` are not operators at all (the importers
    drop them)."""

    name: str
    shape: tuple[int, ...] | None = None
    split: tuple[int, ...] | None = None


@dataclass(frozen=True)
class AdaptiveAvg:
    """PyTorch's ``AdaptiveAvgPoolNd`` to ``size`` (``None`` keeps that axis), where each
    output size divides the input's: an average pooling with kernel = stride = the ratio."""

    name: str
    size: tuple[int | None, ...]


Op = Linear | Conv | Pool | ChannelAffine | Shift | Act | Flatten | AdaptiveAvg


@dataclass
class _Terms:
    """``x ↦ M x + c`` as terms (see the module docstring)."""

    n_out: int
    n_in: int
    row: np.ndarray
    col: np.ndarray
    coef: np.ndarray
    pid: np.ndarray
    brow: np.ndarray
    bcoef: np.ndarray
    bpid: np.ndarray


def _i64(a: object) -> np.ndarray:
    return np.asarray(a, dtype=np.int64).reshape(-1)


def _fixed(
    n_out: int, n_in: int, row: object, col: object, val: object, brow: object = (), bval: object = ()
) -> _Terms:
    r, c, b = _i64(row), _i64(col), _i64(brow)
    return _Terms(
        n_out, n_in, r, c, np.asarray(val, dtype=np.float64).reshape(-1), np.full(r.size, -1, np.int64),
        b, np.asarray(bval, dtype=np.float64).reshape(-1), np.full(b.size, -1, np.int64),
    )  # fmt: skip


def _merge(parts: list[tuple[np.ndarray, int]], coef: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Sum ``coef`` over equal index tuples; ``parts`` are (index, its bound) pairs,
    combined into one int64 key (every bound here is far below 2^62 in total)."""
    if coef.size == 0:
        return [p for p, _ in parts], coef
    key = np.zeros(coef.size, dtype=np.int64)
    for p, bound in parts:
        key = key * bound + p
    uniq, inv = np.unique(key, return_inverse=True)
    summed = np.bincount(inv.reshape(-1), weights=coef, minlength=uniq.size)
    out = []
    for _p, bound in reversed(parts):
        uniq, rest = np.divmod(uniq, bound)
        out.append(rest)
    return out[::-1], summed


def _sum_terms(t: _Terms) -> _Terms:
    """Merge the terms with the same (row, col, pid): composition creates many."""
    n_pid = int(max(t.pid.max(initial=-1), t.bpid.max(initial=-1))) + 2
    if t.n_out * t.n_in * n_pid >= 2**62:  # pragma: no cover - beyond any memory limit
        raise MemoryError(f"an affine map of {t.n_out} x {t.n_in} with {n_pid} parameters is too large")
    (r, c, p), coef = _merge([(t.row, t.n_out), (t.col, t.n_in), (t.pid + 1, n_pid)], t.coef)
    (br, bp), bcoef = _merge([(t.brow, t.n_out), (t.bpid + 1, n_pid)], t.bcoef)
    return _Terms(t.n_out, t.n_in, r, c, coef, p - 1, br, bcoef, bp - 1)


def _products(
    ca: np.ndarray, pa: np.ndarray, cb: np.ndarray, pb: np.ndarray, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The terms of the products ``(ca θ[pa]) (cb θ[pb])`` as ``(pair, coef, pid)``:
    ``pair`` indexes the input pairs. A product of two parameters is linearized at the
    model's parameters ``θ*`` (``θ_p θ_q ≈ θ*_q θ_p + θ*_p θ_q - θ*_p θ*_q``): the same
    value at ``θ*`` and the same first derivatives (the chain rule), which is all that
    the parameter Jacobian and the functional dimension use."""
    c = ca * cb
    both = np.flatnonzero((pa >= 0) & (pb >= 0))
    pid = np.maximum(pa, pb)
    if both.size == 0:
        return np.arange(c.size), c, pid
    tp, tq, cc = theta[pa[both]], theta[pb[both]], c[both]
    coef = c.copy()
    coef[both] = cc * tq  # θ*_q θ_p
    pid[both] = pa[both]
    pair = np.concatenate([np.arange(c.size), both, both])
    coef = np.concatenate([coef, cc * tp, -cc * tp * tq])  # θ*_p θ_q, -θ*_p θ*_q
    pid = np.concatenate([pid, pb[both], np.full(both.size, -1, np.int64)])
    return pair, coef, pid


def _compose(a: _Terms, b: _Terms, name: str, theta: np.ndarray) -> _Terms:
    """``a ∘ b`` (``b`` first); ``theta`` are the parameters both refer to."""
    if a.n_in != b.n_out:
        raise ValueError(f"{name}: expects {a.n_in} inputs, the previous operator gives {b.n_out}")
    order = np.argsort(b.row, kind="stable")
    b_ptr = np.zeros(b.n_out + 1, dtype=np.int64)
    np.cumsum(np.bincount(b.row, minlength=b.n_out), out=b_ptr[1:])
    border = np.argsort(b.brow, kind="stable")
    bb_ptr = np.zeros(b.n_out + 1, dtype=np.int64)
    np.cumsum(np.bincount(b.brow, minlength=b.n_out), out=bb_ptr[1:])

    def join(ptr: np.ndarray, sorted_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counts = ptr[a.col + 1] - ptr[a.col]
        total = int(counts.sum())
        if total > MAX_TERMS:
            raise MemoryError(
                f"{name}: composing this operator with the previous affine ones needs {total:,} terms "
                f"({total * 32 / 2**30:.1f} GiB; the limit is {MAX_TERMS:,})"
            )
        left = np.repeat(np.arange(a.col.size), counts)
        start = np.repeat(ptr[a.col] - np.cumsum(counts) + counts, counts)
        right = sorted_idx[start + np.arange(total)] if total else np.zeros(0, np.int64)
        return left, right

    li, ri = join(b_ptr, order)
    pair, coef, pid = _products(a.coef[li], a.pid[li], b.coef[ri], b.pid[ri], theta)
    row, col = a.row[li][pair], b.col[ri][pair]
    lb, rb = join(bb_ptr, border)
    bpair, bc, bp = _products(a.coef[lb], a.pid[lb], b.bcoef[rb], b.bpid[rb], theta)
    brow = np.concatenate([a.row[lb][bpair], a.brow])
    bcoef = np.concatenate([bc, a.bcoef])
    bpid = np.concatenate([bp, a.bpid])
    return _sum_terms(_Terms(a.n_out, b.n_in, row, col, coef, pid, brow, bcoef, bpid))


def _out_size(n: int, k: int, s: int, lo: int, hi: int, d: int, ceil: bool) -> int:
    span = n + lo + hi - d * (k - 1) - 1  # may be negative: with ceil_mode, one clipped window
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= n + lo:  # PyTorch: the last window must start inside the input
        out -= 1
    return out


def _windows(
    shape: tuple[int, ...], pool: Pool | Conv, kernel: tuple[int, ...]
) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """Output spatial shape and, per kernel offset, the input position of every output
    position (``-1`` outside the input), over the spatial dims ``shape``."""
    ceil = pool.ceil if isinstance(pool, Pool) else False
    dims = len(shape)
    outs = tuple(
        _out_size(shape[i], kernel[i], pool.stride[i], pool.pads[i][0], pool.pads[i][1], pool.dilation[i], ceil)
        for i in range(dims)
    )
    if any(o < 1 for o in outs):
        raise ValueError(f"{pool.name}: the window does not fit the input of spatial shape {shape}")
    grids = np.meshgrid(*[np.arange(o) for o in outs], indexing="ij")
    offsets = []
    for q in np.ndindex(*kernel):
        pos = np.zeros(grids[0].shape, dtype=np.int64)
        ok = np.ones(grids[0].shape, dtype=bool)
        for i in range(dims):
            p = grids[i] * pool.stride[i] - pool.pads[i][0] + q[i] * pool.dilation[i]
            ok &= (p >= 0) & (p < shape[i])
            pos = pos * shape[i] + p
        offsets.append(np.where(ok, pos, -1).reshape(-1))
    return outs, offsets


def _spatial_out(op: Pool | Conv, shape: tuple[int, ...], kernel: tuple[int, ...]) -> tuple[int, ...]:
    spatial = shape[1:]
    if len(kernel) != len(spatial):
        raise ValueError(f"{op.name}: a {len(kernel)}-d window on an input of shape {shape}")
    ceil = op.ceil if isinstance(op, Pool) else False
    return tuple(
        _out_size(spatial[i], kernel[i], op.stride[i], op.pads[i][0], op.pads[i][1], op.dilation[i], ceil)
        for i in range(len(spatial))
    )


def _conv_out_shape(op: Conv, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape of a convolution on samples of ``shape`` (``(C, ...)``)."""
    return (int(op.weight.shape[0]), *_spatial_out(op, shape, tuple(op.weight.shape[2:])))


def _pool_out_shape(op: Pool, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape of a pooling on samples of ``shape`` (``(C, ...)``)."""
    return (shape[0], *_spatial_out(op, shape, op.kernel))


def _conv_terms(op: Conv, shape: tuple[int, ...]) -> tuple[_Terms, tuple[int, ...], np.ndarray]:
    c_in, spatial = shape[0], shape[1:]
    w = op.weight
    o_ch, cg = w.shape[0], w.shape[1]
    kernel = tuple(w.shape[2:])
    if len(kernel) != len(spatial):
        raise ValueError(f"{op.name}: a {len(kernel)}-d kernel on an input of shape {shape}")
    if op.groups < 1 or c_in != cg * op.groups or o_ch % op.groups:
        raise ValueError(f"{op.name}: {c_in} input channels do not match weight {w.shape} with groups={op.groups}")
    outs, offsets = _windows(spatial, op, kernel)
    n_sp, n_in_sp, kk = math.prod(outs), math.prod(spatial), math.prod(kernel)
    og = o_ch // op.groups
    o = np.arange(o_ch)[:, None, None]
    cl = np.arange(cg)[None, :, None]
    ci = (o // og) * cg + cl  # global input channel of (o, local channel)
    rows, cols, pids = [], [], []
    for qi, pos in enumerate(offsets):
        ok = pos >= 0
        p_out = np.flatnonzero(ok)[None, None, :]
        rows.append(np.broadcast_to(o * n_sp + p_out, (o_ch, cg, p_out.size)).reshape(-1))
        cols.append(np.broadcast_to(ci * n_in_sp + pos[ok][None, None, :], (o_ch, cg, p_out.size)).reshape(-1))
        pids.append(np.broadcast_to((o * cg + cl) * kk + qi, (o_ch, cg, p_out.size)).reshape(-1))
    row, col, pid = (np.concatenate(x).astype(np.int64, copy=False) for x in (rows, cols, pids))
    theta = [w.reshape(-1)]
    brow = bpid = np.zeros(0, np.int64)
    if op.bias is not None:
        brow = np.arange(o_ch * n_sp, dtype=np.int64)
        bpid = w.size + brow // n_sp
        theta.append(op.bias.reshape(-1))
    t = _Terms(o_ch * n_sp, c_in * n_in_sp, row, col, np.ones(row.size), pid, brow, np.ones(brow.size), bpid)
    return t, (o_ch, *outs), np.concatenate(theta)


def _linear_terms(op: Linear, n_in: int) -> tuple[_Terms, np.ndarray]:
    out, k = op.weight.shape
    if k != n_in:
        raise ValueError(f"{op.name}: weight {op.weight.shape} expects {k} inputs, got {n_in}")
    r, c = np.divmod(np.arange(out * k, dtype=np.int64), k)
    theta = [op.weight.reshape(-1)]
    brow = bpid = np.zeros(0, np.int64)
    if op.bias is not None:
        brow = np.arange(out, dtype=np.int64)
        bpid = out * k + brow
        theta.append(op.bias.reshape(-1))
    t = _Terms(out, n_in, r, c, np.ones(r.size), r * k + c, brow, np.ones(brow.size), bpid)
    return t, np.concatenate(theta)


def _pool_windows(op: Pool, shape: tuple[int, ...]) -> tuple[tuple[int, ...], list[np.ndarray], np.ndarray]:
    """Per output unit (channel-major) its input cells and, for averages, its divisor."""
    c, spatial = shape[0], shape[1:]
    if len(op.kernel) != len(spatial):
        raise ValueError(f"{op.name}: a {len(op.kernel)}-d pooling on an input of shape {shape}")
    outs, offsets = _windows(spatial, op, op.kernel)
    pos = np.stack(offsets, axis=1)  # (n_out_spatial, kernel cells)
    empty = np.flatnonzero((pos < 0).all(axis=1))
    if empty.size:
        raise ValueError(
            f"{op.name}: output position {int(empty[0])} of its windows covers only padding (its value would "
            "be -inf or undefined); reduce the padding or dilation"
        )
    n_sp = math.prod(spatial)
    if op.divisor is not None:
        div = np.full(pos.shape[0], float(op.divisor))
    elif op.count_include_pad:
        # PyTorch: the window clipped to the padded input (not to the input itself).
        div = np.ones(pos.shape[0])
        grids = np.meshgrid(*[np.arange(o) for o in outs], indexing="ij")
        for i in range(len(spatial)):
            start = grids[i].reshape(-1) * op.stride[i] - op.pads[i][0]
            end = np.minimum(start + op.kernel[i], spatial[i] + op.pads[i][1])
            div *= end - start
    else:
        div = (pos >= 0).sum(axis=1).astype(np.float64)
    windows = [ch * n_sp + p[p >= 0] for ch in range(c) for p in pos]
    return (c, *outs), windows, np.tile(div, c)


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
    terms = t if run.terms is None else _compose(t, run.terms, name, np.concatenate([new_theta, [1.0]]))
    return _Run(terms, new_theta, run.n_in, sources)


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
