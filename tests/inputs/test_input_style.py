"""describe_file() detects how a file is written; render_record() writes a record the same way."""
from __future__ import annotations

import doctest
import importlib
import json

import pytest

import vgptlint.inputs.style
from tests.inputs.helpers import read_all, records_of
from vgptlint.inputs import FileInfo, describe_bytes, describe_file, render_record

RECORDS = [
    {"instruction": "查询", "input": "", "output": "SELECT 1"},
    {"instruction": "b", "input": "", "output": "x"},
]


@pytest.mark.parametrize("name", ["discover", "locate", "records", "style", "text"])
def test_doctests(name):
    # import_module: the package re-exports functions named like their modules (locate, discover).
    module = importlib.import_module(f"vgptlint.inputs.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("indent", [None, 2, 4, "\t"])
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_describe_pretty_and_compact_arrays(indent, ensure_ascii):
    data = json.dumps(RECORDS, indent=indent, ensure_ascii=ensure_ascii).encode()
    info = describe_bytes(data, suffix=".json")
    assert info.format == "json-array"
    assert info.indent == indent
    assert info.ensure_ascii is ensure_ascii
    assert info.separators == ((",", ": ") if indent is not None else (", ", ": "))
    assert info.has_trailing_newline is False


def test_describe_jsonl_with_compact_separators_crlf_and_bom():
    body = "".join(json.dumps(r, separators=(",", ":")) + "\r\n" for r in RECORDS)
    info = describe_bytes(b"\xef\xbb\xbf" + body.encode("ascii"), suffix=".jsonl")
    assert info == FileInfo("jsonl", True, "\r\n", None, True, (",", ":"), True)


def test_describe_without_evidence_of_escaping():
    assert describe_bytes(b'[{"a": "b"}]\n').ensure_ascii is None


def test_describe_file_reads_the_tail_for_the_final_newline(tmp_path, monkeypatch):
    monkeypatch.setattr(vgptlint.inputs.style, "HEAD_SIZE", 8)
    path = tmp_path / "d.json"
    path.write_text(json.dumps(RECORDS, indent=2) + "\n")
    info = describe_file(path)
    assert info is not None and info.has_trailing_newline and info.format == "json-array"
    assert describe_file(tmp_path / "missing.json") is None


@pytest.mark.parametrize("indent", [None, 2, 4])
def test_render_record_reproduces_an_untouched_record_exactly(indent):
    text = json.dumps(RECORDS, indent=indent, ensure_ascii=False)
    info = describe_bytes(text.encode(), suffix=".json")
    for record in records_of(read_all(text.encode())):
        line_start = text.rfind("\n", 0, record.offset) + 1
        assert render_record(record.data, info, base_indent=text[line_start : record.offset]) == record.text


def test_render_record_in_jsonl_style():
    line = json.dumps(RECORDS[0], ensure_ascii=False, separators=(",", ":"))
    info = describe_bytes((line + "\n").encode(), suffix=".jsonl")
    assert render_record(RECORDS[0], info) == line
