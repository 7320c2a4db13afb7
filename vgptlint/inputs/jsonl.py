"""Read JSON Lines: one record per line, streamed, so memory stays flat at any file size.

Lines are split on ``\\n`` only (as bytes, before decoding), so a U+2028 inside a string or a lone
``\\r`` never splits a record. Blank lines are skipped and do not count as records. A line that is
not valid JSON, not valid UTF-8, or not an object is a problem; the other lines are still read.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from vgptlint.inputs.records import InputProblem, KnownRecord, KnownRecords, Record, new_record, record_digest
from vgptlint.inputs.text import (CONSTANTS_READ, JSON_DECODER, WHITESPACE_RE, decode_utf8, decoder_message,
                                   json_type_name, non_json_constant, non_json_message, too_deep, undecodable)

_LINE_END = " \t\r\n"
_INDENT = " \t"
_LINE_END_BYTES = _LINE_END.encode()
_INDENT_BYTES = _INDENT.encode()
_skip_ws = WHITESPACE_RE.match


def read_jsonl(source: str, lines: Iterable[bytes], first_line: int = 1, first_index: int = 0,
               first_offset: int = 0, known: KnownRecords | None = None) -> Iterator[Record | KnownRecord | InputProblem]:
    """Yield one record (or problem) per non-blank line.

    Args:
        source: display path for records and problems.
        lines: the file's lines as bytes, each ending with ``\\n`` except maybe the last; a UTF-8
            BOM must already be removed from the first.
        first_line, first_index, first_offset: where ``lines`` start in the file, when a parallel
            worker reads one byte range of it (line number, record index, character offset).
        known: records not to decode: a line whose record has one of ``known.digests`` is yielded
            as a :class:`KnownRecord` (its text is valid UTF-8 and JSON: it was a record before).
    """
    decode = JSON_DECODER.raw_decode
    index = first_index
    offset = first_offset  # characters of decoded text before this line
    digests = None if known is None else known.digests
    for line_number, raw in enumerate(lines, first_line):
        if digests is None and known is not None:
            digests = known.digests  # the caller learns them after the first record
        if digests is not None:
            # A known record's bytes are those of a record read before: valid UTF-8 and JSON.
            content = raw.rstrip(_LINE_END_BYTES)
            text = content.lstrip(_INDENT_BYTES)
            digest = record_digest(len(content) - len(text) + 1, text) if text else None
            if digest in digests:
                yield KnownRecord(index, line_number, len(content) - len(text) + 1, digest)
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
