"""The text and table reports: line shape, summary wording, notes, color."""
from __future__ import annotations

import dataclasses

import pytest

from vgptlint.model import Applicability, Finding, Fix, Location, Severity
from vgptlint.reports import render
from vgptlint.reports.text import summary_line
from vgptlint.findings.result import FileSummary, RunResult


def finding(severity: Severity, fix: Fix | None = None, message: str = "m", path: str = "d.json") -> Finding:
    return Finding("r-x", severity, message, Location(path, 3, 7, record_index=0, pointer="/output"), "fp", fix)


def run(findings: list[Finding], files: int = 1, records: int = 120) -> RunResult:
    summaries = [FileSummary(f"f{i}.json", "sft", records if i == 0 else 0) for i in range(files)]
    return RunResult("p.yaml", "0.1.0", findings, summaries, [])


SAFE = Fix("t", Applicability.SAFE)
UNSAFE = Fix("t", Applicability.UNSAFE)
DISPLAY = Fix("t", Applicability.DISPLAY_ONLY)


@pytest.mark.parametrize(
    ("findings", "files", "records", "expected"),
    [
        ([], 4, 120, "No findings in 4 files (120 records)"),
        ([], 1, 1, "No findings in 1 file (1 record)"),
        ([finding(Severity.ERROR)], 1, 59021, "1 error, 0 warnings, 0 info in 1 file (59,021 records)"),
        ([finding(Severity.ERROR)] * 3 + [finding(Severity.WARNING)] * 5 + [finding(Severity.INFO)], 4, 120,
         "3 errors, 5 warnings, 1 info in 4 files (120 records)"),
        ([finding(Severity.WARNING)] + [finding(Severity.INFO)] * 2, 2, 10,
         "0 errors, 1 warning, 2 info in 2 files (10 records)"),
        ([finding(Severity.ERROR, SAFE)] * 2 + [finding(Severity.ERROR, DISPLAY)], 1, 5,
         "3 errors, 0 warnings, 0 info in 1 file (5 records) (2 fixable with --fix)"),
        ([finding(Severity.ERROR, UNSAFE)], 1, 5,
         "1 error, 0 warnings, 0 info in 1 file (5 records) (1 fixable with --fix --unsafe-fixes)"),
        ([finding(Severity.ERROR, SAFE), finding(Severity.ERROR, UNSAFE)], 1, 5,
         "2 errors, 0 warnings, 0 info in 1 file (5 records) (1 fixable with --fix, 1 more with --unsafe-fixes)"),
    ],
)
def test_summary_line(findings, files, records, expected):
    assert summary_line(run(findings, files, records)) == expected


def test_summary_without_fix_hint():
    assert summary_line(run([finding(Severity.ERROR, SAFE)]), show_fixes=False).endswith("(120 records)")


def test_summary_thousands_in_fixable_count():
    findings = [finding(Severity.WARNING, SAFE)] * 1234
    assert summary_line(run(findings)).endswith("(1,234 fixable with --fix)")


def test_finding_line_shape(opts):
    text = render("text", run([finding(Severity.WARNING, message="output is 4 characters long; the minimum is 50",
                                       path="/work/project/examples/sft.json")]), opts)
    assert text.splitlines()[0] == (
        "examples/sft.json:3:7: warning r-x output is 4 characters long; the minimum is 50"
    )


def test_one_finding_per_line_even_with_line_breaks_in_messages(opts):
    text = render("text", run([finding(Severity.ERROR, message="bad\nvalue\r\there")]), opts)
    assert text.splitlines()[0] == "d.json:3:7: error r-x bad\\nvalue\\r\\there"


def test_notes_come_before_the_summary(opts):
    result = run([finding(Severity.INFO)])
    result.notes.append("dataset_info.json maps 2 datasets")
    lines = render("text", result, opts).splitlines()
    assert lines[-2:] == ["note: dataset_info.json maps 2 datasets", "0 errors, 0 warnings, 1 info in 1 file (120 records)"]


def test_finding_note_is_indented_under_its_finding(opts):
    note_finding = dataclasses.replace(finding(Severity.WARNING), note="fix not applied: SQL does not parse")
    lines = render("text", run([note_finding]), opts).splitlines()
    assert lines[1] == "    note: fix not applied: SQL does not parse"


def test_color_only_when_asked(result, make_opts):
    assert "\x1b[" not in render("text", result, make_opts(color=False))
    colored = render("text", result, make_opts(color=True))
    assert "\x1b[1;31merror\x1b[0m" in colored
    assert colored.count("\n") == render("text", result, make_opts()).count("\n")


def test_table_lists_each_rule_once_with_first_location(result, opts):
    text = render("table", result, opts)
    rule_rows = [line.split() for line in text.split("\n\n")[0].splitlines()[2:]]
    assert [row[0] for row in rule_rows] == sorted(row[0] for row in rule_rows)
    nolock = next(row for row in rule_rows if row[0] == "sql-nolock-missing")
    assert nolock[1:] == ["warning", "2", "2", "examples/sft.json:20:40"]


def test_table_lists_unreadable_files_after_the_run_files(result, opts):
    file_rows = render("table", result, opts).split("\n\n")[1].splitlines()[2:]
    assert file_rows[-1].split() == ["examples/broken,1.jsonl", "-", "-", "1", "0", "0"]
    assert file_rows[0].split() == ["examples/sft.json", "sft", "59,021", "1", "3", "1"]
