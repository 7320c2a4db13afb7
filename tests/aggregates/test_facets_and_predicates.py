"""Facets (policy errors with positions, `where:` on record rules), predicates, pair functions, truncation."""
from __future__ import annotations

import json

import pytest

from vgptlint.functions.features import truncation
from vgptlint.aggregates.predicate import PredicateError, compile_predicate
from vgptlint.api import CheckOptions, check
from vgptlint.builtins import load_builtins
from vgptlint.errors import PolicyError
from vgptlint.functions.base import Context
from vgptlint.functions.pairs import trivial_difference
from vgptlint.policy.load import load_policy

load_builtins()


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_predicate_holds_when_the_function_has_no_hit():
    has_nolock = compile_predicate({"function": "pattern", "options": {"match": "NOLOCK"}})
    refusal = compile_predicate({"given": "$.output", "function": "refusal", "negate": True})
    record = {"output": "There is no table named Vendors; use APVM WITH (NOLOCK)."}
    ctx = Context(record=record, kind="sft")
    assert has_nolock.test([_target(record["output"])], ctx)
    assert refusal.test(None, ctx)
    assert not compile_predicate({"not": {"given": "$.output", "function": "truthy"}}).test(None, ctx)
    assert not compile_predicate({"given": "$.missing", "function": "truthy", "negate": True}).test(None, ctx)


def _target(value):
    from vgptlint.select.jsonpath import Target

    return Target(("output",), value)


@pytest.mark.parametrize("raw, message", [
    ({"function": "nope"}, '"nope" is not a function'),
    ({"function": "length", "options": {"mni": 3}}, 'unknown option "mni"'),
    ({"function": "truthy", "given": "$["}, '"given" is not valid JSONPath'),
    ({"facet": "content_type"}, 'needs "values"'),
    ({"fuction": "length"}, 'unknown key "fuction"'),
])
def test_predicate_errors_say_what_is_wrong(raw, message):
    with pytest.raises(PredicateError, match=message.replace("[", r"\[")):
        compile_predicate(raw)


def test_facet_errors_are_located(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    policy = _write(tmp_path, "p.yaml", """\
facets:
  content_type:
    cases:
      - {value: sql, when: {function: sql_presen}}
  broken: 3
""")
    with pytest.raises(PolicyError) as caught:
        load_policy(str(policy))
    rendered = [p.render().splitlines()[0] for p in caught.value.problems]
    assert rendered[0].startswith("p.yaml:4:") and '"sql_presen" is not a function' in rendered[0]
    assert rendered[1].startswith("p.yaml:5:3: error[invalid-facet]: facet \"broken\"")


def test_where_facet_selects_records_for_a_record_rule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "p.yaml", """\
extends: [dataset]
rules:
  sql-answer-too-short:
    severity: warning
    where: {content_type: [sql_generation]}
    given: $.output
    then: {function: length, options: {min: 40}}
""")
    data = [{"instruction": "List vendors", "input": "", "output": "SELECT Vendor FROM APVM"},
            {"instruction": "What is APTH?", "input": "", "output": "AP headers."}]
    _write(tmp_path, "train.json", json.dumps(data))
    result = check(["train.json"], CheckOptions(policy="p.yaml", select=("sql-answer-too-short",)))
    assert [(f.rule, f.location.record_index) for f in result.findings] == [("sql-answer-too-short", 0)]


def test_an_undeclared_facet_is_a_located_policy_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "p.yaml", """\
rules:
  r:
    where: {flavour: [x]}
    given: $.output
    then: {function: truthy}
""")
    _write(tmp_path, "train.json", json.dumps([{"instruction": "q", "output": "a"}]))
    with pytest.raises(PolicyError) as caught:
        check(["train.json"], CheckOptions(policy="p.yaml"))
    assert caught.value.problems[0].render() == (
        'p.yaml:3:12: error[unknown-facet]: rule "r": "where" names facet "flavour", which the policy does not declare; '
        "known: none (declare them under facets:)")


@pytest.mark.parametrize("chosen, rejected, expected", [
    ("SELECT a FROM APTH WITH (NOLOCK) WHERE APCo = 1", "SELECT a FROM APTH WHERE APCo = 1", "text"),
    ("select a\nfrom APTH as h with (nolock)", "SELECT a FROM APTH h", "ast"),
    ("SELECT a FROM APTH h WITH (NOLOCK, INDEX(ix))", "SELECT a FROM APTH h WITH (INDEX(ix))", "text"),
    ("SELECT a FROM APTH WITH (NOLOCK) WHERE APCo = 1", "SELECT a FROM APTH", None),
    ("Use APTH.", "Use APTL.", None),
    # Vista's binary collation: GLAcct and glacct are different columns, so the pair teaches case too
    ("SELECT g.GLAcct FROM GLAC g WITH (NOLOCK) WHERE g.GLCo = 1", "SELECT g.glacct FROM GLAC g WHERE g.GLCo = 1", None),
    ("select g.GLAcct from GLAC g with (nolock)", "SELECT g.glacct FROM GLAC g", None),
])
def test_trivial_difference(chosen, rejected, expected):
    assert trivial_difference(chosen, rejected, ("NOLOCK", "READUNCOMMITTED"), "tsql") == expected


def test_trivial_difference_in_a_case_insensitive_database():
    chosen, rejected = "SELECT g.GLAcct FROM GLAC g WITH (NOLOCK)", "SELECT g.glacct FROM GLAC g"
    assert trivial_difference(chosen, rejected, ("NOLOCK",), "tsql", case_sensitive=False) == "text"


@pytest.mark.parametrize("value, reason", [
    ("```sql\nSELECT a FROM t\nWHERE", "ends inside an unclosed code fence"),
    ("Use: SELECT a, b FROM APTH WHERE APCo = 1 AND", 'its SQL ends mid-statement (after "AND")'),
    ("Use: SELECT a FROM APTH WHERE APCo IN (1, 2", "its SQL ends mid-statement (with an unclosed parenthesis)"),
    ("```sql\nSELECT a FROM t\n```", None),
    ("The APTH table is in the AP module.", None),
])
def test_truncation_signs(value, reason):
    found = truncation(value)
    assert (found.reason if found else None) == reason


@pytest.mark.parametrize("a, b", [("x", "x"), ("x", ""), ("", "x"), ("", "")])
def test_all_any_not_combine_as_the_words_say(a, b):
    ctx = Context(record={"a": a, "b": b}, kind="sft")
    has_a, has_b = {"given": "$.a", "function": "truthy"}, {"given": "$.b", "function": "truthy"}
    assert compile_predicate({"all": [has_a, has_b]}).test(None, ctx) is bool(a and b)
    assert compile_predicate({"any": [has_a, has_b]}).test(None, ctx) is bool(a or b)
    assert compile_predicate({"not": {"any": [has_a, has_b]}}).test(None, ctx) is not (a or b)
    assert compile_predicate({"any": [{"not": has_a}, {"all": [has_a, has_b]}]}).test(None, ctx) is bool(not a or b)
