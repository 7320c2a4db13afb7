"""What the readers yield: records with exact positions, and problems found in the input itself.

Positions are 1-based lines and 1-based columns counted in Unicode code points of the decoded
text, the way editors show them. Only ``\\n`` ends a line (CRLF files count right; a lone ``\\r``
is JSON whitespace and does not start a line). A UTF-8 byte order mark is not part of the decoded
text, so column 1 of line 1 is the first character after it.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Record:
    """One dataset record and where it is.

    Args:
        source: the display path, as given on the command line (or ``<stdin>``).
        index: 0-based record index in the file; broken records count too, so indexes match
            what a user counts in the file.
        line: 1-based line where the record's value starts (its ``{``).
        column: 1-based column (code points) of that character.
        data: the decoded JSON value (always a dict: non-objects become problems instead).
        text: the record's raw JSON text, exactly as in the file, from ``{`` to ``}``.
        offset: character offset of ``text`` in the decoded file text (BOM excluded).
    """

    source: str
    index: int
    line: int
    column: int
    data: object
    text: str
    offset: int


# RecordBuilder: a frozen dataclass's __init__ sets each field through object.__setattr__, which makes building
# 60k records cost as much as parsing them. Readers build a mutable twin with the same slots and
# turn it into a Record; the result is an ordinary, frozen, picklable Record.
RecordBuilder = dataclasses.make_dataclass(
    "RecordBuilder", [(field.name, field.type) for field in dataclasses.fields(Record)], slots=True
)


def new_record(source: str, index: int, line: int, column: int, data: object, text: str, offset: int) -> Record:
    """``Record(...)``, about three times faster (the readers' hot path).

    >>> new_record("f.jsonl", 0, 1, 1, {}, "{}", 0) == Record("f.jsonl", 0, 1, 1, {}, "{}", 0)
    True
    """
    record = RecordBuilder(source, index, line, column, data, text, offset)
    record.__class__ = Record
    return record  # type: ignore[return-value]


def record_digest(column: int, text: bytes) -> bytes:
    """The digest of what a record's lint depends on besides its position: its raw text (UTF-8) and the
    column it starts at (the column of its first line is in its findings' columns). The result cache's
    key for a record (:mod:`vgptlint.incremental.records`)."""
    return hashlib.blake2b(text, digest_size=16, person=b"%d" % column).digest()


@dataclass(slots=True)
class KnownRecords:
    """What a JSON Lines reader need not decode, filled in by its caller once it knows (None: decode
    every record): ``digests`` of records (a line whose record has one is yielded as a
    :class:`KnownRecord`), and digests of groups of ``GROUP_LINES`` lines (a group with one is
    yielded as a :class:`KnownRun`, its lines not even split). The reader notes in ``seen_groups``
    the (first line, digest) of every whole group it reads, for the caller's next run."""

    digests: dict | None = None  # record digest -> the caller's number for it
    groups: dict | None = None  # group digest -> the caller's number for its first record
    seen_groups: list = field(default_factory=list)


GROUP_LINES = 16


class KnownRun(NamedTuple):
    """``GROUP_LINES`` records on consecutive lines, known to the caller as one group: where the first
    is, and the caller's number for it (the others follow)."""

    index: int
    line: int
    number: int


class KnownRecord(NamedTuple):
    """A record the caller knows by its digest: where it is, not what it holds."""

    index: int
    line: int
    column: int
    digest: bytes


@dataclass(frozen=True, slots=True)
class InputProblem:
    """Something wrong with the input itself; the engine reports it under the ``invalid-input`` rule.

    ``code`` says which kind of problem it is, so callers can treat some differently (a
    ``missing`` file given on the command line may deserve exit status 2 rather than a finding):
    ``missing``, ``is-directory``, ``unreadable``, ``no-match``, ``empty``, ``no-records``,
    ``bom``, ``encoding``, ``invalid-utf8``, ``invalid-json``, ``not-an-object``, ``not-an-array``,
    ``format``, ``too-deep``, ``invalid-number``, ``non-json-number`` (NaN or Infinity, a warning).
    """

    source: str
    line: int
    column: int
    message: str
    record_index: int | None = None
    severity: str = "error"
    code: str = "invalid-json"


@dataclass(frozen=True, slots=True)
class FileInfo:
    """How a dataset file is written, so a fixer can re-serialize a record in the file's own style.

    ``indent`` is the per-level indent inside records (an int for spaces, a string such as
    ``"\\t"`` otherwise, None when records are written on one line). ``ensure_ascii`` is None when
    the file gives no evidence either way (pure ASCII without ``\\u`` escapes of non-ASCII text).
    ``separators`` is the ``(item, key)`` pair to pass to ``json.dumps``.
    """

    format: str  # "json-array" | "jsonl"
    has_bom: bool = False
    newline: str = "\n"
    indent: int | str | None = None
    ensure_ascii: bool | None = None
    separators: tuple[str, str] = (", ", ": ")
    has_trailing_newline: bool = True
