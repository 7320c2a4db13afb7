"""--write-baseline / --baseline through the CLI: moving records keeps entries, editing content does not."""
from __future__ import annotations

import json

from tests.integration.helpers import LONG, record, run_cli, write_jsonl

SHORT_A, SHORT_B = record("Yes"), record("No, it is not")


def lint(*extra: str):
    return run_cli("check", "--policy", "policy.yaml", "data.jsonl", *extra)


def test_write_then_check_reports_nothing_new(workdir):
    write_jsonl(workdir / "data.jsonl", [SHORT_A, record(LONG), SHORT_B])
    assert lint().exit_code == 1
    written = lint("--write-baseline", "base.json")
    assert written.exit_code == 0
    assert "baseline base.json: wrote 2 findings" in written.stdout
    document = json.loads((workdir / "base.json").read_text())
    assert document["version"] == 1
    assert [(e["rule"], e["path"], e["count"]) for e in document["entries"]] == [
        ("output-too-short", "data.jsonl", 1), ("output-too-short", "data.jsonl", 1)]
    assert all(set(e) == {"fingerprint", "rule", "path", "message", "count"} for e in document["entries"])

    checked = lint("--baseline", "base.json")
    assert checked.exit_code == 0
    assert checked.stdout.splitlines() == [
        "note: baseline base.json: 2 known findings not shown",
        "No findings in 1 file (3 records)",
    ]


def test_baseline_file_is_deterministic(workdir):
    write_jsonl(workdir / "data.jsonl", [SHORT_B, SHORT_A])
    lint("--write-baseline", "one.json")
    write_jsonl(workdir / "data.jsonl", [SHORT_A, SHORT_B])  # same findings, other order
    lint("--write-baseline", "two.json")
    assert (workdir / "one.json").read_bytes() == (workdir / "two.json").read_bytes()
    entries = json.loads((workdir / "one.json").read_text())["entries"]
    assert entries == sorted(entries, key=lambda e: (e["path"], e["rule"], e["fingerprint"]))


def test_moving_records_keeps_entries(workdir):
    write_jsonl(workdir / "data.jsonl", [SHORT_A, record(LONG), SHORT_B])
    lint("--write-baseline", "base.json")
    write_jsonl(workdir / "data.jsonl", [record(LONG), record(LONG + " More."), SHORT_B, record(LONG), SHORT_A])
    checked = lint("--baseline", "base.json")
    assert checked.exit_code == 0
    assert "2 known findings not shown" in checked.stdout
    assert "stale" not in checked.stdout


def test_editing_a_record_reports_it_and_its_entry_goes_stale(workdir):
    write_jsonl(workdir / "data.jsonl", [SHORT_A, SHORT_B])
    lint("--write-baseline", "base.json")
    write_jsonl(workdir / "data.jsonl", [SHORT_A, record("No, it is not!")])
    checked = lint("--baseline", "base.json")
    assert checked.exit_code == 1
    lines = checked.stdout.splitlines()
    assert lines[0] == "data.jsonl:2:48: warning output-too-short output is 14 characters long; the minimum is 50"
    assert lines[1] == ("note: baseline base.json: 1 known finding not shown; 1 entry no longer occurs "
                        "(stale; rewrite the baseline with --write-baseline to drop them)")


def test_duplicate_findings_are_counted(workdir):
    # (a record without the finding: a finding on every record of a file is collapsed into one)
    write_jsonl(workdir / "data.jsonl", [SHORT_A, SHORT_A, record(LONG)])
    lint("--write-baseline", "base.json")
    entries = json.loads((workdir / "base.json").read_text())["entries"]
    assert [e["count"] for e in entries] == [2]
    write_jsonl(workdir / "data.jsonl", [SHORT_A, record(LONG), SHORT_A, SHORT_A])
    checked = lint("--baseline", "base.json")
    assert checked.exit_code == 1
    assert checked.stdout.count("output-too-short") == 1  # the third copy is new
    write_jsonl(workdir / "data.jsonl", [SHORT_A, record(LONG)])
    assert "1 entry no longer occurs" in lint("--baseline", "base.json").stdout


def test_baseline_from_the_policy_is_relative_to_it(workdir):
    (workdir / "conf").mkdir()
    (workdir / "conf" / "policy.yaml").write_text("extends: [sft]\nfail-on: warning\nbaseline: known.json\n")
    write_jsonl(workdir / "data.jsonl", [SHORT_A])
    assert run_cli("check", "-p", "conf/policy.yaml", "data.jsonl", "--write-baseline", "conf/known.json").exit_code == 0
    checked = run_cli("check", "-p", "conf/policy.yaml", "data.jsonl")
    assert checked.exit_code == 0
    assert "note: baseline conf/known.json: 1 known finding not shown" in checked.stdout
    shown = run_cli("check", "-p", "conf/policy.yaml", "data.jsonl", "--no-suppressions")
    assert shown.exit_code == 1 and "output-too-short" in shown.stdout


def test_baseline_counts_reach_json_and_sarif(workdir):
    write_jsonl(workdir / "data.jsonl", [SHORT_A])
    lint("--write-baseline", "base.json")
    report = json.loads(lint("--baseline", "base.json", "--format", "json").stdout)
    assert report["findings"] == []
    assert report["notes"] == ["baseline base.json: 1 known finding not shown"]


def test_missing_or_broken_baseline_is_one_clear_line(workdir):
    write_jsonl(workdir / "data.jsonl", [SHORT_A])
    missing = lint("--baseline", "nope.json")
    assert missing.exit_code == 2
    assert missing.stderr == ('vgptlint: error: baseline "nope.json": no such file; create it with '
                              "`vgptlint check --write-baseline nope.json`\n")
    (workdir / "bad.json").write_text('{"version": 1,\n "entries": [}\n')
    broken = lint("--baseline", "bad.json")
    assert broken.exit_code == 2
    assert broken.stderr.startswith("vgptlint: error: bad.json:2:14: baseline is not valid JSON")
