"""Phase diagrams: full-rank fractions over a grid of widths and dataset sizes, with
their CSV form."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .. import _core
from .._progress import progress_bar
from .._validate import as_bool, as_int, as_seed, as_sequence, as_threads, as_tol
from ._patterns import Init, Scheme, Wrt


@dataclass
class PhaseDiagram:
    """The result of :func:`phase_diagram`.

    Attributes
    ----------
    d : int
        The input dimension.
    n_values, widths : ndarray
        The grid's data sizes (rows) and widths (columns), int64.
    trials : int
        Trials per cell.
    p_full : ndarray
        ``p_full[i, j]``: the fraction of trials with full rank at ``n_values[i]``,
        ``widths[j]``.
    mean_rank_ratio : ndarray
        The mean of rank / n per cell.
    settings : dict
        The arguments that produced it (data, scheme, init, wrt, bias, tol, exact,
        seed, dtype).
    """

    d: int
    n_values: np.ndarray
    widths: np.ndarray
    trials: int
    p_full: np.ndarray
    mean_rank_ratio: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)

    def rank_rule(self) -> str:
        """How ranks were decided, for figure captions.

        Returns
        -------
        str
            A short description of the rank rule and its tolerance.
        """
        if self.settings.get("exact"):
            return "exact rank over Q (float64 data, modulo random primes)"
        tol = self.settings.get("tol")
        return "float64 SVD, " + ("NumPy default tolerance" if tol is None else f"tol = {tol:g}")

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the diagram as CSV: one row per cell with d, n, width, trials, p_full,
        mean_rank_ratio, then the settings.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write.
        """
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            keys = sorted(self.settings)
            w.writerow(["d", "n", "width", "trials", "p_full", "mean_rank_ratio", *keys])
            for i, n in enumerate(self.n_values):
                for j, m in enumerate(self.widths):
                    w.writerow(
                        [
                            self.d,
                            int(n),
                            int(m),
                            self.trials,
                            f"{self.p_full[i, j]:.6g}",
                            f"{self.mean_rank_ratio[i, j]:.6g}",
                            *[self.settings[k] for k in keys],
                        ]
                    )

    def plot(self, ax: Any = None, value: Literal["p_full", "mean_rank_ratio"] = "p_full") -> Any:
        """Heatmap (matplotlib) over n (rows) and width (columns).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw (default: a new figure).
        value : {"p_full", "mean_rank_ratio"}
            What to draw: P(full rank) or the mean rank / n.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover
            raise ImportError(
                "plot needs matplotlib: pip install matplotlib (the 'plot' extra of activation-regions)"
            ) from None
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4.5))
        data = getattr(self, value)
        im = ax.imshow(
            data,
            origin="lower",
            aspect="auto",
            vmin=0,
            vmax=1,
            cmap="viridis",
            extent=(self.widths[0], self.widths[-1], self.n_values[0], self.n_values[-1]),
        )
        ax.set_xlabel("width m")
        ax.set_ylabel("data points n")
        label = "P(full rank)" if value == "p_full" else "mean rank / n"
        ax.set_title(
            f"d = {self.d}, {self.trials} trials, scheme {self.settings.get('scheme')}\n{self.rank_rule()}", fontsize=9
        )
        ax.figure.colorbar(im, ax=ax, label=label)
        return ax


def phase_diagram(
    d: int,
    n_values: Sequence[int],
    widths: Sequence[int],
    trials: int = 100,
    *,
    data: Literal["uniform01", "gaussian"] = "uniform01",
    scheme: Scheme = "init",
    init: Init = "torch",
    wrt: Wrt = "first",
    bias: bool = True,
    tol: float | None = None,
    exact: bool = False,
    seed: int = 0,
    n_threads: int | None = None,
    progress: bool = False,
) -> PhaseDiagram:
    """P(full rank) and mean rank / n over a grid of data sizes and widths.

    Every trial draws its own data and one pattern under ``scheme``, from random
    stream (cell, trial) of ``seed``; all trials of all cells run in parallel and the
    result never depends on the thread count.

    Parameters
    ----------
    d : int
        The input dimension.
    n_values : sequence of int
        Data sizes (rows of the diagram).
    widths : sequence of int
        Layer widths (columns).
    trials : int
        Trials per cell.
    data : {"uniform01", "gaussian"}
        ``U[0,1]^{n×d}`` as in Karhadkar et al., or Gaussian.
    scheme : {"init", "uniform", "nonempty"}
        The sampling scheme (see the module docstring).
    init : {"torch", "gaussian"}
        The parameter distribution of ``scheme="init"``.
    wrt : {"first", "all"}
        Parameters of the Jacobian (see :func:`jacobian`).
    bias : bool
        Whether the units have biases.
    tol : float, optional
        Singular-value tolerance (default: NumPy's ``σ_max · max(rows, cols) · eps``).
    exact : bool
        Decide ranks exactly over Q instead (modulo random primes).
    seed : int
        The seed of the random streams.
    n_threads : int, optional
        Worker threads (default: the global setting; results never depend on it).
    progress : bool
        Show a progress bar (needs ``tqdm``).

    Returns
    -------
    PhaseDiagram
        The grid of estimates with the settings that produced it.
    """
    d = as_int(d, "d", minimum=1)
    ns = np.array([as_int(v, "n_values", minimum=1) for v in as_sequence(n_values, "n_values")], dtype=np.int64)
    ws = np.array([as_int(v, "widths", minimum=1) for v in as_sequence(widths, "widths")], dtype=np.int64)
    if ns.size == 0 or ws.size == 0:
        raise ValueError("n_values, widths: must not be empty")
    trials = as_int(trials, "trials", minimum=1)
    t = as_tol(tol)
    cells = [(int(n), int(m)) for n in ns for m in ws]
    with progress_bar(as_bool(progress, "progress"), len(cells) * trials, "trials", unit="trial") as cb:
        res = _core.landscape_phase_diagram(
            cells,
            d,
            trials,
            data,
            as_bool(bias, "bias"),
            scheme,
            init,
            wrt,
            t,
            as_bool(exact, "exact"),
            as_seed(seed),
            n_threads=as_threads(n_threads),
            progress=cb,
        )
    full = np.array(res.full_rank, dtype=float).reshape(len(ns), len(ws)) / trials
    rsum = np.array(res.rank_sum, dtype=float).reshape(len(ns), len(ws))
    ratio = rsum / (trials * ns[:, None])
    settings = {
        "data": data,
        "scheme": scheme,
        "init": init,
        "wrt": wrt,
        "bias": bias,
        "tol": tol,
        "exact": exact,
        "seed": seed,
        "dtype": "float64",
    }
    return PhaseDiagram(d, ns, ws, trials, full, ratio, settings)
