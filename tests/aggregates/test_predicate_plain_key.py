"""A predicate whose ``given`` is one plain key (``$.instruction``) reads the key directly; it answers
as the same predicate selecting through the record's selections does."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vgptlint.aggregates.predicate as predicate_module
from vgptlint.aggregates.predicate import compile_predicate
from vgptlint.builtins import load_builtins
from vgptlint.functions.base import Context

load_builtins()

TEXTS = st.sampled_from([
    "", "SELECT Job FROM JCJM WITH (NOLOCK) WHERE JCCo = 1", "There is no table named APXX in Vista.",
    "How do I join APTH to APTL?", "What columns are in APVM?", "Fix my query: SELEC a FRM b",
    "SELECT h.APCo FROM APTH h JOIN APTL l ON l.APCo = h.APCo AND l.Mth = h.Mth WHERE h.APCo = 1",
]) | st.text(max_size=20)
VALUES = TEXTS | st.none() | st.booleans() | st.integers(-2, 2) | st.lists(TEXTS, max_size=2) \
    | st.dictionaries(st.sampled_from(["instruction", "a"]), TEXTS, max_size=2)
RECORDS = st.dictionaries(st.sampled_from(["instruction", "output", "input"]), VALUES, max_size=3) | VALUES
PREDICATES = [
    {"function": "pattern", "options": {"match": r"\b(join|fix)\b", "flags": "i"}},
    {"function": "contains", "options": {"values": ["join", "column"], "case_sensitive": False}},
    {"function": "sql_present"},
    {"function": "refusal", "negate": True},
    {"function": "truthy"},
    {"function": "length", "options": {"min": 10}, "negate": True},
    {"function": "sql_has_company_filter"},  # remembered per text
]


def _selecting(raw: dict) -> object:
    """The predicate as it is without the plain-key reading: selected through the record's selections."""
    plain = predicate_module.compile_selector
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(predicate_module, "compile_selector", lambda text: dataclasses.replace(plain(text), key=None))
        return compile_predicate(raw)


@settings(max_examples=300, deadline=None)
@given(raw=st.sampled_from(PREDICATES), path=st.sampled_from(["instruction", "output"]), record=RECORDS)
def test_a_plain_key_predicate_answers_as_selecting_does(raw, path, record):
    raw = {**raw, "given": f"$.{path}"}
    direct = compile_predicate(raw)
    selecting = _selecting(raw)
    ctx = Context(record=record, kind="sft")
    assert direct.test(None, ctx) == selecting.test(None, ctx)
