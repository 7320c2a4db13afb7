"""Property tests for the SQL fixers over generated SELECTs (random aliases, hints, whitespace,
comments, brackets): fixes only insert, never touch bytes outside their spans, the fixed SQL
parses, its AST is the original plus NOLOCK on the reported tables, and a second pass is a no-op."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

import vgptlint.fixes.sql  # noqa: F401
from vgptlint.fixes.base import FIXERS
from vgptlint.fixes.sql import InjectTableHintOptions
from vgptlint.functions.base import Context, NoOptions
import vgptlint.functions.sql  # noqa: E402
from vgptlint.functions.sql import SqlTableHintOptions, sql_legacy_hint, sql_table_hint
from vgptlint.model import Applicability
from vgptlint.sql.hints import has_nolock, hint_names
from vgptlint.sql.parse import ParsedStatement, parse_statement

CTX = Context(record={}, kind="sft")
TABLES = ["APTH", "APTL", "APTD", "JCJM", "JCCD", "APVM", "HQCO", "PRTH"]
blank = st.sampled_from([" ", "  ", "\n", "\t", " \n  ", " /* c */ ", " -- note\n"])
alias_word = st.sampled_from(["h", "l", "t1", "x", "[a]", "Src"])
hint = st.sampled_from(["", " WITH (NOLOCK)", " WITH (INDEX(ix1))", " (NOLOCK)", " with (nolock)", " WITH (FORCESEEK)", " WITH (READUNCOMMITTED)"])


@st.composite
def table_ref(draw):
    name = draw(st.sampled_from(TABLES))
    name = draw(st.sampled_from([name, f"dbo.{name}", f"[dbo].[{name}]", f"[{name}]"]))
    alias = draw(st.one_of(st.just(""), alias_word.map(lambda a: " " + a), alias_word.map(lambda a: " AS " + a)))
    return name + alias + draw(hint)


@st.composite
def select_sql(draw):
    refs = draw(st.lists(table_ref(), min_size=1, max_size=4))
    sql = "SELECT" + draw(blank) + "a" + draw(blank) + "FROM" + draw(blank) + refs[0]
    for ref in refs[1:]:
        sql += draw(blank) + draw(st.sampled_from(["JOIN", "LEFT JOIN", "INNER JOIN"])) + draw(blank) + ref + " ON 1 = 1"
    if draw(st.booleans()):
        sql += draw(blank) + "WHERE b IN (SELECT b FROM " + draw(table_ref()) + ")"
    prefix = draw(st.sampled_from(["", "Use: ", "```sql\n", "DECLARE @co int = 1\n"]))
    suffix = {"": "", "Use: ": "", "```sql\n": "\n```", "DECLARE @co int = 1\n": ""}[prefix]
    return prefix + sql + suffix


def one_pass(value: str) -> tuple[str, list]:
    opts, fix_opts = SqlTableHintOptions(), InjectTableHintOptions()
    hits = list(sql_table_hint(value, opts, CTX))
    fixes = [FIXERS["inject_table_hint"].propose(value, h, fix_opts, CTX) for h in hits]
    edits = [e for f in fixes if f and f.applicability is Applicability.SAFE for e in f.edits]
    out = value
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        out = out[: edit.start] + edit.replacement + out[edit.end :]
    return out, edits


def strip_inserts(text: str, edits: list) -> str:
    """Remove the inserted text again, mapping offsets through the earlier insertions."""
    shift = 0
    out = text
    for edit in sorted(edits, key=lambda e: e.start):
        start = edit.start + shift
        assert out[start : start + len(edit.replacement)] == edit.replacement
        out = out[:start] + out[start + len(edit.replacement) :]
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(select_sql())
def test_inject_table_hint_properties(value):
    fixed, edits = one_pass(value)
    assert all(e.start == e.end for e in edits)  # only insertions
    # bytes outside the spans are untouched: removing the inserted text gives the original back
    assert strip_inserts(fixed, edits) == value
    # every statement still parses, and every read table now carries NOLOCK
    from vgptlint.sql.extract import extract_sql
    from vgptlint.sql.refs import table_refs

    for statement in extract_sql(fixed):
        parsed = parse_statement(statement.text)
        assert isinstance(parsed, ParsedStatement)
        for ref in table_refs(statement):
            if ref.role == "read" and not any(h in ref.hints for h in ("HOLDLOCK", "UPDLOCK")):
                assert has_nolock(ref.hints)
    assert list(sql_table_hint(fixed, SqlTableHintOptions(), CTX)) == []
    again, more = one_pass(fixed)
    assert again == fixed and more == []


@settings(max_examples=200, deadline=None)
@given(select_sql())
def test_rewrite_legacy_hint_keeps_the_ast(value):
    hits = list(sql_legacy_hint(value, NoOptions(), CTX))
    edits = [e for h in hits for f in [FIXERS["rewrite_legacy_hint"].propose(value, h, NoOptions(), CTX)] if f and f.applicability is Applicability.SAFE for e in f.edits]
    fixed = value
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        fixed = fixed[: edit.start] + edit.replacement + fixed[edit.end :]
    from vgptlint.sql.extract import extract_sql

    before = [parse_statement(s.text) for s in extract_sql(value)]
    after = [parse_statement(s.text) for s in extract_sql(fixed)]
    assert [p.expression for p in before if isinstance(p, ParsedStatement)] == [p.expression for p in after if isinstance(p, ParsedStatement)]
    assert list(sql_legacy_hint(fixed, NoOptions(), CTX)) == []
    assert strip_inserts(fixed, edits) == value


def test_ast_of_fixed_equals_original_plus_hint():
    value = "SELECT a FROM APTH h JOIN APTL l WITH (INDEX(ix)) ON 1 = 1"
    fixed, _ = one_pass(value)
    original = parse_statement(value).expression.copy()
    for table in original.find_all(exp.Table):
        hints = table.args.get("hints") or []
        if hints:
            hints[0].append("expressions", exp.Var(this="NOLOCK"))
        else:
            table.set("hints", [exp.WithTableHint(expressions=[exp.Var(this="NOLOCK")])])
    assert parse_statement(fixed).expression == original
    assert [hint_names(t) for t in parse_statement(fixed).expression.find_all(exp.Table)] == [("NOLOCK",), ("INDEX", "NOLOCK")]


# ----------------------------------------------------------------------------- NOLOCK off a write target

other_hint = st.sampled_from(["ROWLOCK", "TABLOCK", "INDEX(ix1)", "INDEX(ix1, ix2)", "PAGLOCK"])
nolock_hint = st.sampled_from(["NOLOCK", "nolock", "READUNCOMMITTED"])


@st.composite
def write_sql(draw):
    """A write whose target carries a hint group with NOLOCK among other hints, and the same write
    as it should read without the NOLOCK."""
    others = draw(st.lists(other_hint, max_size=2, unique=True))
    hints = list(others)
    hints.insert(draw(st.integers(0, len(hints))), draw(nolock_hint))
    separator = draw(st.sampled_from([", ", ",", " , "]))
    opening = draw(st.sampled_from(["WITH (", "WITH("]))
    name = draw(st.sampled_from(["APTH", "dbo.APTH", "[dbo].[APTH]"]))
    shape = draw(st.sampled_from([
        "UPDATE {name}{b}{group}{b}SET Notes = 1 WHERE APCo = 1",
        "DELETE FROM {name}{b}{group}{b}WHERE APCo = 1",
        "INSERT INTO {name}{b}{group}{b}(APCo) SELECT APCo FROM APTL WITH (NOLOCK)",
        "MERGE {name}{b}{group} AS t USING APTL AS s ON t.APCo = s.APCo WHEN MATCHED THEN UPDATE SET t.Notes = 1;",
    ]))
    b = draw(blank)
    written = shape.format(name=name, b=b, group=opening + separator.join(hints) + ")")
    expected = shape.format(name=name, b=b, group=f"WITH ({', '.join(others)})" if others else "")
    return written, expected


def fix_targets(value: str) -> tuple[str, list]:
    hits = [h for h in vgptlint.functions.sql.sql_write_target_hint(value, NoOptions(), CTX)]
    fixer = FIXERS["remove_table_hint"]
    fixes = [fixer.propose(value, h, fixer.options(), CTX) for h in hits]
    edits = [e for f in fixes if f and f.applicability is Applicability.SAFE for e in f.edits]
    out = value
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        out = out[: edit.start] + edit.replacement + out[edit.end :]
    return out, edits


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(write_sql())
def test_nolock_comes_off_write_targets_and_nothing_else_changes(case):
    written, expected = case
    sql = f"```sql\n{written}\n```"  # fenced: unfenced, an UPDATE with comments in its header is not taken for SQL
    fixed, edits = fix_targets(sql)
    assert len(edits) == 1
    edit = edits[0]
    assert fixed[: edit.start] == sql[: edit.start] and fixed[edit.start + len(edit.replacement):] == sql[edit.end:]
    parsed, wanted = parse_statement(fixed[7:-4].rstrip(";")), parse_statement(expected.rstrip(";"))
    assert isinstance(parsed, ParsedStatement) and not parsed.is_opaque
    assert parsed.expression == wanted.expression
    assert fix_targets(fixed) == (fixed, [])
