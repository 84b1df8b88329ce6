"""The table of issue 32's hostile cases (run by hand: ``python tests/hostile_table.py``).

Every case runs in its own interpreter under a 4 GB address-space cap. A case prints
its answer or the exception's name and message; a case marked ``long`` (no bound
proves it too large, so it must stop on Ctrl-C) gets SIGINT after 3 s and must stop
within a second. An abort, a crash or a hang shows as such. The tests cover each case
(``test_hostile.py``, ``test_hostile_rest.py``, ``test_reliability.py``); this script
prints them side by side for the closing note.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

CAP = 4 * 2**30
PRELUDE = """
import numpy as np
import regions
from regions import Box, landscape, maxpool, bounds
X = np.random.default_rng(0).uniform(0, 1, (12, 2))
try:
    out = {code}
    print("OK", repr(out)[:100] if not isinstance(out, int) else ("int of %d bits" % out.bit_length()))
except Exception as exc:
    print(type(exc).__name__, str(exc)[:160])
"""

# (kind, code, long)
CASES = [
    ("abort", "regions.Network.random([100, 10000, 900, 1]).parameter_jacobian(np.zeros((100, 100))).shape", False),
    ("abort", "regions.Network.random([2, 10**6, 1]).activation_patterns(np.zeros((10**4, 2))).shape", False),
    ("abort", "maxpool.count_vertices_2d((10**5, 10**5), (10**5, 10**5))", False),
    ("abort", "maxpool.generating_function_1d(10**5)", False),
    ("abort", "maxpool.recurrence_1d(10**6)", False),
    ("abort", "maxpool.count_vertices_2d((12, 12), (2, 2))", False),
    ("abort", "regions.Network.random([784, 256, 256, 10]).parameter_jacobian(np.zeros((2000, 784))).shape", False),
    ("abort", "maxpool.vertices(maxpool.windows_1d(200, 3), limit=10**9).shape", False),
    ("endless", "bounds.zaslavsky(10**5, 10**5)", False),
    ("endless", "landscape.phase_diagram(2, [5], [5], 10**12)", True),
    ("endless", "landscape.neuron_patterns(np.random.default_rng(0).standard_normal((400, 3))).shape", True),
    ("endless", "maxpool.count_vertices_1d(10**12, 3)", False),
    ("endless", "maxpool.count_vertices_1d(10**6, 10**4)", True),
    ("endless", "maxpool.f_vector(maxpool.windows_2d((5, 5), (2, 2)), max_faces=10**9)", True),
    ("endless", "regions.Network.random([20, 1, 1]).regions(Box.cube(20))", True),
    (
        "late Ctrl-C",
        "landscape.patterns(*np.random.default_rng(0).standard_normal((2, 10**5, 3)), packed=True).shape",
        True,
    ),
    (
        "late Ctrl-C",
        "landscape.matrix_rank(np.random.default_rng(0).standard_normal((5000, 5000)), exact=True)",
        True,
    ),
    ("late Ctrl-C", "landscape.matrix_rank(np.random.default_rng(0).standard_normal((4000, 4000)))", True),
    (
        "late Ctrl-C",
        "landscape.jacobian_rank(np.random.default_rng(0).standard_normal((4000, 3)), "
        "np.random.default_rng(1).random((4000, 4000)) < 0.5, exact=True)",
        True,
    ),
    ("wrong", "regions.Network.random([2, 4, 1]).count_patterns_sampled(-1e308, 1e308, 100)", False),
    (
        "wrong",
        "[landscape.jacobian_rank(np.random.default_rng(0).standard_normal((20, 3)), "
        "np.random.default_rng(1).random((12, 20)) < 0.5, np.ones(12) * s) for s in (1e-170, 1e-160, 1.0)]",
        False,
    ),
    ("silent", "regions.Network.random([2, 4, 1]).activation_patterns(X, progress='yes')", False),
    ("silent", "landscape.neuron_patterns(X, bias='no')", False),
    ("silent", "landscape.matrix_rank(np.eye(3), tol=-1)", False),
    ("silent", "landscape.full_rank_fraction(X, 3, 5, tol=-1e-3)", False),
    ("silent", "landscape.phase_diagram(2, [3], [2], 2, tol=-1)", False),
    ("silent", "regions.Network.random([2, 4, 1])(np.full((3, 2), 1e308))", False),
    ("silent", "regions.Network.random([2, 4, 1]).activation_patterns(np.full((3, 2), 1e308))", False),
    ("silent", "landscape.patterns(X * 1e308, np.ones((3, 2)), np.zeros(3))", False),
    ("silent", "landscape.sample_patterns(X * 1e308, 3, 4)", False),
    ("silent", "regions.MaxPool([[0, 1]], n_in=7)", False),
    ("silent", "regions.MaxPool([[0, 2**62]])", False),
    ("silent", "bounds.all_bounds(2, [3], 'sigmoid')", False),
    ("unclear", "regions.Network.from_arrays(None, None)", False),
    ("unclear", "regions.Network.random(5)", False),
    ("unclear", "bounds.serra_upper(None, [3])", False),
    ("unclear", "maxpool.windows_2d(None, (2, 2))", False),
    ("unclear", "landscape.phase_diagram(2, 3, [2], 2)", False),
    ("unclear", "regions.Network.random([2, 4, 1]).local_regions(np.zeros((1, 2)), 1e-300)", False),
    ("unclear", "maxpool.count_vertices([[0, 2**63]])", False),
    ("unclear", "regions.Network.random([2, 4, 1]).regions(Box.cube(2)).affine_map(-1)", False),
    ("unclear", "regions.Network.random([2, 4, 1]).regions(Box.cube(2)).affine_map(10**6)", False),
    ("unclear", "regions.Network.load('/nonexistent/net')", False),
    ("unclear", "regions.set_num_threads(1024)", False),
]


def capped() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def run(code: str, long: bool) -> tuple[str, float]:
    p = subprocess.Popen(
        [sys.executable, "-c", PRELUDE.format(code=code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=capped,
    )
    t0 = time.perf_counter()
    try:
        out, err = p.communicate(timeout=3.0 if long else 120.0)
    except subprocess.TimeoutExpired:
        if not long:
            p.kill()
            return "HANG (over 120 s)", time.perf_counter() - t0
        t = time.perf_counter()
        p.send_signal(signal.SIGINT)
        try:
            out, err = p.communicate(timeout=10.0)
        except subprocess.TimeoutExpired:
            p.kill()
            return "NO STOP within 10 s of Ctrl-C", time.perf_counter() - t0
        last = (err.strip().splitlines() or ["?"])[-1]
        return f"stopped {time.perf_counter() - t:.2f} s after Ctrl-C ({last[:40]})", time.perf_counter() - t0
    if p.returncode != 0:
        return f"ABORT/CRASH (code {p.returncode}): {err.strip()[-120:]}", time.perf_counter() - t0
    return out.strip().replace("|", "/"), time.perf_counter() - t0


def main() -> None:
    print("| kind | call | outcome | s |")
    print("|---|---|---|---|")
    for kind, code, long in CASES:
        outcome, secs = run(code, long)
        print(f"| {kind} | `{code}` | {outcome} | {secs:.1f} |", flush=True)


if __name__ == "__main__":
    main()
