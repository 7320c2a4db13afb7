"""The findings spool: any order in, sorted out (stable, as ``sorted`` is), whatever it spills; and a
run whose spool spills to disk reports exactly what a run held in memory reports."""
from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.test_parallel import records
from vgptlint.findings import spool
from vgptlint.run import parallel
from vgptlint.commands.cli import main
from vgptlint.findings.result import FileSummary
from vgptlint.run.engine import FileFindings, FileOutcome, FindingList
from vgptlint.model import (Applicability, DropRecord, Edit, Finding, Fix, Location, ReorderDataset, SetValue, Severity,
                            Span)
from vgptlint.reports.sarif import keep_most_severe
from vgptlint.findings.encoding import SORT_FIELDS, decode, encode
from vgptlint.findings.counts import FindingCounts
from vgptlint.findings.spool import FindingSpool

SEVERITIES = st.sampled_from([Severity.ERROR, Severity.WARNING, Severity.INFO])
FIXES = st.none() | st.builds(
    Fix, st.sampled_from(["add it", "drop it"]), st.sampled_from(list(Applicability)),
    st.lists(st.builds(Edit, st.integers(0, 9), st.integers(0, 9), st.text(max_size=3)), max_size=2).map(tuple),
    st.lists(st.builds(SetValue, st.just("/label"), st.booleans() | st.text(max_size=3) | st.none())
             | st.builds(DropRecord, st.text(max_size=5)) | st.builds(ReorderDataset, st.integers(0, 3)),
             max_size=2).map(tuple))
# Few distinct values, so that equal sort keys (which must keep their arrival order) are common.
FINDINGS = st.builds(
    Finding, st.sampled_from(["a-rule", "b-rule"]), SEVERITIES, st.sampled_from(["m", "n"]),
    st.builds(Location, st.sampled_from(["a.json", "b.jsonl"]), st.integers(1, 4), st.integers(1, 3),
              st.none() | st.integers(0, 3), st.sampled_from(["", "/output"]),
              st.none() | st.builds(Span, st.integers(0, 5), st.integers(5, 9))),
    st.text("0123456789abcdef", min_size=1, max_size=4), FIXES, st.none() | st.just("a note"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FINDINGS, max_size=80) | st.lists(FINDINGS, min_size=250, max_size=400), st.integers(1, 12))
def test_the_merged_stream_is_the_stable_sort_whatever_spills(findings, memory_limit):
    found = FindingSpool(memory_limit)
    found.extend(findings)
    expected = sorted(findings, key=Finding.sort_key)
    assert list(found) == expected
    assert list(found) == expected  # iterating again reads the runs again
    assert len(found) == len(findings)
    assert found.counts == FindingCounts.of(findings)
    if len(findings) >= 250 and memory_limit == 1:
        assert found.spilled_run_count < len(findings)  # runs were merged as they piled up


class _ListRun(list):
    """A sorted run held in memory, as a cached file's stored findings are adopted."""

    def close(self) -> None:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.lists(FINDINGS, max_size=6), st.lists(FINDINGS, max_size=4)), max_size=70), st.integers(1, 12))
def test_findings_added_encoded_are_a_run_of_their_own_in_memory_or_not(batches, memory_limit):
    """add_encoded keeps a run in memory while those kept total at most memory_limit, else writes
    it: either way the stream is that of the same findings adopted as a run at that point."""
    encoded, adopted = FindingSpool(memory_limit), FindingSpool(memory_limit)
    for dataset_level, record_level in batches:
        for target in (encoded, adopted):
            target.extend(record_level)
        encoded.add_encoded(list(map(encode, dataset_level)), FindingCounts.of(dataset_level))
        adopted.adopt(_ListRun(sorted(map(encode, dataset_level), key=SORT_FIELDS)), FindingCounts.of(dataset_level))
    assert list(encoded.encoded()) == list(adopted.encoded())
    assert list(encoded.first_of_each(2)) == list(adopted.first_of_each(2))
    assert encoded.counts == adopted.counts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FINDINGS, max_size=80) | st.lists(FINDINGS, min_size=250, max_size=400), st.integers(1, 12),
       st.lists(FINDINGS, max_size=30), st.integers(0, 4), st.integers(1, 3))
def test_the_first_of_each_are_those_of_the_merged_stream(findings, memory_limit, adopted, record_count, count):
    """What the text report shows: the first ``count`` of each (path, rule) of the sorted stream, over
    spilled runs, an adopted run and findings a file-wide problem replaced."""
    found = FindingSpool(memory_limit)
    sink = FileFindings(found, "a.json")
    sink.extend(sorted(findings, key=lambda f: f.location.record_index or 0))
    sink.close(FileOutcome(FileSummary("a.json", "sft", record_count), []))
    found.adopt(_ListRun(sorted(map(encode, adopted), key=SORT_FIELDS)), FindingCounts.of(adopted))
    expected, shown = [], Counter()
    for finding in found:
        shown[finding.location.path, finding.rule] += 1
        if shown[finding.location.path, finding.rule] <= count:
            expected.append(finding)
    assert list(found.first_of_each(count)) == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FINDINGS, max_size=60), st.integers(1, 12), st.integers(0, 4))
def test_findings_that_arrive_encoded_are_followed_counted_and_sorted_alike(findings, memory_limit, record_count):
    """A record table's findings reach the spool encoded (FileFindings.extend_data), never decoded:
    the sorted stream, the counts and the file-wide problems are those of the same findings decoded."""
    findings = sorted(findings, key=lambda f: f.location.record_index or 0)  # a file's arrive in record order
    sinks = FileFindings(FindingSpool(memory_limit), "a.json"), FileFindings(FindingSpool(memory_limit), "a.json")
    sinks[0].extend(findings)
    sinks[1].extend_data(map(encode, findings))
    for sink in sinks:
        sink.close(FileOutcome(FileSummary("a.json", "sft", record_count), []))
    assert list(sinks[1].target) == list(sinks[0].target)
    assert list(sinks[1].target.encoded()) == list(map(encode, sinks[0].target))
    assert sinks[1].target.counts == sinks[0].target.counts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FINDINGS, max_size=80), st.integers(1, 12), st.lists(st.integers(0, 30), max_size=6))
def test_findings_added_in_batches_are_counted_spilled_and_sorted_as_one_by_one(findings, memory_limit, cuts):
    """add_all (a rerun's findings, a piece at a time) is add_data of each in turn: the same counts
    (each rule's first included), the same runs spilled, the same stream."""
    encoded = list(map(encode, findings))
    one_by_one, batched = FindingSpool(memory_limit), FindingSpool(memory_limit)
    for data in encoded:
        one_by_one.add_data(data)
    edges = [0, *sorted(cut for cut in cuts if cut < len(encoded)), len(encoded)]
    for start, stop in zip(edges, edges[1:]):
        batched.add_all(encoded[start:stop])
    assert batched.counts == one_by_one.counts
    assert batched.spilled_run_count == one_by_one.spilled_run_count
    assert list(batched.encoded()) == list(one_by_one.encoded())


@settings(max_examples=200, deadline=None)
@given(FINDINGS)
def test_a_finding_survives_encoding(finding):
    assert decode(encode(finding)) == finding


def test_findings_added_after_reading_are_merged_in():
    found = FindingSpool(2)
    early = [Finding("r", Severity.INFO, "m", Location("a.json", line), "fp") for line in (9, 5, 7)]
    found.extend(early)
    assert [f.location.line for f in found] == [5, 7, 9]
    found.add(Finding("r", Severity.INFO, "m", Location("a.json", 6), "fp"))
    assert [f.location.line for f in found] == [5, 6, 7, 9]


def _record_findings(record_count: int, per_record: list[tuple[str, str]]) -> list[Finding]:
    return [Finding(rule, Severity.WARNING, message, Location("f.jsonl", index + 1, 1, index, "/input"), f"fp{index}")
            for index in range(record_count) for rule, message in per_record]


@pytest.mark.parametrize("memory_limit", [1, 3, 1000])
def test_a_file_wide_problem_collapses_alike_in_a_spool_and_in_a_list(memory_limit):
    findings = _record_findings(5, [("input-empty", "input is empty"), ("short", "too short")])
    findings[3] = Finding("short", Severity.WARNING, "too short!", findings[3].location, "fpx")  # one record differs
    spooled, listed = FileFindings(FindingSpool(memory_limit), "f.jsonl"), FileFindings(FindingList(), "f.jsonl")
    for sink in (spooled, listed):
        sink.extend(findings)
        sink.close(FileOutcome(FileSummary("f.jsonl", "sft", 5), []))
    expected = sorted(listed.target, key=Finding.sort_key)
    assert list(spooled.target) == expected
    assert spooled.target.counts.total == len(expected) == 6
    assert spooled.target.counts.rule_counts() == {"input-empty": 1, "short": 5}
    assert [f.message for f in expected if f.rule == "input-empty"] == ["input is empty (in all 5 records of this file)"]


@settings(max_examples=200, deadline=None)
@given(st.lists(SEVERITIES, max_size=40), st.integers(0, 45))
def test_keeping_the_most_severe_streams_the_same_choice(severities, limit):
    findings = [Finding("r", s, "m", Location("a.json", n), "fp") for n, s in enumerate(severities)]
    kept, left_out = keep_most_severe(iter(findings), FindingCounts.of(findings), limit)
    chosen = sorted(sorted(range(len(findings)), key=lambda i: (-findings[i].severity.rank, i))[:limit])
    assert list(kept) == [findings[i] for i in chosen]
    assert left_out == max(0, len(findings) - limit)


# ------------------------------------------------------------------------------- whole runs


POLICY = """\
extends: [pretrain]
rules:
  input-empty: warning
ignore:
  - files: ["*kto*"]
    rules: [kto-label-format]
  - fingerprint: 0000000000000000
"""


@pytest.fixture
def dataset(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(POLICY)
    tmp_path = tmp_path / "data"
    tmp_path.mkdir()
    rows = records(120, seed=3)
    lines = [json.dumps(r) for r in rows]
    lines[10:10] = ["", "   "]
    lines[40] = "{broken"
    (tmp_path / "sft.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "kto.json").write_text(json.dumps([{**r, "label": "true"} for r in rows[:50]], indent=2))
    (tmp_path / "dpo.json").write_text(json.dumps([{"instruction": r["instruction"], "input": "", "chosen": r["output"],
                                                     "rejected": r["output"] + "."} for r in rows[:30]], indent=2))
    return tmp_path


def check(*args: str) -> str:
    result = CliRunner().invoke(main, ["check", "--policy", "p.yaml", "--fail-on", "never", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def run_count(monkeypatch):
    """How many sorted runs the spools of a test wrote."""
    written = []
    original = spool._Run.__init__

    def counting(self, encoded, level):
        original(self, encoded, level)
        written.append(level)

    monkeypatch.setattr(spool._Run, "__init__", counting)
    return written


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "table", "html"])
def test_a_run_that_spills_reports_what_an_in_memory_run_reports(dataset, monkeypatch, run_count, fmt):
    in_memory = check("-f", fmt, "data")
    assert not run_count
    monkeypatch.setattr(spool, "DEFAULT_MEMORY_LIMIT", 3)
    assert check("-f", fmt, "data") == in_memory
    assert len(run_count) > spool.FAN_IN and max(run_count) >= 1  # it spilled, and merged runs as they piled up
    if fmt == "text":
        assert "(in all 119 records of this file)" in in_memory and "suppressed by the policy" in in_memory


def test_spilled_parallel_runs_and_baselines_report_the_same(dataset, monkeypatch, run_count):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(parallel, "RECORDS_PER_CHUNK", 7)
    check("--write-baseline", "in-memory.json", "data")
    expected = check("-f", "json", "--jobs", "1", "data")
    (dataset / "sft.jsonl").write_text((dataset / "sft.jsonl").read_text().replace("question 7", "question seven"))
    after_edit = check("-f", "sarif", "--baseline", "in-memory.json", "data")
    assert "known findings not shown" in after_edit
    monkeypatch.setattr(spool, "DEFAULT_MEMORY_LIMIT", 2)
    (dataset / "sft.jsonl").write_text((dataset / "sft.jsonl").read_text().replace("question seven", "question 7"))
    check("--write-baseline", "spilled.json", "data")
    assert (dataset / ".." / "spilled.json").read_text() == (dataset / ".." / "in-memory.json").read_text()
    assert check("-f", "json", "--jobs", "2", "data") == expected
    (dataset / "sft.jsonl").write_text((dataset / "sft.jsonl").read_text().replace("question 7", "question seven"))
    assert check("-f", "sarif", "--baseline", "in-memory.json", "data") == after_edit
    assert run_count
