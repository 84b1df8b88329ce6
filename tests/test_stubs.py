"""The shipped stub `_core.pyi` names exactly what the extension exports."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import regions
from regions import _core


def _stub_tree():
    return ast.parse((Path(regions.__file__).parent / "_core.pyi").read_text())


def test_stub_lists_every_export_and_nothing_else():
    tree = _stub_tree()
    stub_names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    stub_names |= {t.target.id for t in tree.body if isinstance(t, ast.AnnAssign)}
    runtime = {n for n in dir(_core) if not n.startswith("__") or n == "__version__"}
    runtime.discard("__version__")
    stub_names.discard("__version__")
    assert stub_names - {"Progress"} == runtime


def test_stub_methods_match_runtime_classes():
    for node in _stub_tree().body:
        if isinstance(node, ast.ClassDef) and node.name != "LimitExceededError":
            cls = getattr(_core, node.name)
            stub = {f.name for f in node.body if isinstance(f, ast.FunctionDef)} - {"__new__"}
            real = {n for n, _ in inspect.getmembers(cls) if not n.startswith("_")}
            assert stub == real, node.name


def test_package_ships_py_typed():
    assert (Path(regions.__file__).parent / "py.typed").exists()
