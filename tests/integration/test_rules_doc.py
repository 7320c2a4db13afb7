"""docs/rules.md is generated; it must equal what `vgptlint rules --format markdown` prints today.

Regenerate it with:  vgptlint rules --format markdown -o docs/rules.md
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from tests.integration.helpers import record, run_cli, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
RULES_DOC = ROOT / "docs" / "rules.md"
REGENERATE = "docs/rules.md is stale; regenerate it: vgptlint rules --format markdown -o docs/rules.md"


def headings() -> set[str]:
    return set(re.findall(r"^## ([a-z0-9-]+)$", RULES_DOC.read_text(encoding="utf-8"), flags=re.M))


def test_committed_rule_reference_is_current():
    generated = run_cli("rules", "--format", "markdown")
    assert generated.exit_code == 0
    assert RULES_DOC.read_text(encoding="utf-8") == generated.stdout, REGENERATE


def test_rules_output_option_writes_the_same_file(tmp_path):
    assert run_cli("rules", "--format", "markdown", "-o", str(tmp_path / "rules.md")).exit_code == 0
    assert (tmp_path / "rules.md").read_text(encoding="utf-8") == run_cli("rules", "--format", "markdown").stdout


def test_every_shipped_rule_has_a_section():
    listed = {entry["id"] for entry in json.loads(run_cli("rules", "--format", "json").stdout)}
    assert listed <= headings()


def test_explain_points_at_the_rule_section():
    result = run_cli("explain", "sql-nolock-missing")
    assert result.stdout.rstrip().splitlines()[-1] == "Reference: docs/rules.md#sql-nolock-missing"
    assert "sql-nolock-missing" in headings()


def test_sarif_help_uri_points_at_the_rule_section(workdir):
    write_jsonl(workdir / "data.jsonl", [record("Yes"), record("APCo is the AP company column of every AP table.")])
    sarif = json.loads(run_cli("check", "-p", "policy.yaml", "data.jsonl", "--format", "sarif").stdout)
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rules, "the run lists its rules"
    for rule in rules:
        base, _, anchor = rule["helpUri"].partition("#")
        assert base.endswith("/docs/rules.md") and anchor == rule["id"], rule["helpUri"]
    assert {r["id"] for r in rules} - {"invalid-input"} <= headings()
