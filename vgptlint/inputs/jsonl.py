"""Read JSON Lines: one record per line, streamed, so memory stays flat at any file size.

Lines are split on ``\\n`` only (as bytes, before decoding), so a U+2028 inside a string or a lone
``\\r`` never splits a record. Blank lines are skipped and do not count as records. A line that is
not valid JSON, not valid UTF-8, or not an object is a problem; the other lines are still read.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator

from vgptlint.inputs.records import (GROUP_LINES, InputProblem, KnownRecord, KnownRecords, KnownRun, Record, new_record,
                                     record_digest)
from vgptlint.inputs.text import (CONSTANTS_READ, JSON_DECODER, WHITESPACE_RE, decode_utf8, decoder_message,
                                   json_type_name, non_json_constant, non_json_message, too_deep, undecodable)

_LINE_END = " \t\r\n"
_INDENT = " \t"
_LINE_END_BYTES = _LINE_END.encode()
_INDENT_BYTES = _INDENT.encode()
_skip_ws = WHITESPACE_RE.match
GROUP_BYTES = 1 << 22  # a group of lines longer than this (4 MB) is read line by line


def read_jsonl(source: str, lines: Iterable[bytes], first_line: int = 1, first_index: int = 0,
               first_offset: int = 0, known: KnownRecords | None = None) -> Iterator[Record | KnownRecord | KnownRun | InputProblem]:
    """Yield one record (or problem) per non-blank line.

    Args:
        source: display path for records and problems.
        lines: the file's lines as bytes, each ending with ``\\n`` except maybe the last; a UTF-8
            BOM must already be removed from the first.
        first_line, first_index, first_offset: where ``lines`` start in the file, when a parallel
            worker reads one byte range of it (line number, record index, character offset).
        known: what need not be decoded (:class:`~vgptlint.inputs.records.KnownRecords`): a group of
            ``GROUP_LINES`` lines (counted from ``first_line``) with a known digest is yielded as one
            :class:`KnownRun`, a line whose record has a known digest as a :class:`KnownRecord`.
            Their bytes are those of records read before: valid UTF-8 and JSON.
    """
    cursor = _Cursor(first_line, first_index, first_offset)
    if known is None:
        yield from _read_lines(source, lines, cursor, None)
        return
    lines = iter(lines)
    while group := _group(lines):
        if len(group) < GROUP_LINES or sum(map(len, group)) > GROUP_BYTES:  # the last lines, or long ones
            yield from _read_lines(source, group, cursor, known)
            continue
        joined = b"".join(group)
        digest = hashlib.sha256(joined).digest()
        known.seen_groups.append((cursor.line, digest))
        number = None if known.groups is None else known.groups.get(digest)
        if number is None:
            yield from _read_lines(source, group, cursor, known)
            continue
        yield KnownRun(cursor.index, cursor.line, number)
        cursor.index += GROUP_LINES
        cursor.line += GROUP_LINES
        cursor.offset += len(joined) if joined.isascii() else len(joined.decode("utf-8"))


def _group(lines: Iterator[bytes]) -> list[bytes]:
    """The next GROUP_LINES lines, or fewer when they would pass GROUP_BYTES (a file of long lines is
    never held GROUP_LINES lines at a time) or the lines end."""
    group: list[bytes] = []
    size = 0
    for raw in lines:
        group.append(raw)
        size += len(raw)
        if len(group) == GROUP_LINES or size > GROUP_BYTES:
            break
    return group


class _Cursor:
    """Where reading is: the next line's number, the next record's index, characters read so far."""

    __slots__ = ("line", "index", "offset")

    def __init__(self, line: int, index: int, offset: int) -> None:
        self.line, self.index, self.offset = line, index, offset


def _read_lines(source: str, lines: Iterable[bytes], cursor: _Cursor,
                known: KnownRecords | None) -> Iterator[Record | KnownRecord | InputProblem]:
    """Each line's record or problems, from ``cursor`` on, which is moved past the lines read."""
    decode = JSON_DECODER.raw_decode
    index = cursor.index
    offset = cursor.offset  # characters of decoded text before this line
    line_number = cursor.line - 1
    for line_number, raw in enumerate(lines, cursor.line):
        digests = None if known is None else known.digests  # the caller learns them after the first record
        if digests is not None:
            # A known record's bytes are those of a record read before: valid UTF-8 and JSON.
            content = raw.rstrip(_LINE_END_BYTES)
            text = content.lstrip(_INDENT_BYTES)
            column = len(content) - len(text) + 1
            digest = record_digest(column, text) if text else None
            if digest in digests:
                yield KnownRecord(index, line_number, column, digest)
                index += 1
                offset += len(raw) if raw.isascii() else len(raw.decode("utf-8"))
                continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            line = yield from _decode_bad_line(source, raw, err, line_number, index)
        content = line.rstrip(_LINE_END)
        start = len(content) - len(content.lstrip(_INDENT))
        if start == len(content):
            offset += len(line)
            continue
        try:
            value, end = decode(content, start)
            if end != len(content):
                raise json.JSONDecodeError("Extra data", content, _skip_ws(content, end).end())
        except json.JSONDecodeError as err:
            message = f"record {index} is not valid JSON: {decoder_message(err)}"
            yield InputProblem(source, line_number, err.pos + 1, message, index, "error", "invalid-json")
        except (RecursionError, ValueError) as err:  # valid JSON, but too deep or a number too long
            code, problem = undecodable(err)
            yield InputProblem(source, line_number, start + 1, f"record {index} {problem}", index, "error", code)
        else:
            if CONSTANTS_READ and (constant := non_json_constant(content, start, end)) is not None:
                yield InputProblem(source, line_number, constant[0] + 1, non_json_message(index, constant[1]), index,
                                   "warning", "non-json-number")
            if type(value) is dict and (depth := too_deep(value, content)) is not None:
                yield InputProblem(source, line_number, start + 1, f"record {index} {depth}", index, "error", "too-deep")
            elif type(value) is dict:
                yield new_record(source, index, line_number, start + 1, value, content[start:], offset + start)
            else:
                message = f"record {index} is {json_type_name(value)}, not an object"
                yield InputProblem(source, line_number, start + 1, message, index, "error", "not-an-object")
        index += 1
        offset += len(line)
    cursor.line, cursor.index, cursor.offset = line_number + 1, index, offset


def _decode_bad_line(
    source: str, raw: bytes, err: UnicodeDecodeError, line_number: int, index: int
) -> Iterator[InputProblem]:
    """Report a line's first invalid byte; return the line decoded with U+FFFD so it is still read.

    The record is still linted (as an array's would be); the problem carries its index so a
    fixer can leave the record alone.
    """
    decoded = decode_utf8(raw)
    column = decoded.bad_bytes[0].char_offset + 1
    more = decoded.bad_byte_count - 1
    also = f" and {more} more invalid sequence{'s' if more > 1 else ''}" if more > 0 else ""
    message = (
        f"record {index} has invalid UTF-8 (byte 0x{raw[err.start]:02x}){also}; "
        "it was read as U+FFFD, the replacement character"
    )
    yield InputProblem(source, line_number, column, message, index, "error", "invalid-utf8")
    return decoded.text
