"""The speed-ups in the SQL layer give exactly what the plain versions give: the shared walk behind
``ParsedStatement.find_all``, the lazy first-token lookups, fix verification that takes the hint
out of the edited tree instead of adding it to a deep copy of the original, extraction's
substring gate and lower-cased keyword search, pair comparison on a fresh parse instead of a
copy of the cached tree, the pair hint patterns' lookaheads, and constants' texts remembered by value."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from unittest import mock

from vgptlint.fixes.edits import apply_edits
from vgptlint.fixes.sql import HintAdded, _hint_edits
from vgptlint.fixes.verify import verify
from vgptlint.functions.base import Context
from vgptlint.functions.pairs import _hinted_table_regex, _strip_hints, _stripped_sql, _without_hints
from vgptlint.functions.sql import SqlTableHintOptions, sql_table_hint
from vgptlint.sql import extract
from vgptlint.sql.catalog_checks import constant_text
from vgptlint.sql.parse import ParsedStatement, parse_fresh, parse_statement
from vgptlint.sql.split import first_significant, lex, significant_tokens

CTX = Context(record={}, kind="sft")
STATEMENTS = [
    "SELECT a FROM APTH h WITH (NOLOCK) JOIN APTL l ON l.APCo = h.APCo WHERE h.APCo = 1",
    "WITH x AS (SELECT * FROM APTH) SELECT * FROM x WHERE EXISTS (SELECT 1 FROM APTD d WHERE d.Mth = x.Mth)",
    "UPDATE h SET h.Status = 1 FROM APTH h (NOLOCK) INNER JOIN APTL l ON l.KeyID = h.KeyID",
    "SELECT TOP 5 CAST(a AS int), COUNT(*) FROM (SELECT a FROM t1 UNION ALL SELECT b FROM t2) d GROUP BY a",
    "DELETE FROM APTH WHERE Mth IN (SELECT Mth FROM APTL WITH (INDEX(ix1)))",
    "SELECT * FROM OPENJSON(@j) WITH (a int) AS j CROSS JOIN APTH",
]
NODE_TYPES = [exp.Table, exp.Select, exp.Subquery, exp.CTE, exp.Join, exp.Column, exp.Func, exp.Query,
              exp.Expression, exp.OpenJSON, exp.Update, exp.Exists]


@pytest.mark.parametrize("sql", STATEMENTS)
def test_find_all_matches_sqlglot(sql: str) -> None:
    parsed = parse_fresh(sql)
    assert isinstance(parsed, ParsedStatement)
    for node_type in NODE_TYPES:
        assert [id(n) for n in parsed.find_all(node_type)] == [id(n) for n in parsed.expression.find_all(node_type)]
        assert parsed.find_all(node_type) is parsed.find_all(node_type)  # computed once


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="SELCT ab'\"[]-/*\n\t;()", max_size=40), st.integers(0, 45), st.integers(0, 45))
def test_first_significant_is_first_of_truncated_lex(text: str, start: int, end: int) -> None:
    expected = next((t for t in lex(text[:end]) if t.is_significant), None)
    assert first_significant(text, 0, end) == expected
    shifted = [(t.kind, t.start + start, t.end + start, t.upper) for t in lex(text[start:]) if t.is_significant]
    assert [tuple(t) for t in significant_tokens(text, start)] == shifted


def _add_hint(root: exp.Expression, node_index: int, hint: str) -> None:
    """The original check: the intended change, applied to a copy of the original tree."""
    table = list(root.find_all(exp.Table))[node_index]
    hints = table.args.get("hints") or []
    group = next((h for h in hints if isinstance(h, exp.WithTableHint)), None)
    if group is None:
        table.set("hints", [*hints, exp.WithTableHint(expressions=[exp.Var(this=hint)])])
    else:
        group.append("expressions", exp.Var(this=hint))


def _copy_verify(value: str, statement, edits: tuple, node_index: int, hint: str) -> str | None:
    start, end = statement.start, statement.end
    original = parse_statement(value[start:end])
    edited = parse_statement(apply_edits(value[start:end], edits, start))
    if not isinstance(original, ParsedStatement) or original.is_opaque:
        return "the original statement does not parse"
    if not isinstance(edited, ParsedStatement) or edited.is_opaque:
        return "the edited statement would not parse"
    expected = original.expression.copy()
    try:
        _add_hint(expected, node_index, hint)
    except IndexError:
        return "the table could not be found again in the statement"
    return None if expected == edited.expression else "the edited statement would differ by more than the hint"


VALUES = [
    "SELECT a FROM APTH h JOIN APTL l WITH (INDEX(ix1)) ON 1 = 1 WHERE b IN (SELECT b FROM APTD)",
    "Use: SELECT a FROM APTH AS h (NOLOCK), APTL x WITH (FORCESEEK)",
    "```sql\nSELECT a FROM [dbo].[APTH] -- note\nWHERE x = 1\n```",
    "DECLARE @co int = 1\nSELECT a FROM APTH h /* c */ LEFT JOIN APTL ON 1 = 1",
]


@pytest.mark.parametrize("value", VALUES)
def test_take_out_verification_agrees_with_copy_verification(value: str) -> None:
    hits = list(sql_table_hint(value, SqlTableHintOptions(), CTX))
    assert hits
    for hit in hits:
        real = hit.site.placement.node_index
        for node_index in {real, real + 1, 0, -1, 40}:
            for written, intended in (("NOLOCK", "NOLOCK"), ("TABLOCK", "NOLOCK")):
                edits = _hint_edits(value, hit.site.placement, written)
                new = verify(value, hit.site.statement, edits, HintAdded(node_index, intended), "tsql")
                assert new == _copy_verify(value, hit.site.statement, edits, node_index, intended), (value, node_index, written)


# Prose and SQL pieces: every statement shape, its keyword alone, fences, sentence ends, comments,
# and characters where str.lower() and re.I disagree.
PIECES = ["SELECT a FROM t", "select x from APTH", "Select the vendor", "with", "WITH c AS (SELECT 1 FROM t)", "set",
          "SET @x = 1", "SET NOCOUNT ON", "if", "IF EXISTS (SELECT 1 FROM t)", "update", "UPDATE t SET a = 1",
          "delete from t", "exec", "EXEC dbo.p", "exec sp_who", "DECLARE @co int", "MERGE t USING s ON", "INSERT INTO t VALUES (1)",
          "create table", "ALTER VIEW v AS SELECT 1", "truncate table x", "```sql\n", "```\n", "\n```", "~~~", ". ", ": ", "\n\n",
          "\n", " ", "This returns", "`", "(NOLOCK)", "--", "/*", "*/", "'", ";", "GO\n", "\u017felect a from t", "\u0130F EXISTS (",
          "\u0131f @x", "é", "FROM", "from", "AS", "as (", "@", ".", "the"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map(" ".join))
def test_gate_only_rejects_texts_without_sql(text: str) -> None:
    with mock.patch.object(extract, "_may_hold_sql", lambda text, lowered: True):
        ungated = extract._extract_cached.__wrapped__(text)
    assert extract._extract_cached.__wrapped__(text) == ungated


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([p for p in PIECES if p.isascii()]), max_size=12).map(" ".join))
def test_lower_cased_keyword_search_finds_what_re_i_finds(text: str) -> None:
    assert extract._inline_regions(text, text.lower(), 0, len(text)) == extract._inline_regions(text, None, 0, len(text))


def test_dotted_capital_i_is_not_a_keyword() -> None:
    found = extract.extract_sql("Note: \u0130F EXISTS (SELECT 1 FROM t) is shown.")  # used to raise KeyError
    assert [s.text[:6] for s in found] == ["SELECT"]


@pytest.mark.parametrize("sql", [*STATEMENTS, "SELECT a FROM APTH WITH (NOLOCK, INDEX(ix1)) JOIN APTL l (READUNCOMMITTED) ON 1 = 1",
                                 "UPDATE t WITH (ROWLOCK) SET a = 1 WHERE b IN (SELECT b FROM x WITH (NOLOCK))"])
def test_stripped_sql_from_a_fresh_parse_is_that_of_a_copy(sql: str) -> None:
    hints = ("NOLOCK", "READUNCOMMITTED")
    cached = parse_statement(sql).expression
    before = cached.sql()
    for case_sensitive in (True, False):  # identifiers keep their case unless the database ignores it
        plain = _strip_hints(cached.copy(), hints).sql(dialect="tsql", normalize=not case_sensitive, pretty=False)
        assert _stripped_sql(sql, hints, "tsql", case_sensitive) == plain
    assert cached.sql() == before  # the cached tree is left alone


def test_every_statement_shape_has_gate_words():
    """The substring gate knows every shape the extractor looks for (a keyword it lacks would be SQL
    silently never found in ASCII text)."""
    from vgptlint.sql.extract import _SHAPE_SOURCES, _SHAPE_WORDS

    gated = [keyword for keyword, words in _SHAPE_WORDS if words]
    assert all(any(keyword in shape.lower() for keyword in gated) for shape in _SHAPE_SOURCES)


def _plain_gate(text: str, lowered: str | None) -> bool:
    """The gate before WITH needed "AS (": any statement keyword together with one of its words."""
    if "```" in text or "~~~" in text or extract._WHOLE_FIELD_START_RE.match(text):
        return True
    if extract._whole_field_start_after_comments(text):
        return True
    if lowered is None:
        return extract._CANDIDATE_RE.search(text) is not None
    return any(keyword in lowered and any(word in lowered for word in words) for keyword, words in extract._SHAPE_WORDS)


# Prose that says "with" and "as", CTEs written every way, and whole-field statements behind comments.
WITH_PIECES = ["with", "WITH", "With", "as", "AS", "was", "(", "as (", "AS\n(", "as(", "AS\t (", "c", "cte", "x (a, b)",
               "SELECT 1", "SELECT a FROM t", "FROM", ")", "-- note\n", "/* note */", "DROP TABLE t", "USE Viewpoint",
               "SET", "@x", "\n", "\n\n", ". ", "This works with", "the same key as APTH.", "WITH c AS (SELECT a FROM t)",
               "IF", "BEGIN TRAN", "GO", "'", "[x]", ";"]


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(["", "-- note\n", "/* note */ ", "\n "]), st.sampled_from(["", "DROP TABLE t ", "USE Viewpoint ", "with c as (", "SET "]),
       st.lists(st.sampled_from(WITH_PIECES), max_size=10).map(" ".join))
def test_cte_gate_finds_what_the_plain_gate_finds(comment: str, start: str, rest: str) -> None:
    text = comment + start + rest
    with mock.patch.object(extract, "_may_hold_sql", _plain_gate):
        plain = extract._extract_cached.__wrapped__(text)
    assert extract._extract_cached.__wrapped__(text) == plain


@pytest.mark.parametrize("text", ["Runs with the same key as APTH.", "It works as expected with NULLs (see below)."])
def test_prose_with_with_and_as_is_rejected_by_the_gate(text: str) -> None:
    assert _plain_gate(text, text.lower()) and not extract._may_hold_sql(text, text.lower())


@pytest.mark.parametrize("text", ["WITH c AS (SELECT a FROM t) SELECT a FROM c", "with c as\n(select a from t) select a from c",
                                  "-- uses a CTE with a key as before\nDROP TABLE t"])
def test_gate_keeps_ctes_and_commented_whole_fields(text: str) -> None:
    assert extract._may_hold_sql(text, text.lower())
    with mock.patch.object(extract, "_may_hold_sql", _plain_gate):
        plain = extract._extract_cached.__wrapped__(text)
    assert plain and extract._extract_cached.__wrapped__(text) == plain


@pytest.mark.parametrize("sql", STATEMENTS)
def test_reverse_children_are_the_children_reversed(sql: str) -> None:
    """The resolver's walk pushes ``iter_expressions(reverse=True)``: the same nodes as the list of
    children reversed, so columns are still queued in written order."""
    parsed = parse_fresh(sql)
    for node in parsed.expression.walk():
        assert [id(n) for n in node.iter_expressions(reverse=True)] == [id(n) for n in reversed(list(node.iter_expressions()))]


# What follows a table name: hint groups written every way, with what breaks the plain shape
# (comments, non-ASCII blanks and letters that case-fold to ASCII, nested brackets, numbers).
_BLANKS = st.lists(st.sampled_from(["", " ", "\n", "\t", "\u00a0", "\x1c", "-- c\n", "/* c */"]), max_size=2).map("".join)
_HINT_ITEMS = st.lists(st.tuples(_BLANKS, st.sampled_from(["NOLOCK", "nolock", "ix_1", "INDEX(ix)", "1", "@v", "\u017fx", "'a'", ""]), _BLANKS)
                       .map("".join), max_size=3).map(",".join)
_AFTER_TABLE = st.tuples(_BLANKS, st.sampled_from(["", "WITH", "with", "WiTh", "W\u0131TH", "WITHX", "AS"]), _BLANKS,
                         st.sampled_from(["(", "", "["]), _HINT_ITEMS, st.sampled_from([")", "", "))", ") x"])).map("".join)


@settings(max_examples=2000, deadline=None)
@given(_AFTER_TABLE, st.integers(0, 2))
def test_plain_hint_group_is_the_lexed_group(text: str, offset: int) -> None:
    from vgptlint.sql.hints import _lexed_hint_group, hint_group_after

    assert hint_group_after(text, offset) == _lexed_hint_group(text, offset)


@pytest.mark.parametrize("text", [" WITH (NOLOCK)", "WITH(NOLOCK,INDEX_A)", " (nolock) x", "\n  with\n(\n READUNCOMMITTED \n) ",
                                  " WITH (INDEX(ix), NOLOCK)", " WITH /* c */ (NOLOCK)", " W\u0131TH (NOLOCK)", " WITH (NOLOCK"])
def test_hint_group_examples(text: str) -> None:
    from vgptlint.sql.hints import _lexed_hint_group, hint_group_after

    assert hint_group_after(text, 0) == _lexed_hint_group(text, 0)


@pytest.mark.parametrize("text, found", [
    ("-- drop the scratch table\nDROP TABLE t", ("DROP TABLE t", 26)),
    ("/* setup */ USE Viewpoint", ("USE Viewpoint", 12)),
    ("-- note\nGRANT SELECT ON APTH TO reader", ("GRANT SELECT ON APTH TO reader", 8)),
])
def test_a_whole_field_statement_behind_a_comment_is_found_as_without_it(text, found):
    """The gate once looked for whole-field keywords (DROP, USE, GRANT …) only at a field's start: a
    field opening with a comment was not SQL, though the same statement without it was."""
    (statement,) = extract.extract_sql(text)
    assert (statement.text, statement.start, statement.origin) == (*found, "whole")
    assert [s.text for s in extract.extract_sql(text[found[1]:])] == [found[0]]


# The pair comparison's hint patterns as they were before their lookaheads (the reference).
def _plain_hint_regex(hints: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(hints)
    return re.compile(rf"\s*\bWITH\s*\(\s*(?:{names})\s*\)|\s*\(\s*(?:{names})\s*\)|\b(?:{names})\b\s*,\s*|\s*,\s*\b(?:{names})\b", re.I)


def _plain_hinted_table_regex(hints: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"(?:\bFROM|\bJOIN|,)\s+([\w.\[\]#@]+)(?:\s+(?:AS\s+)?(?!WITH\b)\w+)?\s*(?:WITH\s*)?\(\s*(?:\w+\s*,\s*)*({'|'.join(hints)})\b",
                      re.I)


_HINT_TEXT_PIECES = ["SELECT a", "FROM", "from", "JOIN", "join", "APTH", "h", "AS", "WITH", "with", "(", ")", ",", " ", "\n", "\t",
                     "NOLOCK", "nolock", "NoLock", "READUNCOMMITTED", "readuncommitted", "INDEX(ix)", "TABLOCK", "UPDLOCK",
                     "\u212a", "\u017f", "\u0130", "\u00a0", "NOLOC\u212a", "é", "KEEP", "SKIP", "W", "w"]
_HINT_SETS = st.sampled_from([("NOLOCK", "READUNCOMMITTED"), ("NOLOCK",), ("TABLOCK", "KEEP"), ("SKIP", "\u00c9T\u00c9")])


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_HINT_TEXT_PIECES), max_size=16).map("".join), _HINT_SETS)
def test_hint_removal_is_that_of_the_plain_pattern(text: str, hints: tuple[str, ...]) -> None:
    assert _without_hints(text, hints) == _plain_hint_regex(hints).sub("", text)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_HINT_TEXT_PIECES), max_size=16).map("".join), _HINT_SETS)
def test_hinted_tables_are_those_of_the_plain_pattern(text: str, hints: tuple[str, ...]) -> None:
    found = [(m.span(), m.groups()) for m in _hinted_table_regex(hints).finditer(text)]
    assert found == [(m.span(), m.groups()) for m in _plain_hinted_table_regex(hints).finditer(text)]


_LITERAL_VALUES = st.one_of(st.text(max_size=12), st.text(alphabet="0123456789.eE-+x", min_size=1, max_size=8),
                            st.sampled_from(["'", "''", "\\", "\\'", "\n", "a\r\nb", "\t", "N'x'", "[a]", "é", "\u212a"]))


@settings(max_examples=1500, deadline=None)
@given(_LITERAL_VALUES, st.booleans(), st.sampled_from([None, [], ["c"], [" note */"]]))
def test_constant_text_of_a_literal_is_its_sql(value: str, is_string: bool, comments: list[str] | None) -> None:
    literal = exp.Literal(this=value, is_string=is_string)
    if comments is not None:
        literal.comments = list(comments)
    assert constant_text(literal) == literal.sql()


@pytest.mark.parametrize("sql", ["SELECT a FROM t WHERE t.x = 7 AND t.y = N'Y' AND t.z = @co AND t.w = -1 AND t.v = (2) AND t.u = /* c */ 3",
                                 "SELECT a FROM t WHERE t.d = GETDATE() AND t.e = CAST('2024-01-01' AS date) AND t.f = NULL AND t.g = 1.50"])
def test_constant_text_is_the_sql_of_every_node(sql: str) -> None:
    parsed = parse_fresh(sql)
    for node in parsed.expression.walk():
        assert constant_text(node) == node.sql()
