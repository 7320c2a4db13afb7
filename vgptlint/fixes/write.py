"""Write fixed files atomically, and never over a file that changed since it was read.

A write goes to a temporary file in the same folder (same filesystem, so the rename is atomic),
is flushed and fsynced, gets the original's permission bits, and only then replaces the original
with ``os.replace``. Just before the rename the original is compared with the snapshot taken when
it was read (size, mtime, SHA-256): if anything changed, the temporary file is removed and the
original is left alone. Any failure on the way removes the temporary file; the original is only
ever touched by the final rename.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

REJECTS_INFIX = ".rejected"


class WriteRefused(Exception):
    """The file was not written; the message says why (for the user)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A file's bytes and identity when it was read."""

    path: str
    data: bytes
    size: int
    mtime_ns: int
    sha256: str


def take_snapshot(path: str) -> Snapshot:
    """Read the file and remember what it looked like.

    Raises:
        OSError: it cannot be read.
    """
    with open(path, "rb") as stream:
        before = os.fstat(stream.fileno())
        data = stream.read()
    return Snapshot(path, data, before.st_size, before.st_mtime_ns, hashlib.sha256(data).hexdigest())


def has_changed(snapshot: Snapshot) -> bool:
    """Whether the file on disk differs from the snapshot (size, mtime or content)."""
    try:
        now = os.stat(snapshot.path)
    except OSError:
        return True
    if now.st_size != snapshot.size or now.st_mtime_ns != snapshot.mtime_ns:
        return True
    with open(snapshot.path, "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest() != snapshot.sha256


def write_atomically(path: str, data: bytes, snapshot: Snapshot | None = None) -> None:
    """Replace ``path`` with ``data``; with a snapshot, only if the file still matches it.

    Raises:
        WriteRefused: the file changed since it was read, or the write failed (original untouched).
    """
    target = os.path.realpath(path)  # write through a symlink, not over it
    folder = os.path.dirname(target) or "."
    mode = _mode_of(target)
    fd, temp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(target) + ".", suffix=".vgptlint-tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        if snapshot is not None and has_changed(snapshot):
            raise WriteRefused(f"{path}: changed on disk since it was read; not overwritten (run again)")
        os.replace(temp, target)
    except WriteRefused:
        _remove(temp)
        raise
    except OSError as err:
        _remove(temp)
        raise WriteRefused(f"{path}: could not be written ({err.strerror or err}); the original is unchanged") from err
    except BaseException:
        _remove(temp)
        raise
    _fsync_folder(folder)


def _mode_of(path: str) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable; not every platform can open a folder, so best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------- rejects


def rejects_path(path: str) -> str:
    """Where a dataset's removed records go: beside it, ``.rejected.jsonl``.

    >>> rejects_path("data/sft.json"), rejects_path("sft.jsonl")
    ('data/sft.rejected.jsonl', 'sft.rejected.jsonl')
    """
    pure = Path(path)
    return str(pure.with_name(pure.stem + REJECTS_INFIX + ".jsonl"))


@dataclass(frozen=True, slots=True)
class Rejected:
    """One removed record and why."""

    source: str
    record_index: int
    line: int
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    record: object


def reject_line(rejected: Rejected) -> str:
    """One JSON Lines entry: where the record was, the rules that removed it, and the record.

    >>> reject_line(Rejected("sft.jsonl", 3, 4, ("output-too-short",), ("too short",), {"output": "é"}))
    '{"source": "sft.jsonl", "record_index": 3, "line": 4, "rules": ["output-too-short"], "reasons": ["too short"], "record": {"output": "é"}}'
    """
    entry = {
        "source": rejected.source,
        "record_index": rejected.record_index,
        "line": rejected.line,
        "rules": list(rejected.rules),
        "reasons": list(rejected.reasons),
        "record": rejected.record,
    }
    return json.dumps(entry, ensure_ascii=False)


def append_rejects(path: str, rejected: list[Rejected]) -> str:
    """Add the removed records to the rejects file beside ``path`` (kept from earlier runs).

    Returns:
        The rejects file's path.

    Raises:
        WriteRefused: it could not be written.
    """
    target = rejects_path(path)
    try:
        existing = Path(target).read_bytes() if os.path.exists(target) else b""
    except OSError as err:
        raise WriteRefused(f"{target}: could not be read ({err.strerror}); nothing was removed") from err
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    lines = "".join(reject_line(r) + "\n" for r in rejected)
    write_atomically(target, existing + lines.encode("utf-8", "backslashreplace"))
    return target
