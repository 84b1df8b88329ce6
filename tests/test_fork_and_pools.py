"""Pools survive fork() and stay bounded (issue 14). Each check runs in its own
interpreter with a timeout, so a regression fails instead of hanging the suite."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="fork and /proc are Linux features here")


def _run(code: str, timeout: float = 60) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_a_forked_child_computes_after_the_parent_did():
    out = _run(
        """
        import multiprocessing as mp
        import numpy as np
        import regions

        net = regions.Network.random([2, 16, 16, 1], seed=0)
        X = np.random.default_rng(0).uniform(-1, 1, (5000, 2))
        parent = net.count_patterns(X)  # builds the parent's pool

        def child(_):
            return net.count_patterns(X)

        with mp.get_context("fork").Pool(2) as pool:
            res = pool.map_async(child, range(2)).get(timeout=30)
        print(parent, *res)
        """
    )
    a, b, c = out.split()
    assert a == b == c


def test_pools_are_bounded_and_reused():
    out = _run(
        """
        import os
        import numpy as np
        import regions

        net = regions.Network.random([2, 8, 1], seed=0)
        X = np.zeros((10, 2))
        for n in range(1, 31):
            net.count_patterns(X, n_threads=n)
        print(len(os.listdir("/proc/self/task")))
        """
    )
    # At most 4 pools of sizes <= 30 stay (threads of dropped pools exit); 465 threads if
    # every pool were kept.
    assert int(out) <= 4 * 30 + 10
