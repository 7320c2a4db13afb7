"""``read_source``: one entry point for a dataset file or stdin, whatever its format.

The format is sniffed from the first non-blank line (see :func:`style.sniff_format`): a JSON
array is read a window at a time and parsed element by element with the C decoder
(:mod:`~vgptlint.inputs.array_stream`); JSON Lines is streamed line by line.
Nothing here raises on bad input: every problem is yielded as an :class:`InputProblem`.
"""
from __future__ import annotations

import io
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from vgptlint.inputs.array_stream import read_array_stream
from vgptlint.inputs.discover import special_file_kind
from vgptlint.inputs.jsonl import read_jsonl
from vgptlint.inputs.parquet import PARQUET_SUFFIX, read_parquet
from vgptlint.inputs.records import InputProblem, KnownRecord, KnownRecords, Record
from vgptlint.inputs.style import line_is_json, sniff_format
from vgptlint.inputs.text import FOREIGN_BOMS, JSON_WHITESPACE, UTF8_BOM, WHITESPACE_RE, decode_utf8

# The first line of a compact JSON array is the whole file: it is sniffed from its first bytes.
HEAD_LINE_BYTES = 1 << 16

STDIN_NAME = "<stdin>"
_DECODER = json.JSONDecoder()
_BLANK = JSON_WHITESPACE.encode()


def read_source(argument: str, display: str | None = None,
                known: KnownRecords | None = None) -> Iterator[Record | KnownRecord | InputProblem]:
    """Yield every record of a dataset file (or of stdin for ``-``) and every problem found.

    Args:
        argument: a file path, or ``-`` for stdin.
        display: the path to show in records and problems (default: ``argument`` as given).
        known: records a JSON Lines file need not decode (see :func:`~vgptlint.inputs.jsonl.read_jsonl`);
            other formats decode every record.

    Yields:
        Records in file order, interleaved with problems near where they occur.
    """
    if argument == "-":
        yield from read_stream(sys.stdin.buffer, display or STDIN_NAME, suffix="", known=known)
        return
    source = display or argument
    path = Path(argument)
    if path.is_dir():
        yield InputProblem(source, 1, 1, "is a directory, not a dataset file", None, "error", "is-directory")
        return
    if path.exists() and not path.is_file():  # opening a FIFO would wait for a writer, maybe forever
        yield InputProblem(source, 1, 1, f"is {special_file_kind(path)}, not a regular file", None, "error", "unreadable")
        return
    if path.suffix.lower() == PARQUET_SUFFIX:  # binary and columnar: its own reader, not the sniffing below
        yield from read_parquet(source, argument)
        return
    try:
        stream = open(path, "rb")
    except FileNotFoundError:
        yield InputProblem(source, 1, 1, "no such file", None, "error", "missing")
        return
    except OSError as err:
        yield InputProblem(source, 1, 1, f"cannot be read: {err.strerror}", None, "error", "unreadable")
        return
    with stream:
        try:
            yield from read_stream(stream, source, suffix=path.suffix.lower(), known=known)
        except OSError as err:  # a read failing halfway (network drive, EIO)
            yield InputProblem(source, 1, 1, f"reading failed: {err.strerror}", None, "error", "unreadable")


def read_stream(stream: BinaryIO, source: str, suffix: str,
                known: KnownRecords | None = None) -> Iterator[Record | KnownRecord | InputProblem]:
    """Read an open binary stream; ``suffix`` (``.json``, ``.jsonl`` or "") guides the sniffing."""
    head: list[bytes] = []
    while raw := stream.readline(HEAD_LINE_BYTES):
        if not head:
            raw, problem = _strip_bom(raw, source)
            if problem is not None:
                yield problem
                if problem.severity == "error":
                    return
        if not raw.endswith(b"\n") and not (raw.lstrip(_BLANK).startswith(b"[") and suffix != ".jsonl"):
            raw += stream.readline()  # JSON Lines (and the sniffing of .jsonl files) need whole lines
        head.append(raw)
        if raw.strip(_BLANK):
            break
    else:
        what = "is empty" if not any(head) else "holds only whitespace"
        yield InputProblem(source, 1, 1, f"{what}: it has no records", None, "warning", "empty")
        return
    file_format = sniff_format(head[-1], suffix)
    if file_format == "json-array":
        if suffix == ".jsonl":
            message = "is a JSON array, not JSON Lines; it was read as an array"
            yield InputProblem(source, 1, 1, message, None, "warning", "format")
        yield from read_array_stream(source, b"".join(head), stream)
    elif line_is_json(head[-1]):
        yield from read_jsonl(source, itertools.chain(head, stream), known=known)
    else:
        yield from _read_jsonl_or_single_value(source, b"".join(head) + stream.read())


def _strip_bom(first: bytes, source: str) -> tuple[bytes, InputProblem | None]:
    if first.startswith(UTF8_BOM):
        message = (
            "starts with a UTF-8 byte order mark (BOM), which json.load() rejects "
            '("Unexpected UTF-8 BOM"); save the file as UTF-8 without BOM'
        )
        return first[len(UTF8_BOM) :], InputProblem(source, 1, 1, message, None, "warning", "bom")
    for bom, encoding in FOREIGN_BOMS:
        if first.startswith(bom):
            message = f"is encoded as {encoding} (it starts with a {encoding} byte order mark); expected UTF-8"
            return first, InputProblem(source, 1, 1, message, None, "error", "encoding")
    return first, None


def _read_jsonl_or_single_value(source: str, data: bytes) -> Iterator[Record | InputProblem]:
    """The first line is not JSON: either one value pretty-printed over many lines, or broken JSONL."""
    text = decode_utf8(data).text
    start = WHITESPACE_RE.match(text).end()
    try:
        value, end = _DECODER.raw_decode(text, start)
    except (ValueError, RecursionError):  # JSONDecodeError, or valid JSON the decoder gives up on
        yield from read_jsonl(source, io.BytesIO(data))
        return
    if WHITESPACE_RE.match(text, end).end() != len(text):
        yield from read_jsonl(source, io.BytesIO(data))
        return
    line = text.count("\n", 0, start) + 1
    column = start - text.rfind("\n", 0, start)
    line_count = text.count("\n", start, end) + 1
    kind = "object" if isinstance(value, dict) else "value"
    message = (
        f"holds a single JSON {kind} over {line_count} lines; expected a JSON array of records "
        "or JSON Lines (one record per line)"
    )
    yield InputProblem(source, line, column, message, None, "error", "not-an-array")


def read_bytes(data: bytes, source: str, suffix: str = "") -> Iterator[Record | InputProblem]:
    """Read records from bytes in memory (rule examples, tests), sniffing the format."""
    yield from read_stream(io.BytesIO(data), source, suffix)
