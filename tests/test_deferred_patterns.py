"""A module's DeferredPattern compiles at its first use, so nothing else would say that one does not
compile until a run reached it: every one in the package is compiled here."""
from __future__ import annotations

import importlib
from pathlib import Path

from vgptlint.deferred import DeferredPattern

PACKAGE = Path(__file__).resolve().parent.parent / "vgptlint"


def test_every_deferred_pattern_in_the_package_compiles():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if " = DeferredPattern(" in path.read_text(encoding="utf-8"):
            module = importlib.import_module(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
            found += [value for value in vars(module).values() if isinstance(value, DeferredPattern)]
    assert len(found) >= 23  # sql/tsql.py and sql/parse.py
    for pattern in found:
        assert pattern.compiled().pattern == pattern.deferred_pattern[0]
