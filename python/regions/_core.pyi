"""Type stubs of the Rust extension ``regions._core`` (thin bindings over regions-core)."""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str

class LimitExceededError(RuntimeError):
    """A limit was reached; the exact answer was not computed (never a truncated result)."""

def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def _panic_in_worker() -> None: ...

Progress = Callable[[int], object] | None

# regions.maxpool kernels (exact integers; windows are lists of input indices)
def maxpool_count_vertices(
    windows: list[list[int]],
    n: int,
    order: list[int] | None = None,
    max_states: int = ...,
    n_threads: int | None = None,
    progress: Progress = None,
) -> int: ...
def maxpool_auto_order(windows: list[list[int]], n: int) -> tuple[list[int], int]: ...
def maxpool_count_vertices_1d(
    n: int, k: int, stride: int, n_threads: int | None = None, progress: Progress = None
) -> int: ...
def maxpool_count_vertices_2d(
    shape: tuple[int, int],
    window: tuple[int, int],
    stride: tuple[int, int],
    max_states: int = ...,
    n_threads: int | None = None,
    progress: Progress = None,
) -> int: ...
def maxpool_windows_2d(
    shape: tuple[int, int], window: tuple[int, int], stride: tuple[int, int]
) -> list[list[int]]: ...
def maxpool_generating_function_1d(k: int, stride: int) -> tuple[list[int], list[int]]: ...
def maxpool_recurrence_1d(k: int, stride: int) -> list[int]: ...
def maxpool_vertices(
    windows: list[list[int]], n: int, limit: int, n_threads: int | None = None, progress: Progress = None
) -> npt.NDArray[np.int64]: ...
def maxpool_f_vector(
    windows: list[list[int]], n: int, max_faces: int, n_threads: int | None = None, progress: Progress = None
) -> list[int]: ...
def maxpool_minkowski_dim(windows: list[list[int]], n: int) -> int: ...

class CoreNetwork:
    def __new__(
        cls,
        hidden: Sequence[tuple[Any, ...]],
        out_w: npt.NDArray[np.float64],
        out_b: npt.NDArray[np.float64],
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
        self, x: npt.NDArray[np.float64], n_threads: int | None = None, progress: Progress = None
    ) -> npt.NDArray[np.float64]: ...
    def patterns_packed(
        self, x: npt.NDArray[np.float64], n_threads: int | None = None, progress: Progress = None
    ) -> npt.NDArray[np.uint64]: ...
    def decode(self, packed: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_] | npt.NDArray[np.int32]: ...
    def count_patterns(
        self, x: npt.NDArray[np.float64], n_threads: int | None = None, progress: Progress = None
    ) -> int: ...
    def unique_patterns(
        self,
        x: npt.NDArray[np.float64],
        return_inverse: bool = False,
        n_threads: int | None = None,
        progress: Progress = None,
    ) -> tuple[
        npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.uint64] | None
    ]: ...
    def count_patterns_sampled(
        self,
        lo: npt.NDArray[np.float64],
        hi: npt.NDArray[np.float64],
        n_samples: int,
        seed: int,
        n_threads: int | None = None,
        progress: Progress = None,
    ) -> int: ...

# regions.landscape kernels (patterns are packed little-endian uint64 words over the data points)
def landscape_patterns(
    x: npt.NDArray[np.float64],
    w: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    bias: bool,
    n_threads: int | None = None,
    progress: Progress = None,
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
    progress: Progress = None,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float64]]: ...
def landscape_neuron_patterns(
    x: npt.NDArray[np.float64], bias: bool, max_patterns: int, n_threads: int | None = None, progress: Progress = None
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
    progress: Progress = None,
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
    progress: Progress = None,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float64]]: ...
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
    progress: Progress = None,
) -> list[tuple[int, int]]: ...
def matrix_rank(
    a: npt.NDArray[np.float64],
    tol: float | None,
    exact: bool,
    seed: int,
    margin: bool = True,
    n_threads: int | None = None,
    progress: Progress = None,
) -> tuple[int, float]: ...
def parameter_jacobian(
    net: CoreNetwork, x: npt.NDArray[np.float64], n_threads: int | None = None, progress: Progress = None
) -> npt.NDArray[np.float64]: ...

# exact regions on slices (regions.regions)
class WalkStats:
    """How a region walk decided its signs."""

    @property
    def steps(self) -> int: ...
    @property
    def exact_steps(self) -> int: ...

def exact_functional_rank(
    net: CoreNetwork,
    x: npt.NDArray[np.float64],
    seed: int,
    n_threads: int | None = None,
    progress: Progress = None,
) -> int: ...
def regions_on_segment(
    net: CoreNetwork,
    p: npt.NDArray[np.float64],
    q: npt.NDArray[np.float64],
    max_regions: int,
    count_only: bool = False,
    tol: float | None = None,
    n_threads: int | None = None,
    progress: Progress = None,
) -> tuple[int, npt.NDArray[np.float64], npt.NDArray[np.uint64], npt.NDArray[np.float64], npt.NDArray[np.float64], WalkStats]: ...
def regions_on_plane(
    net: CoreNetwork,
    origin: npt.NDArray[np.float64],
    e1: npt.NDArray[np.float64],
    e2: npt.NDArray[np.float64],
    domain: list[tuple[float, float]],
    max_regions: int,
    count_only: bool = False,
    tol: float | None = None,
    through: bool = False,
    n_threads: int | None = None,
    progress: Progress = None,
) -> tuple[int, list[npt.NDArray[np.float64]], npt.NDArray[np.uint64], npt.NDArray[np.float64], npt.NDArray[np.float64], WalkStats]: ...
def regions_in_domain(
    net: CoreNetwork,
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    is_box: bool,
    max_regions: int,
    count_only: bool = False,
    tol: float | None = None,
    n_threads: int | None = None,
    progress: Progress = None,
) -> tuple[
    int,
    npt.NDArray[np.float64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.float64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    WalkStats,
]: ...
def local_region_counts(
    net: CoreNetwork,
    x: npt.NDArray[np.float64],
    radius: float,
    max_regions: int,
    tol: float | None = None,
    n_threads: int | None = None,
    progress: Progress = None,
) -> npt.NDArray[np.uint64]: ...
