"""Where the shipped rule packs and policies live, installed or in a source checkout."""
from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def builtin_dir(kind: str) -> Path:
    """``rules`` or ``policies``: package data in a wheel, the top-level folder in a checkout."""
    installed = _PACKAGE_DIR / f"_{kind}"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / kind


def builtin_files(kind: str) -> list[Path]:
    return sorted(p for p in builtin_dir(kind).glob("*.yaml") if p.is_file())
