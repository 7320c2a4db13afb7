"""A record nested deeper than MAX_NESTING (or than the JSON decoder goes) is an invalid-input problem
for that record alone: the records after it, and the other files, are still read and linted."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.inputs.helpers import problems_of, read_all, records_of, where
from vgptlint.run import parallel
from vgptlint.commands.cli import main
from vgptlint.inputs.text import MAX_NESTING

GOOD = {"instruction": "q", "input": "", "output": "a" * 60}
DECODER_LIMIT = '{"input": ' + "[" * 5000 + "]" * 5000 + "}"  # RecursionError in the C decoder
OVER_OURS = '{"input": ' + "[" * MAX_NESTING + "]" * MAX_NESTING + "}"  # decodes; one level too deep
AT_OURS = '{"input": ' + "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1) + "}"


def as_jsonl(*lines: str) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def as_array(*elements: str) -> bytes:
    return ("[\n" + ",\n".join(elements) + "\n]\n").encode()


@pytest.mark.parametrize("pack", [as_jsonl, as_array], ids=["jsonl", "array"])
def test_deep_records_are_problems_and_the_rest_is_read(pack):
    good = json.dumps(GOOD)
    items = read_all(pack(good, DECODER_LIMIT, OVER_OURS, AT_OURS, good), ".jsonl" if pack is as_jsonl else ".json")
    line = 1 if pack is as_jsonl else 2
    assert [where(p) for p in problems_of(items)] == [(line + 1, 1, "too-deep"), (line + 2, 1, "too-deep")]
    assert [p.message for p in problems_of(items)] == [
        f"record 1 nests too deep for the JSON decoder (over ~900 levels); vgptlint reads records up to {MAX_NESTING} levels deep",
        f"record 2 nests {MAX_NESTING + 1} levels deep; vgptlint reads records up to {MAX_NESTING} levels deep",
    ]
    assert [r.index for r in records_of(items)] == [0, 3, 4]


def test_a_deep_first_line_does_not_confuse_the_format_sniffing():
    items = read_all(as_jsonl(DECODER_LIMIT, json.dumps(GOOD)), ".jsonl")
    assert [where(p) for p in problems_of(items)] == [(1, 1, "too-deep")]
    assert [r.index for r in records_of(items)] == [1]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_other_record_and_file_is_linted(tmp_path, monkeypatch, jobs):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1)
    short = json.dumps({**GOOD, "output": "ab"})
    (tmp_path / "a.jsonl").write_bytes(as_jsonl(short, DECODER_LIMIT, *[json.dumps(GOOD)] * 50, short))
    (tmp_path / "b.json").write_bytes(as_array(DECODER_LIMIT, short))
    result = CliRunner().invoke(main, ["check", "--policy", "sft", "--select", "output-too-short", "--jobs", jobs,
                                       "a.jsonl", "b.json"])
    assert result.exit_code == 1, result.output
    assert [line.split(" record")[0] for line in result.stdout.splitlines()[:-1]] == [
        "a.jsonl:1:45: warning output-too-short output is 2 characters long; the minimum is 50",
        "a.jsonl:2:1: error invalid-input",
        "a.jsonl:53:45: warning output-too-short output is 2 characters long; the minimum is 50",
        "b.json:2:1: error invalid-input",
        "b.json:3:45: warning output-too-short output is 2 characters long; the minimum is 50",
    ]


@pytest.mark.parametrize("pack", [as_jsonl, as_array], ids=["jsonl", "array"])
def test_a_number_pythons_json_refuses_is_a_problem_for_its_record(pack):
    huge = '{"n": ' + "9" * 5000 + "}"  # over Python's 4,300-digit limit: json raises ValueError
    items = read_all(pack(huge, json.dumps(GOOD)), ".jsonl" if pack is as_jsonl else ".json")
    assert [(p.code, p.message) for p in problems_of(items)] == [
        ("invalid-number", "record 0 holds a number Python's json module refuses: Exceeds the limit (4300 digits) "
                           "for integer string conversion: value has 5000 digits")]
    assert [r.index for r in records_of(items)] == [1]


def test_lone_surrogates_reach_every_report(tmp_path, monkeypatch):
    """JSON may escape half a UTF-16 pair ("\\udfff"); UTF-8 cannot hold it, so reports write it as that escape."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text('rules:\n  no-lone:\n    given: $.output\n    then: {function: pattern, options: {not_match: "lone ."}}\n')
    (tmp_path / "d.jsonl").write_text('{"output": "lone \\udfff surrogate"}\n')
    for report in ("text", "json", "sarif", "github", "table", "html"):
        result = CliRunner().invoke(main, ["check", "--policy", "p.yaml", "-f", report, "-o", f"out.{report}", "d.jsonl"])
        assert result.exit_code == 0, (report, result.output)
    assert (tmp_path / "out.text").read_text().splitlines()[0] == (
        'd.jsonl:1:13: warning no-lone output contains "lone \ufffd", which matches /lone ./')
    json.loads((tmp_path / "out.json").read_text())
