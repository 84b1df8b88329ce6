"""regions: exact geometry of activation regions of piecewise-linear networks.

Conventions follow ``docs/math.md`` (the repository's copy of the project's
definitions): weights in PyTorch's ``(out, in)`` layout; a ReLU unit is active when its pre-activation is ``> 0``
(exactly 0 is inactive); maxout and max-pooling ties go to the lowest index.
"""

from __future__ import annotations

from . import _core, bounds, landscape, maxpool, sparse
from ._core import LimitExceededError, get_num_threads
from .network import Layer, MaxPool, Network
from .regions import (
    Box,
    DomainRegionSet,
    PlaneRegionSet,
    Polytope,
    RegionSet,
    SegmentRegionSet,
    Space,
    SpaceRegionSet,
)
from .sparse import SparseMatrix

__version__: str = _core.__version__


def set_num_threads(n: int | None) -> None:
    """Set the default number of worker threads for every call.

    Parameters
    ----------
    n : int or None
        Threads: at least 1, at most 64 or four per hardware thread when that is more
        (more workers only add overhead; a larger value raises ``ValueError``);
        ``None``: all cores. A call's own ``n_threads=`` argument (same bounds)
        overrides it. Results never depend on it. Worker pools unused for 5 seconds
        release their threads, except the most recently used one.
    """
    from ._validate import as_int

    _core.set_num_threads(0 if n is None else as_int(n, "n", minimum=1, maximum=1024))


__all__ = [
    "Box",
    "Layer",
    "LimitExceededError",
    "MaxPool",
    "Network",
    "Polytope",
    "RegionSet",
    "SegmentRegionSet",
    "Space",
    "SpaceRegionSet",
    "SparseMatrix",
    "PlaneRegionSet",
    "DomainRegionSet",
    "get_num_threads",
    "set_num_threads",
    "__version__",
    "bounds",
    "landscape",
    "maxpool",
    "sparse",
]
