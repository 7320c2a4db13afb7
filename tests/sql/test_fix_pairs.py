"""Hand-written before/after pairs for the SQL fixers: one pass of every safe fix, then a second
pass that must change nothing (idempotence)."""
from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

import vgptlint.fixes.sql  # noqa: F401  (registers the fixers)
import vgptlint.functions.sql  # noqa: F401
from vgptlint.fixes.base import FIXERS
from vgptlint.functions.base import REGISTRY, Context, build_options
from vgptlint.model import Applicability

PAIRS = YAML(typ="safe", pure=True).load((Path(__file__).parent / "data" / "fix_pairs.yaml").read_text())
CTX = Context(record={}, kind="sft")
PLANS = {
    "nolock": ("sql_table_hint", "inject_table_hint"),
    "legacy": ("sql_legacy_hint", "rewrite_legacy_hint"),
    "target": ("sql_write_target_hint", "remove_table_hint"),
}


def fix_once(value: str, plan: str) -> str:
    function_name, fixer_name = PLANS[plan]
    fn, fixer = REGISTRY[function_name], FIXERS[fixer_name]
    opts, fixer_opts = build_options(fn.options, {}), build_options(fixer.options, {})
    edits = []
    for hit in fn.check(value, opts, CTX):
        fix = fixer.propose(value, hit, fixer_opts, CTX)
        if fix is not None and fix.applicability is Applicability.SAFE:
            edits.extend(fix.edits)
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        assert (edit.start == edit.end) != (plan == "target"), "hint fixes only insert, target fixes only rewrite a hint group"
        value = value[: edit.start] + edit.replacement + value[edit.end :]
    return value


def test_enough_pairs():
    assert len(PAIRS) >= 100


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{i}:{p['before'][:40]}" for i, p in enumerate(PAIRS)])
def test_fix_pair(pair):
    plan = pair.get("fix", "nolock")
    fixed = fix_once(pair["before"], plan)
    assert fixed == pair["after"]
    assert fix_once(fixed, plan) == fixed
