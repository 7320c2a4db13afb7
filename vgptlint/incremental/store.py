"""Where cached results live: content-addressed entries on disk, bounded, safe for concurrent writers.

``$VGPTLINT_CACHE_DIR/results/`` (the parse cache's directory, :func:`vgptlint.cache.cache_dir`),
one file per entry, named by its key and spread over 256 folders. An entry is written to a temporary
file in its folder and renamed into place, so a reader (another ``--jobs`` worker, a Dask worker on
this machine, a second vgptlint) sees a whole entry or none, and two writers of one key write the
same bytes. Every entry ends with a digest of what precedes it: a truncated, corrupt or foreign file
is a miss (and is deleted), never a wrong result. Reading an entry touches its modification time;
:func:`prune` removes the least recently used entries once the folder is over its bound
(``VGPTLINT_CACHE_MAX_MB``, default 1,024 MB). The cache is an optimization only: an unreadable or
unwritable folder means every lookup misses and nothing is stored.
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from vgptlint.cache import cache_dir

MAGIC = b"vgptlint-results-2\n"  # 2: entries end with a SHA-256
DIGEST_BYTES = 32
DEFAULT_MAX_MB = 1024
MAX_MB_VARIABLE = "VGPTLINT_CACHE_MAX_MB"
READ_BLOCK = 1 << 20


def _hasher(data: bytes = b""):
    """What an entry's digest is made with: SHA-256, which CPUs with SHA instructions (most since 2017)
    hash at about twice BLAKE2b's speed; entries are tens of MB."""
    return hashlib.sha256(data)


def _digest(data) -> bytes:
    return hashlib.sha256(data).digest()


def results_dir() -> Path | None:
    """The results folder, or None when caching is off (``VGPTLINT_NO_CACHE``, ``--no-cache``)."""
    folder = cache_dir()
    return None if folder is None else folder / "results"


def max_bytes() -> int:
    value = os.environ.get(MAX_MB_VARIABLE, "").strip()
    return (int(value) if value.isdigit() else DEFAULT_MAX_MB) << 20


class ResultStore:
    """Entries under one folder. ``get``/``put`` for small values; ``writer``/``open_values`` for a
    sequence of values written and read one at a time (a file's findings, in bounded memory)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.wrote = False
        self.wrote_bytes = 0  # the size of the entries this process committed (see prune)

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def get(self, key: str) -> object | None:
        """The value stored under ``key``, or None (missing, corrupt, unreadable)."""
        data = self._verified(key)
        if data is None:
            return None
        try:
            return pickle.loads(memoryview(data)[len(MAGIC):-DIGEST_BYTES])
        except Exception:  # a digest that matches garbage: written by an incompatible build
            self.discard(key)
            return None

    def put(self, key: str, value: object) -> None:
        writer = self.writer(key)
        writer.add(value)
        writer.commit()

    def writer(self, key: str) -> EntryWriter:
        return EntryWriter(self, key)

    def open_values(self, key: str) -> StoredValues | None:
        """The values a writer added under ``key``, iterable any number of times; None when there is
        no sound entry (checked against its digest first). Close it when done."""
        path = self.path(key)
        try:
            stream = path.open("rb")
        except OSError:
            return None
        try:
            if not _is_sound(stream):
                stream.close()
                self.discard(key)
                return None
            _touch(path)
        except OSError:
            stream.close()
            return None
        return StoredValues(stream)

    def _verified(self, key: str) -> bytes | None:
        path = self.path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        body = memoryview(data)[:-DIGEST_BYTES]
        if len(data) < len(MAGIC) + DIGEST_BYTES or not data.startswith(MAGIC) or \
                _digest(body) != data[-DIGEST_BYTES:]:
            self.discard(key)
            return None
        _touch(path)
        return data

    def discard(self, key: str) -> None:
        """Remove the entry under ``key``, if there is one."""
        try:
            self.path(key).unlink()
        except OSError:
            pass


class EntryWriter:
    """Values added one by one to a temporary file that becomes the entry on ``commit``."""

    def __init__(self, store: ResultStore, key: str) -> None:
        self.store, self.key = store, key
        self.hasher = _hasher()
        self.file = None
        try:
            folder = store.path(key).parent
            folder.mkdir(parents=True, exist_ok=True)
            handle, self.temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            self.file = os.fdopen(handle, "wb")
            self._write(MAGIC)
        except OSError:  # read-only or full: run without storing
            self.abandon()

    def add(self, value: object) -> None:
        if self.file is None:
            return
        try:
            self._write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception:  # unpicklable (a team's own state) or a full disk: store nothing
            self.abandon()

    def commit(self) -> bool:
        """Make the entry visible; False when nothing was stored (unwritable, unpicklable)."""
        if self.file is None:
            return False
        try:
            self.file.write(self.hasher.digest())
            size = self.file.tell()
            self.file.close()
            os.replace(self.temporary, self.store.path(self.key))  # readers see the whole entry or none
            self.store.wrote = True
            self.store.wrote_bytes += size
        except OSError:
            self.abandon()
            return False
        self.file = None
        return True

    def abandon(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        if getattr(self, "temporary", None):
            try:
                os.unlink(self.temporary)
            except OSError:
                pass

    def _write(self, data: bytes) -> None:
        self.hasher.update(data)
        self.file.write(data)


def _is_sound(stream: io.BufferedReader) -> bool:
    size = os.fstat(stream.fileno()).st_size
    if size < len(MAGIC) + DIGEST_BYTES or stream.read(len(MAGIC)) != MAGIC:
        return False
    hasher = _hasher(MAGIC)
    remaining = size - len(MAGIC) - DIGEST_BYTES
    while remaining:
        block = stream.read(min(READ_BLOCK, remaining))
        if not block:
            return False
        hasher.update(block)
        remaining -= len(block)
    if stream.read(DIGEST_BYTES) != hasher.digest():
        return False
    stream.seek(len(MAGIC))
    return True


class StoredValues:
    """One entry's values from a handle kept open: each iteration reads from the first value and
    seeks before every read, so iterations may interleave; replacing or pruning the entry meanwhile
    does not change what the handle reads (entries are renamed into place, never rewritten)."""

    def __init__(self, stream: io.BufferedReader) -> None:
        self.stream = stream
        self.end = os.fstat(stream.fileno()).st_size - DIGEST_BYTES

    def __iter__(self) -> Iterator[object]:
        stream, position = self.stream, len(MAGIC)
        while position < self.end:
            stream.seek(position)
            value = pickle.load(stream)
            position = stream.tell()
            yield value

    def close(self) -> None:
        self.stream.close()


def _touch(path: Path) -> None:
    try:
        os.utime(path)  # pruning drops the least recently used entries
    except OSError:
        pass


def open_store() -> ResultStore | None:
    folder = results_dir()
    return None if folder is None else ResultStore(folder)


# The folder's size as last counted, kept beside the entries ("<bytes> <unix time of the count>"): a
# run adds what it wrote and counts again (a walk over every entry) only when that would pass the
# bound or the count is older than SIZE_RECOUNT_SECONDS, so a run that stores a little does not
# stat the whole cache (15,000 entries: ~30 ms of every run). Concurrent runs may each add to an
# older figure; the recount puts it right.
SIZE_LEDGER = ".size"
SIZE_RECOUNT_SECONDS = 3600


def prune(store: ResultStore, limit: int | None = None) -> None:
    """Keep the folder within ``limit`` bytes (default: the configured bound): count it when the
    ledger says the bound may be passed or the last count is old, then delete the least recently
    used entries until it fits (and temporary files a killed writer left more than an hour ago)."""
    limit = max_bytes() if limit is None else limit
    ledger = store.folder / SIZE_LEDGER
    counted = _read_ledger(ledger)
    now = time.time()
    if counted is not None:
        total, when = counted
        total += store.wrote_bytes
        if total <= limit and 0 <= now - when < SIZE_RECOUNT_SECONDS:
            _write_ledger(ledger, total, when)
            store.wrote_bytes = 0
            return
    _write_ledger(ledger, _prune_walk(store, limit), now)
    store.wrote_bytes = 0


def _prune_walk(store: ResultStore, limit: int) -> int:
    """Delete the least recently used entries until the folder holds at most ``limit`` bytes; its size then."""
    entries, total = [], 0
    try:
        folders = [folder for folder in os.scandir(store.folder) if folder.is_dir()]
    except OSError:
        return 0
    for folder in folders:
        try:
            for entry in os.scandir(folder.path):
                found = entry.stat()
                if entry.name.startswith(".tmp-"):
                    if found.st_mtime < time.time() - 3600:
                        _unlink(entry.path)
                    continue
                entries.append((found.st_mtime, found.st_size, entry.path))
                total += found.st_size
        except OSError:
            continue
    if total <= limit:
        return total
    entries.sort()
    for _, size, path in entries:
        if total <= limit:
            break
        _unlink(path)
        total -= size
    return total


def _read_ledger(path: Path) -> tuple[int, float] | None:
    try:
        size, when = path.read_text(encoding="ascii").split()
        return int(size), float(when)
    except (OSError, ValueError, UnicodeDecodeError):
        return None  # none yet, or unreadable: count


def _write_ledger(path: Path, size: int, when: float) -> None:
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(f"{size} {int(when)}")
        os.replace(temporary, path)
    except OSError:
        pass  # an unwritable folder: the next run counts


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
