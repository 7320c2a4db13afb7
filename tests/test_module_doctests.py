"""Doctests of modules whose examples document them (pytest collects only tests/, so run them here)."""
from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["vgptlint.globs", "vgptlint.sql.catalog_derive", "vgptlint.reports.html", "vgptlint.refusal"])
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
