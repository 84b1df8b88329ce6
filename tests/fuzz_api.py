"""A property-based fuzzer of the public API (issue 14): random shapes, dtypes,
magnitudes (1e-300..1e300, NaN, inf) and sizes; every call returns or raises one of
the documented exceptions, never a signal, an abort, a hang or another exception.

Run by ``tests/test_fuzz.py`` in its own interpreter (memory cap, timeout), so a crash
fails that test instead of the run; ``FUZZ_EXAMPLES`` sets the examples per target.
Run by hand: ``python tests/fuzz_api.py`` (add ``FUZZ_EXAMPLES=2000`` for a long run).
"""

from __future__ import annotations

import faulthandler
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import regions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from regions import Box, Polytope, landscape, maxpool

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
ALLOWED = (ValueError, TypeError, MemoryError, IndexError, regions.LimitExceededError, FileNotFoundError)
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)

magnitude = st.sampled_from([0.0, 1e-300, 1e-150, 1e-8, 1.0, 3.0, 1e8, 1e150, 1e300])
special = st.sampled_from([np.nan, np.inf, -np.inf, -0.0, 5e-324])
dtypes = st.sampled_from([np.float64, np.float64, np.float64, np.float32, np.int64, np.bool_, np.complex128, object])


@st.composite
def arrays(draw: Any, shape: tuple[int, ...] | None = None, max_side: int = 5) -> Any:
    """An array (or, now and then, a list or a scalar) of a random dtype and scale."""
    if shape is None:
        ndim = draw(st.integers(0, 3))
        shape = tuple(draw(st.integers(0, max_side)) for _ in range(ndim))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = np.asarray(rng.standard_normal(shape) * draw(magnitude))
    if a.size and draw(st.booleans()) and draw(st.booleans()):
        a.flat[draw(st.integers(0, a.size - 1))] = draw(special)
    if draw(st.integers(0, 9)) == 0:
        a = np.round(a)  # small integers: coincident and parallel units
    dt = draw(dtypes)
    with np.errstate(all="ignore"):
        out = np.asarray(a.astype(dt) if dt is not object else a.astype(object))
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return out.tolist()
    if kind == 1 and out.ndim >= 2:
        return out[:, ::-1]  # not C-contiguous
    return out


def _call(f: Callable[[], Any]) -> None:
    try:
        f()
    except ALLOWED:
        pass


@st.composite
def networks(draw: Any) -> Any:
    """A small network with random weights (maybe degenerate or huge), or None."""
    d = draw(st.integers(1, 3))
    widths = [d, *(draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 2)))), 1]
    act = draw(st.sampled_from(["relu", "leaky_relu", "maxout"]))
    k = 2 if act == "maxout" else 1
    ws, bs = [], []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        hidden = i < len(widths) - 2
        wshape = (b, k, a) if hidden and k > 1 else (b, a)
        ws.append(draw(arrays(shape=wshape)) if draw(st.integers(0, 4)) else draw(arrays()))
        bs.append(draw(arrays(shape=wshape[:-1])))
    try:
        return regions.Network.from_arrays(ws, bs, activation=act)
    except ALLOWED:
        return None


def shaped(draw: Any, shape: tuple[int, ...]) -> Any:
    """Mostly an array of the expected shape (so that calls get past validation), now
    and then one of any shape."""
    return draw(arrays(shape=shape)) if draw(st.integers(0, 4)) else draw(arrays())


@SETTINGS
@given(networks(), st.data())
def fuzz_points(net: Any, data: Any) -> None:
    if net is None:
        return
    X = shaped(data.draw, (data.draw(st.integers(0, 6)), net.input_dim))
    _call(lambda: net(X))
    _call(lambda: net.activation_patterns(X))
    _call(lambda: net.count_patterns(X))
    _call(lambda: net.unique_patterns(X, return_counts=True))
    _call(lambda: net.parameter_jacobian(X))
    _call(lambda: net.functional_dimension(X))
    _call(lambda: net.functional_dimension(X, exact=True))


@SETTINGS
@given(networks(), st.data(), st.sampled_from([True, False, "rational"]))
def fuzz_regions(net: Any, data: Any, exact: Any) -> None:
    if net is None:
        return
    d, lim = net.input_dim, 2000
    p, q = shaped(data.draw, (d,)), shaped(data.draw, (d,))
    _call(lambda: net.regions_on_segment(p, q, exact=exact, max_regions=lim))
    e2 = shaped(data.draw, (d,))
    _call(lambda: net.regions_on_plane(p, q, e2, exact=exact, max_regions=lim))
    _call(lambda: net.regions(Box(np.minimum(p, q), np.maximum(p, q)), exact=exact, max_regions=lim))
    _call(lambda: net.regions(Box(p, q), count_only=True, max_regions=lim))
    _call(lambda: net.local_regions(shaped(data.draw, (2, d)), 0.5, max_regions=lim))
    A, b = shaped(data.draw, (d + 2, d)), shaped(data.draw, (d + 2,))
    _call(lambda: net.regions(Polytope(A, b), max_regions=lim))


@SETTINGS
@given(st.data(), st.integers(-2, 6))
def fuzz_landscape(data: Any, m: int) -> None:
    n, d = data.draw(st.integers(0, 7)), data.draw(st.integers(1, 3))
    X = shaped(data.draw, (n, d))
    W = shaped(data.draw, (max(m, 0), d))
    A = data.draw(st.lists(st.lists(st.booleans(), min_size=n, max_size=n), min_size=1, max_size=4))
    _call(lambda: landscape.patterns(X, W))
    _call(lambda: landscape.neuron_patterns(X, max_patterns=5000))
    _call(lambda: landscape.matrix_rank(W))
    _call(lambda: landscape.matrix_rank(W, exact=True))
    _call(lambda: landscape.jacobian_rank(X, np.array(A)))
    _call(lambda: landscape.jacobian_rank(X, np.array(A), exact=True))
    _call(lambda: landscape.sample_patterns(X, m, 3))
    _call(lambda: landscape.full_rank_fraction(X, m, 3, exact=True))


windows = st.lists(st.lists(st.integers(-1, 9), min_size=0, max_size=4), min_size=0, max_size=5)


@SETTINGS
@given(windows, st.one_of(st.none(), st.integers(-1, 12)), st.integers(-1, 40), st.integers(-1, 4))
def fuzz_maxpool(ws: Any, n: Any, big: int, k: int) -> None:
    _call(lambda: maxpool.count_vertices(ws, n))
    _call(lambda: maxpool.f_vector(ws, n, max_faces=10_000))
    _call(lambda: maxpool.vertices(ws, n, limit=1000))
    _call(lambda: maxpool.dimension(ws, n))
    _call(lambda: maxpool.count_vertices_1d(big, k))
    _call(lambda: maxpool.count_vertices_2d((big, k), (k, 2)))
    _call(lambda: maxpool.region_of(np.arange(12.0), ws))


KINDS = [None, "x", -1, 0, 10**30, 1e308, -1e308, float("nan"), 2.5, True, [], [[1]]]


def fuzz_argument_kinds() -> None:
    """Every argument of a valid call replaced by each of :data:`KINDS` (``None``,
    strings, negative, huge and non-integer numbers, booleans, empty and nested lists):
    each call returns or raises a documented exception (issue 32 item 6)."""
    from regions import bounds, local

    net = regions.Network.random([3, 4, 1], seed=0)
    X = np.random.default_rng(0).standard_normal((5, 3))
    calls: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (net.local_regions, {"X": X, "radius": 0.1, "max_regions": None, "method": "auto"}),
        (local.distance_to_boundary, {"net": net, "X": X, "return_unit": False}),
        (local.boundary_density, {"net": net, "X": X, "radius": 0.1}),
        (net.regions, {"domain": Box.cube(3), "count_only": True, "max_regions": None}),
        (net.regions_on_segment, {"p": np.zeros(3), "q": np.ones(3)}),
        (net.activation_patterns, {"X": X, "packed": False}),
        (net.count_patterns, {"X": X}),
        (net.count_patterns_sampled, {"lo": -1.0, "hi": 1.0, "n_samples": 100, "seed": 0}),
        (landscape.neuron_patterns, {"X": X, "bias": True, "max_patterns": 1000}),
        (landscape.count_regions, {"X": X, "width": 3, "bias": True}),
        (landscape.matrix_rank, {"M": np.eye(3), "tol": None, "exact": False, "seed": 0}),
        (regions.Network.random, {"widths": [3, 4, 1], "seed": 0}),
        (bounds.serra_upper, {"n0": 2, "widths": [4, 4]}),
        (maxpool.windows_1d, {"n": 6, "k": 2}),
        (maxpool.count_vertices_1d, {"n": 6, "k": 2}),
    ]
    calls += _more_calls(net, X)
    for f, base in calls:
        f(**base)  # the valid call itself
        for arg in base:
            for v in KINDS:
                _call(lambda: f(**{**base, arg: v}))


def _more_calls(net: Any, X: np.ndarray) -> list[tuple[Callable[..., Any], dict[str, Any]]]:
    """Valid calls of the rest of the public functions (tiny sizes), for
    :func:`fuzz_argument_kinds`."""
    import tempfile

    from regions import bounds, functional

    W, b = np.random.default_rng(1).standard_normal((4, 3)), np.zeros(4)
    A = (X @ W.T + b > 0).T  # (width, n): one pattern per unit over the data
    win = maxpool.windows_1d(5, 2)
    rs = net.regions(Box.cube(3))
    path = os.path.join(tempfile.mkdtemp(), "net.npz")
    net.save(path)
    return [
        (bounds.all_bounds, {"n0": 2, "widths": [3, 3], "activation": "relu", "k": 2}),
        (bounds.maxout_one_layer, {"n0": 2, "n_units": 3, "k": 2}),
        (bounds.montufar2014_lower, {"n0": 2, "widths": [4, 4]}),
        (bounds.montufar2017_upper, {"n0": 2, "widths": [4, 4]}),
        (bounds.serra_lower, {"n0": 2, "widths": [6, 6]}),
        (bounds.zaslavsky, {"n_units": 5, "n0": 2}),
        (landscape.full_rank_fraction, {"X": X, "width": 3, "n_samples": 4, "bias": True, "seed": 0}),
        (landscape.jacobian, {"X": X, "A": A, "bias": True}),
        (landscape.jacobian_rank, {"X": X, "A": A, "tol": None, "exact": False, "seed": 0}),
        (landscape.patterns, {"X": X, "W": W, "b": b, "packed": False}),
        (landscape.phase_diagram, {"d": 2, "n_values": [3], "widths": [3], "trials": 2, "seed": 0}),
        (landscape.sample_patterns, {"X": X, "width": 3, "n_samples": 4, "seed": 0, "packed": False}),
        (maxpool.count_facets, {"windows": win, "n": 5, "max_faces": 1000}),
        (maxpool.count_vertices, {"windows": win, "n": 5, "max_states": None}),
        (maxpool.count_vertices_2d, {"shape": (3, 3), "window": (2, 2), "stride": 1, "padding": "valid"}),
        (maxpool.dimension, {"windows": win, "n": 5}),
        (maxpool.f_vector, {"windows": win, "n": 5, "max_faces": 1000}),
        (maxpool.generating_function_1d, {"k": 2, "stride": 1}),
        (maxpool.recurrence_1d, {"k": 2, "stride": 1}),
        (maxpool.region_of, {"x": np.arange(5.0), "windows": win}),
        (maxpool.vertices, {"windows": win, "n": 5, "limit": 1000}),
        (maxpool.windows_2d, {"shape": (3, 3), "window": (2, 2), "stride": 1}),
        (functional.functional_dimension, {"net": net, "X": X, "tol": None, "exact": False, "seed": 0}),
        (functional.parameter_jacobian, {"net": net, "X": X}),
        (net.decode_patterns, {"packed": net.activation_patterns(X, packed=True)}),
        (net.pattern_affine_map, {"codes": net.activation_patterns(X)[0]}),
        (net.regions_on_plane, {"origin": np.zeros(3), "e1": np.eye(3)[0], "e2": np.eye(3)[1], "count_only": True}),
        (net.regions_through, {"x0": X[0], "x1": X[1], "x2": X[2], "region": "triangle"}),
        (net.unique_patterns, {"X": X, "return_counts": True, "packed": False}),
        (net.distance_to_boundary, {"X": X}),
        (net.functional_dimension, {"X": X}),
        (regions.Network.load, {"path": path}),
        (regions.Network.from_arrays, {"weights": [W, np.ones((1, 4))], "biases": [b, np.zeros(1)]}),
        (regions.Layer.dense, {"weights": W, "bias": b, "activation": "relu", "alpha": 0.01}),
        (regions.MaxPool, {"windows": [[0, 1]], "n_in": 2}),
        (Box, {"lo": np.zeros(2), "hi": np.ones(2)}),
        (regions.Polytope, {"A": np.vstack([np.eye(2), -np.ones((1, 2))]), "b": np.ones(3)}),
        (regions.Space, {"d": 2}),
        (rs.affine_map, {"i": 0}),
        (rs.output_map, {"i": 0}),
        (rs.linear_pieces, {"rtol": 1e-9}),
    ]


TARGETS = [fuzz_points, fuzz_regions, fuzz_landscape, fuzz_maxpool, fuzz_argument_kinds]

if __name__ == "__main__":
    faulthandler.enable()
    # A hang shows where it is stuck (and ends the run) instead of waiting forever.
    faulthandler.dump_traceback_later(float(os.environ.get("FUZZ_TIMEOUT", "600")), exit=True)
    names = sys.argv[1:] or [t.__name__ for t in TARGETS]
    for t in TARGETS:
        if t.__name__ in names:
            t()
            print(t.__name__, "ok", flush=True)
