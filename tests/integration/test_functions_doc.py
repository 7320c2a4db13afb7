"""docs/functions.md is generated like docs/rules.md; `vgptlint explain` knows functions too.

Regenerate it with:  vgptlint functions --format markdown -o docs/functions.md
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from tests.integration.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DOC = ROOT / "docs" / "functions.md"
REGENERATE = "docs/functions.md is stale; regenerate it: vgptlint functions --format markdown -o docs/functions.md"


def test_committed_function_reference_is_current():
    generated = run_cli("functions", "--format", "markdown")
    assert generated.exit_code == 0
    assert FUNCTIONS_DOC.read_text(encoding="utf-8") == generated.stdout, REGENERATE


def test_every_function_a_shipped_rule_uses_has_a_section():
    headings = set(re.findall(r"^## ([a-z0-9_]+)$", FUNCTIONS_DOC.read_text(encoding="utf-8"), flags=re.M))
    used = {name for rule in json.loads(run_cli("rules", "--format", "json").stdout) for name in rule["functions"]}
    listed = {entry["name"] for entry in json.loads(run_cli("functions", "--format", "json").stdout)}
    assert used <= listed == headings


def test_explain_a_function():
    result = run_cli("explain", "length")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "length (record function; accepts: string, list, mapping)"
    assert "  min: an integer; default null" in lines
    assert "Used by: " in result.stdout and "output-too-short" in result.stdout
    assert lines[-1] == "Reference: docs/functions.md#length"


def test_explain_ignores_case_and_suggests_across_rules_and_functions():
    upper = run_cli("explain", "SQL-NOLOCK-MISSING")
    assert upper.exit_code == 0 and upper.stdout == run_cli("explain", "sql-nolock-missing").stdout
    typo = run_cli("explain", "SQL-NOLOK-MISSING")
    assert typo.exit_code == 2
    assert typo.stderr == ('vgptlint: error: unknown rule or function "SQL-NOLOK-MISSING"; did you mean "sql-nolock-missing"?; '
                           "`vgptlint rules` and `vgptlint functions` list them\n")
    function_typo = run_cli("explain", "sql_tabel_hint")
    assert 'did you mean "sql_table_hint"?' in function_typo.stderr


def test_rules_and_explain_options_have_help():
    for command in (("rules",), ("explain",), ("functions",)):
        help_text = run_cli(*command, "--help").stdout
        options = re.findall(r"^  (-\S+(?:, -\S+)?)(?: \S+)?\s*(.*)$", help_text, flags=re.M)
        assert options and all(text for _, text in options), (command, options)
