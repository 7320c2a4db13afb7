"""Put a fixed dataset back together: every byte not inside a fixed record stays as it was.

The file's decoded text is cut at its records' raw ranges (``Record.offset`` and ``Record.text``):
what lies between records (``,\\n  `` in an array, line endings and blank lines in JSON Lines)
and around them (``[`` and ``]``, indentation) is kept. A fixed record's new text replaces its old
range; a dropped record leaves with its separator (its line, in JSON Lines); a shuffle keeps the
separators in place and moves the records through them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from vgptlint.inputs.records import FileInfo, Record


class LayoutError(Exception):
    """The records do not sit where the reader said: the file is not rewritten."""


def base_indent(text: str, offset: int) -> str:
    """The whitespace before ``text[offset]`` on its line ("" when other text precedes it).

    >>> base_indent("[\\n  {}", 4), base_indent("[{}", 1)
    ('  ', '')
    """
    line_start = text.rfind("\n", 0, offset) + 1
    before = text[line_start:offset]
    return before if not before.strip() else ""


def is_in_file_order(order: Sequence[int]) -> bool:
    return all(a < b for a, b in zip(order, order[1:]))


def assemble(text: str, info: FileInfo, records: Sequence[Record], new_texts: Mapping[int, str],
             order: Sequence[int]) -> str:
    """The file's new text.

    Args:
        text: the whole decoded file (BOM removed).
        info: its style (format).
        records: its records in file order.
        new_texts: new raw text by position in ``records``, for the records that changed.
        order: positions in ``records`` to write, in output order (dropped ones left out).
    """
    for record in records:
        if text[record.offset : record.offset + len(record.text)] != record.text:
            raise LayoutError(f"record {record.index} is not where it was read")
    if info.format == "jsonl":
        return _assemble_lines(text, records, new_texts, order)
    return _assemble_array(text, records, new_texts, order)


def _assemble_array(text: str, records: Sequence[Record], new_texts: Mapping[int, str], order: Sequence[int]) -> str:
    if not records:
        return text
    ends = [r.offset + len(r.text) for r in records]
    separators = [text[ends[i] : records[i + 1].offset] for i in range(len(records) - 1)]
    head, tail = text[: records[0].offset], text[ends[-1] :]
    if not order:
        return head.rstrip(" \t\r\n") + tail.lstrip(" \t\r\n")
    in_place = is_in_file_order(order)
    out = [head]
    for k, position in enumerate(order):
        out.append(new_texts.get(position, records[position].text))
        if k < len(order) - 1:
            # In file order a record keeps the separator after it; a shuffle keeps them in place.
            out.append(separators[position if in_place else k])
    out.append(tail)
    return "".join(out)


def split_lines(text: str) -> list[tuple[str, str]]:
    """``(body, ending)`` per line, split on ``\\n`` only (the JSONL reader's rule).

    >>> split_lines("a\\r\\nb\\nc")
    [('a', '\\r\\n'), ('b', '\\n'), ('c', '')]
    """
    pieces = text.split("\n")
    lines = [(p[:-1], "\r\n") if p.endswith("\r") else (p, "\n") for p in pieces[:-1]]
    lines.append((pieces[-1], ""))
    return lines


def _assemble_lines(text: str, records: Sequence[Record], new_texts: Mapping[int, str], order: Sequence[int]) -> str:
    lines = split_lines(text)
    bodies = []
    for position, record in enumerate(records):
        body, _ = lines[record.line - 1]
        start = record.column - 1
        if body[start : start + len(record.text)] != record.text:
            raise LayoutError(f"record {record.index} is not on line {record.line}")
        bodies.append(body[:start] + new_texts.get(position, record.text) + body[start + len(record.text) :])
    slots = [r.line - 1 for r in records]
    # In file order a record keeps its own line; a shuffle fills the record lines in turn.
    used = [slots[p] for p in order] if is_in_file_order(order) else slots[: len(order)]
    placed = dict(zip(used, (bodies[p] for p in order)))
    record_lines = set(slots)
    out = []
    for number, (body, ending) in enumerate(lines):
        if number in placed:
            out.append(placed[number] + ending)
        elif number not in record_lines:
            out.append(body + ending)
    result = "".join(out)
    if not text.endswith("\n") and result.endswith("\n"):  # the last line was dropped: keep "no final newline"
        result = result[: -2 if result.endswith("\r\n") else -1]
    return result
