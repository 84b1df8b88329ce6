"""Reliability under hostile use (issue 14): fork, bounded pools, deep walks, immutable
networks, huge sizes, Ctrl-C. Checks that could crash or hang run in their own
interpreter with a timeout, so a regression fails instead of taking the suite down."""

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
        # The threads of a dropped pool exit asynchronously: wait for them (up to 10 s).
        import time

        for _ in range(100):
            threads = len(os.listdir("/proc/self/task"))
            if threads <= 4 * 30 + 10:
                break
            time.sleep(0.1)
        print(threads)
        """
    )
    # At most 4 pools of sizes <= 30 stay (threads of dropped pools exit); 465 threads if
    # every pool were kept.
    assert int(out) <= 4 * 30 + 10


def test_idle_pools_release_their_threads_and_n_threads_is_capped():
    """After calls on 1..40 threads, an idle process keeps only the most recently used
    pool (the others are dropped 5 s after their last use); more threads than the cap
    (64, or 4 per hardware thread) is refused with the reason."""
    out = _run(
        """
        import os, time
        import numpy as np
        import regions

        net = regions.Network.random([2, 8, 1], seed=0)
        X = np.zeros((10, 2))
        for n in range(1, 41):
            net.count_patterns(X, n_threads=n)
        busy = len(os.listdir("/proc/self/task"))
        for _ in range(150):
            idle = len(os.listdir("/proc/self/task"))
            if idle <= 40 + 8:
                break
            time.sleep(0.1)
        try:
            net.count_patterns(X, n_threads=1000)
        except ValueError as exc:
            print(busy, idle, exc)
        """
    )
    busy, idle, message = out.split(" ", 2)
    assert int(busy) > 4 * 37  # four pools of 37..40 threads were cached
    assert int(idle) <= 40 + 8  # the last pool, the main thread, the reaper, BLAS
    assert message.startswith("n_threads: at most") and "got 1000" in message


def test_ten_thousand_cutting_units_do_not_overflow_the_stack():
    """A walk that cuts by 10^4 units of one layer (one split per unit along the path
    recursed 10^4 deep and crashed with SIGSEGV); the count against an exact oracle:
    one region more than the distinct breakpoints of the units inside the segment."""
    out = _run(
        """
        from fractions import Fraction as F
        import regions

        net = regions.Network.random([2, 10000, 1], seed=0)
        p, q = (-1.0, -1.0), (1.0, 1.0)
        got = net.regions_on_segment(p, q, count_only=True)
        W, b = net.layers[0].weights, net.layers[0].bias
        ts = set()
        for w, c in zip(W.tolist(), b.tolist()):
            at_p = F(w[0]) * F(p[0]) + F(w[1]) * F(p[1]) + F(c)
            slope = F(w[0]) * F(q[0] - p[0]) + F(w[1]) * F(q[1] - p[1])
            if slope != 0 and 0 < -at_p / slope < 1:
                ts.add(-at_p / slope)
        print(got, len(ts) + 1)
        """,
        timeout=120,
    )
    got, want = out.split()
    assert got == want


def test_a_network_is_immutable():
    """The Rust copy, `save()` and `affine_map` never disagree with the caller's arrays
    (issue 14: after `W *= -3`, `net(X)` was unchanged but `save()` wrote the new W)."""
    import numpy as np
    import regions

    W, b = np.array([[1.0, -2.0], [0.5, 1.0]]), np.array([0.1, -0.2])
    net = regions.Network.from_arrays([W, np.ones((1, 2))], [b, np.zeros(1)])
    X = np.random.default_rng(0).uniform(-1, 1, (20, 2))
    before = net(X).copy()
    W *= -3
    b += 1
    np.testing.assert_array_equal(net(X), before)
    np.testing.assert_array_equal(net.layers[0].weights, [[1.0, -2.0], [0.5, 1.0]])
    with pytest.raises(ValueError, match="read-only"):
        net.layers[0].weights[0, 0] = 5.0
    with pytest.raises(ValueError, match="kind: expected one of"):
        regions.Layer("tanh", np.ones((2, 2)), np.zeros(2))


def test_neuron_patterns_of_badly_scaled_data_raise_instead_of_crashing():
    """`neuron_patterns(X * 1e10)` recursed without end (SIGSEGV); the rank decisions at
    the relative tolerance now either shrink the arrangement or raise."""
    out = _run(
        """
        import numpy as np
        import regions.landscape as L

        X = np.random.default_rng(0).uniform(0, 1, (12, 2))
        for scale in (1e10, 1e9):
            try:
                L.neuron_patterns(X * scale)
                print("ok")
            except ValueError as e:
                assert str(e).startswith("X: "), e
                print("error")
        """
    )
    assert set(out.split()) <= {"ok", "error"}


POOLED_ADJACENCY = """
import numpy as np, regions
rng = np.random.default_rng(0)
L = [regions.Layer.dense(rng.normal(size=(48, 3)), rng.normal(size=48) * 0.5, "relu"),
     regions.MaxPool([[2 * i, 2 * i + 1] for i in range(24)], 48),
     regions.Layer.dense(rng.normal(size=(24, 24)), rng.normal(size=24) * 0.5, "relu")]
net = regions.Network.from_layers(L, np.ones((1, 24)), np.zeros(1))
net.regions(regions.Box.cube(3)).adjacency
"""
RANK = "import numpy as np; from regions import landscape; M = np.random.default_rng(0).standard_normal(({n}, {n})); landscape.matrix_rank(M, exact={exact})"

POLYTOPE_20K = """
import numpy as np, regions
th = np.random.default_rng(0).uniform(0, 2 * np.pi, 20000)
A = np.stack([np.cos(th), np.sin(th)], 1)
regions.Network.random([2, 4, 1]).regions(regions.Polytope(A, np.ones(20000)), count_only=True)
"""


@pytest.mark.parametrize(
    "argv",
    [
        # held the GIL and ignored Ctrl-C for over 60 s
        ["-c", "from regions import maxpool; maxpool.generating_function_1d(300)"],
        # the last layer's counting path never reached a cancel check (13.6 s run)
        ["-c", "import regions; regions.Network.random([2, 1200, 1, 1]).regions(regions.Box.cube(2), count_only=True)"],
        # one layer of 60,000 lines counted by their crossings (regions::lines, ~1 min)
        ["-c", "import regions; regions.Network.random([2, 60000, 1]).regions(regions.Box.cube(2), count_only=True)"],
        # the polytope was built with the GIL held, without checks
        ["-c", POLYTOPE_20K],
        # all of R^3: 7 facet walks of the homogenized network
        [
            "-c",
            "import regions; regions.Network.random([3, 64, 64, 64, 1]).regions(regions.Space(3), count_only=True)",
        ],
        # the CLI ignored SIGINT for 150 s
        ["-m", "regions", "count", "--sizes", "8-32-32-32-1"],
        # one cut of a box in R^18 (2^18 vertices) is O(V^2) pair tests without a check
        ["-c", "import regions; regions.Network.random([18, 1, 1]).regions(regions.Box.cube(18))"],
        # local counts in halfspace form: one box of d = 784 with LP certificates
        [
            "-c",
            "import numpy as np, regions; regions.Network.random([784, 64, 64, 10]).local_regions(np.zeros((1, 784)), 0.05)",
        ],
        # one large factorization: QR by panels, Ctrl-C between them (13.6 s late before)
        ["-c", RANK.format(n=5000, exact=False)],
        # exact rank mod p: the elimination checks every 8 pivots (30.9 s late at 5000)
        ["-c", RANK.format(n=4000, exact=True)],
        # exact adjacency of a max-pooling network: 49,105 exact cells (~7 s)
        ["-c", POOLED_ADJACENCY],
        # issue 32's calls that run for hours: no bound proves them too large, so they
        # must stop on Ctrl-C
        ["-c", "from regions import landscape; landscape.phase_diagram(2, [5], [5], 10**12)"],
        [
            "-c",
            "import numpy as np; from regions import landscape; "
            "landscape.neuron_patterns(np.random.default_rng(0).standard_normal((400, 3)))",
        ],
        ["-c", "from regions import maxpool; maxpool.count_vertices_1d(10**6, 10**4)"],
        ["-c", "from regions import maxpool; maxpool.f_vector(maxpool.windows_2d((5, 5), (2, 2)), max_faces=10**9)"],
        ["-c", "import regions; regions.Network.random([20, 1, 1]).regions(regions.Box.cube(20))"],
        # one draw of 10^5 units on 10^5 points was one task without a check
        [
            "-c",
            "import numpy as np; from regions import landscape; g = np.random.default_rng(0); "
            "landscape.patterns(g.standard_normal((10**5, 3)), g.standard_normal((10**5, 3)), packed=True)",
        ],
    ],
    ids=[
        "generating_function_1d",
        "last_layer_count",
        "line_count",
        "polytope_20k",
        "space_3d",
        "cli_count",
        "box_18d",
        "local_784",
        "matrix_rank",
        "matrix_rank_exact",
        "adjacency",
        "phase_diagram_1e12",
        "neuron_patterns_400x3",
        "count_vertices_1d_1e6",
        "f_vector_5x5",
        "cube_20",
        "patterns_1e5x1e5",
    ],  # fmt: skip
)
def test_ctrl_c_stops_within_seconds(argv):
    import signal
    import time

    proc = subprocess.Popen([sys.executable, *argv], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    time.sleep(2.0)
    assert proc.poll() is None, "the computation should still be running"
    t = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert time.perf_counter() - t < 3, "Ctrl-C took longer than 3 s"
    assert "KeyboardInterrupt" in err or proc.returncode in (130, -signal.SIGINT), (proc.returncode, err[-500:])


@pytest.mark.parametrize(
    "call, want",
    [
        ("maxpool.count_vertices([[0, 10**12]])", "2"),
        ("maxpool.count_vertices([[0, 1]], n=10**12)", "2"),
        ("maxpool.dimension([[0, 10**12]])", "1"),
        ("maxpool.f_vector([[0, 10**12]])", "[2, 1]"),
        ("maxpool.count_facets([[0, 10**12]])", "2"),
        ("maxpool.vertices([[0, 10**12]]).tolist()", "[[0], [1000000000000]]"),
        ("maxpool.count_vertices_2d((10**9, 1), (1, 1))", "1"),
    ],
)
def test_huge_index_ranges_need_no_memory(call, want):
    """Only the inputs a window family uses are allocated (these aborted the interpreter
    on a failed allocation of 8 TB)."""
    assert _run(f"from regions import maxpool; print({call})").strip() == want


def test_a_grid_too_large_for_memory_raises_memory_error():
    out = _run(
        """
        from regions import maxpool
        try:
            maxpool.count_vertices_2d((10**9, 10**9), (2, 2))
        except MemoryError as e:
            print(e)
        """
    )
    assert "windows of 2x2 inputs" in out and "more than 2^64 bytes" in out


def test_pattern_affine_map_rejects_bad_codes():
    import numpy as np
    import regions

    net = regions.Network.random([2, 3, 1], seed=0)
    pat = net.activation_patterns(np.zeros((1, 2)))[0]
    M, c = net.pattern_affine_map(pat)
    assert M.shape == (1, 2) and c.shape == (1,)
    with pytest.raises(ValueError, match=r"codes: expected shape \(3,\)"):
        net.pattern_affine_map(pat[:2])
    with pytest.raises(TypeError, match="codes: expected an integer"):
        net.pattern_affine_map(np.array([0.5, 1.0, 0.0]))
    with pytest.raises(ValueError, match="codes: layer 0 codes must be in 0..1"):
        net.pattern_affine_map(np.array([0, 2, 1]))


def test_components_validates_pairs():
    import numpy as np
    from regions import _core

    pairs = np.array([[2, 0], [3, 4]], dtype=np.int64)
    assert _core.components(5, pairs).tolist() == [0, 1, 0, 2, 2]
    with pytest.raises(ValueError, match="pairs"):
        _core.components(3, np.array([[0, 3]], dtype=np.int64))
    with pytest.raises(ValueError, match="pairs"):
        _core.components(3, np.array([[0, 1, 2]], dtype=np.int64))


def test_load_rejects_damaged_files_with_clear_errors(tmp_path):
    import numpy as np
    import regions

    net = regions.Network.random([2, 3, 3, 1], seed=0)
    good = tmp_path / "net.npz"
    net.save(good)
    with np.load(good) as f:
        arrays = {k: f[k] for k in f.files}

    def write(name, **changes):
        a = {k: v for k, v in {**arrays, **changes}.items() if v is not None}
        path = tmp_path / name
        np.savez(path, **a)
        return path

    cases = [
        (write("short.npz", kinds=arrays["kinds"][:1], alphas=arrays["alphas"][:1]), "lists 1 hidden layers"),
        (write("nokey.npz", W_out=None), "no array 'W_out'"),
        (write("kind.npz", kinds=np.array(["relu", "tanh"])), "unknown kind 'tanh'"),
        (write("version.npz", format_version=np.array(7)), "format_version 7"),
    ]
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:200])
    text = tmp_path / "text.npz"
    text.write_text("not a network")
    cases += [(truncated, "not a regions network file"), (text, "not a NumPy .npz archive")]
    for path, frag in cases:
        with pytest.raises(ValueError, match=frag):
            regions.Network.load(path)
    with pytest.raises(FileNotFoundError):
        regions.Network.load(tmp_path / "missing.npz")
    np.testing.assert_array_equal(regions.Network.load(good)(np.ones((1, 2))), net(np.ones((1, 2))))


def test_maxout_counting_streams():
    """Counting the regions of a maxout network kept every part of a layer in memory
    (1.1 GB for these 93,374 regions); it now streams like ReLU (tens of MB)."""
    out = _run(
        """
        import regions

        net = regions.Network.random([2, 300, 1], activation="maxout", k=3, seed=0)
        print(net.regions(regions.Box.cube(2), count_only=True))
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child of a
        # large pytest process (torch loaded) would report its parent's peak.
        hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")]
        print(int(hwm[0].split()[1]) // 1024)
        """,
        timeout=120,
    )
    count, rss_mb = (int(v) for v in out.split())
    assert count == 93374
    assert rss_mb < 300, f"{rss_mb} MB"


def _nets():
    import numpy as np
    import regions

    pool = regions.Network.from_layers(
        [regions.Layer.dense(np.eye(4), np.zeros(4)), regions.MaxPool([[0, 1], [1, 2], [2, 3]])],
        np.ones((1, 3)),
        np.zeros(1),
        input_dim=4,
    )
    return [
        regions.Network.random([4, 6, 5, 2], seed=0),
        regions.Network.random([4, 6, 1], activation="leaky_relu", alpha=0.2, seed=1),
        regions.Network.random([4, 3, 2, 1], activation="maxout", k=3, seed=2),
        pool,
    ]


def test_networks_pickle_and_deepcopy_as_their_arrays():
    import copy
    import pickle

    import numpy as np

    X = np.random.default_rng(0).normal(size=(50, 4))
    for net in _nets():
        for back in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
            assert back.sizes == net.sizes and back.activations == net.activations
            np.testing.assert_array_equal(back(X), net(X))
            np.testing.assert_array_equal(back.activation_patterns(X), net.activation_patterns(X))
            assert all(not l.weights.flags.writeable for l in back.layers if hasattr(l, "weights"))
            assert back.__dask_tokenize__() == net.__dask_tokenize__()
    tokens = {n.__dask_tokenize__() for n in _nets()}
    assert len(tokens) == 4


def test_network_token_is_the_same_in_another_process():
    import pickle

    net = _nets()[0]
    out = _run(
        f"""
        import pickle
        net = pickle.loads({pickle.dumps(net)!r})
        print(net.__dask_tokenize__())
        """
    )
    assert out.strip() == net.__dask_tokenize__()


def test_max_seconds_stops_a_long_walk_with_a_lower_bound():
    """``max_seconds`` (issue 31 item 4): past it the walk stops and raises
    LimitExceededError whose ``lower_bound`` is the number of regions found so far,
    at most the true count (777,147 for this network and box)."""
    import time

    import regions

    net = regions.Network.random([6, 12, 12, 12, 1], seed=0)
    for count_only in (True, False):
        t = time.perf_counter()
        with pytest.raises(regions.LimitExceededError, match="max_seconds: stopped after 0.3 s") as info:
            net.regions(regions.Box.cube(6), count_only=count_only, max_seconds=0.3)
        assert time.perf_counter() - t < 5.0
        lb = info.value.lower_bound
        assert isinstance(lb, int) and 0 < lb <= 777_147
        assert "lower bound, not the count" in str(info.value)
    small = regions.Network.random([2, 8, 1], seed=0)
    assert small.regions(regions.Box.cube(2), count_only=True, max_seconds=60) == small.regions(
        regions.Box.cube(2), count_only=True
    )
    pl = small.regions_on_plane([0, 0], [1, 0], [0, 1], (-1, 1, -1, 1), max_seconds=60)
    assert pl.count == small.regions(regions.Box.cube(2), count_only=True)
    for bad in (0, -1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="max_seconds: must be"):
            small.regions(regions.Box.cube(2), max_seconds=bad)
    with pytest.raises(TypeError, match="max_seconds"):
        small.regions(regions.Box.cube(2), max_seconds="1")
