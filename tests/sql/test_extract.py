"""Extraction and splitting: where SQL is found, exact offsets, what is not SQL."""
from __future__ import annotations

import pytest

from vgptlint.sql.extract import contains_sql, extract_sql
from vgptlint.sql.parse import ParsedStatement, ParseFailure, parse_statement
from vgptlint.sql.refs import table_refs
from vgptlint.sql.split import split_statements


def texts(value: str) -> list[str]:
    statements = extract_sql(value)
    for s in statements:
        assert value[s.start : s.end] == s.text
    return [s.text for s in statements]


def test_whole_field():
    [s] = extract_sql("SELECT a FROM APTH WITH (NOLOCK)")
    assert (s.start, s.end, s.origin, s.batch) == (0, 32, "whole", 0)


def test_inline_after_prose_stops_at_the_sentence():
    value = "Use: SELECT a FROM APTH WITH (NOLOCK) WHERE APCo = 1. This returns the headers."
    [s] = extract_sql(value)
    assert s.text == "SELECT a FROM APTH WITH (NOLOCK) WHERE APCo = 1" and s.start == 5 and s.origin == "inline"


def test_inline_code_span_stops_at_backtick():
    assert texts("Run `SELECT a FROM APTH h` first, then `SELECT b FROM APTL`.") == ["SELECT a FROM APTH h", "SELECT b FROM APTL"]


def test_dotted_names_and_decimals_do_not_end_a_sentence():
    assert texts("Try SELECT h.a FROM dbo.APTH h WHERE h.x > 1.5 ORDER BY h.a") == ["SELECT h.a FROM dbo.APTH h WHERE h.x > 1.5 ORDER BY h.a"]


@pytest.mark.parametrize(
    "prose",
    [
        "Select the vendor on the form, then update the record.",
        "select the vendor from the list",
        "Please update the record and delete from the list.",
        "With the job open, set the phase and insert into the grid.",
        "If you select from the menu, execute the plan.",
        "Create a table of vendors and alter the layout.",
        "",
        "No keywords here at all.",
    ],
)
def test_prose_is_not_sql(prose):
    assert extract_sql(prose) == () and not contains_sql(prose)


def test_fences():
    value = "Intro\n```sql\nSELECT a FROM t1\n```\ntext\n```python\nx = 'SELECT a FROM t2'\n```\n```\nSELECT b FROM t3\n```\n~~~tsql\nSELECT c FROM t4\n~~~\n"
    statements = extract_sql(value)
    assert [s.text for s in statements] == ["SELECT a FROM t1", "SELECT b FROM t3", "SELECT c FROM t4"]
    assert {s.origin for s in statements} == {"fence"}
    assert all(value[s.start : s.end] == s.text for s in statements)


def test_unclosed_fence_runs_to_the_end():
    assert texts("```sql\nSELECT a FROM APTH WHERE") == ["SELECT a FROM APTH WHERE"]


def test_unlabelled_prose_fence_is_not_sql():
    assert extract_sql("```\nSelect the vendor, then update it.\n```") == ()


def test_go_batches_and_preambles():
    value = "DECLARE @co int = 1\nSELECT a FROM t WHERE c = @co\nGO\nSET NOCOUNT ON\nSELECT b FROM u\ngo 3\nSELECT 1"
    statements = extract_sql(value)
    assert [(s.text, s.batch) for s in statements] == [
        ("DECLARE @co int = 1", 0),
        ("SELECT a FROM t WHERE c = @co", 0),
        ("SET NOCOUNT ON", 1),
        ("SELECT b FROM u", 1),
        ("SELECT 1", 2),
    ]


def test_batches_continue_across_fences():
    value = "```sql\nSELECT 1 FROM a\nGO\nSELECT 2 FROM b\n```\n```sql\nSELECT 3 FROM c\n```"
    assert [s.batch for s in extract_sql(value)] == [0, 1, 1]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("INSERT INTO t (a)\nSELECT a FROM u", ["INSERT INTO t (a)\nSELECT a FROM u"]),
        ("UPDATE t\nSET a = 1\nWHERE b = 2\nSET @x = 1", ["UPDATE t\nSET a = 1\nWHERE b = 2", "SET @x = 1"]),
        ("WITH c AS (SELECT 1 a)\nSELECT a FROM c\nSELECT 2", ["WITH c AS (SELECT 1 a)\nSELECT a FROM c", "SELECT 2"]),
        ("SELECT a FROM t\nUNION ALL\nSELECT a FROM u", ["SELECT a FROM t\nUNION ALL\nSELECT a FROM u"]),
        ("SELECT a FROM t\nWITH (NOLOCK)", ["SELECT a FROM t\nWITH (NOLOCK)"]),
        ("SELECT CASE\nWHEN a = 1 THEN 2\nELSE 3\nEND FROM t", ["SELECT CASE\nWHEN a = 1 THEN 2\nELSE 3\nEND FROM t"]),
        ("SELECT 'a\nSELECT b' FROM t", ["SELECT 'a\nSELECT b' FROM t"]),
        ("SELECT a -- x\n/* SELECT\n*/ FROM t", ["SELECT a -- x\n/* SELECT\n*/ FROM t"]),
        ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
        ("IF EXISTS (SELECT 1 FROM t)\nBEGIN\nSELECT 2 FROM u\nEND\nELSE\nSELECT 3", ["SELECT 1 FROM t", "SELECT 2 FROM u", "SELECT 3"]),
        ("DECLARE c CURSOR FOR\nSELECT a FROM t", ["SELECT a FROM t"]),
        ("CREATE VIEW v AS\nSELECT a FROM t", ["CREATE VIEW v AS\nSELECT a FROM t"]),
        ("CREATE PROCEDURE p @a int\nAS\nSET NOCOUNT ON\nSELECT a FROM t", ["SET NOCOUNT ON", "SELECT a FROM t"]),
        ("MERGE t USING s ON 1 = 1\nWHEN MATCHED THEN\nUPDATE SET a = 1\nWHEN NOT MATCHED THEN\nINSERT (a) VALUES (1);", ["MERGE t USING s ON 1 = 1\nWHEN MATCHED THEN\nUPDATE SET a = 1\nWHEN NOT MATCHED THEN\nINSERT (a) VALUES (1)"]),
    ],
)
def test_split(sql, expected):
    assert [sql[s.start : s.end] for s in split_statements(sql)] == expected


def test_parse_cache_and_failures():
    first = parse_statement("SELECT a FROM t")
    assert parse_statement("SELECT a FROM t") is first
    failure = parse_statement("SELECT a FROM t WHERE (")
    assert isinstance(failure, ParseFailure) and failure.message
    opaque = parse_statement("DECLARE @x int SELECT a FROM t")
    assert isinstance(opaque, ParsedStatement) and opaque.is_opaque
    assert parse_statement("set transaction isolation level read uncommitted").isolation_level == "READ UNCOMMITTED"
    top = parse_statement("UPDATE TOP (10) t SET a = 1")
    assert isinstance(top, ParsedStatement) and not top.is_opaque


def test_table_ref_spans_and_roles():
    value = "Use:\n```sql\nSELECT a FROM [dbo].[APTH] AS h WITH (INDEX(ix), NOLOCK) JOIN APTL l (NOLOCK) ON 1 = 1 JOIN #w ON 1 = 1\n```"
    [statement] = extract_sql(value)
    refs = [r for r in table_refs(statement) if r.role != "derived"]
    assert [(value[r.name_span.start : r.name_span.end], r.alias, r.role) for r in refs] == [
        ("[dbo].[APTH]", "h", "read"),
        ("APTL", "l", "read"),
        ("w", None, "temp"),
    ]
    apth, aptl = refs[0], refs[1]
    assert value[apth.hint_span.start : apth.hint_span.end] == "WITH (INDEX(ix), NOLOCK)" and not apth.is_legacy_hint
    assert value[aptl.hint_span.start : aptl.hint_span.end] == "(NOLOCK)" and aptl.is_legacy_hint
    assert value[apth.ref_end - 1] == "h" and apth.parts == ("dbo", "APTH") and apth.schema == "dbo"


def test_roles_of_dml():
    [statement] = extract_sql("UPDATE h SET a = 1 FROM APTH h JOIN APVM v ON 1 = 1 JOIN inserted i ON 1 = 1")
    assert [(r.name, r.role) for r in table_refs(statement)] == [("h", "write-target"), ("APTH", "write-target"), ("APVM", "read"), ("inserted", "pseudo")]
