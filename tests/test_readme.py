"""The README's Python blocks run as pasted (each in a fresh interpreter) and the numbers
they state are the library's: a stale number or an undefined name fails here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)

# For each block: an expression evaluated after it, and the value the README states.
CHECKS = {
    0: ("net.count_patterns(X)", "10303"),
    1: ("regions.bounds.serra_upper(2, [4, 4])", "121"),
    2: ("net.regions(Box.cube(3), count_only=True)", "133592"),
    3: ("maxpool.count_vertices_2d((8, 8), (2, 2), stride=1)", "478874282964673596952600"),
    4: ("landscape.count_regions(X, width=100)[1]", "2452"),
}


def test_the_readme_has_the_blocks_checked_here() -> None:
    assert len(BLOCKS) == len(CHECKS)


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_readme_block_runs_as_pasted(i: int, tmp_path: Path) -> None:
    expr, stated = CHECKS[i]
    # The number is the one the block's comment states (thousands separators aside).
    assert stated in BLOCKS[i].replace(",", "")
    code = BLOCKS[i] + f"\nprint('README-CHECK', {expr})\n"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = proc.stdout.strip().splitlines()[-1]
    assert got == f"README-CHECK {stated}", got
