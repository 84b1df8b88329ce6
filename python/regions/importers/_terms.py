"""Affine maps as terms over parameters (see :mod:`._compile`): construction, merging,
composition, and the linearized product of two parameters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Largest number of terms one composition may produce (about 1.5 GB of term arrays).
MAX_TERMS = 1 << 26


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
