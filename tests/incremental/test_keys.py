"""The evaluation key's code fingerprint: a team's module is looked at on every run, so editing it is
new code; what is remembered within a process gives the same keys as describing everything again."""
from __future__ import annotations

import importlib.util
import os
import sys

from vgptlint.functions.base import REGISTRY
from vgptlint.incremental import keys

TEAM_MODULE = '''
from dataclasses import dataclass
from vgptlint.functions.base import function


@dataclass(frozen=True)
class NoOptions:
    pass


@function("team_always_fine_for_keys", options=NoOptions)
def team_always_fine_for_keys(targets, ctx, opts):
    return []
'''


def test_editing_a_team_module_changes_the_code_key(tmp_path):
    without = keys.code_key()
    module = tmp_path / "team_checks_for_keys.py"
    module.write_text(TEAM_MODULE)
    spec = importlib.util.spec_from_file_location("team_checks_for_keys", module)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules["team_checks_for_keys"] = loaded
    try:
        spec.loader.exec_module(loaded)
        before = keys.code_key()
        assert before != without and keys.code_key() == before  # a new module; then nothing changed, the same key
        module.write_text(TEAM_MODULE + "\n# edited\n")
        os.utime(module, ns=(1, 1))  # a different size and time, as an editor's save leaves it
        assert keys.code_key() != before
    finally:
        REGISTRY.pop("team_always_fine_for_keys", None)
        sys.modules.pop("team_checks_for_keys", None)
    assert keys.code_key() == without  # the module gone: the key it had before


def test_a_rule_is_described_once_with_the_same_text(tmp_path):
    from vgptlint.api import CheckOptions, prepare

    (tmp_path / "sft.jsonl").write_text('{"instruction": "q", "input": "", "output": "a"}\n')
    prepared = prepare((str(tmp_path / "sft.jsonl"),), CheckOptions(policy="pretrain"))
    assert prepared.rules
    for rule in prepared.rules.values():
        assert keys._rule_description(rule) == keys.describe(keys.rule_evaluation(rule))
        assert keys._rule_description(rule) is keys._rule_description(rule)  # remembered
