"""Suppressions in records and in the policy, unused-suppression findings, --no-suppressions."""
from __future__ import annotations

import json

from tests.integration.helpers import LONG, record, run_cli, write_jsonl

IGNORE_SHORT = {"ignore": ["output-too-short"], "reason": "a yes/no drill"}


def lint(*extra: str, policy: str = "policy.yaml"):
    return run_cli("check", "--policy", policy, "data.jsonl", *extra)


def findings(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if not line.startswith("note:") and " in 1 file" not in line]


def test_record_field_suppresses_its_rules_on_that_record_only(workdir):
    write_jsonl(workdir / "data.jsonl", [record("Yes", vgptlint=IGNORE_SHORT), record("No"), record(LONG)])
    result = lint()
    assert findings(result) == ["data.jsonl:2:48: warning output-too-short output is 2 characters long; the minimum is 50"]


def test_unused_record_suppression_is_an_info_finding_at_the_entry(workdir):
    unused = {"ignore": ["input-empty", "output-too-short"]}
    write_jsonl(workdir / "data.jsonl", [record("Yes", vgptlint=unused), record(LONG)])
    result = lint()
    assert findings(result) == [
        'data.jsonl:1:79: info unused-suppression suppression of "input-empty" is unused: '
        "the record has no such finding; remove it"]
    assert result.exit_code == 0  # info is below fail-on: warning
    sarif = json.loads(lint("--format", "sarif").stdout)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["unused-suppression"]
    assert "unused-suppression" in [rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]]


def test_malformed_field_is_reported(workdir):
    write_jsonl(workdir / "data.jsonl", [record(LONG, vgptlint=["output-too-short"]), record(LONG)])
    assert findings(lint()) == [
        'data.jsonl:1:148: info unused-suppression "vgptlint" must be an object such as '
        '{"ignore": ["rule-id"], "reason": "why"}; got list']


def test_suppression_field_is_never_linted_nor_measured(workdir):
    (workdir / "policy.yaml").write_text("""\
extends: [sft]
rules:
  no-todo:
    description: No TODO left anywhere in a record.
    severity: error
    given: "$..*"
    then: {function: pattern, options: {not_match: TODO}}
  marked-share:
    description: Share of records carrying a vgptlint field.
    severity: info
    kind: aggregate
    given: "$"
    then: {function: ratio, options: {when: {function: truthy, given: "$.vgptlint"}, max: 0.0}}
""")
    write_jsonl(workdir / "data.jsonl", [record(LONG, vgptlint={"ignore": [], "reason": "TODO check later"}),
                                         record(LONG)])
    report = json.loads(lint("--format", "json").stdout)
    assert report["findings"] == []
    [metric] = report["metrics"]
    assert (metric["rule"], metric["numerator"], metric["denominator"]) == ("marked-share", 0, 2)
    shown = json.loads(lint("--format", "json", "--no-suppressions").stdout)
    assert shown["findings"] == []  # the field is metadata even when suppressions are off


def test_no_suppressions_shows_everything(workdir):
    write_jsonl(workdir / "data.jsonl", [record("Yes", vgptlint=IGNORE_SHORT), record(LONG)])
    assert lint().exit_code == 0
    result = lint("--no-suppressions")
    assert result.exit_code == 1
    assert findings(result) == ["data.jsonl:1:48: warning output-too-short output is 3 characters long; the minimum is 50"]


def test_field_name_is_configurable(workdir):
    (workdir / "policy.yaml").write_text("extends: [sft]\nfail-on: warning\nsettings: {suppression_field: lint}\n")
    write_jsonl(workdir / "data.jsonl", [record("Yes", lint=IGNORE_SHORT), record("No", vgptlint=IGNORE_SHORT),
                                         record(LONG)])
    assert findings(lint()) == ["data.jsonl:2:48: warning output-too-short output is 2 characters long; the minimum is 50"]


def test_policy_ignore_by_files_and_rules_and_by_fingerprint(workdir):
    write_jsonl(workdir / "data.jsonl", [record("Yes"), record("No", input_text=""), record(LONG)])
    report = json.loads(lint("--format", "json").stdout)
    empty_input = next(f for f in report["findings"] if f["rule"] == "input-empty")
    (workdir / "policy.yaml").write_text(f"""\
extends: [sft]
fail-on: info
ignore:
  - files: ["*.jsonl"]
    rules: [output-too-short]
    reason: legacy answers, regenerated next quarter
  - fingerprint: {empty_input["fingerprint"]}
  - files: other/*.json
    rules: [sql-*]
""")
    result = lint()
    assert findings(result) == [
        "policy.yaml:8:5: info unused-suppression policy ignore entry (sql-* in other/*.json) matched no finding; remove it"]
    assert "note: 3 findings suppressed by the policy's ignore entries" in result.stdout
    assert result.exit_code == 1  # fail-on: info, and the unused entry is an info finding


def test_bad_policy_ignore_entry_is_located(workdir):
    (workdir / "policy.yaml").write_text("extends: [sft]\nignore:\n  - rules: [output-too-short]\n  - fingerprints: abc\n")
    write_jsonl(workdir / "data.jsonl", [record(LONG)])
    result = lint()
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        'policy.yaml:4:5: error[invalid-ignore]: ignore entry: unknown key "fingerprints"; '
        "known: fingerprint, files, rules, reason")


def test_baseline_applies_after_suppressions(workdir):
    write_jsonl(workdir / "data.jsonl", [record("Yes", vgptlint=IGNORE_SHORT), record("No"), record(LONG)])
    assert lint("--write-baseline", "base.json").exit_code == 0
    entries = json.loads((workdir / "base.json").read_text())["entries"]
    assert [e["message"] for e in entries] == ["output is 2 characters long; the minimum is 50"]
