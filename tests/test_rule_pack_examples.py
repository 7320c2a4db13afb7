"""Every example of every shipped rule pack: valid ones give no finding, invalid ones exactly theirs."""
from __future__ import annotations

import pytest

from vgptlint.testing import describe, example_cases, run_case

CASES = example_cases()


def test_every_rule_has_valid_and_invalid_examples():
    from vgptlint.commands.docs import all_rules

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


FIXED_CASES = [c for c in CASES if not c.is_valid and c.fixed is not None]


@pytest.mark.parametrize("case", FIXED_CASES, ids=[c.test_id for c in FIXED_CASES])
def test_example_fixed(case, tmp_path):
    """``fixed:`` is the record after ``--fix`` (safe fixes, the fix loop, written and read back)."""
    import json

    from vgptlint.run.engine import infer_kind
    from vgptlint.run.fix_session import FixOptions, fix_task
    from vgptlint.run.setup import FileTask, local_setup
    from vgptlint.testing import example_services, example_spec, pack_policy

    policy = pack_policy(case.pack_path)
    rule = policy.rules[case.rule_id]
    kind = case.kind or infer_kind(case.records[0])
    spec = example_spec(case.spec) if case.spec is not None else None
    path = tmp_path / "example.json"
    path.write_text(json.dumps(list(case.records), indent=2, ensure_ascii=False), encoding="utf-8")
    setup = local_setup(policy, {rule.id: rule}, example_services(case.pack_path))
    task = FileTask(path=str(path), display="example.json", kind=kind, spec=spec)
    outcome = fix_task(setup, task, FixOptions())
    assert outcome.messages == []
    fixed = json.loads(path.read_text(encoding="utf-8"))
    assert (fixed if len(case.records) > 1 else fixed[0]) == case.fixed  # a dataset example lists every record
    again = fix_task(setup, task, FixOptions())
    assert not again.is_changed, "a second --fix must change nothing"
