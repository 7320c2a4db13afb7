"""Unsafe dataset-level fixes: dropped records go to the rejects file; shuffles are seeded."""
from __future__ import annotations

import json
import random

from tests.fixes.helpers import fix_bytes


def jsonl(*records: dict) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def test_drops_need_unsafe_fixes(tmp_path, policy_path):
    content = jsonl({"output": "abcd", "n": 2}, {"output": "ab", "n": 1})
    after, run = fix_bytes(tmp_path, policy_path, "sft.jsonl", content)
    assert after == content and run.fixed_count == 0 and run.unsafe_fixable_count() == 1
    assert not (tmp_path / "sft.rejected.jsonl").exists()


def test_dropped_records_are_written_to_the_rejects_file(tmp_path, policy_path):
    content = b'{"output": "abcd", "n": 2}\n{"output": "ab", "n": 1}\n\n{"output": "abcd", "n": 0}\n{"output": "keep", "n": 5}'
    after, run = fix_bytes(tmp_path, policy_path, "sft.jsonl", content, allow_unsafe=True)
    assert after == b'{"output": "abcd", "n": 2}\n\n{"output": "keep", "n": 5}'
    rejects = tmp_path / "sft.rejected.jsonl"
    source = str(tmp_path / "sft.jsonl")
    assert [json.loads(line) for line in rejects.read_text().splitlines()] == [
        {"source": source, "record_index": 1, "line": 2, "rules": ["t-short"],
         "reasons": ["output is 2 characters long; the minimum is 4"], "record": {"output": "ab", "n": 1}},
        {"source": source, "record_index": 2, "line": 4, "rules": ["t-duplicate"],
         "reasons": ["output repeats record 0"], "record": {"output": "abcd", "n": 0}},
    ]
    assert run.fixed_count == 2 and run.messages == [f"{source}: moved 2 records to {rejects}"]


def test_rejects_accumulate_over_runs(tmp_path, policy_path):
    fix_bytes(tmp_path, policy_path, "sft.json", b'[{"output": "ab", "n": 2}, {"output": "abcd", "n": 1}]', allow_unsafe=True)
    after, _ = fix_bytes(tmp_path, policy_path, "sft.json", b'[{"output": "xy", "n": 2}, {"output": "abcd", "n": 1}]',
                         allow_unsafe=True)
    assert after == b'[{"output": "abcd", "n": 1}]'
    lines = (tmp_path / "sft.rejected.jsonl").read_text().splitlines()
    assert [json.loads(line)["record"]["output"] for line in lines] == ["ab", "xy"]


def test_dropping_from_a_pretty_array_keeps_its_layout(tmp_path, policy_path):
    records = [{"output": "ab", "n": 3}, {"output": "abcd", "n": 2}, {"output": "okay", "n": 1}, {"output": "a", "n": 0}]
    content = json.dumps(records, indent=2).encode() + b"\n"
    after, _ = fix_bytes(tmp_path, policy_path, "sft.json", content, allow_unsafe=True)
    assert after == json.dumps([records[1], records[2]], indent=2).encode() + b"\n"


def test_every_record_dropped_leaves_an_empty_array(tmp_path, policy_path):
    after, _ = fix_bytes(tmp_path, policy_path, "sft.json", b'[\n  {"output": "a", "n": 1}\n]\n', allow_unsafe=True)
    assert after == b"[]\n"


def test_a_sorted_dataset_is_shuffled_with_the_seed(tmp_path, policy_path):
    records = [{"output": f"record {n}", "n": n} for n in range(8)]
    order = list(range(8))
    random.Random(42).shuffle(order)
    after, run = fix_bytes(tmp_path, policy_path, "sft.jsonl", jsonl(*records), allow_unsafe=True, seed=42)
    assert after == jsonl(*(records[i] for i in order))
    assert run.messages == [f"{tmp_path / 'sft.jsonl'}: shuffled 8 records with seed 42 (--seed 42 repeats it)"]
    assert run.fixed_count == 1 and [f.rule for f in run.result.findings] == []


def test_the_rule_seed_is_used_without_seed_option(tmp_path, policy_path):
    records = [{"output": f"record {n}", "n": n} for n in range(8)]
    order = list(range(8))
    random.Random(7).shuffle(order)  # t-sorted declares seed 7
    after, _ = fix_bytes(tmp_path, policy_path, "sft.json", json.dumps(records, indent=4).encode(), allow_unsafe=True)
    assert after == json.dumps([records[i] for i in order], indent=4).encode()


def test_a_duplicate_revealed_by_a_fix_is_dropped_in_the_same_run(tmp_path, policy_path):
    content = b'{"output": "a colour", "n": 5}\n{"output": "a color", "n": 1}\n{"output": "zzzz", "n": 0}\n'
    after, run = fix_bytes(tmp_path, policy_path, "sft.jsonl", content, allow_unsafe=True)
    assert after == b'{"output": "a color", "n": 5}\n{"output": "zzzz", "n": 0}\n'
    assert run.fixed_count == 2 and list(run.result.findings) == []
    rejected = json.loads((tmp_path / "sft.rejected.jsonl").read_text())
    assert (rejected["record_index"], rejected["line"], rejected["rules"]) == (1, 2, ["t-duplicate"])
