"""The research scripts in examples/ run and write their outputs (small arguments)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(script, *args):
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True, timeout=300, check=True
    )


def test_phase_transition_script(tmp_path):
    pytest.importorskip("matplotlib")
    out = run(
        "phase_transition.py",
        "--dims",
        "1",
        "2",
        "--n",
        "5",
        "10",
        "--widths",
        "3",
        "9",
        "--trials",
        "10",
        "--out",
        str(tmp_path),
    ).stdout
    assert "NumPy default tolerance" in out
    lines = (tmp_path / "phase_transition.csv").read_text().splitlines()
    assert len(lines) == 1 + 2 * 2 * 2
    assert (tmp_path / "phase_transition.png").stat().st_size > 1000


def test_functional_dimension_script(tmp_path):
    pytest.importorskip("matplotlib")
    run("functional_dimension.py", "--widths", "3", "--max-depth", "2", "--batch", "30", "--out", str(tmp_path))
    rows = (tmp_path / "functional_dimension.csv").read_text().splitlines()
    assert rows[0].startswith("width,depth") and len(rows) == 3
    assert (tmp_path / "functional_dimension.png").exists()


def test_regions_picture_script(tmp_path):
    pytest.importorskip("matplotlib")
    out = run("regions_2d.py", "--out", str(tmp_path)).stdout
    assert "regions in" in out and (tmp_path / "regions_2d.png").stat().st_size > 10_000


def test_expressivity_script(tmp_path):
    pytest.importorskip("matplotlib")
    out = run(
        "expressivity.py",
        "--dims",
        "2",
        "3",
        "--widths",
        "4",
        "--depths",
        "1",
        "2",
        "--seeds",
        "2",
        "--samples",
        "20000",
        "--points",
        "5",
        "--out",
        str(tmp_path),
    ).stdout
    assert "bound" in out
    rows = (tmp_path / "expressivity.csv").read_text().splitlines()
    assert rows[0].startswith("d,width,depth") and len(rows) == 1 + 2 * 2
    assert (tmp_path / "expressivity.png").stat().st_size > 1000


def test_trained_digits_script(tmp_path):
    from optional import require

    for name in ("matplotlib", "sklearn", "torch"):
        require(name)
    out = run("trained_digits.py", "--epochs", "0", "2", "--out", str(tmp_path)).stdout
    assert "regions on the triangle" in out
    rows = (tmp_path / "trained_digits.csv").read_text().splitlines()
    assert rows[0].startswith("model,epoch") and len(rows) == 1 + 2 * 2
    assert (tmp_path / "trained_digits.png").stat().st_size > 10_000


def test_boundary_distance_script(tmp_path):
    pytest.importorskip("matplotlib")
    out = run(
        "boundary_distance.py", "--widths", "8", "16", "--depths", "1", "2", "--seeds", "1", "--points", "50",
        "--out", str(tmp_path),
    ).stdout  # fmt: skip
    assert "log-log slope" in out
    assert len((tmp_path / "boundary_distance.csv").read_text().splitlines()) == 1 + 4
    assert (tmp_path / "boundary_distance.png").exists()
