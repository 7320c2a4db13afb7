"""Read a JSON array of records (LLaMA-Factory's ``.json`` datasets) with exact positions.

Speed: the text is decoded once, then the C decoder (``JSONDecoder.scan_once``, what
``raw_decode`` calls) parses one element at a time from its offset; positions come from counting
newlines between consecutive record starts. This module reads a whole text; files are read a window
at a time by :mod:`~vgptlint.inputs.array_stream`, which hands over to :func:`read_elements` (with
the rest of the file) only when something is wrong.

Recovery from a broken element: the damaged region counts as one record (its index is the one
reported), then reading resumes at the next element that decodes and is followed by ``,`` and
another object, or by the ``]`` that ends the file. Resume candidates are, in order: the end of the broken element found by bracket matching
(right for a typo inside one record), else the next ``{`` after a ``,`` at the broken record's
own column (right for pretty-printed arrays, where every record starts at the same column), else
any ``{`` after a ``,``. When nothing decodes, reading stops with the error. Record indexes after
a resume may then differ from what a strict parser would count, since the damaged text may have
held several elements; each problem's line and column stay exact.
"""
from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass

from vgptlint.inputs.records import InputProblem, Record, RecordBuilder
from vgptlint.inputs.text import (CONSTANTS_READ, JSON_DECODER, WHITESPACE_RE, BadByte, LineCounter, decoder_message,
                                   json_type_name, line_at, non_json_constant, non_json_message, too_deep, undecodable)


@dataclass(frozen=True, slots=True)
class Undecodable:
    """An element the decoder gave up on (see :func:`~vgptlint.inputs.text.undecodable`): reported, then skipped."""

    code: str
    message: str

# A lenient token scan for bracket matching inside damaged text: a string ends at its closing
# quote or, if unterminated, at the end of its line (JSON strings cannot hold a raw newline).
_BRACKET_TOKEN_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"?|[{}\[\]]')
_NEXT_ELEMENT_RE = re.compile(r",[ \t\n\r]*\{")
_COMMA_RE = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")


def read_json_array(
    source: str, text: str, start: int, bad_bytes: tuple[BadByte, ...] = ()
) -> Iterator[Record | InputProblem]:
    """Yield the records of the array whose ``[`` is at ``text[start]``, and every problem found.

    Args:
        source: display path for records and problems.
        text: the whole decoded file (BOM removed).
        start: offset of the opening ``[``.
        bad_bytes: invalid UTF-8 sequences found while decoding, reported with their record.
    """
    pos = WHITESPACE_RE.match(text, start + 1).end()
    if text.startswith("]", pos):
        lines = LineCounter(text)
        yield _problem(source, lines, start, "the array holds no records", None, "info", "no-records")
        yield from _after_close(source, text, pos + 1, lines)
        return
    yield from read_elements(source, text, ArrayPosition(pos), bad_bytes)


@dataclass(frozen=True, slots=True)
class ArrayPosition:
    """Where reading an array's elements starts in a text that may begin anywhere in the file.

    ``pos`` is the first element's offset in the text; ``index`` its record index; ``line`` the file
    line of text offset ``counted_to`` (at or before ``pos``), a line starting at text offset
    ``line_start`` (negative when the line begins before the text); ``offset_base`` the file
    offset (in characters) of text offset 0.
    """

    pos: int
    index: int = 0
    counted_to: int = 0
    line: int = 1
    line_start: int = 0
    offset_base: int = 0


def read_elements(
    source: str, text: str, at: ArrayPosition, bad_bytes: tuple[BadByte, ...] = ()
) -> Iterator[Record | InputProblem]:
    """Yield the records from an element start (after ``[`` or a ``,``) to the end of the array, and
    every problem found; ``bad_bytes`` have offsets in ``text``."""
    skip_ws = WHITESPACE_RE.match
    skip_comma = _COMMA_RE.match
    # The C scanner itself: raw_decode is a Python wrapper around it, one more call per record.
    scan = JSON_DECODER.scan_once
    pending_bad = list(bad_bytes)
    # Line state of the hot loop: newlines are counted up to `counted_to`, which is on `line`,
    # a line that starts at `line_start`. Rare problems take a LineCounter from this state.
    counted_to, line, line_start = at.counted_to, at.line, at.line_start
    pos, index, offset_base = at.pos, at.index, at.offset_base
    origin = (at.counted_to, at.line, at.line_start)  # where a LineCounter recounts from
    is_closed = False
    while True:
        element_start = pos
        try:
            value, end = scan(text, pos)
        except (json.JSONDecodeError, StopIteration) as failure:
            err = _as_decode_error(failure, text)
            lines = LineCounter(text, counted_to, line, line_start, origin)
            if pos >= len(text):
                yield _problem(source, lines, pos, "the array is not closed: expected ']' at the end of the file", None)
                break
            resume = yield from _broken_element(source, text, lines, element_start, err, index, pending_bad)
            if resume is None:
                break
            index += 1
            pos = resume
            continue
        except (RecursionError, ValueError) as failure:  # valid JSON the decoder gives up on: skip it by its brackets
            value, end = Undecodable(*undecodable(failure)), _end_by_brackets(text, pos)
            if end is None:
                lines = LineCounter(text, counted_to, line, line_start, origin)
                yield _problem(source, lines, pos, f"record {index} {value.message}; its end could not be found, so the "
                               "rest of the file was not read", index, code=value.code)
                break
        line, line_start = line_at(text, counted_to, element_start, line, line_start)
        counted_to = element_start
        column = element_start - line_start + 1
        if pending_bad:
            lines = LineCounter(text, counted_to, line, line_start, origin)
            yield from _bad_bytes_before(source, lines, pending_bad, end, index, element_start)
        if CONSTANTS_READ and (constant := non_json_constant(text, element_start, end)) is not None:
            yield non_json_problem(source, text, constant, index, (counted_to, line, line_start))
        yield element_item(source, index, line, column, value, text[element_start:end], offset_base + element_start)
        index += 1
        comma = skip_comma(text, end)
        if comma is not None:
            pos = comma.end()
            if text.startswith("]", pos):
                lines = LineCounter(text, counted_to, line, line_start, origin)
                yield _problem(source, lines, pos, "trailing comma before ']': Python's json module rejects it", None)
                pos += 1
                is_closed = True
                break
            continue
        pos = skip_ws(text, end).end()
        if text.startswith("]", pos):
            pos += 1
            is_closed = True
            break
        lines = LineCounter(text, counted_to, line, line_start, origin)
        resume = yield from _bad_separator(source, text, lines, pos, index)
        if resume is None:
            break
        pos = resume
    lines = LineCounter(text, counted_to, line, line_start, origin)
    yield from _bad_bytes_before(source, lines, pending_bad, len(text) + 1, None, len(text))
    if is_closed:
        yield from _after_close(source, text, pos, lines)


def non_json_problem(source: str, text: str, constant: tuple[int, str], index: int,
                     counted: tuple[int, int, int]) -> InputProblem:
    """A NaN/Infinity literal in the element just read (see text.non_json_constant); ``counted`` is
    the readers' line state (counted_to, line, line_start) at or before it."""
    offset, name = constant
    line, line_start = line_at(text, counted[0], offset, counted[1], counted[2])
    return InputProblem(source, line, offset - line_start + 1, non_json_message(index, name), index, "warning",
                        "non-json-number")


def element_item(source: str, index: int, line: int, column: int, value: object, raw: str,
                 offset: int) -> Record | InputProblem:
    """The record an array element is, or the problem when it is not an object or nests too deep."""
    if isinstance(value, Undecodable):
        return InputProblem(source, line, column, f"record {index} {value.message}", index, "error", value.code)
    if type(value) is dict and (depth := too_deep(value, raw)) is not None:
        return InputProblem(source, line, column, f"record {index} {depth}", index, "error", "too-deep")
    if type(value) is dict:
        record = RecordBuilder(source, index, line, column, value, raw, offset)
        record.__class__ = Record  # new_record() inlined: this runs once per record
        return record
    message = f"record {index} is {json_type_name(value)}, not an object"
    return InputProblem(source, line, column, message, index, "error", "not-an-object")


def _as_decode_error(failure: Exception, text: str) -> json.JSONDecodeError:
    if isinstance(failure, StopIteration):  # what raw_decode turns into "Expecting value"
        return json.JSONDecodeError("Expecting value", text, failure.value)
    return failure  # type: ignore[return-value]


def _broken_element(
    source: str,
    text: str,
    lines: LineCounter,
    element_start: int,
    err: json.JSONDecodeError,
    index: int,
    pending_bad: list[BadByte],
) -> Generator[InputProblem, None, int | None]:
    """Report an element that does not decode; return where reading resumes (None: stop)."""
    # Positions are asked for in increasing order: the counter only moves forward.
    column = lines.position(element_start)[1]
    yield from _bad_bytes_before(source, lines, pending_bad, err.pos, index, element_start)
    error_line, error_column = lines.position(err.pos)
    resume = _find_resume(text, element_start, err.pos, column)
    if resume is None:
        where = "; no later record could be found, so the rest of the file was not read"
    else:
        where = _resumed_at(lines, resume)
    message = f"record {index} is not valid JSON: {decoder_message(err)}{where}"
    yield InputProblem(source, error_line, error_column, message, index, "error", "invalid-json")
    return resume


def _bad_separator(
    source: str, text: str, lines: LineCounter, pos: int, index: int
) -> Generator[InputProblem, None, int | None]:
    """Report what follows record ``index - 1`` when it is not ',' or ']'; return where to go on."""
    separator = text[pos : pos + 1]
    if separator in ("{", "["):
        message = f"expected ',' between record {index - 1} and record {index}"
        yield _problem(source, lines, pos, message, index)
        return pos  # a forgotten comma: read the next element where it is
    if not separator:
        yield _problem(source, lines, pos, "the array is not closed: expected ']' at the end of the file", None)
        return None
    line, column = lines.position(pos)
    resume = _find_resume(text, pos, pos, None)
    message = f"expected ',' or ']' after record {index - 1}; got {separator!r}"
    if resume is None:
        message += "; the rest of the file was not read"
    else:
        message += _resumed_at(lines, resume)
    yield InputProblem(source, line, column, message, None, "error", "invalid-json")
    return resume


def _after_close(source: str, text: str, pos: int, lines: LineCounter) -> Iterator[InputProblem]:
    """A problem for anything but whitespace after the closing bracket (``pos`` is just past it)."""
    rest = WHITESPACE_RE.match(text, pos).end()
    if rest < len(text):
        yield _problem(source, lines, rest, "unexpected text after the end of the array", None)


def _bad_bytes_before(
    source: str, lines: LineCounter, pending: list[BadByte], end: int, index: int | None, element_start: int
) -> Iterator[InputProblem]:
    """Report (and drop from ``pending``) the invalid bytes before ``end``, naming their record."""
    while pending and pending[0].char_offset < end:
        bad = pending.pop(0)
        owner = index if bad.char_offset >= element_start else None
        subject = f"record {owner} has" if owner is not None else "the file has"
        message = (
            f"{subject} invalid UTF-8 (byte 0x{bad.byte:02x}); it was read as U+FFFD, "
            "the replacement character"
        )
        line, column = lines.position(bad.char_offset)
        yield InputProblem(source, line, column, message, owner, "error", "invalid-utf8")


def _find_resume(text: str, element_start: int, error_pos: int, column: int | None) -> int | None:
    """Offset of the next element that decodes cleanly after damaged text, or None."""
    after_brackets = _end_by_brackets(text, element_start)
    if after_brackets is not None:
        match = _NEXT_ELEMENT_RE.match(text, WHITESPACE_RE.match(text, after_brackets).end())
        if match and _decodes_as_element(text, match.end() - 1):
            return match.end() - 1
    fallback = None
    for match in _NEXT_ELEMENT_RE.finditer(text, error_pos):
        brace = match.end() - 1
        if not _decodes_as_element(text, brace):
            continue
        if column is None or brace - text.rfind("\n", 0, brace) == column:
            return brace
        if fallback is None:
            fallback = brace
    return fallback


def _end_by_brackets(text: str, start: int) -> int | None:
    """Offset just past the bracket that closes the one at ``text[start]``, scanning leniently."""
    depth = 0
    for token in _BRACKET_TOKEN_RE.finditer(text, start):
        char = token.group()[0]
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return token.end()
            if depth < 0:
                return None
    return None


def _decodes_as_element(text: str, pos: int) -> bool:
    """Whether a top-level element plausibly starts at ``pos``: it decodes and is followed by
    ``,`` and another object, or by the ``]`` that ends the file (an object nested in the damaged
    record is usually followed by more of that record instead)."""
    try:
        _, end = JSON_DECODER.raw_decode(text, pos)
    except (ValueError, RecursionError):
        return False
    after = WHITESPACE_RE.match(text, end).end()
    if text.startswith(",", after):
        return text.startswith("{", WHITESPACE_RE.match(text, after + 1).end())
    return text.startswith("]", after) and WHITESPACE_RE.match(text, after + 1).end() == len(text)


def _resumed_at(lines: LineCounter, offset: int) -> str:
    line, column = lines.position(offset)
    return f"; reading resumed at line {line}, column {column}"


def _problem(
    source: str, lines: LineCounter, offset: int, message: str, index: int | None,
    severity: str = "error", code: str = "invalid-json",
) -> InputProblem:
    line, column = lines.position(offset)
    return InputProblem(source, line, column, message, index, severity, code)
