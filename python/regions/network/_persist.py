"""Persistence of a network: ``.npz`` files (:meth:`save`, :meth:`load`, no pickles
inside), pickling as the arrays only, and the deterministic Dask token."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, TypeVar

import numpy as np

from ..sparse import SparseMatrix
from ._base import _NetworkBase
from ._layers import _ACTIVATIONS, Layer, MaxPool, _check_layer

_FORMAT_VERSION = 1
_T = TypeVar("_T", bound="_Persisted")


def _put_sparse(arrays: dict[str, np.ndarray], key: str, m: SparseMatrix) -> None:
    arrays[f"{key}_indptr"] = m.indptr
    arrays[f"{key}_indices"] = m.indices
    arrays[f"{key}_data"] = m.data
    arrays[f"{key}_shape"] = np.array(m.shape, dtype=np.int64)


def _get_sparse(array: Any, key: str) -> SparseMatrix:
    shape = array(f"{key}_shape")
    if shape.shape != (2,) or shape.dtype.kind not in "iu":
        raise ValueError(f"path: {key}_shape must hold 2 integers, got {shape!r}")
    m = (int(shape[0]), int(shape[1]))
    return SparseMatrix(array(f"{key}_indptr"), array(f"{key}_indices"), array(f"{key}_data"), m, name=f"path: {key}")


class _Persisted(_NetworkBase):
    """:class:`~regions.Network`'s files, pickles and tokens."""

    # ------------------------------------------------------- pickling and tokens
    def _state(self) -> tuple[Any, ...]:
        """The arrays that define the network (no code): per layer ``(kind, W, b,
        alpha, params, carry)`` or ``("maxpool", windows, n_in, carry)``, then the output layer and
        its parameterization (``W`` and ``params`` may be :class:`SparseMatrix`), and why
        the parameter Jacobian is refused (or None)."""
        layers: list[tuple[Any, ...]] = []
        for l in self._layers:
            if isinstance(l, MaxPool):
                layers.append(("maxpool", [np.asarray(w) for w in l.windows], l.n_in, np.asarray(l.carry)))
            else:
                layers.append((l.kind, l.weights, np.asarray(l.bias), l.alpha, l.params, np.asarray(l.carry)))
        return layers, self._out_w, self._out_b, self._out_params, self._no_jacobian

    @classmethod
    def _from_state(
        cls: type[_T],
        layers: list[tuple[Any, ...]],
        out_w: np.ndarray,
        out_b: np.ndarray,
        out_params: SparseMatrix | None = None,
        no_jacobian: str | None = None,
    ) -> _T:
        built: list[Layer | MaxPool] = [MaxPool(*spec[1:]) if spec[0] == "maxpool" else Layer(*spec) for spec in layers]
        net = cls(built, out_w, out_b, out_params)
        net._no_jacobian = no_jacobian
        return net

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and deep-copy) as the arrays only; unpickling rebuilds the Rust copy
        and read-only layers, so a network can be sent to a worker process or a Dask
        worker."""
        return (type(self)._from_state, self._state())

    def __dask_tokenize__(self) -> str:
        """A deterministic token: the SHA-256 of the kinds, shapes and bytes of the
        arrays (equal networks give equal tokens in any process)."""
        import hashlib

        h = hashlib.sha256()

        def put(part: Any) -> None:
            if isinstance(part, list):
                for a in part:
                    put(a)
            elif isinstance(part, SparseMatrix):
                h.update(f"sparse{part.shape}".encode())
                for a in (part.indptr, part.indices, part.data):
                    put(a)
            elif part is None:
                h.update(b"none")
            else:
                arr = np.ascontiguousarray(part)
                h.update(f"{arr.dtype}{arr.shape}".encode())
                h.update(arr.tobytes())

        layers, out_w, out_b, out_params, no_jacobian = self._state()
        for spec in layers:
            h.update(repr(spec[0]).encode())
            for part in spec[1:]:
                put(part)
        for part in (out_w, out_b, out_params, no_jacobian):
            put(part)
        return "regions.Network-" + h.hexdigest()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save to a ``.npz`` file (no pickles; read back with :meth:`load`).

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (NumPy appends ``.npz`` when it is missing).
        """
        path = _as_path(path)
        arrays: dict[str, np.ndarray] = {
            "format_version": np.array(_FORMAT_VERSION),
            "kinds": np.array([l.kind for l in self._layers], dtype="U16"),
            "alphas": np.array([l.alpha for l in self._layers], dtype=np.float64),
            "W_out": self._out_w,
            "b_out": self._out_b,
        }
        for i, l in enumerate(self._layers):
            if isinstance(l, MaxPool):
                pad = np.full((l.units, l.k), -1, dtype=np.int64)
                for j, w in enumerate(l.windows):
                    pad[j, : len(w)] = w
                arrays[f"windows{i}"] = pad
                arrays[f"n_in{i}"] = np.array(l.n_in)
            else:
                if isinstance(l.weights, SparseMatrix):
                    _put_sparse(arrays, f"S{i}", l.weights)
                else:
                    arrays[f"W{i}"] = l.weights
                arrays[f"b{i}"] = l.bias
                if l.params is not None:
                    _put_sparse(arrays, f"P{i}", l.params)
            if l.carry.size:
                arrays[f"carry{i}"] = l.carry
        if self._out_params is not None:
            _put_sparse(arrays, "P_out", self._out_params)
        if self._no_jacobian is not None:
            arrays["no_jacobian"] = np.array(self._no_jacobian)
        np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy stubs: **kwds typed as allow_pickle

    @classmethod
    def load(cls: type[_T], path: str | os.PathLike[str]) -> _T:
        """Load a network written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.npz`` file (the name given to :meth:`save` works too: ``.npz`` is
            appended when the file without it does not exist).

        Returns
        -------
        Network
            The network.

        Raises
        ------
        ValueError
            The file is not a network written by :meth:`save` (the message says what is
            missing or wrong).
        """
        import zipfile

        path = _as_path(path)
        if not os.path.exists(path):
            # `save` appends .npz when it is missing: read what it wrote.
            if os.path.exists(os.fspath(path) + ".npz"):
                path = os.fspath(path) + ".npz"
            else:
                tried = "" if os.fspath(path).endswith(".npz") else " (nor with .npz appended)"
                raise FileNotFoundError(f"path: No such file {os.fspath(path)!r}{tried}")
        try:
            f = np.load(path, allow_pickle=False)
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            raise ValueError(
                f"path: {os.fspath(path)!r} is not a regions network file (not a NumPy .npz archive)"
            ) from None
        if not isinstance(f, np.lib.npyio.NpzFile):
            raise ValueError(f"path: {os.fspath(path)!r} holds one array, not a regions network file (.npz)")
        with f:
            try:
                return cls._from_npz(f)
            except (KeyError, zipfile.BadZipFile, EOFError, OSError) as exc:
                raise ValueError(f"path: {os.fspath(path)!r} is damaged or incomplete ({exc})") from None

    @classmethod
    def _from_npz(cls: type[_T], f: Any) -> _T:
        def array(key: str) -> np.ndarray:
            if key not in f.files:
                raise ValueError(f"path: the file has no array {key!r} (not written by Network.save, or damaged)")
            return np.asarray(f[key])

        version = int(array("format_version")) if "format_version" in f.files else -1
        if version != _FORMAT_VERSION:
            raise ValueError(f"path: not a regions network file (format_version {version}, expected {_FORMAT_VERSION})")
        kinds, alphas = array("kinds"), array("alphas")
        if kinds.ndim != 1 or kinds.dtype.kind != "U" or alphas.shape != kinds.shape:
            raise ValueError(
                f"path: 'kinds' and 'alphas' must be 1-d of the same length, got {kinds.shape} and {alphas.shape}"
            )
        stored = {
            int(k[len(p) :]) for p in ("W", "windows") for k in f.files if k.startswith(p) and k[len(p) :].isdigit()
        } | {int(k[1:-7]) for k in f.files if k.startswith("S") and k.endswith("_indptr") and k[1:-7].isdigit()}
        if stored != set(range(len(kinds))):
            raise ValueError(
                f"path: 'kinds' lists {len(kinds)} hidden layers but the file stores layers {sorted(stored)}"
            )
        layers: list[Layer | MaxPool] = []
        for i, (kd, a) in enumerate(zip(kinds.tolist(), alphas.tolist())):
            carry = array(f"carry{i}") if f"carry{i}" in f.files else None
            if kd == "maxpool":
                layers.append(MaxPool([r[r >= 0] for r in array(f"windows{i}")], int(array(f"n_in{i}")), carry))
                continue
            if kd in _ACTIVATIONS and f"S{i}_indptr" in f.files:
                layer = Layer.sparse(_get_sparse(array, f"S{i}"), array(f"b{i}"), kd, a if kd == "leaky_relu" else 0.5)
            elif kd in _ACTIVATIONS:
                layer = _check_layer(kd, array(f"W{i}"), array(f"b{i}"), i, a if kd == "leaky_relu" else 0.5)
            else:
                raise ValueError(
                    f"path: layer {i} has unknown kind {kd!r} (expected one of {_ACTIVATIONS + ('maxpool',)})"
                )
            params = _get_sparse(array, f"P{i}") if f"P{i}_indptr" in f.files else None
            layers.append(dataclasses.replace(layer, params=params, carry=carry))
        out_params = _get_sparse(array, "P_out") if "P_out_indptr" in f.files else None
        net = cls(layers, array("W_out"), array("b_out"), out_params)
        if "no_jacobian" in f.files:
            net._no_jacobian = str(array("no_jacobian"))
        return net


def _as_path(path: Any) -> str:
    """A file name: ``str`` or ``os.PathLike`` (an int would be taken for a file
    descriptor by ``os`` and NumPy)."""
    if isinstance(path, (bool, int)) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a file name (str or os.PathLike), got {type(path).__name__} {path!r}")
    return os.fspath(path)
