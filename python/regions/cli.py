"""The ``regions`` command line.

``regions demo`` is the README's main job: a default random network, the patterns of a
million points, and the number of distinct patterns, with timings.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np


def _parse_sizes(text: str) -> list[int]:
    try:
        return [int(t) for t in text.replace("x", "-").split("-")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 2-64-64-1, got {text!r}") from None


def _table(rows: list[tuple[str, str]]) -> str:
    w = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{w}}  {v}" for k, v in rows)


def cmd_demo(args: argparse.Namespace) -> int:
    import regions

    net = regions.Network.random(args.sizes, activation=args.activation, seed=args.seed)
    d = net.input_dim
    X = np.random.default_rng(args.seed).uniform(-1.0, 1.0, (args.points, d))
    print(f"regions {regions.__version__}: {net!r}, {regions.get_num_threads()} threads")
    rows: list[tuple[str, str]] = []
    t = time.perf_counter()
    packed = net.activation_patterns(X, packed=True, n_threads=args.threads)
    t_pat = time.perf_counter() - t
    rows.append(
        (
            "patterns",
            f"{packed.shape[0]:,} points x {net.n_hidden} units in {t_pat:.3f} s "
            f"({packed.shape[0] / t_pat / 1e6:.1f} M points/s)",
        )
    )
    t = time.perf_counter()
    count = net.count_patterns(X, n_threads=args.threads)
    t_cnt = time.perf_counter() - t
    rows.append(("distinct patterns", f"{count:,} among {args.points:,} points in [-1, 1]^{d} ({t_cnt:.3f} s)"))
    t = time.perf_counter()
    sampled = net.count_patterns_sampled(-1.0, 1.0, args.samples, seed=args.seed, n_threads=args.threads)
    t_s = time.perf_counter() - t
    rows.append(
        ("sampled in Rust", f"{sampled:,} distinct among {args.samples:,} samples ({t_s:.3f} s, no input array)")
    )
    print(_table(rows))
    if d <= 6:
        print(f"\nexact linear regions in [-1, 1]^{d} (the sampled counts above are lower bounds)")
        t = time.perf_counter()
        exact = net.regions(regions.Box.cube(d), count_only=True, n_threads=args.threads)
        erows = [("exact count", f"{exact:,} regions ({time.perf_counter() - t:.3f} s)")]
        b = net.bounds().get("serra_upper (Serra et al. 2018)")
        if isinstance(b, int):
            erows.append(("upper bound, all of R^d", f"{b:,} (Serra et al. 2018)"))
        print(_table(erows))
        if d == 2 and args.plot:
            try:
                import matplotlib

                matplotlib.use("Agg")
                rs = net.regions_on_plane([0.0, 0.0], [1.0, 0.0], [0.0, 1.0], (-1, 1, -1, 1))
                rs.plot().figure.savefig(args.plot, dpi=110)
                print(f"wrote {args.plot} (the regions in colours, output 0 = 0 in black)")
            except ImportError:
                print("(pip install matplotlib, the 'plot' extra of activation-regions, for a picture of the regions)")
    print("\nmax-pooling layers: exact linear regions (vertices of Minkowski sums of simplices)")
    from regions import maxpool

    prow = []
    cases: list[tuple[str, Callable[[], int]]] = [
        ("1D n=100, k=3, stride 1", lambda: maxpool.count_vertices_1d(100, 3, 1)),
        ("1D n=10^5, k=3, stride 1", lambda: maxpool.count_vertices_1d(100_000, 3, 1)),
        ("2D 6x6 grid, 2x2 windows, stride 1", lambda: maxpool.count_vertices_2d((6, 6), (2, 2), 1)),
        ("2D 6x6 grid, 3x3 windows, stride 1", lambda: maxpool.count_vertices_2d((6, 6), (3, 3), 1)),
    ]
    for label, fn in cases:
        t = time.perf_counter()
        v = fn()
        prow.append((label, f"{_short_int(v)}  ({time.perf_counter() - t:.3f} s)"))
    print(_table(prow))
    return 0


def _short_int(v: int) -> str:
    """Exact for up to 30 digits, else mantissa and digit count (no huge str())."""
    import math

    if v < 10**30:
        return f"{v:,}"
    lg = math.log10(v)
    return f"{10 ** (lg - math.floor(lg)):.6f}e+{math.floor(lg)} ({math.floor(lg) + 1:,} digits)"


def cmd_maxpool(args: argparse.Namespace) -> int:
    from regions import maxpool

    t = time.perf_counter()
    if args.grid is not None:
        if args.window is None:
            raise ValueError("--window: required with --grid (e.g. --window 2x2)")
        v = maxpool.count_vertices_2d(args.grid, args.window, args.stride, progress=args.progress)
        what = f"{args.grid} grid, {args.window} windows, stride {args.stride}"
    else:
        if args.n is None or args.k is None:
            raise ValueError("give --n and --k (1D) or --grid and --window (2D)")
        v = maxpool.count_vertices_1d(args.n, args.k, int(args.stride))
        what = f"1D n={args.n}, k={args.k}, stride {args.stride}"
    dt = time.perf_counter() - t
    if args.full:
        sys.set_int_max_str_digits(0)
    print(f"max-pooling {what}: {v if args.full else _short_int(v)} linear regions ({dt:.3f} s)")
    return 0


def cmd_landscape(args: argparse.Namespace) -> int:
    from regions import landscape

    if args.csv:
        _check_output(args.csv, "--csv")
    t = time.perf_counter()
    pd = landscape.phase_diagram(
        args.d,
        args.n,
        args.widths,
        args.trials,
        data=args.data,
        scheme=args.scheme,
        exact=args.exact,
        seed=args.seed,
        n_threads=args.threads,
        progress=args.progress,
    )
    dt = time.perf_counter() - t
    print(
        f"P(full rank Jacobian), d = {args.d}, {args.trials} trials per cell, data {args.data}, "
        f"scheme {args.scheme}; {pd.rank_rule()}; {dt:.2f} s"
    )
    head = "n \\ width".rjust(11) + "".join(f"{m:>7d}" for m in pd.widths)
    print(head)
    for i, n in enumerate(pd.n_values):
        print(f"{n:>11d}" + "".join(f"{p:7.2f}" for p in pd.p_full[i]))
    if args.csv:
        pd.to_csv(args.csv)
        print(f"wrote {args.csv}")
    return 0


def _floats(text: str) -> list[float]:
    try:
        return [float(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _box(text: str) -> list[float]:
    v = _floats(text)
    if len(v) != 2 or not v[0] < v[1]:
        raise argparse.ArgumentTypeError(f"expected lo,hi with lo < hi, got {text!r}")
    return v


def _check_output(path: str, what: str) -> None:
    """Fail before any computation when ``path`` cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise ValueError(f"{what}: cannot write {path!r}")


PROBE_SECONDS = 1.0


def _count_with_estimate(net: Any, domain: Any, args: argparse.Namespace) -> int:
    """Count the regions of ``domain``; a count that takes longer than a first probe
    of ``PROBE_SECONDS`` is announced first (the regions found so far, a lower bound,
    their rate, and the architecture's bound on R^n0 with the time it would take at
    that rate), refused when the lower bound already exceeds ``--max-regions``, and
    then counted with a progress bar on a terminal (``--quiet``: none)."""
    import sys

    import regions

    kw = {"count_only": True, "max_regions": args.max_regions}
    if args.progress:
        return int(net.regions(domain, progress=True, **kw))
    try:
        return int(net.regions(domain, max_seconds=PROBE_SECONDS, **kw))
    except regions.LimitExceededError as e:
        found = getattr(e, "lower_bound", None)
        if found is None:
            raise
    if found > args.max_regions:
        raise regions.LimitExceededError(
            f"--max-regions: more than {args.max_regions:,} regions ({found:,} found in the first "
            f"{PROBE_SECONDS:g} s); raise --max-regions to count them"
        )
    rate = found / PROBE_SECONDS
    uppers = [v for k, v in net.bounds().items() if "upper" in k and isinstance(v, int)]
    bound = min(uppers) if uppers else None
    msg = f"counting: {found:,} regions in the first {PROBE_SECONDS:g} s ({rate:,.0f}/s)"
    if isinstance(bound, int) and rate > 0:
        msg += f"; at most {bound:,} for this architecture on all of R^n0 (up to {bound / rate:,.0f} s at this rate)"
    print(msg + "; Ctrl-C stops", file=sys.stderr, flush=True)
    show = not args.quiet and sys.stderr.isatty()
    if show:
        try:
            import tqdm  # noqa: F401
        except ImportError:
            show = False
    return int(net.regions(domain, progress=show, **kw))


def cmd_count(args: argparse.Namespace) -> int:
    import regions

    if args.plot:
        _check_output(args.plot, "--plot")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise ValueError("--plot: needs matplotlib (pip install matplotlib)") from None
    if args.max_regions < 1:
        raise ValueError(f"--max-regions: must be >= 1, got {args.max_regions}")
    net = (
        regions.Network.load(args.network)
        if args.network
        else regions.Network.random(args.sizes, activation=args.activation, seed=args.seed)
    )
    d = net.input_dim
    if args.segment is not None and len(args.segment) != 2 * d:
        raise ValueError(f"--segment: expected 2 x {d} comma-separated numbers (p then q), got {len(args.segment)}")
    if args.space and (args.segment is not None or args.slice or args.plot):
        raise ValueError("--space: counts all of R^d; it does not combine with --segment, --slice or --plot")
    if args.plot and args.segment is None and not (args.slice or d > args.max_dim) and d > 2:
        raise ValueError("--plot: pictures are drawn for 2D boxes, segments and slices (use --slice)")
    t = time.perf_counter()
    rs: regions.RegionSet | int
    if args.segment is not None:
        p, q = args.segment[:d], args.segment[d:]
        rs = net.regions_on_segment(p, q, progress=args.progress)
        what = "segment"
    elif args.space:
        rs = _count_with_estimate(net, regions.Space(d), args)
        what = f"all of R^{d}"
    else:
        lo, hi = args.box
        if args.slice or d > args.max_dim:
            rng = np.random.default_rng(args.seed)
            x0, x1, x2 = rng.uniform(lo, hi, (3, d))
            rs = net.regions_through(x0, x1, x2, progress=args.progress)
            what = f"the triangle through 3 random points of [{lo:g}, {hi:g}]^{d}"
        else:
            box = regions.Box.cube(d, lo, hi)
            if args.plot and d <= 2:
                rs = net.regions(box, max_regions=args.max_regions, progress=args.progress)
            else:
                rs = _count_with_estimate(net, box, args)
            what = f"the box [{lo:g}, {hi:g}]^{d}"
    dt = time.perf_counter() - t
    count = rs if isinstance(rs, int) else rs.count
    print(f"{net!r}: {count:,} linear regions on {what} ({dt:.3f} s, {count / max(dt, 1e-9):,.0f} regions/s)")
    print("bounds on the maximum number of regions of this architecture (all of R^n0, any weights):")
    for name, value in net.bounds().items():
        print(f"  {name}: {value if isinstance(value, str) else f'{value:,}'}")
    if args.plot:
        if isinstance(rs, int):
            raise ValueError("--plot: pictures are drawn for 2D boxes, segments and slices (use --slice)")
        import matplotlib

        matplotlib.use("Agg")
        rs.plot().figure.savefig(args.plot, dpi=110)
        print(f"wrote {args.plot}")
    return 0


def _ints(text: str) -> list[int]:
    try:
        if ":" in text:
            a, b, s = (int(t) for t in text.split(":"))
            return list(range(a, b + 1, s))
        return [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a list like 10,20,30 or a range like 10:100:10, got {text!r}"
        ) from None


class _Parser(argparse.ArgumentParser):
    """Argument errors in one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    import regions

    p = _Parser(prog="regions", description="Activation regions of piecewise-linear networks.")
    p.add_argument(
        "--version", action="version", version=f"regions {regions.__version__} (distribution activation-regions)"
    )
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="patterns and distinct patterns of a random network on a million points")
    demo.add_argument(
        "--sizes",
        type=_parse_sizes,
        default=[2, 64, 64, 64, 1],
        help="layer sizes input-hidden...-output (default 2-64-64-64-1)",
    )
    demo.add_argument("--activation", default="relu", choices=["relu", "leaky_relu", "maxout"])
    demo.add_argument("--points", type=int, default=1_000_000)
    demo.add_argument("--samples", type=int, default=10_000_000)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--threads", type=int, default=None)
    demo.add_argument(
        "--plot",
        default="regions_demo.png",
        help="picture of the regions of a 2D network (default regions_demo.png; '' for none)",
    )
    demo.set_defaults(func=cmd_demo)
    mp = sub.add_parser("maxpool", help="exact number of linear regions of a max-pooling layer")
    mp.add_argument("--n", type=int, help="1D: number of inputs")
    mp.add_argument("--k", type=int, help="1D: window size")
    mp.add_argument("--grid", help="2D: grid RxC, e.g. 8x8")
    mp.add_argument("--window", help="2D: window RxC, e.g. 2x2")
    mp.add_argument("--stride", default="1", help="stride (1D: int; 2D: int or RxC)")
    mp.add_argument("--full", action="store_true", help="print every digit")
    mp.add_argument("--progress", action="store_true")
    mp.set_defaults(func=cmd_maxpool)
    ct = sub.add_parser(
        "count", help="exact linear regions in a box [lo, hi]^d, all of R^d, a plane slice or a segment"
    )
    ct.add_argument("--network", help="a network saved with Network.save (.npz)")
    ct.add_argument("--sizes", type=_parse_sizes, default=[2, 32, 32, 32, 1], help="random network sizes")
    ct.add_argument("--activation", default="relu", choices=["relu", "leaky_relu", "maxout"])
    ct.add_argument("--box", type=_box, default=[-1.0, 1.0], help="lo,hi of the box, e.g. --box -2,2 (default -1,1)")
    ct.add_argument(
        "--segment", type=_floats, default=None, help="p then q: 2 x d comma-separated numbers, e.g. -1,-1,1,1"
    )
    ct.add_argument(
        "--slice",
        action="store_true",
        help="count on the triangle through 3 random points of the box instead of the whole box",
    )
    ct.add_argument("--space", action="store_true", help="count on all of R^d (exact; unbounded regions included)")
    ct.add_argument(
        "--max-dim",
        type=int,
        default=8,
        help="count in the whole box up to this input dimension, on a slice above it (default 8)",
    )
    ct.add_argument("--max-regions", type=int, default=100_000_000, help="stop with an error beyond this count")
    ct.add_argument("--seed", type=int, default=0)
    ct.add_argument("--plot", default=None, help="write a picture of the regions (PNG)")
    ct.add_argument("--progress", action="store_true", help="a progress bar from the start")
    ct.add_argument(
        "--quiet", action="store_true", help="no progress bar on a terminal for counts longer than a second"
    )
    ct.set_defaults(func=cmd_count)
    ls = sub.add_parser("landscape", help="phase diagram of full-rank Jacobians in parameter space")
    ls.add_argument("--d", type=int, default=2, help="input dimension")
    ls.add_argument("--n", type=_ints, default=list(range(10, 101, 10)), help="data sizes, e.g. 10:100:10")
    ls.add_argument("--widths", type=_ints, default=list(range(30, 301, 30)), help="widths, e.g. 30:300:30")
    ls.add_argument("--trials", type=int, default=100)
    ls.add_argument("--data", default="uniform01", choices=["uniform01", "gaussian"])
    ls.add_argument("--scheme", default="init", choices=["init", "uniform", "nonempty"])
    ls.add_argument("--exact", action="store_true", help="exact ranks over Q")
    ls.add_argument("--seed", type=int, default=0)
    ls.add_argument("--threads", type=int, default=None)
    ls.add_argument("--csv", default=None, help="also write the table as CSV")
    ls.add_argument("--progress", action="store_true")
    ls.set_defaults(func=cmd_landscape)
    return p


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--box -1,1`` as ``--box=-1,1``: argparse takes a value that starts with ``-``
    for an option, so numbers after these options are joined to them."""
    out: list[str] = []
    for tok in argv:
        if out and out[-1] in ("--box", "--segment") and tok[:1] == "-" and (tok[1:2].isdigit() or tok[1:2] == "."):
            out[-1] = f"{out[-1]}={tok}"
        else:
            out.append(tok)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; every failure is one line on stderr, no traceback: exit
    status 2 for bad arguments or files, 1 for a limit or memory, 130 for Ctrl-C."""
    import regions

    args = build_parser().parse_args(_join_negative_values(list(sys.argv[1:] if argv is None else argv)))
    try:
        return int(args.func(args))
    except (ValueError, TypeError, OSError) as exc:
        print(f"regions: error: {exc}", file=sys.stderr)
        return 2
    except (regions.LimitExceededError, MemoryError) as exc:
        print(f"regions: error: {exc or type(exc).__name__}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("regions: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
