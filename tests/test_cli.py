"""The `regions` command line."""

from __future__ import annotations

import pytest
import regions
from regions.cli import main


def test_demo_runs_small(capsys):
    assert main(["demo", "--points", "2000", "--samples", "5000", "--sizes", "3-8-8-1"]) == 0
    out = capsys.readouterr().out
    assert "distinct patterns" in out and "max-pooling" in out and "exact count" in out


def test_demo_writes_a_picture_in_2d(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "r.png"
    assert main(["demo", "--points", "2000", "--samples", "5000", "--sizes", "2-8-8-1", "--plot", str(png)]) == 0
    assert png.stat().st_size > 1000 and "wrote" in capsys.readouterr().out


def test_maxpool_1d_and_2d(capsys):
    assert main(["maxpool", "--n", "10", "--k", "4", "--stride", "2"]) == 0
    assert "164 linear regions" in capsys.readouterr().out
    assert main(["maxpool", "--grid", "4x4", "--window", "2x2", "--stride", "1"]) == 0
    expect = regions.maxpool.count_vertices_2d((4, 4), (2, 2), 1)
    assert f"{expect:,} linear regions" in capsys.readouterr().out
    assert main(["maxpool", "--n", "5000", "--k", "3", "--full"]) == 0
    assert str(regions.maxpool.count_vertices_1d(5000, 3, 1)) in capsys.readouterr().out


def test_cli_errors_are_messages_not_tracebacks(capsys):
    assert main(["maxpool", "--grid", "8x8"]) == 2
    assert "--window: required" in capsys.readouterr().err
    assert main(["maxpool", "--n", "3", "--k", "5"]) == 2
    assert "k: window 5 is larger" in capsys.readouterr().err


def test_landscape_table(capsys, tmp_path):
    csv = tmp_path / "pd.csv"
    assert main(["landscape", "--d", "1", "--n", "4,8", "--widths", "2:6:2", "--trials", "5", "--csv", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "P(full rank Jacobian)" in out and "NumPy default tolerance" in out
    assert csv.exists() and len(csv.read_text().splitlines()) == 7


def test_count_command(capsys, tmp_path):
    assert main(["count", "--sizes", "2-6-1", "--box=-50,50"]) == 0
    out = capsys.readouterr().out
    assert "linear regions on the box [-50, 50]^2" in out
    assert "serra_upper" in out
    # A 3-d box: the exact count of the full domain, equal to the API's.
    net3 = regions.Network.random([3, 8, 8, 1], seed=0)
    assert main(["count", "--sizes", "3-8-8-1"]) == 0
    out = capsys.readouterr().out
    assert f"{net3.regions(regions.Box.cube(3), count_only=True):,} linear regions on the box [-1, 1]^3" in out
    assert main(["count", "--sizes", "3-8-8-1", "--slice"]) == 0
    assert "triangle through 3 random points" in capsys.readouterr().out
    net = regions.Network.random([3, 5, 1], seed=1)
    net.save(tmp_path / "n.npz")
    assert main(["count", "--network", str(tmp_path / "n.npz"), "--segment", "0,0,0,1,1,1"]) == 0
    assert "segment" in capsys.readouterr().out
    assert main(["count", "--segment", "0,0,1"]) == 2
    assert "--segment: expected" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, code, frag",
    [
        (["count", "--network", "missing.npz"], 2, "No such file"),
        (["count", "--network", "."], 2, "Is a directory"),
        (["count", "--network", "{text}"], 2, "not a NumPy .npz archive"),
        (["count", "--box=-1,1,2"], 2, "expected lo,hi"),
        (["count", "--segment", "p,q"], 2, "expected comma-separated numbers"),
        (["count", "--sizes", "2-4-1", "--segment", "-1,1"], 2, "expected 2 x 2 comma-separated numbers"),
        (["count", "--sizes", "2-16-16-1", "--max-regions", "5"], 1, "more than 5 regions"),
        (["count", "--sizes", "2-4-1", "--plot", "/nonexistent/dir/x.png"], 2, "--plot: cannot write"),
        (["count", "--sizes", "3-4-1", "--plot", "{png}"], 2, "--plot: pictures are drawn for 2D"),
        (
            ["landscape", "--n", "5", "--widths", "4", "--trials", "2", "--csv", "/nonexistent/x.csv"],
            2,
            "--csv: cannot",
        ),
    ],
)
def test_count_errors_are_one_line(argv, code, frag, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = tmp_path / "text.npz"
    text.write_text("not a network")
    argv = [a.format(text=text, png=tmp_path / "x.png") for a in argv]
    try:
        got = main(argv)
        lines = 1
    except SystemExit as exc:  # argparse's own errors
        got, lines = exc.code, 1
    assert got == code
    err = capsys.readouterr().err
    assert frag in err and "Traceback" not in err and err.count("\n") == lines, err


def test_count_takes_negative_numbers_without_equals(capsys):
    assert main(["count", "--sizes", "2-4-1", "--box", "-2,2"]) == 0
    assert "[-2, 2]^2" in capsys.readouterr().out
    assert main(["count", "--sizes", "2-4-1", "--segment", "-1,-1,1,1"]) == 0


def test_version_and_distribution_name(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert regions.__version__ in out and "activation-regions" in out
    assert version("activation-regions") == regions.__version__


def test_a_long_count_is_announced_with_a_lower_bound_and_a_rate(capsys, monkeypatch):
    """Issue 31 item 4: a count that outlasts the first probe prints the regions found
    so far (a lower bound), their rate and the architecture's bound, then counts on."""
    from regions import cli

    monkeypatch.setattr(cli, "PROBE_SECONDS", 0.02)
    net = regions.Network.random([3, 32, 32, 32, 1], seed=0)
    assert main(["count", "--sizes", "3-32-32-32-1", "--quiet"]) == 0
    cap = capsys.readouterr()
    assert "counting: " in cap.err and "regions in the first 0.02 s" in cap.err and "Ctrl-C stops" in cap.err
    assert "for this architecture on all of R^n0" in cap.err
    assert f"{net.regions(regions.Box.cube(3), count_only=True):,} linear regions" in cap.out
    assert main(["count", "--sizes", "3-32-32-32-1", "--space", "--quiet"]) == 0
    assert "counting: " in capsys.readouterr().err
