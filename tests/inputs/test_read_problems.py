"""Bad input never raises: each problem is an InputProblem at the exact place, and reading goes on."""
from __future__ import annotations

import json
import os

import pytest

from tests.inputs.helpers import problems_of, read_all, records_of, where
from vgptlint.inputs import InputProblem, read_source


def test_jsonl_broken_line_is_reported_and_other_lines_are_read():
    data = b'{"a": 1}\n{"b": 2 "c": 3}\n{"d": 4}\n'
    items = read_all(data, ".jsonl")
    assert [(r.index, r.data) for r in records_of(items)] == [(0, {"a": 1}), (2, {"d": 4})]
    [problem] = problems_of(items)
    assert (problem.line, problem.column, problem.record_index) == (2, 9, 1)
    assert problem.message == "record 1 is not valid JSON: Expecting ',' delimiter"


def test_jsonl_error_column_matches_the_decoder():
    line = '  {"text": "ok", "n": 01}'
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(line)
    [problem] = problems_of(read_all((line + "\n").encode(), ".jsonl"))
    assert (problem.line, problem.column) == (caught.value.lineno, caught.value.colno)


def test_jsonl_extra_data_after_a_record():
    [problem] = problems_of(read_all(b'{"a": 1} {"b": 2}\n', ".jsonl"))
    assert where(problem) == (1, 10, "invalid-json")
    assert problem.message == "record 0 is not valid JSON: Extra data"


def test_jsonl_decoder_messages_lose_their_dangling_at():
    [problem] = problems_of(read_all(b'{"a": "open\n', ".jsonl"))
    assert problem.message == "record 0 is not valid JSON: Unterminated string"


def test_array_broken_record_resumes_at_the_next_record():
    text = json.dumps([{"a": 1}, {"b": 2}, {"c": 3}], indent=2).replace('"b": 2', '"b": 2 "x": 1')
    items = read_all(text.encode())
    assert [(r.index, r.data, r.line) for r in records_of(items)] == [(0, {"a": 1}, 2), (2, {"c": 3}, 8)]
    [problem] = problems_of(items)
    assert (problem.line, problem.column, problem.record_index) == (6, 12, 1)
    assert problem.message == (
        "record 1 is not valid JSON: Expecting ',' delimiter; reading resumed at line 8, column 3"
    )


def test_array_broken_record_with_nested_objects_does_not_resume_inside_it():
    data = b'[{"a": 1}, {"x": "oops, "m": [{"a": 1}, {"b": 2}]}, {"c": 3}]'
    items = read_all(data)
    assert [r.data for r in records_of(items)] == [{"a": 1}, {"c": 3}]
    assert [p.record_index for p in problems_of(items)] == [1]


def test_array_truncated_file_stops_with_the_error():
    items = read_all(b'[\n  {"a": 1},\n  {"b": "cut off')
    assert [r.data for r in records_of(items)] == [{"a": 1}]
    [problem] = problems_of(items)
    assert where(problem) == (3, 9, "invalid-json")  # the opening quote
    assert problem.message.startswith("record 1 is not valid JSON: Unterminated string")
    assert problem.message.endswith("the rest of the file was not read")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'[{"a": 1}\n {"b": 2}]', [(2, 2, "expected ',' between record 0 and record 1")]),
        (b'[{"a": 1},\n]', [(2, 1, "trailing comma before ']': Python's json module rejects it")]),
        (b'[{"a": 1}, {"b": 2}', [(1, 20, "the array is not closed: expected ']' at the end of the file")]),
        (b'[{"a": 1}] x', [(1, 12, "unexpected text after the end of the array")]),
    ],
)
def test_array_structure_problems(data, expected):
    items = read_all(data)
    assert [(p.line, p.column, p.message) for p in problems_of(items)] == expected
    assert records_of(items)[0].data == {"a": 1}


def test_missing_comma_still_reads_both_records():
    assert [r.data for r in records_of(read_all(b'[{"a": 1} {"b": 2}]'))] == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_records_that_are_not_objects_are_problems_not_records(suffix):
    values = [{"a": 1}, [1], "s", 3, True, None, {"b": 2}]
    if suffix == ".json":
        data = json.dumps(values).encode()
    else:
        data = "\n".join(json.dumps(v) for v in values).encode()
    items = read_all(data, suffix)
    assert [(r.index, r.data) for r in records_of(items)] == [(0, {"a": 1}), (6, {"b": 2})]
    assert [p.message for p in problems_of(items)] == [
        "record 1 is an array, not an object",
        "record 2 is a string, not an object",
        "record 3 is a number, not an object",
        "record 4 is a boolean, not an object",
        "record 5 is null, not an object",
    ]
    assert {p.code for p in problems_of(items)} == {"not-an-object"}


def test_invalid_utf8_in_jsonl_flags_that_line_only():
    data = b'{"a": 1}\n{"b": "caf\xe9 au lait"}\n{"c": 3}\n'
    items = read_all(data, ".jsonl")
    [problem] = problems_of(items)
    assert (problem.line, problem.column, problem.record_index, problem.code) == (2, 11, 1, "invalid-utf8")
    assert "byte 0xe9" in problem.message
    assert [r.data for r in records_of(items)] == [{"a": 1}, {"b": "caf\ufffd au lait"}, {"c": 3}]


def test_invalid_utf8_in_array_is_replaced_and_flagged_with_its_record():
    data = b'[\n  {"a": 1},\n  {"b": "\xff\xfe"},\n  {"c": 3}\n]'
    items = read_all(data)
    assert [(p.line, p.column, p.record_index) for p in problems_of(items)] == [(3, 10, 1), (3, 11, 1)]
    assert [r.data for r in records_of(items)] == [{"a": 1}, {"b": "\ufffd\ufffd"}, {"c": 3}]
    assert records_of(items)[2].line == 4


NON_JSON_RECORDS = [b'{"a": NaN}', b'{"b": "NaN and Infinity in a string are text"}', b'{"c": [1,\n -Infinity]}',
                    b'{"d": Infinity, "e": NaN}']


@pytest.mark.parametrize("layout", ["jsonl", "array", "array whose broken record hands over to the whole-text reader"])
def test_nan_and_infinity_are_reported_where_written_and_their_records_read(layout):
    """Python's json reads NaN/Infinity (pyarrow too); they are not JSON, so each record holding one is a located warning."""
    if layout == "jsonl":
        data, suffix = b"\n".join(r.replace(b"\n", b"") for r in NON_JSON_RECORDS) + b"\n", ".jsonl"
    else:
        broken = [b'{"z": }'] if "broken" in layout else []
        data, suffix = b"[\n" + b",\n".join([*broken, *NON_JSON_RECORDS]) + b"\n]\n", ".json"
    items = read_all(data, suffix)
    found = [(p.line, p.column, p.record_index, p.severity, p.message) for p in problems_of(items) if p.code == "non-json-number"]
    shift = 1 if "broken" in layout else 0
    lines = {"jsonl": (1, 3, 4), "array": (2, 5, 6)}["jsonl" if layout == "jsonl" else "array"]
    columns = (7, 11, 7) if layout == "jsonl" else (7, 2, 7)
    names = ("NaN", "-Infinity", "Infinity")
    assert found == [(line + shift, column, index + shift, "warning",
                      f"record {index + shift} holds {name}, which is not JSON (RFC 8259): Python's json module and pyarrow "
                      "(LLaMA-Factory's loader) read it as a float, stricter readers reject the file; write null or a number")
                     for line, column, index, name in zip(lines, columns, (0, 2, 3), names)]
    assert [list(r.data) for r in records_of(items)] == [["a"], ["b"], ["c"], ["d", "e"]]


def test_utf16_file_is_an_encoding_error():
    [problem] = read_all('[{"a": 1}]'.encode("utf-16"))
    assert (problem.code, problem.severity) == ("encoding", "error")
    assert "UTF-16" in problem.message


@pytest.mark.parametrize(("data", "message"), [(b"", "is empty: it has no records"),
                                               (b" \n\n\t", "holds only whitespace: it has no records"),
                                               (b"\xef\xbb\xbf", "is empty: it has no records")])
def test_empty_files_are_a_warning(data, message):
    problem = problems_of(read_all(data))[-1]
    assert (problem.message, problem.severity, problem.code) == (message, "warning", "empty")


def test_empty_array_is_zero_records_and_an_info():
    items = read_all(b"[ ]\n")
    assert [(p.severity, p.code) for p in items] == [("info", "no-records")]


def test_single_pretty_object_is_not_a_dataset():
    [problem] = read_all(b'{\n  "instruction": "q",\n  "output": "a"\n}\n')
    assert where(problem) == (1, 1, "not-an-array")
    assert problem.message.startswith("holds a single JSON object over 4 lines")


def test_jsonl_with_broken_first_line_still_reads_the_rest():
    items = read_all(b'{"a": \n{"b": 2}\n', ".jsonl")
    assert [r.data for r in records_of(items)] == [{"b": 2}]
    assert [(p.line, p.record_index) for p in problems_of(items)] == [(1, 0)]


def test_missing_file_and_directory(tmp_path):
    [missing] = read_source(str(tmp_path / "nope.json"))
    assert (missing.code, missing.message, missing.source) == ("missing", "no such file", str(tmp_path / "nope.json"))
    [directory] = read_source(str(tmp_path))
    assert directory.code == "is-directory"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.json"
    path.write_text("[]")
    path.chmod(0)
    [problem] = read_source(str(path))
    assert problem.code == "unreadable"


def test_read_source_uses_the_display_name(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"a": 1}\n')
    [record] = read_source(str(path), display="data/d.jsonl")
    assert record.source == "data/d.jsonl"


def test_stdin(monkeypatch):
    import io
    import sys

    class FakeStdin:
        buffer = io.BytesIO(b'[{"a": 1}]')

    monkeypatch.setattr(sys, "stdin", FakeStdin)
    [record] = read_source("-")
    assert (record.source, record.data) == ("<stdin>", {"a": 1})


def test_every_problem_is_an_input_problem_never_an_exception():
    garbage = [b"[", b"]", b"[[[[", b'[{"a": 1}', b"{", b"\x00\x01", b'["\\ud800"]', b"[1,,2]", b"nul", b"\xff[]"]
    for data in garbage:
        for suffix in (".json", ".jsonl", ""):
            for item in read_all(data, suffix):
                assert isinstance(item, InputProblem) or isinstance(item.data, dict)
