"""A hand-built RunResult for the reporter tests, and the golden-file helper.

Regenerate golden files deliberately and review the diff:
    VGPTLINT_UPDATE_GOLDEN=1 python -m pytest tests/reports -q
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from vgptlint.model import (
    Applicability,
    DropRecord,
    Edit,
    Finding,
    Fix,
    Location,
    Metric,
    SetValue,
    Severity,
    Span,
)
from vgptlint.reports.base import FileReplacement, ReportOptions
from vgptlint.findings.result import FileSummary, RuleInfo, RunResult, fix_region_key

GOLDEN_DIR = Path(__file__).parent / "golden"
CWD = Path("/work/project")
SFT = "/work/project/examples/sft.json"
KTO = "examples/kto.jsonl"  # given relative, as a user may type it
DPO = "/work/project/examples/dpo set/pairs #1.json"  # space and '#' must be percent-encoded in SARIF
BROKEN = "/work/project/examples/broken,1.jsonl"  # only findings mention it: unreadable
OUTSIDE = "/tmp/elsewhere/extra.jsonl"  # outside the working directory

RULES = [
    RuleInfo("output-too-short", Severity.WARNING, "Outputs shorter than 50 characters teach terseness. Drop them.",
             is_fixable=True, rationale="The review found 14.6% of outputs under 50 characters.", pack="sft"),
    RuleInfo("field-missing", Severity.ERROR, "Every record has the fields its kind requires.", pack="core"),
    RuleInfo("sql-nolock-missing", Severity.WARNING, "Tables read by a query carry WITH (NOLOCK).",
             is_fixable=True, help_uri="https://example.org/rules/sql#nolock", pack="sql"),
    RuleInfo("kto-label-format", Severity.ERROR, "KTO labels are JSON booleans for LLaMA-Factory.",
             is_fixable=True, pack="core"),
    RuleInfo("kto-balance", Severity.WARNING, "Share of desirable KTO examples within bounds.", kind="aggregate",
             pack="preference"),
    RuleInfo("input-empty", Severity.INFO, "The input field is empty.", pack="sft"),
]

NOLOCK_FIX = Fix("Add WITH (NOLOCK)", Applicability.SAFE, edits=(Edit(22, 22, " WITH (NOLOCK)"),))


def _finding(rule: str, severity: Severity, message: str, location: Location, fingerprint: str,
             fix: Fix | None = None, note: str | None = None) -> Finding:
    return Finding(rule, severity, message, location, fingerprint, fix, note)


def build_findings() -> list[Finding]:
    findings = [
        _finding("field-missing", Severity.ERROR, 'record 0 has no "output" field',
                 Location(SFT, 2, 3, record_index=0, pointer=""), "fp-field-missing-0"),
        _finding("output-too-short", Severity.WARNING, "output is 4 characters long; the minimum is 50",
                 Location(SFT, 12, 17, record_index=1, pointer="/output"), "fp-short-1",
                 Fix("Remove the record (kept in sft.rejected.json)", Applicability.UNSAFE,
                     changes=(DropRecord("output-too-short"),))),
        _finding("sql-nolock-missing", Severity.WARNING, "bPREH is read without WITH (NOLOCK)",
                 Location(SFT, 20, 40, record_index=2, pointer="/output", span=Span(15, 22),
                          end_line=20, end_column=47), "fp-nolock-2", NOLOCK_FIX),
        _finding("sql-nolock-missing", Severity.WARNING, "bAPTH is read without WITH (NOLOCK)",
                 Location(SFT, 28, 33, record_index=3, pointer="/output", span=Span(14, 19)), "fp-nolock-3",
                 Fix("Add WITH (NOLOCK)", Applicability.SAFE, edits=(Edit(19, 19, " WITH (NOLOCK)"),)),
                 note="fix not applied: the edited SQL does not parse"),
        _finding("input-empty", Severity.INFO, "input is empty — «Résumé» 日本語 ✓",
                 Location(SFT, 35, 14, record_index=4, pointer="/input"), "fp-input-4"),
        _finding("kto-balance", Severity.WARNING,
                 'share of "true" labels 46.3% (934/2,018) is below the minimum 60.0%',
                 Location(KTO), "fp-kto-balance"),
        _finding("kto-label-format", Severity.ERROR,
                 'label is the string "true"; LLaMA-Factory only reads JSON booleans',
                 Location(KTO, 2, 40, record_index=1, pointer="/label"), "fp-kto-label-1",
                 Fix("Make the label a boolean", Applicability.SAFE, changes=(SetValue("/label", True),))),
        _finding("field-missing", Severity.ERROR, 'record 0 has no "chosen" field',
                 Location(DPO, 3, 5, record_index=0, pointer=""), "fp-dpo-0"),
        _finding("invalid-input", Severity.ERROR, "line 4 is not valid JSON: Expecting ',' delimiter",
                 Location(BROKEN, 4, 12, record_index=3), "fp-invalid-3"),
        _finding("input-empty", Severity.INFO, "input is empty",
                 Location(OUTSIDE, 1, 30, record_index=0, pointer="/input"), "fp-outside-0"),
    ]
    return sorted(findings, key=Finding.sort_key)


def build_result(findings: list[Finding] | None = None) -> RunResult:
    findings = build_findings() if findings is None else findings
    result = RunResult(
        policy="policies/pretrain.yaml",
        tool_version="0.1.0",
        findings=findings,
        files=[FileSummary(SFT, "sft", 59_021), FileSummary(KTO, "kto", 2_018), FileSummary(DPO, "dpo", 1_427),
               FileSummary(OUTSIDE, "sft", 1)],
        rules=list(RULES),
        metrics=[
            Metric("kto-balance", KTO, 934 / 2018, 934, 2018, {"min": 0.6, "max": 0.7}, False,
                   {"true": 934, "false": 1084}),
            Metric("nolock-coverage", SFT, float("nan"), 0, 0, {"min": 0.1}, True),
        ],
        notes=['examples/dataset_info.json: dataset "vista_kto" has no "ranking" key; assumed false'],
    )
    for finding in findings:
        if finding.fingerprint == "fp-nolock-2":
            result.fix_regions[fix_region_key(finding)] = (FileReplacement(20, 47, 20, 47, " WITH (NOLOCK)"),)
    return result


def options(**overrides: object) -> ReportOptions:
    base = {"cwd": CWD, "information_uri": "https://example.org/vgptlint",
            "rules_doc_uri": "https://example.org/vgptlint/docs/rules.md"}
    base.update(overrides)
    return ReportOptions(**base)


@pytest.fixture
def result() -> RunResult:
    return build_result()


@pytest.fixture
def opts() -> ReportOptions:
    return options()


@pytest.fixture
def make_result() -> Callable[..., RunResult]:
    return build_result


@pytest.fixture
def make_findings() -> Callable[[], list[Finding]]:
    return build_findings


@pytest.fixture
def make_opts() -> Callable[..., ReportOptions]:
    return options


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    def check(name: str, actual: str) -> None:
        path = GOLDEN_DIR / name
        if os.environ.get("VGPTLINT_UPDATE_GOLDEN") == "1":
            path.write_text(actual, encoding="utf-8", newline="")
            return
        if not path.exists():
            pytest.fail(f"{path} is missing; create it with VGPTLINT_UPDATE_GOLDEN=1 and review it")
        expected = path.read_bytes().decode("utf-8")
        assert actual == expected, f"{name} differs from its golden file; if intended, regenerate and review"

    return check
