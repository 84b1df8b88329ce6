"""The network model's core: its layers and output layer, the Rust copy, properties,
the forward pass and activation patterns. Every other part of :class:`Network`
(persistence, region entry points, constructors, parameter-space methods) builds on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _core
from .._progress import progress_bar
from .._validate import as_bool, as_float_array, as_int, as_points, as_seed, as_threads
from ..sparse import SparseMatrix
from ._layers import Layer, MaxPool, _frozen


class _NetworkBase:
    """The model: construction from validated layers, properties, the forward pass
    and activation patterns (the :class:`~regions.Network` documents it)."""

    def __init__(
        self,
        layers: Sequence[Layer | MaxPool],
        output_weights: np.ndarray,
        output_bias: np.ndarray,
        output_params: SparseMatrix | None = None,
    ):
        self._layers = tuple(layers)
        self._out_w = _frozen(as_float_array(output_weights, "output weights", ndim=2))
        self._out_b = _frozen(as_float_array(output_bias, "output bias", shape=(self._out_w.shape[0],)))
        if output_params is not None and (
            not isinstance(output_params, SparseMatrix) or output_params.shape[0] != self._out_w.size + self._out_b.size
        ):
            raise ValueError(
                f"output_params: expected a SparseMatrix with {self._out_w.size + self._out_b.size} rows "
                "(one per output weight and bias)"
            )
        self._out_params = output_params
        # Why the parameter-space methods are refused (set by the importers), or None.
        self._no_jacobian: str | None = None
        prev = None
        for l, layer in enumerate(self._layers):
            if prev is not None and layer.n_in != prev:
                raise ValueError(
                    f"weights[{l}]: expects {layer.n_in} inputs but layer {l - 1} has {prev} outputs "
                    f"(shape {(layer.units, layer.n_in)})"
                )
            prev = layer.width
        if prev is not None and self._out_w.shape[1] != prev:
            raise ValueError(
                f"weights[{len(self._layers)}]: output layer expects {self._out_w.shape[1]} inputs "
                f"but the last hidden layer has {prev} outputs"
            )
        carried = any(layer.carry.size for layer in self._layers)
        self._core = _core.CoreNetwork(
            [layer._core_spec() for layer in self._layers],
            self._out_w,
            self._out_b,
            None if output_params is None else output_params._core(),
            [layer.carry.tolist() for layer in self._layers] if carried else None,
        )

    # ------------------------------------------------------------------ properties
    @property
    def layers(self) -> tuple[Layer | MaxPool, ...]:
        """The hidden layers."""
        return self._layers

    @property
    def input_dim(self) -> int:
        """Input dimension n_0."""
        return int(self._core.input_dim)

    @property
    def output_dim(self) -> int:
        """Output dimension."""
        return int(self._core.output_dim)

    @property
    def widths(self) -> tuple[int, ...]:
        """Hidden widths (n_1, ..., n_L): units per hidden layer."""
        return tuple(l.units for l in self._layers)

    @property
    def sizes(self) -> tuple[int, ...]:
        """All layer sizes (n_0, n_1, ..., n_L, n_out), as taken by :meth:`random`."""
        return (self.input_dim, *self.widths, self.output_dim)

    @property
    def n_hidden(self) -> int:
        """Number of hidden units = length of an (unpacked) activation pattern."""
        return int(self._core.n_hidden)

    @property
    def n_params(self) -> int:
        """Number of weights and biases, output layer included."""
        out = self._out_w.size + self._out_b.size if self._out_params is None else self._out_params.shape[1]
        return int(sum(l.n_params for l in self._layers) + out)

    @property
    def n_words(self) -> int:
        """uint64 words per packed pattern."""
        return int(self._core.n_words)

    @property
    def activations(self) -> tuple[str, ...]:
        """Activation name of each hidden layer."""
        return tuple(l.kind for l in self._layers)

    def __repr__(self) -> str:
        return f"Network(sizes={self.sizes}, activations={self.activations})"

    # ------------------------------------------------------------------- evaluation
    def _run(self, method: str, X: Any, n_threads: Any, progress: bool, desc: str, **kw: Any) -> Any:
        X = as_points(X, self.input_dim)
        with progress_bar(as_bool(progress, "progress"), X.shape[0], desc) as cb:
            return getattr(self._core, method)(X, n_threads=as_threads(n_threads), progress=cb, **kw)

    def __call__(self, X: Any, *, n_threads: int | None = None, progress: bool = False) -> np.ndarray:
        """The network's outputs on the rows of ``X``.

        Parameters
        ----------
        X : array_like
            Inputs, ``(N, input_dim)``, finite.
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar (needs ``tqdm``).

        Returns
        -------
        ndarray
            float64 ``(N, output_dim)``.

        Raises
        ------
        ValueError
            The forward pass overflows float64 on a row (an output is not finite).
        """
        out = np.asarray(self._run("forward", X, n_threads, progress, "forward"))
        bad = np.flatnonzero(~np.isfinite(out).all(axis=1))
        if bad.size:
            raise ValueError(f"X: the forward pass overflows float64 on row {int(bad[0])} (an output is not finite)")
        return out

    def activation_patterns(
        self, X: Any, *, packed: bool = False, n_threads: int | None = None, progress: bool = False
    ) -> np.ndarray:
        """The activation pattern of every row of ``X``.

        Parameters
        ----------
        X : array_like
            Inputs, ``(N, input_dim)``, finite.
        packed : bool
            Return the bit-packed form described in the module docstring.
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar (needs ``tqdm``).

        Returns
        -------
        ndarray
            bool ``(N, n_hidden)`` for ReLU / leaky networks; int32 piece indices for
            networks with maxout or max-pooling layers (ReLU units then give 0/1, a
            pooling unit the position of its maximum in its window); with
            ``packed=True``, uint64 ``(N, n_words)``.
        """
        packed = as_bool(packed, "packed")
        if not packed and hasattr(X, "shape") and len(getattr(X, "shape", ())) == 2:
            self._core.probe_decode(int(X.shape[0]))
        words = self._run("patterns_packed", X, n_threads, progress, "patterns")
        return words if packed else self._core.decode(words)

    def decode_patterns(self, packed: Any) -> np.ndarray:
        """Unpack patterns from their packed form.

        Parameters
        ----------
        packed : array_like
            uint64 ``(N, n_words)``, as from ``activation_patterns(X, packed=True)``.

        Returns
        -------
        ndarray
            The bool / int32 form of :meth:`activation_patterns`.
        """
        a = np.asarray(packed)
        if a.dtype != np.uint64 or a.ndim != 2 or a.shape[1] != self.n_words:
            raise ValueError(f"packed: expected a uint64 array of shape (N, {self.n_words}), got {a.dtype} {a.shape}")
        out = self._core.decode(np.ascontiguousarray(a))
        if out.dtype != np.bool_ and out.size:
            # Max units take log2(k) bits: a code of k or more is no piece.
            limits = np.concatenate(
                [
                    [len(w) for w in layer.windows]
                    if isinstance(layer, MaxPool)
                    else np.full(layer.units, layer.k if layer.kind == "maxout" else 2)
                    for layer in self.layers
                ]
            )
            bad = np.argwhere(out >= limits)
            if bad.size:
                row, unit = (int(v) for v in bad[0])
                raise ValueError(
                    f"packed: row {row} gives unit {unit} the code {int(out[row, unit])}, "
                    f"but it has only {int(limits[unit])} pieces"
                )
        return out

    def count_patterns(self, X: Any, *, n_threads: int | None = None, progress: bool = False) -> int:
        """The number of distinct activation patterns among the rows of ``X``.

        Streams block by block: memory is O(distinct patterns), not O(N · n_hidden).

        Parameters
        ----------
        X : array_like
            Inputs, ``(N, input_dim)``, finite.
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar (needs ``tqdm``).

        Returns
        -------
        int
            The exact count.
        """
        return int(self._run("count_patterns", X, n_threads, progress, "patterns"))

    def unique_patterns(
        self,
        X: Any,
        *,
        return_index: bool = False,
        return_inverse: bool = False,
        return_counts: bool = False,
        packed: bool = False,
        n_threads: int | None = None,
        progress: bool = False,
    ) -> Any:
        """The distinct patterns of the rows of ``X``, like ``np.unique(patterns, axis=0)``.

        Unlike ``np.unique``, the unique patterns come in order of first occurrence
        (``index`` is increasing).

        Parameters
        ----------
        X : array_like
            Inputs, ``(N, input_dim)``, finite.
        return_index, return_inverse, return_counts : bool
            Also return the first row of each pattern, the position of each row's
            pattern, and the number of rows of each pattern.
        packed : bool
            Return the patterns bit-packed (uint64).
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar (needs ``tqdm``).

        Returns
        -------
        patterns : ndarray
            The distinct patterns (bool / int32, or uint64 with ``packed=True``).
        index, inverse, counts : ndarray
            int64, each only when requested, in this order.
        """
        return_index, return_counts = as_bool(return_index, "return_index"), as_bool(return_counts, "return_counts")
        packed = as_bool(packed, "packed")
        u = self._run(
            "unique_patterns",
            X,
            n_threads,
            progress,
            "patterns",
            return_inverse=as_bool(return_inverse, "return_inverse"),
        )
        words, index, counts, inverse = u.patterns, u.index, u.counts, u.inverse
        pats = words if packed else self._core.decode(words)
        out = [pats]
        if return_index:
            out.append(index.astype(np.int64))
        if return_inverse:
            out.append(inverse.astype(np.int64))
        if return_counts:
            out.append(counts.astype(np.int64))
        return out[0] if len(out) == 1 else tuple(out)

    def pattern_affine_map(self, codes: Any) -> tuple[np.ndarray, np.ndarray]:
        """The network on the region of a pattern as an affine map of the input.

        Parameters
        ----------
        codes : array_like
            One decoded pattern, ``(n_hidden,)`` (as a row of :meth:`activation_patterns`).

        Returns
        -------
        M, c : ndarray
            ``output = M x + c`` on the region (``M`` is ``(n_out, n0)``).

        Raises
        ------
        TypeError, ValueError
            ``codes`` is not an integer / bool vector of length ``n_hidden``, or a code
            is outside its unit's range (``{0, 1}``, or ``0..k-1`` for maxout / pooling).
        """
        codes = np.asarray(codes)
        if codes.dtype.kind not in "biu":
            raise TypeError(f"codes: expected an integer or bool array, got dtype {codes.dtype}")
        if codes.shape != (self.n_hidden,):
            raise ValueError(f"codes: expected shape ({self.n_hidden},), got {codes.shape}")
        u = 0
        for l, layer in enumerate(self._layers):
            hi = layer.k if (isinstance(layer, MaxPool) or layer.kind == "maxout") else 2
            part = codes[u : u + layer.units].astype(np.int64)
            if part.size and (part.min() < 0 or part.max() >= hi):
                raise ValueError(
                    f"codes: layer {l} codes must be in 0..{hi - 1}, got {int(part.min())}..{int(part.max())}"
                )
            u += layer.units
        M, c, u = np.eye(self.input_dim), np.zeros(self.input_dim), 0
        for layer in self._layers:
            n = layer.units
            code = np.asarray(codes[u : u + n], dtype=np.int64)
            u += n
            M_in, c_in = M, c
            if isinstance(layer, MaxPool):
                idx = np.array([w[k] for w, k in zip(layer.windows, code)])
                M, c = M[idx], c[idx]
            elif layer.kind == "maxout":
                rows, b = layer._pieces(np.arange(n), code)
                M, c = rows @ M, rows @ c + b
            else:
                slope = np.where(code == 1, 1.0, layer.alpha)
                M, c = slope[:, None] * layer._matmul(M), slope * (layer._matmul(c) + layer.bias)
            if layer.carry.size:
                M, c = np.vstack([M, M_in[layer.carry]]), np.concatenate([c, c_in[layer.carry]])
        return self._out_w @ M, self._out_w @ c + self._out_b

    def count_patterns_sampled(
        self,
        lo: Any,
        hi: Any,
        n_samples: int,
        seed: int | None = 0,
        *,
        n_threads: int | None = None,
        progress: bool = False,
    ) -> int:
        """The number of distinct patterns among ``n_samples`` points drawn uniformly from
        the box ``[lo, hi]``: a lower bound on the number of activation regions that meet
        the box.

        Samples are drawn inside the Rust workers (no input array: 10^8 samples need
        only O(distinct patterns) memory).

        Parameters
        ----------
        lo, hi : float or array_like
            The box: scalars, or arrays of shape ``(input_dim,)``, ``lo <= hi``.
        n_samples : int
            Number of points, ``>= 1``.
        seed : int or None
            The result depends only on the arguments and ``seed``, never on the thread
            count; ``None`` draws fresh entropy.
        n_threads : int, optional
            Worker threads (default: the global setting; results never depend on it).
        progress : bool
            Show a progress bar (needs ``tqdm``).

        Returns
        -------
        int
            The number of distinct patterns.
        """
        d = self.input_dim
        lo_a = (
            np.broadcast_to(as_float_array(lo, "lo"), (d,))
            if np.ndim(lo) == 0
            else as_float_array(lo, "lo", shape=(d,))
        )
        hi_a = (
            np.broadcast_to(as_float_array(hi, "hi"), (d,))
            if np.ndim(hi) == 0
            else as_float_array(hi, "hi", shape=(d,))
        )
        lo_a, hi_a = np.ascontiguousarray(lo_a), np.ascontiguousarray(hi_a)
        with np.errstate(over="ignore"):
            span = hi_a - lo_a
        if not np.all(np.isfinite(span)):
            raise ValueError("lo, hi: hi - lo overflows float64; sample a smaller box")
        if np.any(lo_a > hi_a):
            i = int(np.argmax(lo_a > hi_a))
            raise ValueError(f"lo, hi: need lo <= hi, got lo[{i}] = {lo_a[i]} > hi[{i}] = {hi_a[i]}")
        n = as_int(n_samples, "n_samples", minimum=1)
        with progress_bar(as_bool(progress, "progress"), n, "samples") as cb:
            return int(
                self._core.count_patterns_sampled(
                    lo_a, hi_a, n, as_seed(seed), n_threads=as_threads(n_threads), progress=cb
                )
            )
