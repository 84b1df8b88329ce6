"""Known counts and bounds on the number of linear regions (``docs/math.md`` section 2).

They bound the *maximum* number of regions of an architecture over all weights, on
all of ``R^{n0}``; a given network on a bounded domain usually has far fewer. Every
function returns an exact Python int. ``n0`` is the input dimension and
``widths`` the hidden widths ``(n_1, ..., n_L)``. Bounds with validity conditions
raise ``ValueError`` naming the condition when it fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb, prod
from typing import Any

from ._validate import as_int, as_sequence


def _widths(widths: Any) -> list[int]:
    ws = [as_int(w, "widths", minimum=1) for w in as_sequence(widths, "widths")]
    if not ws:
        raise ValueError("widths: need at least one hidden layer")
    return ws


def zaslavsky(n_units: int, n0: int) -> int:
    """Regions of ``R^{n0}`` cut by ``n_units`` hyperplanes in general position
    (Zaslavsky 1975): ``Σ_{j=0}^{n0} C(n_units, j)``. Exact for one hidden ReLU layer with
    generic weights, also inside a box that contains every vertex of the arrangement.

    Parameters
    ----------
    n_units : int
        Number of hyperplanes, ``>= 0``.
    n0 : int
        The input dimension, ``>= 1``.

    Returns
    -------
    int
        The exact value (a Python int).
    """
    m, d = as_int(n_units, "n_units", minimum=0), as_int(n0, "n0", minimum=1)
    if d >= m:
        return 1 << m  # every subset of the hyperplanes: the whole binomial sum
    return sum(comb(m, j) for j in range(d + 1))


def serra_upper(n0: int, widths: Sequence[int]) -> int:
    """Upper bound of Serra, Tjandraatmadja, Ramalingam (2018), "Bounding and counting
    linear regions of deep neural networks": ``Σ_{(j_1..j_L) ∈ J} Π_l C(n_l, j_l)`` with
    ``J = {0 ≤ j_l ≤ min(n0, n_1 - j_1, ..., n_{l-1} - j_{l-1}, n_l)}``. Exact for
    ``n0 = 1``, where it is ``Π (n_l + 1)`` when every ``n_l >= 2`` (a width-1 layer caps
    what follows: widths (1, 1) give 3). Computed by a dynamic program over layers.

    Parameters
    ----------
    n0 : int
        The input dimension, ``>= 1``.
    widths : sequence of int
        The hidden widths ``(n_1, ..., n_L)``.

    Returns
    -------
    int
        The exact value (a Python int).
    """
    d, ws = as_int(n0, "n0", minimum=1), _widths(widths)
    states = {d: 1}  # current min(n0, n_1 - j_1, ...) -> sum of products
    for n in ws:
        nxt: dict[int, int] = {}
        for cap, total in states.items():
            for j in range(min(cap, n) + 1):
                key = min(cap, n - j)
                nxt[key] = nxt.get(key, 0) + total * comb(n, j)
        states = nxt
    return sum(states.values())


def montufar2017_upper(n0: int, widths: Sequence[int]) -> int:
    """Upper bound of Montúfar (2017), "Notes on the number of linear regions of deep
    neural networks": ``Π_l Σ_{j=0}^{d_l} C(n_l, j)`` with ``d_l = min(n0, n_1, ..., n_l)``.

    Parameters
    ----------
    n0 : int
        The input dimension, ``>= 1``.
    widths : sequence of int
        The hidden widths ``(n_1, ..., n_L)``.

    Returns
    -------
    int
        The exact value (a Python int).
    """
    d, ws = as_int(n0, "n0", minimum=1), _widths(widths)
    out, cap = 1, d
    for n in ws:
        cap = min(cap, n)
        out *= sum(comb(n, j) for j in range(cap + 1))
    return out


def montufar2014_lower(n0: int, widths: Sequence[int]) -> int:
    """Lower bound of Montúfar, Pascanu, Cho, Bengio (2014), "On the number of linear
    regions of deep neural networks", valid when every ``n_l >= n0``:
    ``(Π_{l<L} ⌊n_l / n0⌋^{n0}) · Σ_{j=0}^{n0} C(n_L, j)``.

    Parameters
    ----------
    n0 : int
        The input dimension, ``>= 1``.
    widths : sequence of int
        The hidden widths ``(n_1, ..., n_L)``.

    Returns
    -------
    int
        The exact value (a Python int).

    Raises
    ------
    ValueError
        A width is below ``n0``.
    """
    d, ws = as_int(n0, "n0", minimum=1), _widths(widths)
    if min(ws) < d:
        raise ValueError(f"widths: the Montúfar et al. (2014) bound needs every width >= n0 = {d}, got {ws}")
    return int(prod((n // d) ** d for n in ws[:-1])) * sum(comb(ws[-1], j) for j in range(d + 1))


def serra_lower(n0: int, widths: Sequence[int]) -> int:
    """Lower bound of Serra, Tjandraatmadja, Ramalingam (2018), valid when every
    ``n_l >= 3 n0``: ``(Π_{l<L} (⌊n_l / n0⌋ + 1)^{n0}) · Σ_{j=0}^{n0} C(n_L, j)``.

    Parameters
    ----------
    n0 : int
        The input dimension, ``>= 1``.
    widths : sequence of int
        The hidden widths ``(n_1, ..., n_L)``.

    Returns
    -------
    int
        The exact value (a Python int).

    Raises
    ------
    ValueError
        A width is below ``3 n0``.
    """
    d, ws = as_int(n0, "n0", minimum=1), _widths(widths)
    if min(ws) < 3 * d:
        raise ValueError(f"widths: the Serra et al. (2018) lower bound needs every width >= 3 n0 = {3 * d}, got {ws}")
    return int(prod((n // d + 1) ** d for n in ws[:-1])) * sum(comb(ws[-1], j) for j in range(d + 1))


def maxout_one_layer(n0: int, n_units: int, k: int) -> int:
    """Maximum number of regions of one maxout layer of rank ``k`` with biases
    (Montúfar, Ren, Zhang 2021, "Sharp bounds for the number of regions of maxout
    networks and vertices of Minkowski sums"): ``Σ_{j=0}^{n0} C(n_units, j) (k-1)^j``.

    Parameters
    ----------
    n0 : int
        The input dimension, ``>= 1``.
    n_units : int
        Number of maxout units, ``>= 1``.
    k : int
        The maxout rank, ``>= 2``.

    Returns
    -------
    int
        The exact value (a Python int).
    """
    d, m = as_int(n0, "n0", minimum=1), as_int(n_units, "n_units", minimum=1)
    kk = as_int(k, "k", minimum=2)
    return sum(comb(m, j) * (kk - 1) ** j for j in range(d + 1))


def all_bounds(n0: int, widths: Sequence[int], activation: str = "relu", k: int = 2) -> dict[str, int | str]:
    """Every applicable bound for an architecture; inapplicable ones map to the reason.

    Parameters
    ----------
    n0 : int
        The input dimension, ``>= 1``.
    widths : sequence of int
        The hidden widths ``(n_1, ..., n_L)``.
    activation : {"relu", "leaky_relu", "maxout"}
        The activation of the hidden layers.
    k : int
        The maxout rank.

    Returns
    -------
    dict
        Bound name (with its reference) to an exact int, or to the reason it does not
        apply.
    """
    if activation not in ("relu", "leaky_relu", "maxout"):
        raise ValueError(f"activation: expected 'relu', 'leaky_relu' or 'maxout', got {activation!r}")
    out: dict[str, int | str] = {}
    if activation == "maxout":
        if len(widths) == 1:
            out["maxout_one_layer (Montúfar, Ren, Zhang 2021)"] = maxout_one_layer(n0, widths[0], k)
        else:
            out["maxout_one_layer"] = "only for one hidden layer"
        return out
    if len(widths) == 1:
        out["zaslavsky (exact for generic weights)"] = zaslavsky(widths[0], n0)
    out["serra_upper (Serra et al. 2018)"] = serra_upper(n0, widths)
    out["montufar2017_upper (Montúfar 2017)"] = montufar2017_upper(n0, widths)
    for name, fn in [
        ("montufar2014_lower (Montúfar et al. 2014)", montufar2014_lower),
        ("serra_lower (Serra et al. 2018)", serra_lower),
    ]:
        try:
            out[name] = fn(n0, widths)
        except ValueError as exc:
            out[name] = f"not applicable: {exc}"
    return out


__all__ = [
    "all_bounds",
    "maxout_one_layer",
    "montufar2014_lower",
    "montufar2017_upper",
    "serra_lower",
    "serra_upper",
    "zaslavsky",
]
