"""SQL functions: checks on the T-SQL statements found inside a text field.

Every function extracts statements with :func:`vgptlint.sql.extract.extract_sql` (fences, inline
SQL after prose, whole-field SQL; split at GO and at statement keywords) and parses each distinct
statement once per run with the context's dialect (default ``tsql``). Spans point at the table
(or statement) in the field value.

``sql_table_hint``      every table *read* carries an accepted hint (NOLOCK or READUNCOMMITTED);
                        ``SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED`` earlier in the batch
                        also satisfies it (``accept_isolation_level``, default true).
                        ``SELECT a FROM APTH WITH (NOLOCK)`` passes; ``SELECT a FROM APTL l`` gives
                        "APTL is read without WITH (NOLOCK)".
``sql_legacy_hint``     hints written without WITH: ``FROM APTH h (NOLOCK)``.
``sql_write_target_hint`` NOLOCK/READUNCOMMITTED on the target of INSERT/UPDATE/DELETE/MERGE.
``sql_hint_conflict``   NOLOCK beside HOLDLOCK/UPDLOCK/SERIALIZABLE/READCOMMITTED/REPEATABLEREAD/
                        XLOCK…, and a hint written twice.
``sql_select_star``     ``SELECT *`` / ``t.*`` in a select list (``EXISTS (SELECT * …)`` is fine).
``sql_limit``           ``LIMIT n``, which sqlglot accepts in tsql but SQL Server does not.
``sql_syntax_error``    a statement SQL Server would reject: sqlglot cannot parse it, or a strict
                        T-SQL check fails (a comma before FROM, a JOIN without ON); the message is
                        in T-SQL's words and the span is the token where the problem is.
``sql_unverifiable``    a statement sqlglot kept as an opaque command although it reads tables:
                        its tables cannot be checked, which is never "clean"; and SQL that was not
                        analyzed at all, with the reason (a field over 1,000,000 characters, a
                        statement over 100,000, a construct sqlglot cannot parse safely).
``sql_ast``             generic: AST nodes of a type, with simple conditions (see SqlAstOptions).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from vgptlint.functions.base import Context, Hit, NoOptions, function
from vgptlint.functions.sites import HintPlacement, LegacyHintSite, TableHintSite, WrittenHintsSite
from vgptlint.model import Span
from vgptlint.sql.ast_query import SqlAstOptions, matching_nodes, node_span
from vgptlint.sql.deferred import exp
from vgptlint.sql.extract import MAX_FIELD_CHARS, SqlStatement, contains_sql, extract_sql
from vgptlint.sql.hints import conflicting_hints, doubled_hints, has_nolock, hint_items
from vgptlint.sql.parse import ParsedStatement, ParseFailure, parse_statement
from vgptlint.sql.refs import TableRef, table_refs
from vgptlint.sql.split import lex

_WRITE_VERBS = {"Insert": "INSERT", "Update": "UPDATE", "Delete": "DELETE", "Merge": "MERGE"}


def _parsed(value: str, ctx: Context) -> Iterator[tuple[SqlStatement, ParsedStatement | ParseFailure]]:
    for statement in extract_sql(value):
        yield statement, parse_statement(statement.text, ctx.dialect or "tsql")


def _statement_span(statement: SqlStatement) -> Span:
    return Span(statement.start, statement.end)


# ------------------------------------------------------------------------------- sql_table_hint


@dataclass(frozen=True, slots=True)
class SqlTableHintOptions:
    """``require``: hints that satisfy the rule (any one of them; the first is named in messages).
    ``accept_isolation_level``: a ``SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED`` earlier in
    the same GO batch satisfies every later read. ``include_temp``: also require it on ``#temp``."""

    require: tuple[str, ...] = ("NOLOCK", "READUNCOMMITTED")
    accept_isolation_level: bool = True
    include_temp: bool = False

    def validate(self) -> str | None:
        if not self.require:
            return 'option "require" needs at least one hint, e.g. [NOLOCK]'
        bad = [h for h in self.require if not h.isalpha()]
        if bad:
            return f'option "require": "{bad[0]}" is not a table hint name; expected e.g. NOLOCK'
        object.__setattr__(self, "require", tuple(h.upper() for h in self.require))
        return None


def _uncommitted_statements(statements: list[tuple[SqlStatement, object]]) -> set[int]:
    """Starts of statements that run after SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED in their batch."""
    covered: set[int] = set()
    level_by_batch: dict[int, str] = {}
    for statement, parsed in statements:
        if level_by_batch.get(statement.batch) == "READ UNCOMMITTED":
            covered.add(statement.start)
        if isinstance(parsed, ParsedStatement) and parsed.isolation_level:
            level_by_batch[statement.batch] = parsed.isolation_level
    return covered


@function("sql_table_hint", options=SqlTableHintOptions, accepts=(str,), only_if=contains_sql, is_pure=True)
def sql_table_hint(value: str, opts: SqlTableHintOptions, ctx: Context) -> Iterator[Hit]:
    """Every table a statement reads carries one of ``require`` (default NOLOCK or READUNCOMMITTED)."""
    statements = list(_parsed(value, ctx))
    if not statements:
        return
    covered = _uncommitted_statements(statements) if opts.accept_isolation_level else set()
    accepted = frozenset(opts.require)
    roles = ("read", "temp") if opts.include_temp else ("read",)
    hint = opts.require[0]
    for statement, parsed in statements:
        if not isinstance(parsed, ParsedStatement) or statement.start in covered:
            continue
        missing = [ref for ref in table_refs(statement, ctx.dialect or "tsql")
                   if ref.role in roles and not has_nolock(ref.hints, accepted)]
        if not missing:
            continue
        placed = [(ref, _hint_placement(ref), _hint_blocked(ref, hint)) for ref in missing]
        # a statement's fixes are verified together, by one re-parse (fixes/verify.py)
        together = tuple(placement for _, placement, blocked in placed if blocked is None)
        span = _statement_span(statement)
        for ref, placement, blocked in placed:
            yield Hit(f"{ref.name} is read without WITH ({hint})", span=ref.name_span,
                      data={"table": ref.name, "hint": hint},
                      site=TableHintSite(ref.name, span, placement, together, blocked))


def _hint_placement(ref: TableRef) -> HintPlacement:
    return HintPlacement(ref.node_index, ref.ref_end, ref.hint_span.start if ref.hint_span else None,
                         ref.hint_close, ref.is_legacy_hint)


def _hint_blocked(ref: TableRef, hint: str) -> str | None:
    """Why no hint may be added to ``ref``, or None."""
    blocking = [h for h in ref.hints if h in _BLOCKING_HINTS]
    if blocking:
        return f"not fixed: {ref.name} already has {blocking[0]}, which conflicts with {hint}"
    if ref.hints and ref.hint_span is None:
        return f"not fixed: the hints of {ref.name} could not be located in the text"
    return None


# Hints beside which NOLOCK must never be injected (SQL Server error 1065 and the table hints reference).
_BLOCKING_HINTS = frozenset({"HOLDLOCK", "UPDLOCK", "SERIALIZABLE", "READCOMMITTED", "READCOMMITTEDLOCK", "REPEATABLEREAD", "XLOCK", "TABLOCKX", "READPAST"})


# --------------------------------------------------------------------- other hint functions


@function("sql_legacy_hint", options=NoOptions, accepts=(str,), only_if=contains_sql, is_pure=True)
def sql_legacy_hint(value: str, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
    """Table hints written without WITH (``FROM APTH h (NOLOCK)``), deprecated by Microsoft."""
    for statement, parsed in _parsed(value, ctx):
        if not isinstance(parsed, ParsedStatement):
            continue
        for ref in table_refs(statement, ctx.dialect or "tsql"):
            if ref.is_legacy_hint and ref.hint_span:
                written = value[ref.hint_span.start : ref.hint_span.end]
                yield Hit(
                    f"{ref.name} uses the legacy hint form {written}; write WITH {written}",
                    span=ref.hint_span,
                    data={"table": ref.name},
                    site=LegacyHintSite(ref.name, _statement_span(statement), ref.hint_span.start),
                )


@function("sql_write_target_hint", options=NoOptions, accepts=(str,), only_if=contains_sql, is_pure=True)
def sql_write_target_hint(value: str, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
    """NOLOCK or READUNCOMMITTED on the target of INSERT/UPDATE/DELETE/MERGE (error 1065, or ignored)."""
    for statement, parsed in _parsed(value, ctx):
        if not isinstance(parsed, ParsedStatement):
            continue
        for ref in table_refs(statement, ctx.dialect or "tsql"):
            verb = _WRITE_VERBS.get(ref.statement_kind)
            if ref.role == "write-target" and verb and has_nolock(ref.hints):
                site = None
                if ref.hint_span is not None and ref.hint_close is not None:
                    site = WrittenHintsSite(ref.name, _statement_span(statement), ref.node_index, ref.hint_span,
                                            hint_items(value, ref.hint_span.start, ref.hint_close))
                yield Hit(f"{ref.name} is the target of {verb} and cannot take NOLOCK", span=ref.hint_span or ref.name_span,
                          data={"table": ref.name}, site=site)


@function("sql_hint_conflict", options=NoOptions, accepts=(str,), only_if=contains_sql, is_pure=True)
def sql_hint_conflict(value: str, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
    """NOLOCK beside a conflicting lock hint, or one hint written twice on a table."""
    for statement, parsed in _parsed(value, ctx):
        if not isinstance(parsed, ParsedStatement):
            continue
        for ref in table_refs(statement, ctx.dialect or "tsql"):
            span = ref.hint_span or ref.name_span
            for other in conflicting_hints(ref.hints):
                yield Hit(f"{ref.name} has NOLOCK together with {other}", span=span, data={"table": ref.name, "hint": other})
            for doubled in doubled_hints(ref.hints):
                yield Hit(f"{ref.name} has {doubled} more than once", span=span, data={"table": ref.name, "hint": doubled})


# ------------------------------------------------------------------ statement-level functions


@function("sql_syntax_error", options=NoOptions, accepts=(str,), only_if=contains_sql, is_pure=True)
def sql_syntax_error(value: str, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
    """A statement SQL Server would reject, at the token where the problem is."""
    for statement, parsed in _parsed(value, ctx):
        if isinstance(parsed, ParseFailure):
            # at the token where the problem is, so the finding's line:column is the problem's
            span = Span(statement.start + parsed.offset, statement.start + parsed.end) if parsed.offset is not None and parsed.end else _statement_span(statement)
            yield Hit(parsed.message, span=span, data={"statement": statement.text[:80]})


@dataclass(frozen=True, slots=True)
class SqlUnverifiableOptions:
    """``reads``: words that mean an opaque statement touches tables (then it cannot be verified)."""

    reads: tuple[str, ...] = ("SELECT", "FROM", "JOIN", "INTO", "UPDATE", "DELETE", "MERGE", "APPLY")
    # cursor and message statements name no table even when they say FROM/INTO
    ignore_statements: tuple[str, ...] = ("FETCH", "OPEN", "CLOSE", "DEALLOCATE", "PRINT", "RAISERROR", "THROW", "GRANT", "REVOKE", "DENY")


@function("sql_unverifiable", options=SqlUnverifiableOptions, accepts=(str,), only_if=contains_sql, is_pure=True)
def sql_unverifiable(value: str, opts: SqlUnverifiableOptions, ctx: Context) -> Iterator[Hit]:
    """A statement that parsed only as an opaque command although it names tables: no rule can check it."""
    reads = frozenset(word.upper() for word in opts.reads)
    for statement, parsed in _parsed(value, ctx):
        if statement.origin == "field":
            yield Hit(f"not analyzed: the field is {len(value):,} characters long; SQL is analyzed in fields up to {MAX_FIELD_CHARS:,}", span=Span(0, 0))
            continue
        if isinstance(parsed, ParsedStatement) and parsed.not_analyzed:
            yield Hit(f"not analyzed: {parsed.not_analyzed}", span=_statement_span(statement))
            continue
        if isinstance(parsed, ParsedStatement) and parsed.is_opaque and not parsed.isolation_level:
            words = [t.upper for t in lex(statement.text) if t.kind == "word"]
            if words and words[0] not in opts.ignore_statements and set(words) & reads:
                yield Hit("cannot verify this statement: the parser kept it as an opaque command", span=_statement_span(statement))


@function("sql_select_star", options=NoOptions, accepts=(str,), only_if=contains_sql, is_pure=True)
def sql_select_star(value: str, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
    """``SELECT *`` or ``alias.*`` in a select list, except inside ``EXISTS (…)``."""
    for statement, parsed in _parsed(value, ctx):
        if not isinstance(parsed, ParsedStatement) or parsed.is_opaque:
            continue
        for select in parsed.find_all(exp.Select):
            if select.find_ancestor(exp.Exists) is not None:
                continue
            for item in select.expressions:
                if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
                    yield Hit("SELECT * returns every column; list the columns the answer needs", span=_star_span(statement, item))
                    break


def _star_span(statement: SqlStatement, item: object) -> Span:
    """The ``*`` (stars carry no position in sqlglot, so find the first one outside strings/comments)."""
    previous = ""
    for token in lex(statement.text):
        if not token.is_significant:
            continue
        if token.upper == "*" and (previous in ("SELECT", ",", ".", "DISTINCT", ")", "ALL") or previous.isdigit()):
            return Span(statement.start + token.start, statement.start + token.end)
        previous = token.upper
    return _statement_span(statement)


@function("sql_limit", options=NoOptions, accepts=(str,), only_if=contains_sql, is_pure=True)
def sql_limit(value: str, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
    """``LIMIT n`` in a statement: sqlglot's tsql reader accepts it, SQL Server does not."""
    for statement, parsed in _parsed(value, ctx):
        if not isinstance(parsed, ParsedStatement) or parsed.is_opaque or "LIMIT" not in statement.text.upper():
            continue  # str.upper maps character by character, so a LIMIT word implies the substring
        tokens = [t for t in lex(statement.text) if t.is_significant]
        for token, following in zip(tokens, tokens[1:]):
            if token.kind == "word" and token.upper == "LIMIT" and (following.kind == "number" or following.upper.startswith("@")):
                count = statement.text[following.start : following.end]
                yield Hit(f"LIMIT is not T-SQL; use TOP ({count}) or OFFSET … FETCH", span=Span(statement.start + token.start, statement.start + following.end))


# ------------------------------------------------------------------------------------ sql_ast


@function("sql_ast", options=SqlAstOptions, accepts=(str,), only_if=contains_sql, is_pure=True)
def sql_ast(value: str, opts: SqlAstOptions, ctx: Context) -> Iterator[Hit]:
    """Each AST node of type ``node`` that meets the conditions is a hit (see SqlAstOptions).

    Example: ``{function: sql_ast, options: {node: Join, args: {kind: CROSS}, message: "CROSS JOIN"}}``
    """
    for statement, parsed in _parsed(value, ctx):
        if not isinstance(parsed, ParsedStatement) or parsed.is_opaque:
            continue
        for node in matching_nodes(parsed, opts, ctx.dialect or "tsql"):
            span = node_span(node)
            located = Span(statement.start + span.start, statement.start + span.end) if span else _statement_span(statement)
            yield Hit(opts.message, span=located, data={"node": opts.node})
