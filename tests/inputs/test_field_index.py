"""The shared per-field index locates spans exactly as the one-pass-per-finding functions did."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.inputs.locate import FieldIndex, raw_offset
from vgptlint.inputs.text import position_in

# Characters that JSON escapes in several ways, astral ones (surrogate pairs) and newlines.
_TEXT = st.text(alphabet=st.sampled_from(list('ab "\\\n\t/é😀\u2028')), max_size=40)


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.booleans(), st.data())
def test_field_index_agrees_with_raw_offset(value, ascii_only, data):
    raw = json.dumps({"k": value}, ensure_ascii=ascii_only)
    body_start = raw.index(":") + 3
    body_end = len(raw) - 2
    index = FieldIndex(raw, body_start, body_end)
    # any order of questions: the index is filled lazily as far as each one needs
    offsets = data.draw(st.lists(st.integers(0, len(value) + 2), max_size=8))
    for offset in offsets:
        expected = raw_offset(raw[body_start:body_end], offset)
        assert index.raw_offset(offset) == (None if expected is None else body_start + expected)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab\n", max_size=30), st.integers(1, 5), st.integers(1, 5), st.data())
def test_field_index_positions_agree_with_position_in(text, line, column, data):
    class Record:
        pass

    record = Record()
    record.text, record.line, record.column = text, line, column
    index = FieldIndex(text, 0, len(text))
    offset = data.draw(st.integers(0, len(text)))
    assert index.position(record, offset) == position_in(text, offset, line, column)
