"""locate() finds a field's value in the file; span mapping handles escapes."""
from __future__ import annotations

import json

import pytest

from tests.inputs.helpers import read_all, records_of
from vgptlint.inputs import locate, locate_span, parse_pointer, raw_span, value_range
from vgptlint.inputs.locate import raw_offset

PRETTY = """[
  {
    "messages": [
      {"role": "user", "content": "hi"},
      {"role": "assistant", "content": "SELECT a\\nFROM t"}
    ],
    "meta": {"tags": ["x", "y"], "n": 3}
  }
]
"""


@pytest.fixture()
def record():
    return records_of(read_all(PRETTY.encode()))[0]


def char_at(position):
    line, column = position
    return PRETTY.splitlines()[line - 1][column - 1]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((), (2, 3)),
        (("messages",), (3, 17)),
        (("messages", 0), (4, 7)),
        (("messages", 1, "content"), (5, 40)),
        (("messages", "1", "content"), (5, 40)),
        (("messages", -1, "role"), (5, 16)),
        (("meta", "tags", 1), (7, 28)),
        (("meta", "n"), (7, 39)),
    ],
)
def test_locate_nested_keys_and_indexes(record, path, expected):
    assert locate(record, path) == expected


def test_located_positions_point_at_the_value(record):
    assert char_at(locate(record, ("messages", 1, "content"))) == '"'
    assert char_at(locate(record, ("meta", "n"))) == "3"
    assert char_at(locate(record, ("messages",))) == "["


@pytest.mark.parametrize("path", [("nope",), ("messages", 5), ("messages", "x"), ("meta", "n", "deeper"), ("meta", 0)])
def test_locate_unknown_paths_are_none(record, path):
    assert locate(record, path) is None


def test_locate_with_duplicate_keys_takes_the_last_like_json_loads():
    [record] = records_of(read_all(b'[{"a": 1, "a": 2}]'))
    assert record.data == {"a": 2}
    assert locate(record, ("a",)) == (1, 16)


def test_locate_in_jsonl_with_leading_indent():
    records = records_of(read_all(b'{"a": 1}\n   {"b": {"c": true}}\n', ".jsonl"))
    assert locate(records[1], ("b", "c")) == (2, 16)


def test_value_range_is_the_raw_text_for_splicing(record):
    start, end = value_range(record.text, ("messages", 1, "content"))
    assert record.text[start:end] == '"SELECT a\\nFROM t"'
    absolute = record.offset + start
    assert PRETTY[absolute : absolute + end - start] == '"SELECT a\\nFROM t"'


def test_span_after_an_escape_maps_to_raw_columns(record):
    # decoded "SELECT a\nFROM t": "FROM" is decoded 9..13, raw 10..14 of the body
    value = record.data["messages"][1]["content"]
    assert value[9:13] == "FROM"
    start, end = locate_span(record, ("messages", 1, "content"), 9, 13)
    line = PRETTY.splitlines()[start[0] - 1]
    assert line[start[1] - 1 : end[1] - 1] == "FROM"


@pytest.mark.parametrize(
    ("raw_body", "decoded_offset", "expected"),
    [
        ("abc", 0, 0),
        ("abc", 3, 3),
        ("abc", 4, None),
        ('a\\"b', 2, 3),
        ("\\\\x", 1, 2),
        ("\\u00e9t\\u00e9", 1, 6),
        ("\\u00e9t\\u00e9", 3, 13),
        ("\\ud83d\\ude00x", 1, 12),
        ("😀x", 1, 1),
        ("\\ud800x", 1, 6),  # a lone surrogate escape is one character too
        ("a\\/b\\tc", 4, 6),
    ],
)
def test_raw_offset(raw_body, decoded_offset, expected):
    assert raw_offset(raw_body, decoded_offset) == expected


def test_raw_span_round_trips_through_json():
    value = 'é "q" \\ tab\there 😀 \u2028 end'
    text = "[" + json.dumps({"v": value}) + "]"
    [record] = records_of(read_all(text.encode()))
    start, end = raw_span(record, ("v",), 6, 9)
    assert json.loads('"' + record.text[start:end] + '"') == value[6:9]


def test_span_on_a_non_string_is_none(record):
    assert locate_span(record, ("meta", "n"), 0, 1) is None
    assert locate_span(record, ("messages", 0, "content"), 0, 9) is None  # past the end of "hi"


def test_parse_pointer_feeds_locate(record):
    assert locate(record, parse_pointer("/messages/1/content")) == (5, 40)
