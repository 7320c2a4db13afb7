"""rules/llamafactory.yaml's examples through the engine (also covered by tests/test_rule_pack_examples.py
once vgptlint.builtins imports vgptlint.functions.llamafactory)."""
from __future__ import annotations

import pytest

import vgptlint.functions.llamafactory  # noqa: F401
from vgptlint.resources import builtin_dir
from vgptlint.testing import describe, example_cases, run_case

CASES = example_cases([builtin_dir("rules") / "llamafactory.yaml"])


def test_every_lf_rule_has_valid_and_invalid_examples():
    seen: dict[str, set[bool]] = {}
    for case in CASES:
        seen.setdefault(case.rule_id, set()).add(case.is_valid)
    assert sorted(seen) == ["lf-column-absent", "lf-column-missing", "lf-dataset-info-invalid", "lf-history-shape",
                            "lf-media-token-mismatch", "lf-message-count", "lf-output-not-string",
                            "lf-preference-role", "lf-sharegpt-roles"]
    assert all(kinds == {True, False} for kinds in seen.values())


@pytest.mark.parametrize("case", CASES, ids=[c.test_id for c in CASES])
def test_example(case):
    found = describe(run_case(case))
    expected = [] if case.is_valid else [{"path": e.get("path", "$"), "message": e["message"]} for e in case.expect]
    assert found == expected
