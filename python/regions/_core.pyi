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
