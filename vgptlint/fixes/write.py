"""Write fixed files atomically, and never over a file that changed since it was read.

A write goes to a temporary file in the same folder (same filesystem, so the rename is atomic),
is flushed and fsynced, gets the original's permission bits, and only then replaces the original
with ``os.replace``. Just before the rename the original is compared with the snapshot taken when
it was read (size, mtime, SHA-256): if anything changed, the temporary file is removed and the
original is left alone. Any failure on the way removes the temporary file; the original is only
ever touched by the final rename.
"""
from __future__ import annotations

import glob
import errno
import hashlib
import io
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from vgptlint.errors import UsageError

REJECTS_INFIX = ".rejected"
TEMP_SUFFIX = ".vgptlint-tmp"


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
    def still_as_read() -> None:
        if snapshot is not None and has_changed(snapshot):
            raise WriteRefused(f"{path}: changed on disk since it was read; not overwritten (run again)")

    try:
        with replacing(path, still_as_read) as stream:
            stream.write(data)
    except OSError as err:
        raise WriteRefused(f"{path}: could not be written ({err.strerror or err}); the original is unchanged") from err


@contextmanager
def replacing(path: str, before_replace: Callable[[], None] | None = None) -> Iterator[BinaryIO]:
    """A binary stream whose bytes replace ``path`` (through a symlink, not over it) when the block
    ends without an exception, after ``before_replace`` (which may raise to refuse); on any failure,
    interrupts included, the temporary file is removed and ``path`` is untouched.

    Raises:
        OSError: the temporary file could not be made, written or renamed.
    """
    target = os.path.realpath(path)
    folder = os.path.dirname(target) or "."
    mode = _mode_of(target)
    remove_stale_temporaries(target)
    temp = None
    try:
        # The pid in the name tells a later run whether the writer is gone (remove_stale_temporaries).
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.{os.getpid()}-", suffix=TEMP_SUFFIX)
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        if before_replace is not None:
            before_replace()
        os.replace(temp, target)
    except BaseException:
        if temp is not None:
            _remove(temp)
        raise
    _fsync_folder(folder)


@contextmanager
def output_file(path: str) -> Iterator[TextIO]:
    """A text stream for a file vgptlint writes besides the data (a report, a baseline): a regular
    file is replaced atomically when the stream is done, so a full disk or an interrupt leaves the
    previous one whole; a device or FIFO (``/dev/stdout``) is written in place.

    Raises:
        UsageError: it cannot be written (missing folder, a directory, no permission, disk full),
            in one line.
    """
    try:
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if os.path.exists(path) and not os.path.isfile(path):
            with open(path, "w", encoding="utf-8") as stream:
                yield stream
            return
        with replacing(path) as binary:
            stream = io.TextIOWrapper(binary, encoding="utf-8", errors="backslashreplace")  # lone surrogates: as escapes
            yield stream
            stream.flush()
            stream.detach()  # the binary stream is replacing()'s to close
    except OSError as err:
        raise UsageError(f'cannot write "{path}": {_reason(err, path)}') from None


def check_writable(path: str) -> None:
    """Fail before any work when :func:`output_file` could not write ``path``: a directory, a missing
    folder, a folder that refuses new files (the temporary file the atomic write needs). A device or
    FIFO is not opened here (a FIFO would wait for a reader); a full disk shows only when written.

    Raises:
        UsageError: the same one line :func:`output_file` would give at the end.
    """
    try:
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if os.path.exists(path) and not os.path.isfile(path):
            return
        folder = os.path.dirname(os.path.realpath(path)) or "."
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.{os.getpid()}-", suffix=TEMP_SUFFIX)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise UsageError(f'cannot write "{path}": {_reason(err, path)}') from None


def _reason(err: OSError, path: str) -> str:
    if isinstance(err, FileNotFoundError) and not os.path.isdir(os.path.dirname(path) or "."):
        return "its folder does not exist"
    return err.strerror or str(err)


def remove_stale_temporaries(target: str) -> list[str]:
    """Remove temporary files an earlier run left beside ``target`` (killed with -9 while writing):
    those whose writer process is gone, and old-style ones (no pid) older than an hour.

    Returns:
        The paths removed.
    """
    folder = os.path.dirname(target) or "."
    removed = []
    for temp in glob.glob(os.path.join(glob.escape(folder), glob.escape(f".{os.path.basename(target)}.") + "*" + TEMP_SUFFIX)):
        middle = os.path.basename(temp)[len(os.path.basename(target)) + 2:-len(TEMP_SUFFIX)]
        pid, dash, _ = middle.partition("-")
        try:
            is_stale = not _is_alive(int(pid)) if dash and pid.isdigit() else time.time() - os.stat(temp).st_mtime > 3600
        except OSError:
            continue
        if is_stale:
            _remove(temp)
            removed.append(temp)
    return removed


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, but someone else's
        return True
    return True


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
    """Add the removed records to the rejects file beside ``path`` (kept from earlier runs), each at
    most once: a run retried after its dataset write failed finds its records already there.

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
    already = {_reject_key(line) for line in existing.splitlines()}
    new = []
    for entry in rejected:
        key = _reject_key(reject_line(entry).encode("utf-8", "backslashreplace"))
        if key not in already:
            already.add(key)
            new.append(reject_line(entry) + "\n")
    if new:
        write_atomically(target, existing + "".join(new).encode("utf-8", "backslashreplace"))
    return target


def _reject_key(line: bytes) -> object:
    """What makes two rejects the same record: its file, index and content (not the rules or reasons,
    which a retry with other options may word differently)."""
    try:
        entry = json.loads(line)
        return entry["source"], entry["record_index"], json.dumps(entry["record"], sort_keys=True)
    except (ValueError, KeyError, TypeError, RecursionError):  # a line someone edited: only itself
        return line
