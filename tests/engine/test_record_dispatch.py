"""evaluate_record's dispatch (call plans shared by rules, only the rules whose plan makes calls
visited, where decided once per guard) against a plain evaluation: every rule on its own, each
check called on each selected value its field, ``accepts``, ``only_if`` and ``where`` let through."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.api import CheckOptions, prepare
from vgptlint.functions.base import MISSING
from vgptlint.inputs.records import Record
from vgptlint.run.engine import file_plan
from vgptlint.run.evaluate import RecordMemo, evaluate_record, make_finding, rules_for_file, where_holds
from vgptlint.run.setup import FileRun, FileTask

CATALOG = str(Path(__file__).resolve().parents[2] / "examples" / "catalog.yaml")

TEXTS = (
    "SELECT Vendor, Name FROM APVM v JOIN APTH h ON h.VendorGroup = v.VendorGroup WHERE h.APCo = 1",
    "Use this:\n```sql\nSELECT * FROM APTL WITH (NOLOCK) LIMIT 5\n```\nIt lists lines.",
    "UPDATE APTH SET Notes = '' ",
    "SELEC Vendor FRM APVM",
    "Vista does not have a Vendors table.",
    "The APTH view holds one row per AP transaction header, keyed by APCo, Mth and APTrans.",
    "APCo",
    "",
)
VALUES = st.one_of(st.sampled_from(TEXTS), st.none(), st.booleans(), st.integers(-2, 2), st.just([]),
                   st.just({"a": "SELECT 1"}), st.text(max_size=12))
FIELDS = ("instruction", "input", "output", "chosen", "rejected", "label", "category", "system", "history")
RECORDS = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=len(FIELDS))


def _plain_findings(record: Record, rules: tuple, ctx) -> list:
    findings = []
    for rule in rules:
        if not where_holds(rule, record.data, ctx):
            continue
        for selector in rule.selectors:
            for target in selector.find(record.data):
                for check in rule.checks:
                    value, parts = _field_value(target.value, target.parts, check.field)
                    function = check.function
                    if value is MISSING or (function.accepts is not None and not isinstance(value, function.accepts)):
                        continue
                    if function.only_if is not None and not function.only_if(value):
                        continue
                    findings += [make_finding(rule, record, parts, value, hit, ctx)
                                 for hit in function.check(value, check.options, ctx)]
    return findings


def _field_value(value: object, parts: tuple, field: tuple | None) -> tuple[object, tuple]:
    for part in field or ():
        if isinstance(part, int) and isinstance(value, list) and part < len(value):
            value = value[part]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return MISSING, ()
    return value, (*parts, *(field or ()))


def _setup():
    return prepare((CATALOG,), CheckOptions(policy="pretrain", catalog=(CATALOG,), no_cache=True)).setup


SETUP = _setup()


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(["sft", "dpo", "kto"]), records=st.lists(RECORDS, min_size=1, max_size=6))
def test_dispatch_gives_the_plain_evaluations_findings(kind, records):
    run = FileRun(FileTask("data.jsonl", "data.jsonl"), kind)
    ctx = SETUP.file_context(run)
    rules = rules_for_file(file_plan(SETUP, run).record_rules, ctx)
    assert len(rules) > 3
    for index, data in enumerate(records):
        text = json.dumps(data)
        record = Record("data.jsonl", index, index + 1, 1, data, text, 0)
        ctx.record, ctx.record_index = data, index
        assert evaluate_record(record, rules, ctx, RecordMemo()) == _plain_findings(record, rules, ctx)
