"""Runs the public-API fuzzer (``tests/fuzz_api.py``) for a bounded time in its own
interpreter under a 4 GB address-space cap: a signal, an abort, a hang or an
undocumented exception fails this test (with the fuzzer's report) instead of the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the memory cap uses RLIMIT_AS")

CAP = 4 * 2**30


def _capped() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def test_fuzz_public_api() -> None:
    env = {**os.environ, "FUZZ_EXAMPLES": os.environ.get("FUZZ_EXAMPLES", "150"), "FUZZ_TIMEOUT": "240"}
    script = Path(__file__).with_name("fuzz_api.py")
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env, preexec_fn=_capped
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    assert proc.stdout.split() == [
        w for t in ("points", "regions", "landscape", "maxpool", "argument_kinds") for w in (f"fuzz_{t}", "ok")
    ]
