"""Every example in a module's docstrings runs as written (pytest collects only tests/, so run them here)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import vgptlint

# Every module of the package but the command line's entry points (importing them runs the CLI).
MODULES = sorted(module.name for module in pkgutil.walk_packages(vgptlint.__path__, "vgptlint.")
                 if not module.name.endswith(("__main__", ".launch")))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0


def test_the_examples_are_found():
    """Modules documented by examples are among them (a walk that found nothing would pass every test)."""
    assert {"vgptlint.globs", "vgptlint.refusal", "vgptlint.sql.tsql", "vgptlint.findings.spool"} <= set(MODULES)
    assert sum(doctest.testmod(importlib.import_module(name)).attempted for name in MODULES) > 150
