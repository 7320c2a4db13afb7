"""Bounded SQL work (issues 13 and 14): nothing a field holds makes the SQL layer hang or cost more
than linear time, and what is skipped is said in a finding. Sizes are the real limits; no timing is
asserted (a regression shows as a test that takes minutes, not a flaky failure)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from vgptlint.commands.cli import main
from vgptlint.fixes import verify as fix_verify
from vgptlint.fixes.base import FIXERS
from vgptlint.fixes.sql import InjectTableHintOptions
from vgptlint.sql import parse as sql_parse
from vgptlint.sql.extract import MAX_FIELD_CHARS
from vgptlint.sql.parse import MAX_STATEMENT_CHARS


def lint(tmp_path, output: str, *extra: str) -> list[dict]:
    path = tmp_path / "sft.jsonl"
    path.write_text(json.dumps({"instruction": "q", "input": "", "output": output}) + "\n")
    result = CliRunner().invoke(main, ["check", "--policy", "pretrain", "--select", "sql-*", "--format", "json", *extra, str(path)])
    assert result.exit_code in (0, 1), result.output
    return [f for f in json.loads(result.stdout)["findings"] if "severity" in f and f["rule"] != "sql-share"]


def messages(findings: list[dict]) -> list[tuple[str, str]]:
    return [(f["rule"], f["message"]) for f in findings]


def test_system_versioning_never_reaches_the_parser_loop(tmp_path):
    # sqlglot 30 loops forever on an option it does not know inside SYSTEM_VERSIONING = ON (…)
    sql = "CREATE TABLE t (id INT) WITH (SYSTEM_VERSIONING = ON (HISTORY_TABLE = dbo.h WITH (NOLOCK)))"
    assert messages(lint(tmp_path, sql)) == [
        ("sql-unverifiable", "not analyzed: SYSTEM_VERSIONING options are not parsed (sqlglot cannot parse them safely)")]


def test_a_fix_whose_edited_statement_cannot_be_parsed_safely_is_display_only(monkeypatch):
    # The edited text goes through the same bounds as the author's: here the edit pushes the
    # statement past the length that is parsed.
    sql = "SELECT a FROM APTH WITH (NOLOCK) WHERE b = '" + "x" * (MAX_STATEMENT_CHARS - 80) + "' AND EXISTS (SELECT 1 FROM APTL)"
    assert len(sql) <= MAX_STATEMENT_CHARS < len(sql) + len(" WITH (NOLOCK)")
    from vgptlint.functions.base import Context
    from vgptlint.functions.sql import SqlTableHintOptions, sql_table_hint

    (hit,) = sql_table_hint(sql, SqlTableHintOptions(), Context(record={}, kind="sft"))
    fix = FIXERS["inject_table_hint"].propose(sql, hit, InjectTableHintOptions(), Context(record={}, kind="sft"))
    assert fix.applicability.value == "display-only"
    assert fix.title == f"not fixed: not verified: the statement is {len(sql) + 14:,} characters long; statements are parsed up to {MAX_STATEMENT_CHARS:,}"


def test_a_field_longer_than_the_limit_is_one_not_analyzed_finding(tmp_path):
    statement = "SELECT a, b FROM APTH WHERE APCo = 1\n"
    field = statement * (MAX_FIELD_CHARS // len(statement) + 1)
    assert messages(lint(tmp_path, field)) == [
        ("sql-unverifiable", f"not analyzed: the field is {len(field):,} characters long; SQL is analyzed in fields up to {MAX_FIELD_CHARS:,}")]


def test_a_statement_longer_than_the_limit_is_not_parsed(tmp_path):
    sql = "SELECT t0.a FROM t0\n" + "".join(f"JOIN t{i} ON t{i}.a = t{i - 1}.a\n" for i in range(1, 4000))
    assert len(sql.rstrip()) > MAX_STATEMENT_CHARS
    assert messages(lint(tmp_path, sql)) == [
        ("sql-unverifiable", f"not analyzed: the statement is {len(sql.rstrip()):,} characters long; statements are parsed up to {MAX_STATEMENT_CHARS:,}")]


@pytest.mark.parametrize("field", ["`" * 300_000, "```\n" * 50_000, ("~" * 3 + "x") * 50_000])
def test_fence_scanning_is_linear(tmp_path, field):
    assert lint(tmp_path, field) == []


def test_a_statements_fixes_are_verified_by_one_parse(tmp_path, monkeypatch):
    parses = []
    real = sql_parse.parse_fresh
    monkeypatch.setattr(fix_verify, "parse_fresh", lambda text, dialect="tsql": parses.append(text) or real(text, dialect))
    sql = "SELECT t0.a FROM t0\n" + "".join(f"JOIN t{i} ON t{i}.a = t{i - 1}.a\n" for i in range(1, 300))
    findings = lint(tmp_path, sql)
    assert len(findings) == 300 and {f["rule"] for f in findings} == {"sql-nolock-missing"}
    assert all(f["fix"]["applicability"] == "safe" for f in findings)
    assert len(parses) == 1


def test_fixes_that_fail_together_are_verified_alone_within_a_budget(monkeypatch):
    from vgptlint.functions.base import Context
    from vgptlint.functions.sql import SqlTableHintOptions, sql_table_hint

    ctx = Context(record={}, kind="sft")
    monkeypatch.setattr(fix_verify, "_verified_together", lambda *args: "pretend they clash")
    sql = "SELECT a FROM APTH JOIN APTL ON 1 = 1"
    hits = list(sql_table_hint(sql, SqlTableHintOptions(), ctx))
    fixes = [FIXERS["inject_table_hint"].propose(sql, hit, InjectTableHintOptions(), ctx) for hit in hits]
    assert [f.applicability.value for f in fixes] == ["safe", "safe"]  # verified one by one
    monkeypatch.setattr(fix_verify, "ALONE_VERIFICATION_BUDGET", len(sql))
    fixes = [FIXERS["inject_table_hint"].propose(sql, hit, InjectTableHintOptions(), ctx) for hit in hits]
    assert [f.title for f in fixes] == [
        f"not fixed: not verified: the statement's 2 fixes did not verify together, and verifying each alone would re-parse {2 * len(sql)} characters (the budget is {len(sql)})"] * 2


def test_fingerprints_of_long_fields_hash_a_window_around_the_finding():
    from vgptlint.run.evaluate import FINGERPRINT_WINDOW, fingerprint_of
    from vgptlint.functions.base import Hit
    from vgptlint.model import Span

    hit = Hit("APTH is read without WITH (NOLOCK)", span=Span(3 * FINGERPRINT_WINDOW, 3 * FINGERPRINT_WINDOW + 4))
    value = "x" * (3 * FINGERPRINT_WINDOW) + "APTH" + "y" * (3 * FINGERPRINT_WINDOW)
    far_edit = "z" + value[1:]
    near_edit = value[: 3 * FINGERPRINT_WINDOW - 1] + "z" + value[3 * FINGERPRINT_WINDOW :]
    fingerprint = fingerprint_of("r", "a.jsonl", ("output",), value, hit)
    assert fingerprint == fingerprint_of("r", "a.jsonl", ("output",), far_edit, hit)
    assert fingerprint != fingerprint_of("r", "a.jsonl", ("output",), near_edit, hit)


def test_each_statement_of_a_long_field_is_parsed_once_by_all_rules(monkeypatch):
    # more statements than the per-statement caches usually keep: they grow for the field
    from vgptlint.functions.base import REGISTRY, Context, build_options

    parsed = []
    real = sql_parse._parse
    monkeypatch.setattr(sql_parse, "_parse", lambda sql, dialect: parsed.append(sql) or real(sql, dialect))
    sql_parse._parse_cached.cache_clear()
    field = ";\n".join(f"SELECT a{number} FROM APTH WITH (NOLOCK) WHERE APCo = {number}" for number in range(3 * sql_parse.STATEMENT_CACHE_SIZE))
    ctx = Context(record={}, kind="sft")
    for name in ("sql_table_hint", "sql_legacy_hint", "sql_write_target_hint", "sql_hint_conflict", "sql_syntax_error", "sql_unverifiable", "sql_select_star"):
        function = REGISTRY[name]
        list(function.check(field, build_options(function.options, None), ctx))
    assert len(parsed) == len(set(parsed)) == 3 * sql_parse.STATEMENT_CACHE_SIZE
