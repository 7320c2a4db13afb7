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

import json
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


def raw_span(record: Record, path: Sequence[PathPart], start: int, end: int) -> tuple[int, int] | None:
    """The raw ``[start, end)`` in ``record.text`` of a decoded ``[start, end)`` span of a string field."""
    found = value_range(record.text, path)
    if found is None or record.text[found[0]] != '"':
        return None
    body = record.text[found[0] + 1 : found[1] - 1]
    raw_start = raw_offset(body, start)
    raw_end = raw_offset(body, end)
    if raw_start is None or raw_end is None:
        return None
    return found[0] + 1 + raw_start, found[0] + 1 + raw_end


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
    return record_position(record, found[0]), record_position(record, found[1])
