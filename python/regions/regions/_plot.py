"""Pictures of region sets (matplotlib is imported here only): the regions of a plane
in distinct colours with an output's zero level set, the output along a segment with
its breakpoints."""

from __future__ import annotations

from typing import Any

import numpy as np


def plot(rs: Any, ax: Any, output: int | None, cmap: str, seed: int, edgecolor: str, linewidth: float) -> Any:
    """Draw ``rs`` (see :meth:`regions.RegionSet.plot` for the arguments).

    Parameters
    ----------
    rs : RegionSet
        The regions.
    ax, output, cmap, seed, edgecolor, linewidth
        As in :meth:`regions.RegionSet.plot`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    if rs.kind == "segment":
        return _segment(rs, ax, output, cmap, seed)
    if rs.kind == "plane":
        return _plane(rs, ax, output, cmap, seed, edgecolor, linewidth)
    raise ValueError(
        "plot: draws segments and 2D regions; for a higher-dimensional domain, plot a slice (Network.regions_on_plane)"
    )


def _axes(n: int, ax: Any, figsize: tuple[float, float], cmap: str, seed: int) -> tuple[Any, Any]:
    """The axes (a new figure when ``ax`` is None) and ``n`` shuffled colours."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover
        raise ImportError(
            "plot needs matplotlib: pip install matplotlib (the 'plot' extra of activation-regions)"
        ) from None
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    colours = plt.get_cmap(cmap)(np.random.default_rng(seed).permutation(n) % 20)
    return ax, colours


def _segment(rs: Any, ax: Any, output: int | None, cmap: str, seed: int) -> Any:
    ax, colours = _axes(len(rs), ax, (7, 3), cmap, seed)
    o = 0 if output is None else output
    for i, (t0, t1) in enumerate(rs._cells):
        a, b = rs._out_a[i, o], rs._out_b[i, o, 0]
        ax.plot([t0, t1], [a + b * t0, a + b * t1], color=colours[i], lw=2)
    ax.vlines(rs.breakpoints, *ax.get_ylim(), colors="0.8", lw=0.5)
    ax.set_xlabel("t")
    ax.set_ylabel(f"output {o}")
    ax.set_title(f"{rs.count:,} regions on the segment", fontsize=9)
    return ax


def _plane(rs: Any, ax: Any, output: int | None, cmap: str, seed: int, edgecolor: str, linewidth: float) -> Any:
    from matplotlib.collections import LineCollection, PolyCollection

    ax, colours = _axes(len(rs), ax, (5, 5), cmap, seed)
    ax.add_collection(PolyCollection(rs._cells, facecolors=colours, edgecolors=edgecolor, linewidths=linewidth))
    if output is not None:
        segs = []
        for i, p in enumerate(rs._cells):
            f = rs._out_a[i, output] + p @ rs._out_b[i, output]
            pts = []
            for j in range(len(p)):
                k = (j + 1) % len(p)
                if (f[j] < 0) != (f[k] < 0):
                    t = f[j] / (f[j] - f[k])
                    pts.append(p[j] + t * (p[k] - p[j]))
            if len(pts) >= 2:
                segs.append(pts[:2])
        ax.add_collection(LineCollection(segs, colors="black", linewidths=1.2, label=f"output {output} = 0"))
    marks = getattr(rs, "_marks", None)
    if marks is not None:  # the inputs the slice was built through
        ax.scatter(
            marks[:, 0], marks[:, 1], marker="x", color="black", s=40, zorder=3, clip_on=False, label="x0, x1, x2"
        )
    allp = np.vstack(rs._cells)
    ax.set_xlim(allp[:, 0].min(), allp[:, 0].max())
    ax.set_ylim(allp[:, 1].min(), allp[:, 1].max())
    ax.set_aspect("equal")
    axis_aligned = rs._is_identity_slice()
    ax.set_xlabel("x₁" if axis_aligned else "u")
    ax.set_ylabel("x₂" if axis_aligned else "v")
    ax.set_title(f"{rs.count:,} linear regions", fontsize=9)
    if output is not None or marks is not None:
        ax.legend(fontsize=7, loc="upper right")
    return ax
