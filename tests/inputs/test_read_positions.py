"""Records carry the exact line and column of their opening brace, in every layout."""
from __future__ import annotations

import json

import pytest

from tests.inputs.helpers import problems_of, read_all, records_of

RECORDS = [{"instruction": "q1", "output": "a"}, {"instruction": "q2", "output": "é"}, {"k": [1, {"n": None}]}]


def brace_positions(text: str) -> list[tuple[int, int]]:
    """Where each top-level record's '{' is, found the slow obvious way."""
    positions, depth, in_string, escaped = [], 0, False, False
    line, column = 1, 0
    for char in text:
        column += 1
        if char == "\n":
            line, column = line + 1, 0
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "{[":
            if char == "{" and depth == 1:
                positions.append((line, column))
            depth += 1
        elif char in "}]":
            depth -= 1
    return positions


@pytest.mark.parametrize("indent", [None, 2, 4, "\t"])
def test_json_array_records_point_at_their_brace(indent):
    text = json.dumps(RECORDS, indent=indent, ensure_ascii=False)
    records = records_of(read_all(text.encode()))
    assert [r.data for r in records] == RECORDS
    assert [(r.line, r.column) for r in records] == brace_positions(text)
    assert [r.index for r in records] == [0, 1, 2]
    for record in records:
        assert text[record.offset : record.offset + len(record.text)] == record.text
        assert json.loads(record.text) == record.data


def test_pretty_array_with_indent_2_positions():
    text = json.dumps(RECORDS, indent=2)
    records = records_of(read_all(text.encode()))
    assert [(r.line, r.column) for r in records] == [(2, 3), (6, 3), (10, 3)]


def test_compact_one_line_array_columns():
    records = records_of(read_all(b'[{"a": 1},{"b": 2}, {"c": 3}]'))
    assert [(r.line, r.column) for r in records] == [(1, 2), (1, 11), (1, 21)]


def test_columns_count_code_points_not_bytes():
    # Two-byte, three-byte and four-byte characters before the second record on the same line.
    data = '[{"a": "é中😀"}, {"b": 1}]'.encode()
    second = records_of(read_all(data))[1]
    assert (second.line, second.column) == (1, 16)
    assert '[{"a": "é中😀"}, {"b": 1}]'[second.column - 1] == "{"


def test_crlf_newlines_keep_columns_right():
    text = json.dumps(RECORDS, indent=2).replace("\n", "\r\n")
    records = records_of(read_all(text.encode()))
    assert [(r.line, r.column) for r in records] == [(2, 3), (6, 3), (10, 3)]
    assert not records[0].text.endswith("\r")


def test_jsonl_positions_with_blank_lines_and_indent():
    data = b'{"a": 1}\n\n   \n  {"b": 2}\r\n\t{"c": 3}'
    records = records_of(read_all(data, ".jsonl"))
    assert [(r.index, r.line, r.column, r.text) for r in records] == [
        (0, 1, 1, '{"a": 1}'),
        (1, 4, 3, '{"b": 2}'),
        (2, 5, 2, '{"c": 3}'),
    ]
    text = data.decode()
    assert all(text[r.offset : r.offset + len(r.text)] == r.text for r in records)


def test_json_suffix_without_bracket_is_read_as_jsonl():
    items = read_all(b'{"a": 1}\n{"b": 2}\n', ".json")
    assert [r.data for r in records_of(items)] == [{"a": 1}, {"b": 2}]
    assert problems_of(items) == []


def test_jsonl_suffix_with_array_records_stays_jsonl():
    items = read_all(b'[1, 2]\n{"b": 2}\n', ".jsonl")
    assert [r.data for r in records_of(items)] == [{"b": 2}]
    assert [(p.line, p.code) for p in problems_of(items)] == [(1, "not-an-object")]


def test_jsonl_suffix_holding_a_pretty_array_is_read_as_array_with_a_warning():
    items = read_all(b'[\n  {"a": 1}\n]\n', ".jsonl")
    assert [r.data for r in records_of(items)] == [{"a": 1}]
    assert [(p.severity, p.code) for p in problems_of(items)] == [("warning", "format")]


def test_stdin_style_sniffing_without_suffix():
    assert [r.data for r in records_of(read_all(b' [{"a": 1}]', ""))] == [{"a": 1}]
    assert [r.data for r in records_of(read_all(b'{"a": 1}\n', ""))] == [{"a": 1}]


def test_bom_is_a_warning_and_positions_ignore_it():
    items = read_all(b'\xef\xbb\xbf[{"a": 1}, {"b": 2}]')
    assert [(p.line, p.column, p.severity, p.code) for p in problems_of(items)] == [(1, 1, "warning", "bom")]
    assert [(r.line, r.column) for r in records_of(items)] == [(1, 2), (1, 12)]
    jsonl = read_all(b'\xef\xbb\xbf{"a": 1}\n{"b": 2}\n', ".jsonl")
    assert [(r.line, r.column) for r in records_of(jsonl)] == [(1, 1), (2, 1)]


def test_records_are_frozen_and_picklable():
    import dataclasses
    import pickle

    record = records_of(read_all(b'[{"a": 1}]'))[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.line = 3  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(record)) == record
    assert dataclasses.replace(record, index=5).index == 5
