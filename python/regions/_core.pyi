"""Type stubs of the Rust extension ``regions._core`` (thin bindings over regions-core)."""

from collections.abc import Callable, Sequence
from typing import Any, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "CoreNetwork",
    "DomainRegions",
    "GeneratingFunction",
    "LimitExceededError",
    "Margins",
    "PhaseDiagram",
    "PlaneRegions",
    "Rank",
    "Ranks",
    "SegmentRegions",
    "SpaceRegions",
    "UniquePatterns",
    "WalkStats",
    "WindowOrder",
    "__version__",
    "_panic_in_worker",
    "certify_interior",
    "components",
    "exact_functional_rank",
    "exact_adjacency",
    "exact_space_adjacency",
    "exact_interior_point",
    "get_num_threads",
    "landscape_jacobian",
    "landscape_jacobian_ranks",
    "landscape_neuron_patterns",
    "landscape_patterns",
    "landscape_phase_diagram",
    "landscape_sample_patterns",
    "landscape_sample_ranks",
    "local_margins",
    "local_region_counts",
    "matrix_rank",
    "maxpool_auto_order",
    "maxpool_count_vertices",
    "maxpool_count_vertices_1d",
    "maxpool_count_vertices_2d",
    "maxpool_f_vector",
    "maxpool_generating_function_1d",
    "maxpool_minkowski_dim",
    "maxpool_recurrence_1d",
    "maxpool_validate",
    "maxpool_vertices",
    "maxpool_windows_2d",
    "parameter_jacobian",
    "regions_in_box",
    "regions_in_polytope",
    "regions_in_space",
    "regions_on_plane",
    "regions_on_segment",
    "set_num_threads",
]

__version__: str

class LimitExceededError(RuntimeError):
    """A limit was reached; the exact answer was not computed (never a truncated result)."""

def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def _panic_in_worker() -> None: ...

_Progress = Callable[[int], object] | None

# regions.maxpool kernels (exact integers; windows are lists of input indices)
def maxpool_count_vertices(
    windows: list[list[int]],
    n: int,
    order: list[int] | None = None,
    max_states: int = ...,
    n_threads: int | None = None,
    progress: _Progress = None,
) -> int: ...
@final
class WindowOrder:
    """A window order for the frontier DP and the frontier width it needs."""

    @property
    def order(self) -> list[int]: ...
    @property
    def width(self) -> int: ...

@final
class GeneratingFunction:
    """Coefficients (constant term first) of the 1D generating function N(z) / D(z)."""

    @property
    def numerator(self) -> list[int]: ...
    @property
    def denominator(self) -> list[int]: ...

def maxpool_auto_order(windows: list[list[int]], n: int) -> WindowOrder: ...
def maxpool_count_vertices_1d(
    n: int, k: int, stride: int, n_threads: int | None = None, progress: _Progress = None
) -> int: ...
def maxpool_count_vertices_2d(
    shape: tuple[int, int],
    window: tuple[int, int],
    stride: tuple[int, int],
    max_states: int = ...,
    n_threads: int | None = None,
    progress: _Progress = None,
) -> int: ...
def maxpool_windows_2d(
    shape: tuple[int, int], window: tuple[int, int], stride: tuple[int, int]
) -> list[list[int]]: ...
def maxpool_generating_function_1d(
    k: int, stride: int, n_threads: int | None = None, progress: _Progress = None
) -> GeneratingFunction: ...
def maxpool_recurrence_1d(
    k: int, stride: int, n_threads: int | None = None, progress: _Progress = None
) -> list[int]: ...
def maxpool_vertices(
    windows: list[list[int]], n: int, limit: int, n_threads: int | None = None, progress: _Progress = None
) -> npt.NDArray[np.int64]: ...
def maxpool_f_vector(
    windows: list[list[int]], n: int, max_faces: int, n_threads: int | None = None, progress: _Progress = None
) -> list[int]: ...
def maxpool_minkowski_dim(windows: list[list[int]], n: int) -> int: ...
def maxpool_validate(windows: list[list[int]], n: int) -> None: ...

@final
class UniquePatterns:
    """Distinct patterns in first-occurrence order: packed patterns, first rows, counts
    and (if asked) the inverse map."""

    @property
    def patterns(self) -> npt.NDArray[np.uint64]: ...
    @property
    def index(self) -> npt.NDArray[np.uint64]: ...
    @property
    def counts(self) -> npt.NDArray[np.uint64]: ...
    @property
    def inverse(self) -> npt.NDArray[np.uint64] | None: ...

@final
class CoreNetwork:
    def __new__(
        cls,
        hidden: Sequence[tuple[Any, ...]],
        out_w: npt.NDArray[np.float64] | tuple[Any, ...],
        out_b: npt.NDArray[np.float64],
        out_params: tuple[Any, ...] | None = None,
        carry: Sequence[Sequence[int]] | None = None,
    ) -> CoreNetwork: ...
    @property
    def input_dim(self) -> int: ...
    @property
    def output_dim(self) -> int: ...
    @property
    def n_hidden(self) -> int: ...
    @property
    def n_words(self) -> int: ...
    @property
    def is_binary(self) -> bool: ...
    def forward(
        self, x: npt.NDArray[np.float64], n_threads: int | None = None, progress: _Progress = None
    ) -> npt.NDArray[np.float64]: ...
    def patterns_packed(
        self, x: npt.NDArray[np.float64], n_threads: int | None = None, progress: _Progress = None
    ) -> npt.NDArray[np.uint64]: ...
    def probe_decode(self, rows: int) -> None: ...
    def decode(self, packed: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_] | npt.NDArray[np.int32]: ...
    def count_patterns(
        self, x: npt.NDArray[np.float64], n_threads: int | None = None, progress: _Progress = None
    ) -> int: ...
    def unique_patterns(
        self,
        x: npt.NDArray[np.float64],
        return_inverse: bool = False,
        n_threads: int | None = None,
        progress: _Progress = None,
    ) -> UniquePatterns: ...
    def count_patterns_sampled(
        self,
        lo: npt.NDArray[np.float64],
        hi: npt.NDArray[np.float64],
        n_samples: int,
        seed: int,
        n_threads: int | None = None,
        progress: _Progress = None,
    ) -> int: ...

# regions.landscape kernels (patterns are packed little-endian uint64 words over the data points)
@final
class Ranks:
    """Ranks of a batch of patterns and their margins (NaN when not computed)."""

    @property
    def ranks(self) -> npt.NDArray[np.uint64]: ...
    @property
    def margins(self) -> npt.NDArray[np.float64]: ...

@final
class Rank:
    """The rank of one matrix and its margin sigma_min / sigma_max (NaN when not computed)."""

    @property
    def rank(self) -> int: ...
    @property
    def margin(self) -> float: ...

@final
class PhaseDiagram:
    """Per cell (n, width): trials of full rank and the sum of the ranks."""

    @property
    def full_rank(self) -> list[int]: ...
    @property
    def rank_sum(self) -> list[int]: ...

def landscape_patterns(
    x: npt.NDArray[np.float64],
    w: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    bias: bool,
    n_threads: int | None = None,
    progress: _Progress = None,
) -> npt.NDArray[np.uint64]: ...
def landscape_jacobian(
    x: npt.NDArray[np.float64], a: npt.NDArray[np.uint64], v: npt.NDArray[np.float64] | None, bias: bool
) -> npt.NDArray[np.float64]: ...
def landscape_jacobian_ranks(
    x: npt.NDArray[np.float64],
    a: npt.NDArray[np.uint64],
    v: npt.NDArray[np.float64] | None,
    bias: bool,
    wrt_: str,
    tol: float | None,
    exact: bool,
    seed: int,
    want_margin: bool = False,
    n_threads: int | None = None,
    progress: _Progress = None,
) -> Ranks: ...
def landscape_neuron_patterns(
    x: npt.NDArray[np.float64], bias: bool, max_patterns: int, n_threads: int | None = None, progress: _Progress = None
) -> npt.NDArray[np.uint64]: ...
def landscape_sample_patterns(
    x: npt.NDArray[np.float64],
    width: int,
    n_samples: int,
    scheme_: str,
    init: str,
    bias: bool,
    seed: int,
    n_threads: int | None = None,
    progress: _Progress = None,
) -> npt.NDArray[np.uint64]: ...
def landscape_sample_ranks(
    x: npt.NDArray[np.float64],
    width: int,
    n_samples: int,
    scheme_: str,
    init: str,
    bias: bool,
    wrt_: str,
    tol: float | None,
    exact: bool,
    seed: int,
    n_threads: int | None = None,
    progress: _Progress = None,
) -> Ranks: ...
def landscape_phase_diagram(
    cells: list[tuple[int, int]],
    d: int,
    trials: int,
    data_: str,
    bias: bool,
    scheme_: str,
    init: str,
    wrt_: str,
    tol: float | None,
    exact: bool,
    seed: int,
    n_threads: int | None = None,
    progress: _Progress = None,
) -> PhaseDiagram: ...
def matrix_rank(
    a: npt.NDArray[np.float64],
    tol: float | None,
    exact: bool,
    seed: int,
    margin: bool = True,
    n_threads: int | None = None,
    progress: _Progress = None,
) -> Rank: ...
def parameter_jacobian(
    net: CoreNetwork, x: npt.NDArray[np.float64], n_threads: int | None = None, progress: _Progress = None
) -> npt.NDArray[np.float64]: ...

# exact regions on slices (regions.regions)
@final
class WalkStats:
    """How a region walk decided its signs."""

    @property
    def steps(self) -> int: ...
    @property
    def exact_steps(self) -> int: ...

@final
class SegmentRegions:
    """Regions on a segment: t-intervals (R, 2), patterns, affine maps, stats."""

    @property
    def count(self) -> int: ...
    @property
    def intervals(self) -> npt.NDArray[np.float64]: ...
    @property
    def patterns(self) -> npt.NDArray[np.uint64]: ...
    @property
    def out_a(self) -> npt.NDArray[np.float64]: ...
    @property
    def out_b(self) -> npt.NDArray[np.float64]: ...
    @property
    def stats(self) -> WalkStats: ...

@final
class PlaneRegions:
    """Regions on a 2D slice: one (k, 2) polygon per region, patterns, affine maps, stats."""

    @property
    def count(self) -> int: ...
    @property
    def polygons(self) -> list[npt.NDArray[np.float64]]: ...
    @property
    def patterns(self) -> npt.NDArray[np.uint64]: ...
    @property
    def out_a(self) -> npt.NDArray[np.float64]: ...
    @property
    def out_b(self) -> npt.NDArray[np.float64]: ...
    @property
    def stats(self) -> WalkStats: ...

@final
class DomainRegions:
    """Regions in a full-dimensional domain: stacked vertices (V, d) with offsets (R + 1),
    interior points, patterns, affine maps, volumes (d >= 3, else empty), stats."""

    @property
    def count(self) -> int: ...
    @property
    def vertices(self) -> npt.NDArray[np.float64]: ...
    @property
    def offsets(self) -> npt.NDArray[np.uint64]: ...
    @property
    def interior(self) -> npt.NDArray[np.float64]: ...
    @property
    def patterns(self) -> npt.NDArray[np.uint64]: ...
    @property
    def out_a(self) -> npt.NDArray[np.float64]: ...
    @property
    def out_b(self) -> npt.NDArray[np.float64]: ...
    @property
    def volumes(self) -> npt.NDArray[np.float64]: ...
    @property
    def stats(self) -> WalkStats: ...

@final
class SpaceRegions:
    """Regions of all of R^d: interior points, patterns, affine maps in x, and generators
    (stacked points and rays with offsets): region i is conv(points) + cone(rays)."""

    @property
    def count(self) -> int: ...
    @property
    def interior(self) -> npt.NDArray[np.float64]: ...
    @property
    def patterns(self) -> npt.NDArray[np.uint64]: ...
    @property
    def out_a(self) -> npt.NDArray[np.float64]: ...
    @property
    def out_b(self) -> npt.NDArray[np.float64]: ...
    @property
    def points(self) -> npt.NDArray[np.float64]: ...
    @property
    def point_offsets(self) -> npt.NDArray[np.uint64]: ...
    @property
    def rays(self) -> npt.NDArray[np.float64]: ...
    @property
    def ray_offsets(self) -> npt.NDArray[np.uint64]: ...
    @property
    def stats(self) -> WalkStats: ...

def exact_functional_rank(
    net: CoreNetwork,
    x: npt.NDArray[np.float64],
    seed: int,
    n_threads: int | None = None,
    progress: _Progress = None,
) -> int: ...
def regions_on_segment(
    net: CoreNetwork,
    p: npt.NDArray[np.float64],
    q: npt.NDArray[np.float64],
    max_regions: int,
    count_only: bool = False,
    tol: float | None = None,
    rational: bool = False,
    n_threads: int | None = None,
    progress: _Progress = None,
    max_seconds: float | None = None,
) -> SegmentRegions: ...
def regions_on_plane(
    net: CoreNetwork,
    origin: npt.NDArray[np.float64],
    e1: npt.NDArray[np.float64],
    e2: npt.NDArray[np.float64],
    domain: list[tuple[float, float]],
    max_regions: int,
    count_only: bool = False,
    tol: float | None = None,
    rational: bool = False,
    through: bool = False,
    n_threads: int | None = None,
    progress: _Progress = None,
    max_seconds: float | None = None,
) -> PlaneRegions: ...
def regions_in_box(
    net: CoreNetwork,
    lo: npt.NDArray[np.float64],
    hi: npt.NDArray[np.float64],
    max_regions: int,
    count_only: bool = False,
    tol: float | None = None,
    rational: bool = False,
    n_threads: int | None = None,
    progress: _Progress = None,
    max_seconds: float | None = None,
) -> DomainRegions: ...
def regions_in_polytope(
    net: CoreNetwork,
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    max_regions: int,
    count_only: bool = False,
    tol: float | None = None,
    rational: bool = False,
    n_threads: int | None = None,
    progress: _Progress = None,
    max_seconds: float | None = None,
) -> DomainRegions: ...
def regions_in_space(
    net: CoreNetwork,
    max_regions: int,
    count_only: bool = False,
    tol: float | None = None,
    rational: bool = False,
    n_threads: int | None = None,
    progress: _Progress = None,
    max_seconds: float | None = None,
) -> SpaceRegions: ...
def certify_interior(
    net: CoreNetwork,
    x: npt.NDArray[np.float64],
    patterns: npt.NDArray[np.uint64],
    n_threads: int | None = None,
) -> npt.NDArray[np.bool_]: ...
def exact_interior_point(
    net: CoreNetwork,
    pattern: npt.NDArray[np.uint64],
    kind: str,
    origin: npt.NDArray[np.float64],
    dirs: npt.NDArray[np.float64],
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    through: bool = False,
) -> tuple[list[int], int] | None: ...
def exact_adjacency(
    net: CoreNetwork,
    patterns: npt.NDArray[np.uint64],
    kind: str,
    origin: npt.NDArray[np.float64],
    dirs: npt.NDArray[np.float64],
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    through: bool = False,
    n_threads: int | None = None,
    cells: bool = False,
) -> npt.NDArray[np.int64]: ...
def exact_space_adjacency(
    net: CoreNetwork,
    patterns: npt.NDArray[np.uint64],
    n_threads: int | None = None,
) -> npt.NDArray[np.int64]: ...
def components(n: int, pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]: ...
def local_region_counts(
    net: CoreNetwork,
    x: npt.NDArray[np.float64],
    radius: float,
    max_regions: int,
    tol: float | None = None,
    rational: bool = False,
    n_threads: int | None = None,
    progress: _Progress = None,
    method: str = "auto",
) -> npt.NDArray[np.uint64]: ...

@final
class Margins:
    """Per point: the distance to its region's boundary, the nearest boundary's hidden
    unit (-1: none) and the number of units whose boundary is within the radius."""

    @property
    def distance(self) -> npt.NDArray[np.float64]: ...
    @property
    def unit(self) -> npt.NDArray[np.int64]: ...
    @property
    def within(self) -> npt.NDArray[np.uint64]: ...

def local_margins(
    net: CoreNetwork,
    x: npt.NDArray[np.float64],
    radius: float | None = None,
    n_threads: int | None = None,
    progress: _Progress = None,
) -> Margins: ...
