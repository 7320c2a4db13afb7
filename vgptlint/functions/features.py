"""Surface features of an answer: record functions written to be used as predicates.

Each yields a hit when the value *lacks* the feature, so as a predicate (which holds when there is no
hit) it reads as "has the feature". They feed facets (``content_type``), ratio rules (SQL share) and
the DPO/KTO feature tables, and they are cheap on the common case: a record without SQL costs one
regex gate (shared with the SQL rules through :func:`vgptlint.sql.extract.extract_sql`'s cache).

``sql_present``          the value contains at least one SQL statement (fenced, inline or whole).
``sql_has_company_filter``   its SQL compares a company column to a value (``WHERE th.APCo = 7``,
                         ``APCo = @co``, ``APCo IN (…)``): the Vista habit of scoping by company.
``sql_joins_complete``   every ``JOIN … ON`` of its SQL equates a company or group column of both
                         sides (``ON tl.APCo = th.APCo …``); a join on the item key alone mixes companies.
``truncated``            the value ends inside an unclosed code fence, or its last SQL statement stops
                         mid-statement (after ``FROM``, ``AND``, a comma, an open parenthesis, …).
                         A hit means truncated; use ``negate: true`` in a predicate for "is truncated".
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from vgptlint.functions.base import Context, Hit, NoOptions, function
from vgptlint.model import Span
from vgptlint.sql.deferred import exp
from vgptlint.sql.extract import extract_sql
from vgptlint.sql.parse import ParsedStatement, parse_statement
from vgptlint.sql.split import statement_tail

_COMPANY_FILTER_STRICT = re.compile(r"\b(?:\w+\.)?\[?[A-Z]{0,4}Co\]?\s*(?:=\s*(?:@\w+|\d+|N?'[^']*')|IN\s*\()")
_KEY_COLUMN = re.compile(r"(?:Co|Group)$")


@function("sql_present", options=NoOptions, accepts=(str,), is_pure=True)
def sql_present(value: str, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
    """The value contains SQL (a hit when it does not). As a predicate: "has SQL"."""
    if not extract_sql(value):
        yield Hit("contains no SQL statement")


sql_present.has_hit = lambda value, opts, ctx, check=None: not extract_sql(value)


@function("sql_has_company_filter", options=NoOptions, accepts=(str,), is_pure=True)
def sql_company_filter(value: str, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
    """The value's SQL filters on a company column (a hit when it has no SQL or no such filter)."""
    statements = extract_sql(value)
    if not statements:
        yield Hit("contains no SQL statement")
    elif not any(_COMPANY_FILTER_STRICT.search(s.text) for s in statements):
        yield Hit("has no company filter (e.g. WHERE APCo = @APCo)")


@function("sql_joins_complete", options=NoOptions, accepts=(str,), is_pure=True)
def sql_joins_complete(value: str, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
    """Every JOIN of the value's SQL equates a company or group column (a hit per join that does not;
    no hit without SQL or joins, so as a predicate "all joins complete" holds vacuously there)."""

    for statement in extract_sql(value):
        if "JOIN" not in statement.text.upper():
            continue
        parsed = parse_statement(statement.text, ctx.dialect or "tsql")
        if not isinstance(parsed, ParsedStatement) or parsed.is_opaque:
            continue
        for join in parsed.expression.find_all(exp.Join):
            on = join.args.get("on")
            if on is None or join.args.get("kind", "").upper() == "CROSS":
                continue
            if not any(_equates_key(eq) for eq in on.find_all(exp.EQ)):
                table = join.this.name if isinstance(join.this, exp.Table) else "a derived table"
                yield Hit(f"the join to {table} equates no company or group column", span=Span(statement.start, statement.end),
                          data={"table": table})


def _equates_key(eq: object) -> bool:
    left, right = eq.this, eq.expression
    return (isinstance(left, exp.Column) and isinstance(right, exp.Column)
            and bool(_KEY_COLUMN.search(left.name)) and bool(_KEY_COLUMN.search(right.name)))


# -------------------------------------------------------------------------------- truncated

_FENCE_LINE = re.compile(r"^[ \t]*(`{3,}|~{3,})", re.M)
DANGLING = frozenset({",", "(", "=", "<", ">", "+", "-", "*", "/", "SELECT", "FROM", "WHERE", "AND", "OR", "JOIN",
                       "ON", "BY", "SET", "AS", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS", "IN", "NOT",
                       "WITH", "UNION", "HAVING", "CASE", "WHEN", "THEN", "ELSE", "BETWEEN", "LIKE", "INTO",
                       "VALUES", "TOP", "DISTINCT", "ORDER", "GROUP", "IS"})


@dataclass(frozen=True, slots=True)
class Truncation:
    reason: str
    span: Span


def truncation(value: str) -> Truncation | None:
    """Why ``value`` looks cut off, or None.

    >>> truncation("```sql\\nSELECT a FROM t WHERE").reason
    'ends inside an unclosed code fence'
    >>> truncation("Use: SELECT a, b FROM APTH WHERE APCo = 1 AND").reason
    'its SQL ends mid-statement (after "AND")'
    >>> truncation("Use: SELECT a FROM APTH WITH (NOLOCK)") is None
    True
    """
    if "```" in value or "~~~" in value:
        marks = _FENCE_LINE.findall(value)
        if len(marks) % 2:
            last = list(_FENCE_LINE.finditer(value))[-1]
            return Truncation("ends inside an unclosed code fence", Span(last.start(1), len(value)))
    statements = extract_sql(value)
    if statements:
        last = statements[-1]
        token, depth = statement_tail(last.text)
        if token is not None and (token.upper in DANGLING or depth > 0):
            word = last.text[token.start:token.end]
            why = f'after "{word}"' if token.upper in DANGLING else "with an unclosed parenthesis"
            return Truncation(f"its SQL ends mid-statement ({why})", Span(last.start, last.end))
    return None


@function("truncated", options=NoOptions, accepts=(str,), is_pure=True)
def truncated(value: str, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
    """A hit when the value looks cut off by its generator: an unclosed code fence, or SQL that stops
    mid-statement. ``"```sql\\nSELECT a FROM t WHERE"`` → "ends inside an unclosed code fence"."""
    found = truncation(value)
    if found is not None:
        yield Hit(found.reason, span=found.span, data={"reason": found.reason})
