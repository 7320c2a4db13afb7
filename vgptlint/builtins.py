"""Import every built-in function, fixer, accumulator and reporter module so they register."""
from __future__ import annotations

import importlib
from functools import cache

MODULES = (
    "vgptlint.functions.text",
    "vgptlint.functions.shape",
    "vgptlint.functions.sql",
    "vgptlint.fixes.sql",
    "vgptlint.fixes.record",
    "vgptlint.reports.text",
    "vgptlint.reports.table",
    "vgptlint.reports.json",
    "vgptlint.reports.sarif",
    "vgptlint.reports.github",
)


@cache
def load_builtins() -> None:
    for name in MODULES:
        importlib.import_module(name)
