"""rules/sql.yaml examples end to end through the engine, including ``fixed`` (applied here from
the findings' own fixes, safe ones only)."""
from __future__ import annotations

from pathlib import Path

import pytest

import vgptlint.fixes.sql  # noqa: F401  (registers the fixers, in case builtins do not yet)
import vgptlint.functions.sql  # noqa: F401
from vgptlint.model import Applicability
from vgptlint.testing import describe, example_cases, run_case

PACK = Path(__file__).parents[2] / "rules" / "sql.yaml"
CASES = example_cases([PACK])


@pytest.mark.parametrize("case", CASES, ids=[c.test_id for c in CASES])
def test_example(case):
    findings = run_case(case)
    found = describe(findings)
    if case.is_valid:
        assert found == []
        return
    assert found == [{"path": e.get("path", "$"), "message": e["message"]} for e in case.expect]
    if case.fixed is None:
        return
    record = dict(case.records[0])
    edits_by_field: dict[str, list] = {}
    for finding in findings:
        assert finding.fix is not None and finding.fix.applicability is Applicability.SAFE, finding.fix
        edits_by_field.setdefault(finding.location.pointer.lstrip("/"), []).extend(finding.fix.edits)
    for key, edits in edits_by_field.items():
        value = record[key]
        for edit in sorted(edits, key=lambda e: e.start, reverse=True):
            value = value[: edit.start] + edit.replacement + value[edit.end :]
        record[key] = value
    assert record == case.fixed
