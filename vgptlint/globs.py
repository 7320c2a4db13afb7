"""File globs with .gitignore's rules (pathspec), for overrides, datasets, ignores and --exclude.

As in ``.gitignore`` (and ESLint's flat-config ``files``): a pattern with a ``/`` is anchored at the
working directory, and its ``*`` stays inside one folder (``data/*.jsonl`` matches ``data/a.jsonl``,
not ``data/sub/b.jsonl``); ``**`` crosses folders (``data/**/*.jsonl``); a pattern without a ``/``
matches a file name at any depth (``kto.jsonl``, ``*.parquet``); a trailing ``/`` names a folder
and everything under it.

>>> matches("data/a.jsonl", "data/*.jsonl"), matches("data/sub/b.jsonl", "data/*.jsonl")
(True, False)
>>> matches("./data/sub/b.jsonl", "data/**/*.jsonl"), matches("data/sub/b.jsonl", "b.jsonl")
(True, True)
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec


@lru_cache(maxsize=512)
def _spec(pattern: str) -> pathspec.GitIgnoreSpec:
    import pathspec  # here, not at the top: most runs match no glob, and importing it costs ~14 ms
    return pathspec.GitIgnoreSpec.from_lines([pattern])


def matches(path: str, pattern: str) -> bool:
    """Whether ``path`` (as displayed: relative to the working directory) matches ``pattern``."""
    return _spec(pattern).match_file(_normal(path))


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    return any(matches(path, p) for p in patterns)


def _normal(path: str) -> str:
    text = PurePath(path).as_posix()
    while text.startswith("./"):
        text = text[2:]
    return text
