"""Progress bars for long calls: a tqdm bar fed by the Rust workers' counter."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress_bar(
    enabled: bool, total: int | None, desc: str, unit: str = "pt"
) -> Iterator[Callable[[int], object] | None]:
    """Yield a callback ``update(n)`` for the core's run loop, or ``None`` when disabled."""
    if not enabled:
        yield None
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "progress=True needs tqdm: pip install tqdm (the 'progress' extra of activation-regions)"
        ) from None
    bar = tqdm(total=total, desc=desc, unit=unit, unit_scale=True)
    try:
        yield bar.update
    finally:
        bar.close()
