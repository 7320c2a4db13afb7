"""fix_identifier_case: minimal edits, only identifier bytes change, the result parses."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.fixes.base import FIXERS
from vgptlint.fixes.sql_case import case_edit
from vgptlint.functions.base import Context, NoOptions
from vgptlint.functions.sql_catalog import SqlIdentifierCaseOptions, sql_identifier_case
from vgptlint.model import Applicability, Edit
from vgptlint.sql.catalog import load_catalog
from vgptlint.sql.extract import extract_sql
from vgptlint.sql.parse import ParsedStatement, parse_statement

CATALOG = load_catalog(Path(__file__).with_name("catalog_vista.yaml"))
CTX = Context(record=None, kind="sft", services={"catalog": CATALOG})


def fixes(text: str):
    hits = list(sql_identifier_case(text, SqlIdentifierCaseOptions(), CTX))
    return hits, [FIXERS["fix_identifier_case"].propose(text, hit, NoOptions(), CTX) for hit in hits]


def apply(text: str, edits: list[Edit]) -> str:
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[:edit.start] + edit.replacement + text[edit.end:]
    return text


def test_column_fix_is_one_minimal_edit():
    text = "SELECT APRef FROM APTH WHERE APCO = 1"
    _, [fix] = fixes(text)
    assert fix.edits == (Edit(29, 33, "APCo"),) and fix.applicability is Applicability.SAFE
    assert apply(text, list(fix.edits)) == "SELECT APRef FROM APTH WHERE APCo = 1"


def test_bracketed_table_keeps_its_brackets():
    text = "Try:\n```sql\nSELECT h.APRef FROM [dbo].[apth] h WHERE h.APCo = 1\n```"
    _, [fix] = fixes(text)
    assert apply(text, list(fix.edits)) == "Try:\n```sql\nSELECT h.APRef FROM [dbo].[APTH] h WHERE h.APCo = 1\n```"


def test_alias_case_fix():
    text = "SELECT h.APRef FROM APTH h WHERE H.APCo = 1"
    _, [fix] = fixes(text)
    assert apply(text, list(fix.edits)) == "SELECT h.APRef FROM APTH h WHERE h.APCo = 1"


def test_table_written_like_a_column_is_unsafe():
    text = "SELECT Name FROM HQCo WHERE HQCo = 1"
    _, [fix] = fixes(text)
    assert fix.applicability is Applicability.UNSAFE
    assert apply(text, list(fix.edits)) == "SELECT Name FROM HQCO WHERE HQCo = 1"


def test_case_edit_refuses_anything_but_case():
    assert case_edit("SELECT apco", 7, 11, "APCo") == Edit(7, 11, "APCo")
    assert case_edit("SELECT apco", 7, 11, "APTrans") is None
    assert case_edit("SELECT APCo", 7, 11, "APCo") is None
    assert case_edit("SELECT apco", 7, 99, "APCo") is None


def test_stale_span_gives_no_fix():
    text = "SELECT APRef FROM APTH WHERE APCO = 1"
    [hit], _ = fixes(text)
    assert FIXERS["fix_identifier_case"].propose(text.replace("APCO", "XXXX"), hit, NoOptions(), CTX) is None


TEMPLATES = [
    "SELECT {APRef}, {InvTotal} FROM {APTH} WITH (NOLOCK) WHERE {APCo} = 1 AND {Mth} = '20240101'",
    "SELECT h.{APRef}, l.{APLine} FROM {APTH} h JOIN {APTL} l ON l.{APCo} = h.{APCo} AND l.{Mth} = h.{Mth} "
    "AND l.{APTrans} = h.{APTrans} WHERE h.{APCo} = @co",
    "SELECT [{Name}] FROM [dbo].[{APVM}] WHERE [{VendorGroup}] = 1 ORDER BY {SortName}",
    "WITH c AS (SELECT {JCCo}, {Job}, SUM({ActualCost}) AS Cost FROM {JCCD} WHERE {JCCo} = 1 GROUP BY {JCCo}, {Job})\n"
    "SELECT c.Job, j.{Description} FROM c JOIN {JCJM} j ON j.{JCCo} = c.JCCo AND j.{Job} = c.Job",
    "UPDATE {APTD} SET {Status} = 2 WHERE {APCo} = 1 AND {APTrans} IN (SELECT {APTrans} FROM {APTH} WHERE {APCo} = 1)",
]


@st.composite
def scrambled(draw):
    template = draw(st.sampled_from(TEMPLATES))
    names = []
    pieces = template.split("{")
    text = pieces[0]
    for piece in pieces[1:]:
        name, rest = piece.split("}", 1)
        flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
        written = "".join(c.swapcase() if flip else c for c, flip in zip(name, flips))
        names.append(name)
        text += written + rest
    correct = template.replace("{", "").replace("}", "")
    return text, correct


@settings(max_examples=150, deadline=None)
@given(scrambled())
def test_fixes_change_only_identifier_case_and_parse(case):
    text, correct = case
    hits, proposed = fixes(text)
    edits = [edit for fix in proposed if fix is not None and fix.applicability is not Applicability.DISPLAY_ONLY for edit in fix.edits]
    fixed = apply(text, edits)
    assert len(fixed) == len(text)
    for index, (before, after) in enumerate(zip(text, fixed)):
        if before != after:
            assert before.casefold() == after.casefold()
            assert any(e.start <= index < e.end for e in edits)
    assert fixed == correct
    for statement in extract_sql(fixed):
        assert isinstance(parse_statement(statement.text, "tsql"), ParsedStatement)
    assert list(sql_identifier_case(fixed, SqlIdentifierCaseOptions(), CTX)) == []
