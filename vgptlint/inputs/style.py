"""Which format a dataset file is in, and how it is written (indent, newlines, escaping).

A fixer re-serializes a changed record in the file's own style, so a one-field fix does not
reformat the whole file: :func:`describe_file` detects the style from the file's head and
:func:`render_record` writes a record in it.
"""
from __future__ import annotations

import json
import os
import re

from vgptlint.inputs.records import FileInfo
from vgptlint.inputs.text import JSON_WHITESPACE, UTF8_BOM, WHITESPACE_RE

# Enough to hold the first record of any real dataset; style is read from the head only.
HEAD_SIZE = 1 << 20
_DECODER = json.JSONDecoder()
_NON_ASCII_ESCAPE_RE = re.compile(rb"\\u(?:00[89a-fA-F]|0[1-9a-fA-F]|[1-9a-fA-F])")
_PRETTY_OPEN_RE = re.compile(r"\{[ \t]*\r?\n([ \t]*)\S")
_KEY_SEPARATOR_RE = re.compile(r"[ \t]*:[ \t]*")
_ITEM_SEPARATOR_RE = re.compile(r"[ \t]*,[ \t]*")


def sniff_format(first_line: bytes, suffix: str) -> str:
    """``json-array`` or ``jsonl``, from the first non-blank line (BOM removed) and the file suffix.

    A ``.json`` file whose first character is not ``[`` is JSON Lines, as LLaMA-Factory (through
    ``datasets``) reads it. A ``.jsonl`` file that starts with ``[`` is still JSON Lines when its
    first line is a complete JSON value (an array record, reported as not an object).

    >>> sniff_format(b'[\\n', ".json"), sniff_format(b'{"a": 1}\\n', ".json")
    ('json-array', 'jsonl')
    >>> sniff_format(b'[1, 2]\\n', ".jsonl"), sniff_format(b'[{"a": 1},\\n', ".jsonl")
    ('jsonl', 'json-array')
    """
    stripped = first_line.lstrip(JSON_WHITESPACE.encode())
    if not stripped.startswith(b"["):
        return "jsonl"
    if suffix == ".jsonl" and line_is_json(first_line):
        return "jsonl"
    return "json-array"


def line_is_json(line: bytes) -> bool:
    """Whether one line holds exactly one complete JSON value."""
    try:
        json.loads(line)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
        return False
    except RecursionError:  # one value nested very deep: the JSON Lines reader reports it
        return True
    return True


def describe_file(path: str | os.PathLike[str]) -> FileInfo | None:
    """Detect a dataset file's format and style from its head; None if it cannot be read.

    Args:
        path: the dataset file.

    Returns:
        The style, with defaults for whatever the head gives no evidence of.
    """
    try:
        with open(path, "rb") as stream:
            head = stream.read(HEAD_SIZE)
            size = stream.seek(0, os.SEEK_END)
            last = head[-1:] if size <= len(head) else _last_byte(stream, size)
    except OSError:
        return None
    return describe_bytes(head, suffix=os.path.splitext(os.fspath(path))[1].lower(), last_byte=last)


def _last_byte(stream, size: int) -> bytes:
    stream.seek(size - 1)
    return stream.read(1)


def describe_bytes(head: bytes, *, suffix: str = "", last_byte: bytes | None = None) -> FileInfo:
    """Detect the style from the first bytes of a file (``last_byte`` says how it ends)."""
    has_bom = head.startswith(UTF8_BOM)
    if has_bom:
        head = head[len(UTF8_BOM) :]
    first_line = next((line for line in head.splitlines(keepends=True) if line.strip()), b"")
    file_format = sniff_format(first_line, suffix)
    crlf_count = head.count(b"\r\n")
    newline = "\r\n" if crlf_count and crlf_count * 2 >= head.count(b"\n") else "\n"
    if not head.isascii():
        ensure_ascii: bool | None = False
    else:
        ensure_ascii = True if _NON_ASCII_ESCAPE_RE.search(head) else None
    text = head.decode("utf-8", errors="replace")
    record_start = _first_record_start(text, file_format)
    indent = _indent(text, record_start) if record_start is not None and file_format == "json-array" else None
    separators = _separators(text, record_start, indent)
    ends_with_newline = (last_byte if last_byte is not None else head[-1:]) == b"\n"
    return FileInfo(file_format, has_bom, newline, indent, ensure_ascii, separators, ends_with_newline)


def _first_record_start(text: str, file_format: str) -> int | None:
    pos = WHITESPACE_RE.match(text).end()
    if file_format == "json-array":
        pos = WHITESPACE_RE.match(text, pos + 1).end()
    return pos if text.startswith("{", pos) else None


def _indent(text: str, record_start: int) -> int | str | None:
    """The per-level indent inside the first record: its first key's indent minus its own."""
    match = _PRETTY_OPEN_RE.match(text, record_start)
    if not match:
        return None
    line_start = text.rfind("\n", 0, record_start) + 1
    record_indent = text[line_start:record_start]
    key_indent = match.group(1)
    if record_indent.strip() or not key_indent.startswith(record_indent):
        return None
    step = key_indent[len(record_indent) :]
    if not step:
        return 0
    return len(step) if step.strip(" ") == "" else step


def _separators(text: str, record_start: int | None, indent: int | str | None) -> tuple[str, str]:
    """``(item, key)`` separators as the first record writes them after its first member."""
    item = "," if indent is not None else ", "
    key = ": "
    if record_start is None:
        return item, key
    pos = WHITESPACE_RE.match(text, record_start + 1).end()
    if not text.startswith('"', pos):
        return item, key
    try:
        _, key_end = json.decoder.scanstring(text, pos + 1)
        key_match = _KEY_SEPARATOR_RE.match(text, key_end)
        if not key_match:
            return item, key
        key = key_match.group()
        _, value_end = _DECODER.raw_decode(text, key_match.end())
    except (ValueError, IndexError, RecursionError):
        return item, key
    item_match = _ITEM_SEPARATOR_RE.match(text, value_end)
    if indent is None and item_match:
        item = item_match.group()
    return item, key


def render_record(value: object, info: FileInfo, base_indent: str = "") -> str:
    """Serialize one record in the file's style, ready to replace its old text in place.

    Args:
        value: the record's new data.
        info: the file's style, from :func:`describe_file`.
        base_indent: the whitespace before the record on its first line (pretty arrays), added
            to every following line so the record sits where the old one did.

    >>> info = FileInfo("json-array", indent=2, separators=(",", ": "), ensure_ascii=False)
    >>> print(render_record({"a": [1], "b": "é"}, info, base_indent="  "))
    {
        "a": [
          1
        ],
        "b": "é"
      }
    """
    text = json.dumps(
        value,
        ensure_ascii=bool(info.ensure_ascii),
        indent=info.indent,
        separators=info.separators,
    )
    if info.indent is not None:
        text = text.replace("\n", "\n" + base_indent)
    if info.newline != "\n":
        text = text.replace("\n", info.newline)
    return text
