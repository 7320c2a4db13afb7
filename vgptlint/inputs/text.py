"""Small text helpers shared by the readers: line/column counting, UTF-8 decoding with problems.

Only ``\\n`` starts a new line; columns count code points. Both match what editors and the
``json`` module's own error messages use.
"""
from __future__ import annotations

import codecs
import json
import math
import re
import threading
from dataclasses import dataclass

# JSON's four whitespace characters (RFC 8259 section 2); str.isspace() would accept more.
JSON_WHITESPACE = " \t\n\r"
WHITESPACE_RE = re.compile(r"[ \t\n\r]*")
UTF8_BOM = codecs.BOM_UTF8
# UTF-32 first: its little-endian BOM starts with UTF-16's.
FOREIGN_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
# A file with many bad bytes is one problem repeated; report the first few and a count.
MAX_REPORTED_BAD_BYTES = 10


# Thread ids, one per NaN/Infinity literal the decoder has read and no reader has reported yet. The
# readers test the list's truth once per record (nearly free); only then is non_json_constant called.
CONSTANTS_READ: list[int] = []
_CONSTANTS_LOCK = threading.Lock()
_CONSTANT_VALUES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
# Everything before the first N or I outside a string (in decoded JSON, only NaN and Infinity start so);
# strings are skipped whole in C. Each piece starts with a character the others cannot, so it is linear.
_BEFORE_CONSTANT_RE = re.compile(r'[^"NI]*(?:"[^"\\]*(?:\\.[^"\\]*)*"[^"NI]*)*')


def _read_constant(name: str) -> float:
    with _CONSTANTS_LOCK:
        CONSTANTS_READ.append(threading.get_ident())
    return _CONSTANT_VALUES[name]


# The readers' decoder: Python's, which also reads NaN and Infinity (not JSON); it notes them so that
# each record holding one is reported.
JSON_DECODER = json.JSONDecoder(parse_constant=_read_constant)


def non_json_constant(text: str, start: int, end: int) -> tuple[int, str] | None:
    """The offset and spelling of the first NaN/Infinity in ``text[start:end]`` (one value this
    thread's decoder just read, when ``CONSTANTS_READ`` is not empty), or None.

    >>> _ = JSON_DECODER.decode('{"a": "NaN", "b": -Infinity}')
    >>> non_json_constant('{"a": "NaN", "b": -Infinity}', 0, 28), CONSTANTS_READ
    ((18, '-Infinity'), [])
    """
    me = threading.get_ident()
    with _CONSTANTS_LOCK:
        if me not in CONSTANTS_READ:
            return None
        CONSTANTS_READ[:] = [ident for ident in CONSTANTS_READ if ident != me]
    at = _BEFORE_CONSTANT_RE.match(text, start, end).end()
    if at >= end:
        return None  # read by a value that failed to decode, not this one
    if at > start and text[at - 1] == "-":
        return at - 1, "-Infinity"
    return at, "NaN" if text.startswith("NaN", at) else "Infinity"


def non_json_message(index: int, name: str) -> str:
    return (f"record {index} holds {name}, which is not JSON (RFC 8259): Python's json module and pyarrow (LLaMA-Factory's "
            "loader) read it as a float, stricter readers reject the file; write null or a number")


class LineCounter:
    """Turns character offsets into (line, column), fast when offsets only grow.

    Reading a big array asks for one position per record, in order, so each call only counts the
    newlines between the previous offset and this one.

    >>> counter = LineCounter("ab\\ncd\\r\\nef")
    >>> counter.position(0), counter.position(4), counter.position(8)
    ((1, 1), (2, 2), (3, 2))
    >>> counter.position(1)
    (1, 2)
    """

    __slots__ = ("text", "offset", "line", "line_start", "origin")

    def __init__(self, text: str, offset: int = 0, line: int = 1, line_start: int = 0,
                 origin: tuple[int, int, int] = (0, 1, 0)) -> None:
        """Start counting at ``offset``, which is on ``line``, a line that starts at ``line_start``.

        ``origin`` is the same for the text's first known position, where counting starts again when
        an earlier offset is asked for: (0, 1, 0) for a whole file; a text that is the rest of a file
        read a window at a time starts on a later line.
        """
        self.text = text
        self.offset = offset
        self.line = line
        self.line_start = line_start
        self.origin = origin

    def position(self, offset: int) -> tuple[int, int]:
        if offset < self.offset:  # rare (a problem found behind the last record): recount
            self.offset, self.line, self.line_start = self.origin
        self.line, self.line_start = line_at(self.text, self.offset, offset, self.line, self.line_start)
        self.offset = offset
        return self.line, offset - self.line_start + 1


def line_at(text: str, counted_to: int, offset: int, line: int, line_start: int) -> tuple[int, int]:
    """(line, line start) of ``text[offset]``, counting on from ``counted_to``, which is on ``line``,
    a line that starts at ``line_start`` (the readers' incremental line state).

    >>> line_at("a\\nbc\\nd", 0, 6, 1, 0)
    (3, 5)
    """
    newline_count = text.count("\n", counted_to, offset)
    if newline_count:
        return line + newline_count, text.rfind("\n", counted_to, offset) + 1
    return line, line_start


def position_in(text: str, offset: int, line: int = 1, column: int = 1) -> tuple[int, int]:
    """(line, column) of ``text[offset]`` when ``text[0]`` is at (line, column).

    >>> position_in('{"a":\\n  "b"}', 8, line=5, column=3)
    (6, 3)
    """
    newline_count = text.count("\n", 0, offset)
    if not newline_count:
        return line, column + offset
    return line + newline_count, offset - text.rfind("\n", 0, offset)


# Records nested deeper than this are reported, not linted: every later step (selectors, rules,
# fixes, pickling to --jobs workers) may recurse once per level, and Python's recursion limit is
# about 1,000 frames. Real records nest a handful of levels; 100 leaves room for any of them.
MAX_NESTING = 100


def too_deep(value: object, text: str) -> str | None:
    """A message when ``value`` (decoded from ``text``) nests deeper than :data:`MAX_NESTING`, else None.

    Cheap for ordinary records: only a text with that many brackets is walked (iteratively).

    >>> too_deep({"a": [1]}, '{"a": [1]}') is None
    True
    >>> deep = []
    >>> for _ in range(150):
    ...     deep = [deep]
    >>> too_deep(deep, "[" * 151)
    'nests 151 levels deep; vgptlint reads records up to 100 levels deep'
    """
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return None
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    if deepest <= MAX_NESTING:
        return None
    return f"nests {deepest} levels deep; vgptlint reads records up to {MAX_NESTING} levels deep"


def undecodable(err: BaseException) -> tuple[str, str]:
    """The problem code and message (after "record N") for valid JSON the decoder still gives up on:
    a RecursionError (nesting), or a ValueError that is not a syntax error (an integer of over
    4,300 digits, Python's limit against quadratic conversion).

    >>> undecodable(RecursionError())[0], undecodable(ValueError("Exceeds the limit (4300 digits); use ..."))
    ('too-deep', ('invalid-number', "holds a number Python's json module refuses: Exceeds the limit (4300 digits)"))
    """
    if isinstance(err, RecursionError):
        return "too-deep", (f"nests too deep for the JSON decoder (over ~900 levels); vgptlint reads records up to "
                            f"{MAX_NESTING} levels deep")
    return "invalid-number", f"holds a number Python's json module refuses: {str(err).split(';')[0]}"


@dataclass(frozen=True, slots=True)
class BadByte:
    """An invalid UTF-8 sequence: where it is in the decoded text, and the byte that starts it."""

    char_offset: int
    byte: int


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text decoded with U+FFFD for invalid bytes; ``bad_bytes`` lists the first few of them."""

    text: str
    bad_bytes: tuple[BadByte, ...] = ()
    bad_byte_count: int = 0


def decode_utf8(data: bytes | memoryview) -> Decoded:
    """Decode UTF-8, replacing invalid sequences with U+FFFD and remembering where they were.

    >>> decode_utf8(b"ok")
    Decoded(text='ok', bad_bytes=(), bad_byte_count=0)
    >>> d = decode_utf8(b"a\\xffb\\xfe")
    >>> d.text, [(b.char_offset, hex(b.byte)) for b in d.bad_bytes]
    ('a\\ufffdb\\ufffd', [(1, '0xff'), (3, '0xfe')])
    """
    try:
        return Decoded(bytes(data).decode("utf-8") if isinstance(data, memoryview) else data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    view = memoryview(data)
    pieces: list[str] = []
    bad: list[BadByte] = []
    char_offset = 0
    start = 0
    while len(bad) < MAX_REPORTED_BAD_BYTES:
        try:
            piece, _ = codecs.utf_8_decode(view[start:], "strict", True)
        except UnicodeDecodeError as err:
            piece, _ = codecs.utf_8_decode(view[start : start + err.start], "strict", True)
            pieces.append(piece)
            char_offset += len(piece)
            bad.append(BadByte(char_offset, view[start + err.start]))
            pieces.append("\ufffd")
            char_offset += 1
            start += err.end
            continue
        pieces.append(piece)
        return Decoded("".join(pieces), tuple(bad), len(bad))
    rest, _ = codecs.utf_8_decode(view[start:], "replace", True)
    pieces.append(rest)
    # Beyond the reported ones, count replacement characters: an estimate, since the file may
    # also contain real U+FFFD characters.
    return Decoded("".join(pieces), tuple(bad), len(bad) + rest.count("\ufffd"))


def decoder_message(err: ValueError) -> str:
    """The ``json`` decoder's message without its dangling " at" (the position is reported apart).

    >>> import json
    >>> try:
    ...     json.loads('"abc')
    ... except json.JSONDecodeError as err:
    ...     decoder_message(err)
    'Unterminated string'
    """
    message = getattr(err, "msg", str(err))
    for suffix in (" starting at", " at"):
        if message.endswith(suffix):
            return message[: -len(suffix)]
    return message


def json_type_name(value: object) -> str:
    """The JSON name of a decoded value's type, for messages.

    >>> json_type_name([1]), json_type_name(True), json_type_name(None), json_type_name(2.5)
    ('an array', 'a boolean', 'null', 'a number')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
