"""evaluate.rules_for_file: rules whose functions cannot report on a file are left out once per file."""
from __future__ import annotations

from types import SimpleNamespace

from vgptlint.functions.base import Context
from vgptlint.run.evaluate import rules_for_file


def rule(*applies: object) -> SimpleNamespace:
    return SimpleNamespace(checks=tuple(SimpleNamespace(function=SimpleNamespace(applies=a)) for a in applies))


def test_a_rule_is_left_out_only_when_none_of_its_functions_applies():
    ctx = Context(record=None, kind="sft")
    never, always = (lambda c: False), (lambda c: True)
    kept = [rule(None), rule(always), rule(never, None), rule(never, always), rule()]
    assert rules_for_file([rule(never), *kept, rule(never, never)], ctx) == tuple(kept)
