"""One place decides what a statement reads (issue 13): the catalog rules check against the
catalog exactly the tables that :func:`vgptlint.sql.refs.table_roles` calls a read or the target of
an INSERT/UPDATE/DELETE/MERGE, the same names the hint rules judge (what DDL creates, alters, drops
or truncates is a new or an administered name, not checked). Checked on every statement of the SQL
test corpora."""
from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML
from sqlglot import exp

from tests.sql.test_catalog_rules import CASES, CATALOG
from vgptlint.sql.catalog_checks import analysis_for
from vgptlint.sql.extract import extract_sql
from vgptlint.sql.parse import ParsedStatement, parse_statement
from vgptlint.sql.refs import table_roles

DATA = Path(__file__).with_name("data")


def _statements() -> list[str]:
    texts = [sql for sql, _ in CASES]
    for name in ("corpus_a.yaml", "corpus_b.yaml", "corpus_tsql.yaml"):
        texts += [case["sql"] for case in YAML(typ="safe", pure=True).load((DATA / name).read_text()) if "sql" in case]
    return [s.text for text in texts for s in extract_sql(text)]


STATEMENTS = _statements()


def _checked_and_read(text: str) -> tuple[set, set] | None:
    parsed = parse_statement(text, "tsql")
    analysis = analysis_for(text, "tsql", CATALOG)
    if not isinstance(parsed, ParsedStatement) or analysis is None:
        return None
    checked = {_where(source.node) for source in analysis.tables}  # (the analysis may be of another parse: cached)
    tables = {id(t): t for t in parsed.find_all(exp.Table)}
    is_dml = isinstance(parsed.expression, (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Query))
    read = {_where(tables[node]) for node, (role, kind) in table_roles(parsed).items()
            if (role == "read" or (role == "write-target" and is_dml)) and kind == "table" and tables[node].args.get("catalog") is None}
    return checked, read


def _where(table: exp.Table) -> tuple[int, str]:
    return table.this.meta.get("start", -1), table.name


def test_the_corpora_are_large_enough():
    assert len(STATEMENTS) > 300


@pytest.mark.parametrize("text", STATEMENTS, ids=[f"{i:03d}" for i in range(len(STATEMENTS))])
def test_catalog_rules_check_what_refs_calls_read(text):
    found = _checked_and_read(text)
    if found is not None:
        checked, read = found
        assert checked == read
