"""The exact-findings corpus: every rule of rules/sql.yaml (its own ``then`` functions and options)
on hand-written T-SQL; each case lists all its findings as ``rule`` or ``rule:TABLE``."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import vgptlint.functions.sql  # noqa: F401  (registers the SQL functions)
from vgptlint.functions.base import REGISTRY, Context, build_options

HERE = Path(__file__).parent
PACK = YAML(typ="safe", pure=True).load((HERE.parents[1] / "rules" / "sql.yaml").read_text())
CHECKS = [
    (rule_id, REGISTRY[then["function"]], build_options(REGISTRY[then["function"]].options, then.get("options")))
    for rule_id, rule in PACK["rules"].items()
    for then in (rule["then"] if isinstance(rule["then"], list) else [rule["then"]])
]
CASES = [case for name in ("corpus_a.yaml", "corpus_b.yaml", "corpus_tsql.yaml") for case in YAML(typ="safe", pure=True).load((HERE / "data" / name).read_text())]
CTX = Context(record={}, kind="sft")


def findings(sql: str) -> Counter:
    found: Counter = Counter()
    for rule_id, fn, opts in CHECKS:
        for hit in fn.check(sql, opts, CTX):
            table = hit.data.get("table") if rule_id.startswith(("sql-nolock", "sql-hint")) else None
            found[f"{rule_id}:{table}" if table else rule_id] += 1
            assert hit.span is not None and 0 <= hit.span.start < hit.span.end <= len(sql)
    return found


def test_corpus_is_large_enough():
    assert len(CASES) >= 150


@pytest.mark.parametrize("case", CASES, ids=[f"{i}:{c['sql'][:40]}" for i, c in enumerate(CASES)])
def test_exact_findings(case):
    assert findings(case["sql"]) == Counter(case.get("expect") or [])
