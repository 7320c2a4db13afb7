"""The windowed JSON array reader yields exactly what the whole-text reader yields, whatever the
window size, for well-formed and damaged arrays alike."""
from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.inputs.test_input_properties import RECORDS, STYLES
from vgptlint.inputs.array_stream import read_array_stream
from vgptlint.inputs.json_array import read_json_array
from vgptlint.inputs.read import read_bytes
from vgptlint.inputs.text import WHITESPACE_RE, decode_utf8

# Bytes that damage JSON in the ways files get damaged: structure, strings, escapes, bad UTF-8.
DAMAGE = st.lists(st.sampled_from([b"{", b"}", b"[", b"]", b",", b'"', b"\\", b":", b" ", b"\n", b"1", b"x",
                                   b"\xff", b"\xc3", b"\xe2\x82", "é".encode(), "😀".encode()]), min_size=1, max_size=3)
EDITS = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), DAMAGE), max_size=3)


def whole_text_read(data: bytes) -> list:
    """What the reader did before it read arrays a window at a time."""
    decoded = decode_utf8(data)
    return list(read_json_array("a.json", decoded.text, WHITESPACE_RE.match(decoded.text).end(), decoded.bad_bytes))


def windowed_read(data: bytes, head_size: int, block_bytes: int) -> list:
    start = data.index(b"[") + 1
    head_size = max(start, min(head_size, len(data)))
    return list(read_array_stream("a.json", data[:head_size], io.BytesIO(data[head_size:]), block_bytes))


def damaged(text: bytes, edits) -> bytes:
    for where, deleted, inserted in edits:
        at = int(where * len(text))
        text = text[:at] + b"".join(inserted) + text[at + deleted:]
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RECORDS, STYLES, EDITS, st.integers(1, 64), st.integers(0, 40), st.sampled_from([b"", b" \n", b"\n\n  "]))
def test_windows_of_any_size_read_what_the_whole_text_reads(data, style, edits, block_bytes, head_size, lead):
    text = lead + damaged(json.dumps(data, **style).encode(), edits)
    if not text.lstrip(b" \t\r\n").startswith(b"["):
        return
    assert windowed_read(text, head_size, block_bytes) == whole_text_read(text)


@settings(max_examples=100, deadline=None)
@given(RECORDS.filter(bool), STYLES, st.integers(1, 16))
def test_a_compact_array_on_one_line_is_read_from_its_first_bytes(data, style, block_bytes):
    text = json.dumps(data, **style).encode()
    assert windowed_read(text, 1, block_bytes) == list(read_bytes(text, "a.json", ".json")) == whole_text_read(text)


def test_offsets_and_positions_after_many_windows():
    records = [{"id": i, "text": "é" * (i % 7) + "\n" * (i % 3)} for i in range(300)]
    text = json.dumps(records, indent=2, ensure_ascii=False).encode()
    read = windowed_read(text, 3, 50)
    assert read == whole_text_read(text)
    decoded = text.decode()
    assert all(decoded[r.offset:r.offset + len(r.text)] == r.text for r in read)


def test_lines_longer_than_the_sniffed_head_are_read_whole():
    blank_then_jsonl = b" " * 70_000 + b'\n{"a": 1}\n'
    (record,) = read_bytes(blank_then_jsonl, "a.jsonl", ".jsonl")
    assert (record.line, record.column, record.data) == (2, 1, {"a": 1})
    compact = b'[{"a": "' + b"x" * 70_000 + b'"}, {"b": 2}]'
    assert [r.data for r in read_bytes(compact, "a.json", ".json")] == [{"a": "x" * 70_000}, {"b": 2}]
    array_record_jsonl = b"[" + b"1, " * 30_000 + b"2]\n"
    (problem,) = read_bytes(array_record_jsonl, "a.jsonl", ".jsonl")
    assert problem.code == "not-an-object"
