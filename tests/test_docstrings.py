"""Every public name has a NumPy-style docstring (the API docs render them).

Functions and methods that take arguments have a ``Parameters`` section, those that
return something have a ``Returns`` (or ``Yields``) section; properties and classes
have a docstring. Checked on the installed package, so a new public name without one
fails here before it reaches the rendered docs.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterator
from typing import Any

import regions
from regions import bounds, functional, landscape, maxpool
from regions import regions as regions_module

MODULES = [regions, bounds, functional, landscape, maxpool, regions_module]


def _public(module: types.ModuleType) -> Iterator[tuple[str, Any]]:
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType):
            continue
        if getattr(obj, "__module__", "").startswith("regions") or obj is getattr(regions, name, None):
            yield f"{module.__name__}.{name}", obj


def _members() -> Iterator[tuple[str, Any]]:
    seen: set[int] = set()
    for module in MODULES:
        for qual, obj in _public(module):
            if id(obj) in seen or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            seen.add(id(obj))
            yield qual, obj
            if inspect.isclass(obj) and obj.__module__.startswith("regions."):
                for name, member in vars(obj).items():
                    if name.startswith("_") and name not in ("__init__", "__call__"):
                        continue
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if isinstance(member, property) or inspect.isfunction(member):
                        yield f"{qual}.{name}", member


def _problems(qual: str, obj: Any) -> list[str]:
    doc = inspect.getdoc(obj.fget if isinstance(obj, property) else obj) or ""
    if not doc.strip():
        return [f"{qual}: no docstring"]
    if isinstance(obj, property) or inspect.isclass(obj):
        return []
    if qual.endswith("__init__"):
        return []  # documented on the class
    sig = inspect.signature(obj)
    params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
    out = []
    if params and "Parameters\n----------" not in doc:
        out.append(f"{qual}: no Parameters section")
    ret = sig.return_annotation
    if ret not in (None, "None", inspect.Signature.empty) and not any(
        s in doc for s in ("Returns\n-------", "Yields\n------")
    ):
        out.append(f"{qual}: no Returns section")
    return out


def test_every_public_name_has_a_numpy_docstring() -> None:
    problems = [p for qual, obj in _members() for p in _problems(qual, obj)]
    assert not problems, "\n".join(problems)
