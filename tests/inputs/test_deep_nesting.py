"""A record nested deeper than MAX_NESTING (or than the JSON decoder goes) is an invalid-input problem
for that record alone: the records after it, and the other files, are still read and linted."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.inputs.helpers import problems_of, read_all, records_of, where
from vgptlint import parallel
from vgptlint.cli import main
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
