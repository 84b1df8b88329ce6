"""Optional test dependencies: skipped locally when missing, a failure in CI.

The importer parity tests must run in CI (issue 10): there, ``CI`` is set and a missing
``torch`` or ``onnx`` fails the test instead of skipping it.
"""

import importlib
import os

import pytest


def require(name: str):
    """Import ``name``; without it, skip (or fail when the ``CI`` variable is set)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI (the test extras install it)")
        pytest.skip(f"{name} is not installed", allow_module_level=True)
