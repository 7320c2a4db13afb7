"""A content-addressed cache for work that depends only on a file's bytes (parsed YAML policies and
catalogs) or a library's version (what loading a policy asks of sqlglot: vgptlint.sql.deferred).

Start-up matters: a pre-commit hook or a CI gate on a small file pays it on every run, and parsing the
shipped rule packs with ruamel's pure-Python round-trip loader was most of it (≈0.2 s, ten times
unpickling the same trees). An entry is keyed by a hash of the bytes plus everything that shapes the
result (the kind of entry, vgptlint's, ruamel's and Python's versions), so an edited policy, an
upgrade or another interpreter simply misses; nothing is ever invalidated by time.

Where: ``$VGPTLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/vgptlint``, else ``~/.cache/vgptlint``.
``VGPTLINT_NO_CACHE=1`` turns it off. The cache is an optimization only: an unreadable, corrupt or
unwritable entry is ignored (and rebuilt), never an error. At most ``MAX_ENTRIES`` entries are kept.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from vgptlint import __version__

T = TypeVar("T")
MAX_ENTRIES = 256
_FORMAT = "1"


_turned_off = False  # inside `turned_off()`: --no-cache


@contextmanager
def turned_off(is_off: bool = True) -> Iterator[None]:
    """No cache at all while inside (``--no-cache``), as if ``VGPTLINT_NO_CACHE=1`` were set."""
    global _turned_off
    previous, _turned_off = _turned_off, _turned_off or is_off
    try:
        yield
    finally:
        _turned_off = previous


def cache_dir() -> Path | None:
    """The cache directory, or None when caching is turned off."""
    if _turned_off or os.environ.get("VGPTLINT_NO_CACHE", "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get("VGPTLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vgptlint"


def entry_key(kind: str, content: bytes, *versions: str) -> str:
    digest = hashlib.blake2b(digest_size=20)
    for piece in (_FORMAT, kind, __version__, sys.version, *versions):
        digest.update(piece.encode())
        digest.update(b"\0")
    digest.update(content)
    return f"{kind}-{digest.hexdigest()}"


def cached(kind: str, content: bytes, build: Callable[[], T], *versions: str) -> T:
    """``build()``'s result for these bytes: from the cache when an entry exists, else built and stored.

    ``build`` must depend on ``content`` (and ``versions``) alone; its exceptions pass through and
    nothing is stored for them.
    """
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / entry_key(kind, content, *versions)
    try:
        with path.open("rb") as stream:
            value = pickle.load(stream)
        os.utime(path)  # pruning drops the least recently used entries
        return value
    except Exception:  # missing, truncated, from an incompatible build: rebuild it
        pass
    value = build()
    _store(folder, path, value)
    return value


def _store(folder: Path, path: Path, value: object) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)  # readers see the whole entry or none
        except BaseException:
            os.unlink(temporary)
            raise
        _prune(folder)
    except Exception:  # read-only home, full disk, unpicklable value: run uncached
        return


def _prune(folder: Path) -> None:
    entries = [p for p in folder.iterdir() if not p.name.startswith(".") and p.is_file()]  # results/: its own bound
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for stale in entries[: len(entries) - MAX_ENTRIES]:
        stale.unlink(missing_ok=True)
