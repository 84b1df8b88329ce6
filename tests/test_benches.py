"""The benchmark scripts start and import the package (tiny sizes; timings are never
asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = Path(__file__).resolve().parent.parent / "benches"


def run(script, *args):
    return subprocess.run(
        [sys.executable, str(BENCHES / script), *args], capture_output=True, text=True, timeout=300, check=True
    ).stdout


def test_patterns_bench_runs():
    out = run("patterns.py", "--n", "2000", "--samples", "5000", "--repeat", "1", "--skip-plain")
    assert "distinct" in out and "peak RSS" in out


def test_landscape_bench_runs():
    assert "NumPy reference" in run("landscape.py", "--trials", "1", "--skip-deep")


def test_other_benches_import():
    for script in ("regions.py", "maxpool.py"):
        assert "usage" in run(script, "--help")


def test_cnn_bench_runs():
    out = run("cnn.py", "--eps", "0.005", "--n", "200", "--repeat", "1", "--trained-epochs", "1")
    assert "plane regions" in out and "torch float64" in out


def test_local_bench_runs():
    out = run("local.py", "--n", "50", "--repeat", "1")
    assert "distance_to_boundary" in out and "boundary_density" in out


def test_wide_bench_runs():
    out = run("wide.py", "--n", "300", "--walk-n", "100", "--numpy-n", "300", "--repeat", "1")
    assert "lines 2-300-1" in out and "regions of R^d" in out


def test_adjacency_bench_runs():
    out = run("adjacency.py", "--cases", "2-8-8-1,3-6-6-1")
    assert "adj/enum" in out and "float pairs" in out
