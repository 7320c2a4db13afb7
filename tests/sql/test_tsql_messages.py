"""Syntax errors in T-SQL's words, at the token where the problem is; valid T-SQL the parser cannot
follow is "not analyzed", never a syntax error; no message shows sqlglot's internals."""
from __future__ import annotations

import json

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.commands.cli import main
from vgptlint.functions.base import Context, NoOptions
from vgptlint.functions.sql import SqlUnverifiableOptions, sql_syntax_error, sql_unverifiable

CTX = Context(record={}, kind="sft")


def located(tmp_path, output: str) -> list[tuple[str, int, int, str]]:
    path = tmp_path / "sft.jsonl"
    path.write_text(json.dumps({"instruction": "q", "input": "", "output": output}) + "\n")
    result = CliRunner().invoke(main, ["check", "--policy", "pretrain", "--select", "sql-syntax-error,sql-unverifiable", "--format", "json", str(path)])
    return [(f["rule"], f["line"], f["column"], f["message"]) for f in json.loads(result.stdout)["findings"] if "severity" in f]


def test_messages_name_the_problem_at_its_token(tmp_path):
    # the field starts at column 46 of the line ({"instruction": "q", "input": "", "output": ")
    assert located(tmp_path, "SELECT APRef, Amount,\nFROM APTH WITH (NOLOCK)") == [
        ("sql-syntax-error", 1, 66, "a comma ends the select list before FROM; remove it or add the missing column")]
    assert located(tmp_path, "SELECT a FROM APTH WITH (NOLOCK) GROUP a") == [("sql-syntax-error", 1, 79, "GROUP needs BY")]
    assert located(tmp_path, "SELECT a FROM APTH h WITH (NOLOCK) JOIN APTL l WITH (NOLOCK)") == [
        ("sql-syntax-error", 1, 81, "JOIN without ON: every JOIN except CROSS JOIN needs an ON condition")]


def test_valid_tsql_the_parser_cannot_follow_is_not_analyzed(tmp_path):
    assert located(tmp_path, "SELECT JSON_VALUE(Notes, '$.age' RETURNING int) FROM APTH WITH (NOLOCK)") == [
        ("sql-unverifiable", 1, 46, "not analyzed: the parser cannot follow this statement (expected ) before 'RETURNING')")]


def test_an_unexpected_keyword_says_what_it_most_likely_is(tmp_path):
    """A keyword alone in a select list is a column that needs brackets; a clause at the start is a
    fragment, not a statement (neither wording appears on 9,688 statements of real T-SQL: bench/README.md)."""
    assert located(tmp_path, "SELECT\n  SMCo,\n  Select\nFROM vSMWO WITH (NOLOCK)") == [
        ("sql-unverifiable", 1, 46, "not analyzed: the parser cannot follow this statement (unexpected 'Select'; "
                                    "a column named after a keyword is read only in brackets: [Select])")]
    assert located(tmp_path, "```sql\n-- January 2024\nWHERE Mth = '2024-01-01'\n```") == [
        ("sql-unverifiable", 1, 71, "not analyzed: the parser cannot follow this statement (unexpected 'WHERE' at the "
                                    "start: a clause on its own, not a whole statement)")]
    # a keyword the parser stops at elsewhere keeps the plain wording
    assert located(tmp_path, "SELECT a FROM APTH WITH (NOLOCK) WHERE a = 1 VALUES (1)")[0][3].endswith("(unexpected 'VALUES')")


_WORDS = st.sampled_from(["SELECT", "FROM", "WHERE", "JOIN", "ON", "GROUP", "BY", "ORDER", "INSERT", "INTO", "VALUES",
                          "UPDATE", "SET", "WITH", "AS", "(", ")", ",", "=", "'x'", "APTH", "a", "1", "*", "CASE", "END", "TABLE"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORDS, min_size=2, max_size=14))
def test_no_message_shows_sqlglot_internals(words):
    sql = "SELECT " + " ".join(words)
    hits = [*sql_syntax_error(sql, NoOptions(), CTX), *sql_unverifiable(sql, SqlUnverifiableOptions(), CTX)]
    for hit in hits:
        assert "<Token" not in hit.message and "<class" not in hit.message and "TokenType" not in hit.message, hit.message
        assert hit.span is not None and 0 <= hit.span.start <= hit.span.end <= len(sql)
