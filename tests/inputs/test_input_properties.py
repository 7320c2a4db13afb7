"""Property tests: whatever json.dumps writes, the readers read back with exact positions."""
from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.inputs.helpers import problems_of, read_all, records_of
from vgptlint.inputs import locate, raw_span, value_range
from vgptlint.inputs.text import JSON_DECODER, non_json_constant

# Lone surrogates cannot be written as UTF-8 with ensure_ascii=False, so text excludes them;
# astral characters still become surrogate-pair escapes with ensure_ascii=True.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT
VALUES = st.recursive(
    LEAVES, lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3), max_leaves=10
)
RECORDS = st.lists(st.dictionaries(TEXT, VALUES, max_size=4), max_size=5)
STYLES = st.fixed_dictionaries(
    {
        "indent": st.sampled_from([None, 0, 1, 2, 4, "\t"]),
        "ensure_ascii": st.booleans(),
        "separators": st.sampled_from([None, (",", ":"), (", ", ": ")]),
    }
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def expected_position(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def string_leaves(value, path=()):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from string_leaves(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from string_leaves(child, path + (index,))


def check_records(text: str, records, expected_data) -> None:
    assert [r.data for r in records] == expected_data
    for record in records:
        assert text[record.offset] == "{"
        assert text[record.offset : record.offset + len(record.text)] == record.text
        assert (record.line, record.column) == expected_position(text, record.offset)


@SETTINGS
@given(RECORDS, STYLES, st.sampled_from(["\n", "\r\n"]))
def test_json_array_round_trip_and_positions(data, style, newline):
    text = json.dumps(data, **style).replace("\n", newline)
    items = read_all(text.encode())
    assert [p.code for p in problems_of(items)] == (["no-records"] if not data else [])
    check_records(text, records_of(items), data)


@SETTINGS
@given(RECORDS, STYLES.filter(lambda style: style["indent"] is None), st.sampled_from(["\n", "\r\n", "\n\n"]))
def test_jsonl_round_trip_and_positions(data, style, newline):
    text = "".join(json.dumps(record, **style) + newline for record in data)
    items = read_all(text.encode(), ".jsonl")
    assert [p.code for p in problems_of(items)] == ([] if data else ["empty"])
    check_records(text, records_of(items), data)


@SETTINGS
@given(RECORDS.filter(bool), STYLES)
def test_locate_every_string_leaf_points_at_its_opening_quote(data, style):
    text = json.dumps(data, **style)
    for record in records_of(read_all(text.encode())):
        for path, value in string_leaves(record.data):
            start, end = value_range(record.text, path)
            assert json.loads(record.text[start:end]) == value
            offset = record.offset + start
            assert text[offset] == '"'
            assert locate(record, path) == expected_position(text, offset)


@SETTINGS
@given(TEXT.filter(bool), st.data(), st.booleans())
def test_decoded_spans_map_to_raw_text_that_decodes_back(value, draw, ensure_ascii):
    text = "[" + json.dumps({"k": [value]}, ensure_ascii=ensure_ascii) + "]"
    [record] = records_of(read_all(text.encode()))
    start = draw.draw(st.integers(0, len(value)))
    end = draw.draw(st.integers(start, len(value)))
    raw_start, raw_end = raw_span(record, ("k", 0), start, end)
    assert json.loads('"' + record.text[raw_start:raw_end] + '"') == value[start:end]


NON_JSON_TEXT = st.text(st.sampled_from('NaInfty-"\\ x'), max_size=12)
NON_JSON_VALUES = st.recursive(
    st.floats() | NON_JSON_TEXT | st.integers(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(NON_JSON_TEXT, children, max_size=3), max_leaves=8)


@SETTINGS
@given(value=NON_JSON_VALUES, style=STYLES)
def test_the_first_nan_or_infinity_is_found_where_written_and_never_inside_a_string(value, style):
    """Against a plain scan that walks every string: same offset and spelling, None when only strings hold them."""
    text = json.dumps(value, **style)
    JSON_DECODER.decode(text)
    first = next((m for m in re.finditer(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', text) if m.group(1)), None)
    assert non_json_constant(text, 0, len(text)) == (None if first is None else (first.start(1), first.group(1)))
