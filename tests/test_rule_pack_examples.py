"""Every example of every shipped rule pack: valid ones give no finding, invalid ones exactly theirs."""
from __future__ import annotations

import pytest

from vgptlint.testing import describe, example_cases, run_case

CASES = example_cases()


def test_every_rule_has_valid_and_invalid_examples():
    from vgptlint.docs import all_rules

    kinds = {}
    for case in CASES:
        kinds.setdefault(case.rule_id, set()).add(case.is_valid)
    lacking = [r.id for r in all_rules() if kinds.get(r.id) != {True, False}]
    assert lacking == []


@pytest.mark.parametrize("case", CASES, ids=[c.test_id for c in CASES])
def test_example(case):
    found = describe(run_case(case))
    if case.is_valid:
        assert found == []
    elif case.expect is not None:
        assert found == [{"path": e.get("path", "$"), "message": e["message"]} for e in case.expect]
    else:
        assert found, "an invalid example must produce at least one finding"
