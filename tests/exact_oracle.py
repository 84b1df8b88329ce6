"""An independent exact oracle for region counts: cell splitting in rational arithmetic.

Every float64 weight is a dyadic rational, so ``fractions.Fraction`` reproduces exact
arithmetic on the network's inputs. A cell is a list of constraints ``c0 + c·x >= 0``;
it has interior iff its feasible vertices (intersections of ``d`` constraints, solved
exactly) span ``R^d`` affinely. Slow (combinatorial vertex enumeration), meant for tiny
networks in ``d <= 3``; shares no code or idea with the library's walk beyond the
definition of a region (docs/math.md section 2).
"""

from __future__ import annotations

import itertools
from fractions import Fraction as F

import numpy as np

Aff = tuple  # (c0, c1, ..., cd): c0 + sum c_i x_i


def _solve(rows: list[list[F]], rhs: list[F]) -> list[F] | None:
    """Exact Gauss–Jordan; None when singular."""
    n = len(rows)
    m = [r[:] + [b] for r, b in zip(rows, rhs)]
    for c in range(n):
        p = next((i for i in range(c, n) if m[i][c] != 0), None)
        if p is None:
            return None
        m[c], m[p] = m[p], m[c]
        for i in range(n):
            if i != c and m[i][c] != 0:
                f = m[i][c] / m[c][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def _rank(vs: list[list[F]]) -> int:
    m = [v[:] for v in vs]
    r = 0
    cols = len(m[0]) if m else 0
    for c in range(cols):
        p = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if p is None:
            continue
        m[r], m[p] = m[p], m[r]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                f = m[i][c] / m[r][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        r += 1
    return r


def vertices(cons: list[Aff], d: int) -> list[tuple[F, ...]]:
    """The feasible vertices of {x : c0 + c·x >= 0 for all constraints}."""
    useful = [c for c in cons if any(v != 0 for v in c[1:])]
    out = set()
    for sub in itertools.combinations(useful, d):
        x = _solve([list(c[1:]) for c in sub], [-c[0] for c in sub])
        if x is not None and all(c[0] + sum(a * b for a, b in zip(c[1:], x)) >= 0 for c in cons):
            out.add(tuple(x))
    return sorted(out)


def has_interior(cons: list[Aff], d: int) -> bool:
    vs = vertices(cons, d)
    if len(vs) < d + 1:
        return False
    v0 = vs[0]
    return _rank([[a - b for a, b in zip(v, v0)] for v in vs[1:]]) == d


def centroid(cons: list[Aff], d: int) -> tuple[F, ...]:
    vs = vertices(cons, d)
    return tuple(sum(v[i] for v in vs) / len(vs) for i in range(d))


def area(cons: list[Aff]) -> F:
    """Exact area of a 2D cell (vertices sorted by angle around the centroid)."""
    import functools

    vs = vertices(cons, 2)
    cx, cy = (sum(v[i] for v in vs) / len(vs) for i in range(2))

    def half(v):  # 0 for angles in [0, pi), 1 for [pi, 2 pi), exactly
        dx, dy = v[0] - cx, v[1] - cy
        return 0 if dy > 0 or (dy == 0 and dx > 0) else 1

    def cmp(u, v):
        hu, hv = half(u), half(v)
        if hu != hv:
            return hu - hv
        cross = (u[0] - cx) * (v[1] - cy) - (u[1] - cy) * (v[0] - cx)
        return -1 if cross > 0 else (1 if cross < 0 else 0)

    vs.sort(key=functools.cmp_to_key(cmp))
    return (
        abs(sum(vs[i][0] * vs[(i + 1) % len(vs)][1] - vs[(i + 1) % len(vs)][0] * vs[i][1] for i in range(len(vs)))) / 2
    )


def _affine(W: np.ndarray, b: np.ndarray, z: list[Aff]) -> list[Aff]:
    d = len(z[0]) - 1
    out = []
    for i in range(W.shape[0]):
        acc = [F(float(b[i]))] + [F(0)] * d
        for j in range(W.shape[1]):
            w = F(float(W[i, j]))
            if w:
                acc = [a + w * c for a, c in zip(acc, z[j])]
        out.append(tuple(acc))
    return out


def _neg(f: Aff) -> Aff:
    return tuple(-v for v in f)


def _sub(f: Aff, g: Aff) -> Aff:
    return tuple(a - b for a, b in zip(f, g))


def _dense(w) -> np.ndarray:
    """Dense weights of a layer (sparse layers: ``SparseMatrix.toarray``)."""
    return w.toarray() if hasattr(w, "toarray") else np.asarray(w)


def has_interior_lp(cons: list[Aff], d: int) -> bool:
    """Float interior test for higher ``d`` (not exact: for generic weights only): the
    max-slack LP ``max t`` subject to ``c0 + c·x >= t ‖c‖`` for every constraint (SciPy's
    HiGHS); interior iff ``t > 1e-9``."""
    from scipy.optimize import linprog

    C = np.array([[float(v) for v in c] for c in cons])
    norms = np.linalg.norm(C[:, 1:], axis=1)
    keep = norms > 0
    if np.any(~keep & (C[:, 0] < 0)):
        return False
    C, norms = C[keep], norms[keep]
    # variables (x, t): minimize -t; -c·x + t ‖c‖ <= c0
    A = np.hstack([-C[:, 1:], norms[:, None]])
    res = linprog(np.r_[np.zeros(d), -1.0], A_ub=A, b_ub=C[:, 0], bounds=[(None, None)] * d + [(None, 1.0)])
    return bool(res.status == 0 and -res.fun > 1e-9)


def regions(net, lo, hi, interior=has_interior) -> list[tuple[tuple[int, ...], list[Aff]]]:
    """Every activation region with interior of ``net`` in the box ``[lo, hi]``: a list of
    (pattern codes, constraints). ``interior``: the test of a cell (default exact vertex
    enumeration; :func:`has_interior_lp` for higher dimensions)."""
    d = len(lo)
    box = []
    for c in range(d):
        e = [F(0)] * (d + 1)
        e[0], e[c + 1] = -F(float(lo[c])), F(1)
        box.append(tuple(e))
        e = [F(0)] * (d + 1)
        e[0], e[c + 1] = F(float(hi[c])), F(-1)
        box.append(tuple(e))
    ident = []
    for c in range(d):
        e = [F(0)] * (d + 1)
        e[c + 1] = F(1)
        ident.append(tuple(e))
    cells = [(box, ident, ())]
    for layer in net.layers:
        nxt = []
        carry = [int(i) for i in getattr(layer, "carry", ())]  # skip connections: inputs passed on
        for cons, z, codes in cells:
            tail = [z[i] for i in carry]
            if layer.kind in ("maxout", "maxpool"):
                if layer.kind == "maxout":
                    q = layer.bias.shape[1]
                    h = _affine(_dense(layer.weights).reshape(-1, layer.n_in), layer.bias.reshape(-1), z)
                    units = [h[u * q : (u + 1) * q] for u in range(layer.bias.shape[0])]
                else:  # max-pooling: each window's inputs are its pieces
                    units = [[z[int(i)] for i in w] for w in layer.windows]
                parts = [(cons, (), [])]
                for pieces in units:
                    q = len(pieces)
                    new = []
                    for cs, cd, zz in parts:
                        for r in range(q):
                            extra, lost = [], False
                            for s in range(q):
                                if s == r:
                                    continue
                                diff = _sub(pieces[r], pieces[s])
                                if all(v == 0 for v in diff):
                                    lost = lost or s < r
                                    continue
                                extra.append(diff)
                            if lost:
                                continue
                            c2 = cs + extra
                            if interior(c2, d):
                                new.append((c2, cd + (r,), zz + [pieces[r]]))
                    parts = new
                nxt += [(cs, zz + tail, codes + cd) for cs, cd, zz in parts]
            else:
                slope = F(float(layer.alpha)) if layer.kind == "leaky_relu" else F(0)
                h = _affine(_dense(layer.weights), layer.bias, z)
                parts = [(cons, (), [])]
                for hu in h:
                    new = []
                    for cs, cd, zz in parts:
                        if all(v == 0 for v in hu):
                            new.append((cs, cd + (0,), zz + [tuple(F(0) for _ in hu)]))
                            continue
                        for bit, c in ((1, hu), (0, _neg(hu))):
                            c2 = cs + [c]
                            if interior(c2, d):
                                zi = hu if bit else tuple(slope * v for v in hu)
                                new.append((c2, cd + (bit,), zz + [zi]))
                    parts = new
                nxt += [(cs, zz + tail, codes + cd) for cs, cd, zz in parts]
        cells = nxt
    return [(codes, cons) for cons, _, codes in cells]


def codes_at(net, x) -> tuple[int, ...]:
    """The exact pattern codes at a rational point ``x``."""
    z = [F(v) if isinstance(v, F) else F(float(v)) for v in x]
    out = []
    for layer in net.layers:
        tail = [z[int(i)] for i in getattr(layer, "carry", ())]
        if layer.kind == "maxpool":
            vals = [[z[int(i)] for i in w] for w in layer.windows]
            win = [max(range(len(v)), key=lambda r: (v[r], -r)) for v in vals]
            out += win
            z = [v[r] for v, r in zip(vals, win)]
        elif layer.kind == "maxout":
            b = layer.bias
            W = _dense(layer.weights).reshape(b.shape[0], b.shape[1], -1)
            vals = [
                [F(float(b[u, r])) + sum(F(float(W[u, r, j])) * z[j] for j in range(len(z))) for r in range(W.shape[1])]
                for u in range(W.shape[0])
            ]
            win = [max(range(len(v)), key=lambda r: (v[r], -r)) for v in vals]
            out += win
            z = [v[r] for v, r in zip(vals, win)]
        else:
            W, b = _dense(layer.weights), layer.bias
            h = [F(float(b[i])) + sum(F(float(W[i, j])) * z[j] for j in range(len(z))) for i in range(W.shape[0])]
            slope = F(float(layer.alpha)) if layer.kind == "leaky_relu" else F(0)
            out += [int(v > 0) for v in h]
            z = [v if v > 0 else slope * v for v in h]
        z = z + tail
    return tuple(out)
