"""Where a field of a record is in the file: for findings (line/column) and fixers (raw text ranges).

Only called for findings, which are rare, so this walks the record's own raw text with a tiny
tokenizer (``json.decoder.scanstring`` for keys, ``raw_decode`` to skip values) instead of
keeping positions for every value of every record.

A path is a sequence of object keys and array indexes, as in ``Hit.path`` or a split JSON
pointer: ``("messages", 1, "content")``. A digit string also indexes an array and an int also
names an object key, so ``parse_pointer`` output works as is. With duplicate keys the last one
wins, as in ``json.loads``.
"""
from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence

from vgptlint.inputs.records import Record
from vgptlint.inputs.text import WHITESPACE_RE, position_in

PathPart = str | int
Position = tuple[int, int]
_DECODER = json.JSONDecoder()
_skip_ws = WHITESPACE_RE.match


def parse_pointer(pointer: str) -> tuple[str, ...]:
    """Split an RFC 6901 JSON pointer into its unescaped parts.

    >>> parse_pointer(""), parse_pointer("/messages/0/content"), parse_pointer("/a~1b/c~0d")
    ((), ('messages', '0', 'content'), ('a/b', 'c~d'))
    """
    if not pointer:
        return ()
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/"))


def value_range(text: str, path: Sequence[PathPart]) -> tuple[int, int] | None:
    """The ``[start, end)`` range of the raw JSON text of the value at ``path`` inside ``text``.

    >>> text = '{"a": {"b": [10, "x\\\\ny"]}}'
    >>> start, end = value_range(text, ("a", "b", 1)); text[start:end]
    '"x\\\\ny"'
    >>> value_range(text, ("a", "missing")) is None
    True
    """
    pos = _skip_ws(text, 0).end()
    try:
        for part in path:
            if text.startswith("{", pos):
                found = _member_value_start(text, pos, str(part))
            elif text.startswith("[", pos):
                found = _element_start(text, pos, part)
            else:
                return None
            if found is None:
                return None
            pos = found
        _, end = _DECODER.raw_decode(text, pos)
    except (ValueError, IndexError):  # text is not the valid JSON a Record holds
        return None
    return pos, end


def _member_value_start(text: str, pos: int, key: str) -> int | None:
    found = None
    pos = _skip_ws(text, pos + 1).end()
    if text.startswith("}", pos):
        return None
    while True:
        name, pos = json.decoder.scanstring(text, pos + 1)
        pos = _skip_ws(text, pos).end() + 1  # past the ':'
        pos = _skip_ws(text, pos).end()
        if name == key:
            found = pos
        _, pos = _DECODER.raw_decode(text, pos)
        pos = _skip_ws(text, pos).end()
        if text.startswith("}", pos):
            return found
        pos = _skip_ws(text, pos + 1).end()  # past the ','


def _element_start(text: str, pos: int, part: PathPart) -> int | None:
    if isinstance(part, str):
        if not part.isdigit():
            return None
        part = int(part)
    starts = []
    pos = _skip_ws(text, pos + 1).end()
    while not text.startswith("]", pos):
        starts.append(pos)
        if part >= 0 and len(starts) > part:
            return starts[part]
        _, pos = _DECODER.raw_decode(text, pos)
        pos = _skip_ws(text, pos).end()
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1).end()
    if -len(starts) <= part < 0:
        return starts[part]
    return None


def raw_offset(body: str, decoded_offset: int) -> int | None:
    """Offset in a string literal's raw body (between its quotes) of a decoded character offset.

    Each escape (``\\n``, ``\\"``, ``\\u00e9``) is one decoded character; a ``\\uD83D\\uDE00``
    surrogate pair is one too, as ``json`` decodes it. None when past the end.

    >>> raw_offset(r'a\\"b\\u00e9c', 3), raw_offset(r'a\\"b\\u00e9c', 4), raw_offset(r"\\ud83d\\ude00!", 1)
    (4, 10, 12)
    """
    raw = 0
    decoded = 0
    while decoded < decoded_offset:
        backslash = body.find("\\", raw)
        plain_count = (len(body) if backslash < 0 else backslash) - raw
        if decoded + plain_count >= decoded_offset:
            raw += decoded_offset - decoded
            return raw if raw <= len(body) else None
        if backslash < 0:
            return None
        decoded += plain_count
        raw = backslash + _escape_length(body, backslash)
        decoded += 1
    return raw


def _escape_length(body: str, backslash: int) -> int:
    if body[backslash + 1] != "u":
        return 2
    code = int(body[backslash + 2 : backslash + 6], 16)
    if 0xD800 <= code < 0xDC00 and body.startswith("\\u", backslash + 6):
        low = body[backslash + 8 : backslash + 12]
        if len(low) == 4 and 0xDC00 <= int(low, 16) < 0xE000:
            return 12
    return 6


class FieldIndex:
    """Decoded-to-raw offsets of one string field, and the lines of its record, shared by every
    finding in the field: locating a finding then costs a logarithm of the field's escapes and
    lines, not a pass over the field (issue 13: 37% of a run on long scripts went to locating
    findings one pass each). Escapes are indexed lazily, only as far as a finding needs.

    ``escapes`` are the decoded offsets of the escapes indexed so far, in order, and ``extra`` the
    raw characters they add up to and including each (``\\n`` adds 1, ``\\u00e9`` adds 5).
    """

    __slots__ = ("body_start", "body_end", "escapes", "extra", "newlines", "_pending")

    def __init__(self, text: str, body_start: int, body_end: int) -> None:
        self.body_start = body_start
        self.body_end = body_end
        self.escapes: list[int] = []
        self.extra: list[int] = []
        self._pending = _ESCAPE_RE.finditer(text, body_start, body_end)  # escapes not indexed yet
        self.newlines: list[int] | None = None  # of the record's text, counted on first use

    def raw_offset(self, decoded_offset: int) -> int | None:
        """:func:`raw_offset` in the field's body, plus the body's start in the record's text."""
        escapes, extra = self.escapes, self.extra
        while self._pending is not None and (not escapes or escapes[-1] < decoded_offset):
            escape = next(self._pending, None)
            if escape is None:
                self._pending = None
                break
            added = extra[-1] if extra else 0
            escapes.append(escape.start() - self.body_start - added)
            extra.append(added + escape.end() - escape.start() - 1)
        before = bisect.bisect_left(escapes, decoded_offset)  # escapes wholly before the offset
        raw = self.body_start + decoded_offset + (extra[before - 1] if before else 0)
        return None if raw > self.body_end else raw

    def position(self, record: Record, offset: int) -> Position:
        """:func:`record_position`, by bisection in the record's newlines."""
        if self.newlines is None:
            self.newlines = [match.start() for match in _NEWLINE_RE.finditer(record.text)]
        before = bisect.bisect_left(self.newlines, offset)
        if not before:
            return record.line, record.column + offset
        return record.line + before, offset - self.newlines[before - 1]


_NEWLINE_RE = re.compile("\n")
# One JSON escape (a surrogate pair is one decoded character, as json decodes it).
_ESCAPE_RE = re.compile(r"\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)", re.S)
# The fields whose findings are being located: all findings of a rule on a field come one after
# another, and the rules of a record take turns on the same few fields.
_FIELD_INDEXES: dict[tuple[int, tuple], tuple[Record, FieldIndex | None]] = {}
_FIELD_INDEX_COUNT = 16


def field_index(record: Record, path: Sequence[PathPart]) -> FieldIndex | None:
    """The :class:`FieldIndex` of the string at ``path`` (None when there is none), kept for the
    last few fields asked about."""
    key = (id(record), tuple(path))
    cached = _FIELD_INDEXES.get(key)
    if cached is not None and cached[0] is record:
        return cached[1]
    found = value_range(record.text, path)
    index = None if found is None or record.text[found[0]] != '"' else FieldIndex(record.text, found[0] + 1, found[1] - 1)
    if len(_FIELD_INDEXES) >= _FIELD_INDEX_COUNT:
        del _FIELD_INDEXES[next(iter(_FIELD_INDEXES))]
    _FIELD_INDEXES[key] = (record, index)
    return index


def raw_span(record: Record, path: Sequence[PathPart], start: int, end: int) -> tuple[int, int] | None:
    """The raw ``[start, end)`` in ``record.text`` of a decoded ``[start, end)`` span of a string field."""
    index = field_index(record, path)
    if index is None:
        return None
    raw_start = index.raw_offset(start)
    raw_end = index.raw_offset(end)
    if raw_start is None or raw_end is None:
        return None
    return raw_start, raw_end


def record_position(record: Record, offset: int) -> Position:
    """File (line, column) of ``record.text[offset]``."""
    return position_in(record.text, offset, record.line, record.column)


def locate(record: Record, path: Sequence[PathPart]) -> Position | None:
    """File (line, column) where the value at ``path`` starts (a string's opening quote).

    Args:
        record: the record, with its raw text and position.
        path: keys and indexes from the record down to the value; () is the record itself.

    Returns:
        1-based (line, column), or None when the path does not exist in the record.
    """
    found = value_range(record.text, path)
    return None if found is None else record_position(record, found[0])


def locate_span(
    record: Record, path: Sequence[PathPart], start: int, end: int
) -> tuple[Position, Position] | None:
    """File positions of a decoded ``[start, end)`` span of a string field: (start, exclusive end).

    Escapes make the decoded and raw offsets differ: in ``"a\\nb"`` decoded character 2 (``b``)
    is raw character 3 of the body.
    """
    found = raw_span(record, path, start, end)
    if found is None:
        return None
    index = field_index(record, path)
    return index.position(record, found[0]), index.position(record, found[1])
