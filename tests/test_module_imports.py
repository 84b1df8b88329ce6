"""The Python face's rooms: every module imports alone in a fresh interpreter, and the
module-level imports inside the package form no circle (layer and network types at the
bottom; regions, functional, importers and landscape above them). Imports inside
functions and under ``TYPE_CHECKING`` are the allowed way up."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import regions

ROOT = Path(regions.__file__).parent
MODULES = sorted(
    {"regions"}
    | {
        m.name
        for m in pkgutil.walk_packages([str(ROOT)], prefix="regions.")
        if m.name not in ("regions._core", "regions.__main__")
    }
)


@pytest.mark.parametrize("name", MODULES)
def test_every_module_imports_alone(name):
    done = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _path(name: str) -> Path:
    parts = name.split(".")[1:]
    base = ROOT.joinpath(*parts)
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _top_level_imports(name: str) -> set[str]:
    """The package modules ``name`` imports when it is executed (not in functions, not
    under ``if TYPE_CHECKING``)."""
    path = _path(name)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()

    def visit(stmts: list[ast.stmt]) -> None:
        for node in stmts:
            if isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
            elif isinstance(node, ast.ImportFrom) and node.level > 0:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    out.add(sub if sub in MODULES else target)
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name.startswith("regions."))

    visit(ast.parse(path.read_text()).body)
    out.discard(name)
    return {m for m in out if m in MODULES}


def test_no_import_circle():
    graph = {name: _top_level_imports(name) for name in MODULES}
    # A package's __init__ re-exporting its own modules is not a way up.
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if nxt == "regions" or (node.startswith(nxt + ".") and _path(nxt).name == "__init__.py"):
                continue  # importing one's own (parent) package first is how Python works
            if state.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join([*path, node, nxt]))
            if state.get(nxt) is None:
                visit(nxt, [*path, node])
        state[node] = 2

    for name in MODULES:
        if state.get(name) is None:
            visit(name, [])
