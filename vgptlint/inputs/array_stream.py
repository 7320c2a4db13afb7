"""Read a JSON array from a stream a window at a time, so memory stays flat at any file size.

The file is decoded in blocks of ``WINDOW_BYTES``; the C scanner parses one element at a time from
the window (as :func:`~vgptlint.inputs.json_array.read_json_array` does from a whole text), and the
text of records already read is dropped whenever a block is added. Memory is one window plus the
largest record, instead of the whole decoded file (which, with a single emoji in it, Python stores
at 4 bytes a character).

A record is yielded here only once what follows it is known to be ``,`` and another element, or the
closing ``]`` and then only whitespace to the end of the file: exactly the records the whole-text
reader yields, with the same positions. Anything else (invalid UTF-8, an element that does not
decode, a missing or trailing comma, text after the array, an empty or unclosed array) hands the
rest of the file, from the element being read, to
:func:`~vgptlint.inputs.json_array.read_elements`, which reports it as it would for the whole text
(and holds the rest of the file's text, as it always has).
"""
from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import BinaryIO

from vgptlint.inputs.json_array import (ArrayPosition, element_item, non_json_problem, read_elements,
                                        read_json_array)
from vgptlint.inputs.records import InputProblem, Record
from vgptlint.inputs.text import (CONSTANTS_READ, JSON_DECODER, JSON_WHITESPACE, WHITESPACE_RE, BadByte, decode_utf8,
                                   line_at, non_json_constant)

WINDOW_BYTES = 8 << 20
_BLANK = JSON_WHITESPACE.encode()


class _Blocks:
    """The stream's bytes as text, a block at a time; keeps what it read undecoded when decoding fails."""

    def __init__(self, head: bytes, stream: BinaryIO, block_bytes: int) -> None:
        self.stream = stream
        self.block_bytes = block_bytes
        self.undecoded = head  # bytes read but not yet decoded (an incomplete UTF-8 sequence at the end)
        self.is_at_end = False

    def more(self) -> str | None:
        """The next block's text ("" at the end); None when it is not valid UTF-8 (see :meth:`rest`)."""
        data = self.stream.read(self.block_bytes)
        self.is_at_end = not data
        data = self.undecoded + data
        try:
            text, used = codecs.utf_8_decode(data, "strict", self.is_at_end)
        except UnicodeDecodeError:
            self.undecoded = data
            return None
        self.undecoded = data[used:]
        return text

    def rest(self):
        """Everything not yet decoded, to the end of the stream, decoded with its bad bytes."""
        return decode_utf8(self.undecoded + self.stream.read())

    def rest_is_blank(self) -> bool:
        """Whether only JSON whitespace is left; what was read to tell stays for :meth:`rest`."""
        if self.undecoded.strip(_BLANK):
            return False
        while data := self.stream.read(self.block_bytes):
            self.undecoded += data
            if data.strip(_BLANK):
                return False
        return True


def read_array_stream(source: str, head: bytes, stream: BinaryIO,
                      block_bytes: int = WINDOW_BYTES) -> Iterator[Record | InputProblem]:
    """Yield the records of the JSON array that starts in ``head`` (read from ``stream`` so far, BOM
    removed) and continues in ``stream``, and every problem found; see the module docstring."""
    blocks = _Blocks(head, stream, block_bytes)
    text, pos = "", 0
    while (added := blocks.more()) is not None:
        text += added
        pos = WHITESPACE_RE.match(text, WHITESPACE_RE.match(text).end() + 1).end()  # past "[" and blanks
        if pos < len(text) or blocks.is_at_end:
            break
    if added is None or pos == len(text) or text.startswith("]", pos):  # unusual from the start
        yield from _rest_of(source, text, blocks, None)
        return
    scan = JSON_DECODER.scan_once
    skip_ws = WHITESPACE_RE.match
    # Line state, as in read_elements: newlines are counted up to `counted_to`, on `line`, which
    # starts at `line_start` (negative once that is before the window).
    index, counted_to, line, line_start, offset_base = 0, 0, 1, 0, 0
    while True:
        element_start = pos
        separator, following = "", pos
        try:
            value, end = scan(text, pos)
        except (ValueError, StopIteration, RecursionError) as failure:  # ValueError: JSONDecodeError, or a huge number
            need_more = not _is_broken(failure, text)
        else:
            after = skip_ws(text, end).end()
            separator = text[after:after + 1]
            following = skip_ws(text, after + 1).end() if separator == "," else after
            # a number or literal may go on in the next block; "," or "]" must be seen and followed
            need_more = end == len(text) or (following == len(text) and separator != "]")
        if need_more and not blocks.is_at_end:
            line, line_start = line_at(text, counted_to, pos, line, line_start)  # counted before the text goes
            counted_to = pos
            if (added := blocks.more()) is not None:
                text = text[pos:] + added
                offset_base, line_start, counted_to, pos = offset_base + pos, line_start - pos, 0, 0
                continue
        is_last = (not need_more and separator == "]" and not text[following + 1:].strip(JSON_WHITESPACE)
                   and blocks.rest_is_blank())
        if need_more or not (is_last or (separator == "," and not text.startswith("]", following))):
            at = ArrayPosition(element_start - counted_to, index, 0, line, line_start - counted_to,
                               offset_base + counted_to)
            yield from _rest_of(source, text[counted_to:], blocks, at)
            return
        line, line_start = line_at(text, counted_to, element_start, line, line_start)
        counted_to = element_start
        column = element_start - line_start + 1
        if CONSTANTS_READ and (constant := non_json_constant(text, element_start, end)) is not None:
            yield non_json_problem(source, text, constant, index, (counted_to, line, line_start))
        yield element_item(source, index, line, column, value, text[element_start:end], offset_base + element_start)
        index += 1
        if is_last:
            return
        pos = following


def _is_broken(failure: Exception, text: str) -> bool:
    """Whether an element fails to decode whatever follows the window (a typo, not the window's end).

    Misjudging is harmless: either the window grows, or the rest of the file is read whole.
    """
    if not isinstance(failure, (json.JSONDecodeError, StopIteration)):  # read_elements reports it and skips the element
        return True
    if isinstance(failure, StopIteration):
        return failure.value < len(text)
    return failure.pos < len(text) - 1 and not failure.msg.startswith("Unterminated string")


def _rest_of(source: str, text: str, blocks: _Blocks, at: ArrayPosition | None) -> Iterator[Record | InputProblem]:
    """Read ``text`` and the rest of the stream whole: from ``at``, or from the start (``at`` None)."""
    rest = blocks.rest()
    whole = text + rest.text
    bad_bytes = tuple(BadByte(b.char_offset + len(text), b.byte) for b in rest.bad_bytes)
    if at is None:
        return read_json_array(source, whole, WHITESPACE_RE.match(whole).end(), bad_bytes)
    return read_elements(source, whole, at, bad_bytes)
