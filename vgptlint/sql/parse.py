"""Parse one SQL statement with sqlglot, once per distinct (text, dialect) in a run.

Every SQL rule looks at the same statements, so parsing is cached here: a 60k-record dataset with
ten SQL rules parses each distinct statement once. Results are shared between rules, so callers
must treat ``ParsedStatement.expression`` as read-only (copy it before editing, as the fixer does).

A statement sqlglot cannot parse is a :class:`ParseFailure` (sqlglot's own message, never an
exception). A statement sqlglot could only keep as an opaque ``exp.Command`` (``PRINT``, and the
``DECLARE … SELECT`` it swallows) is a :class:`ParsedStatement` with ``is_opaque`` set: its tables
cannot be verified, which is a finding of its own, never "clean".
"""
from __future__ import annotations

import collections
import functools
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, TypeVar

from vgptlint.deferred import DeferredPattern
from vgptlint.sql.deferred import dialect as sqlglot_dialect
from vgptlint.sql.deferred import errors, exp
from vgptlint.sql.split import significant_tokens
from vgptlint.sql.tsql import blank_clauses, no_read_statement, parser_limit, strict_problem, structural_problem, tsql_message

if TYPE_CHECKING:
    from sqlglot.parser import Parser
    from sqlglot.tokens import Tokenizer

# sqlglot logs "contains unsupported syntax. Falling back to parsing as a 'Command'" on every
# opaque statement; we report that ourselves as sql-unverifiable.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# Valid T-SQL that sqlglot 30 rejects; recognised here so it is neither a syntax error nor opaque.
_ISOLATION_RE = DeferredPattern(
    r"\s*SET\s+TRANSACTION\s+ISOLATION\s+LEVEL\s+(READ\s+UNCOMMITTED|READ\s+COMMITTED|REPEATABLE\s+READ|SNAPSHOT|SERIALIZABLE)\s*;?\s*\Z",
    re.I,
)

# INSERT … EXEC: valid T-SQL that sqlglot rejects. Nothing in it is a table read we could check.
_INSERT_EXEC_RE = DeferredPattern(r"\s*INSERT\s+(?:INTO\s+)?[^;]*?\)?\s*EXEC(?:UTE)?\s", re.I | re.S)
# UPDATE TOP (n) / DELETE TOP (n): sqlglot rejects the TOP; we parse with it blanked out (same
# length, so every offset in the AST still points at the original text).
_DML_TOP_RE = DeferredPattern(r"\A(\s*(?:UPDATE|DELETE)\s+)(TOP\s*\(\s*[^()]*\)\s*(?:PERCENT\b)?)", re.I)
# DELETE FROM t FROM t AS a JOIN …: the first FROM is optional in T-SQL; sqlglot wants it gone.
_DELETE_DOUBLE_FROM_RE = DeferredPattern(r"\A\s*DELETE\s+(FROM)\s+[\w\[\].\"]+\s+FROM\b", re.I)
# SELECT … FOR UPDATE [OF cols] / FOR READ ONLY in a cursor's SELECT.
_CURSOR_FOR_RE = DeferredPattern(r"\bFOR\s+(?:UPDATE(?:\s+OF\s+[\w\[\]\s,.]+)?|READ\s+ONLY)\s*\Z", re.I)
# SET a += 1 (compound assignment): parsed as "a =  1"; same length, tables unchanged.
_COMPOUND_TARGET_RE = DeferredPattern(r"\s*(?:UPDATE|SET)\b", re.I)
_COMPOUND_ASSIGN_RE = DeferredPattern(r"(?<=[\w\]\s])[-+*/%&|^]=")
# Positioned UPDATE/DELETE through a cursor: valid T-SQL, no table read to check.
_CURRENT_OF_RE = DeferredPattern(r"\bWHERE\s+CURRENT\s+OF\s+(?:GLOBAL\s+)?@?\w+\s*\Z", re.I)

# sqlglot 30 parses the option lists of SYSTEM_VERSIONING = ON (...) and DATA_DELETION = ON (...)
# in a loop that never advances past an option it does not know (parser.py,
# _parse_system_versioning_property / _parse_data_deletion_property): "HISTORY_TABLE = dbo.h
# WITH (NOLOCK)" spins forever inside compiled code that neither signals nor other threads can
# interrupt (issue 13). Such statements are never handed to sqlglot: they declare tables, they
# read none.
_PARSER_LOOP_RE = DeferredPattern(r"\b(SYSTEM_VERSIONING|DATA_DELETION)\s*=\s*ON\s*\(", re.I)
# Parsing costs about 4.5 microseconds a character (0.45 s for the longest statement analyzed);
# longer statements are reported as not analyzed instead (issue 14: a 487 KB join took 112 s).
MAX_STATEMENT_CHARS = 100_000
# SSMS templates (<database_name, sysname, AdventureWorks>) are not T-SQL until filled in.
_TEMPLATE_PARAMETER_RE = DeferredPattern(r"(?<![\w)\]])<[@A-Za-z_][\w@ -]*,\s*[\w ()]*,[^<>\n]*>")


E = TypeVar("E", bound="exp.Expression")

# How many statements each per-statement cache (parse trees, table references, catalog analyses,
# equalities) keeps. The rules of one record run one after another, so a cache must hold every
# statement of a record, or each rule would parse them all again; beyond that reuse is rare (the
# review-scale data parses 13 statements twice in 60k records). Each cached statement is about
# 25 KB and 70 objects in reference cycles (sqlglot nodes point at their parents), which only the
# cycle collector frees: a tree that stays cached for hundreds of records reaches the oldest
# generation and waits, dead, for a full collection (and makes every one slower). At 32 a tree dies
# young: the 14,270 DPO pairs of scale 10 peaked at 354 MB with 256 and 144 MB with 32, and the whole review-scale
# run took 12.1 s instead of 13.4 s (bench/README.md).
STATEMENT_CACHE_SIZE = 32
# ... and when a field holds more statements than that, every cache grows to hold the statements
# of the last few fields (and shrinks back after them): otherwise each rule would parse a
# 4,000-statement script again (issue 13: 20 parses per statement, 4.9x the time of the same
# statements one per record).
_RECENT_FIELD_COUNT = 3
_recent_statement_counts: collections.deque[int] = collections.deque(maxlen=_RECENT_FIELD_COUNT)
_capacity = [STATEMENT_CACHE_SIZE]


def note_field_statements(count: int) -> None:
    """A field with ``count`` statements is being linted: size the statement caches for it."""
    _recent_statement_counts.append(count)
    _capacity[0] = STATEMENT_CACHE_SIZE + sum(_recent_statement_counts)


def statement_cached(function: Callable) -> Callable:
    """A cache of ``function`` by its (hashable) arguments, holding ``STATEMENT_CACHE_SIZE``
    entries plus the statements of the last few fields (see :func:`note_field_statements`),
    oldest out first. Not LRU: the rules ask about a field's statements in turn, all of which fit,
    and a hit is then one dict lookup (the LRU bookkeeping cost 4% of the SQL rules' time)."""
    cache: dict = {}
    capacity = _capacity

    @functools.wraps(function)
    def cached(*args: object) -> object:
        try:  # a hit is the common case (each rule asks about the same statements in turn)
            return cache[args]
        except KeyError:
            pass
        value = cache[args] = function(*args)
        while len(cache) > capacity[0]:
            del cache[next(iter(cache))]
        return value

    cached.cache_clear = cache.clear  # type: ignore[attr-defined]
    return cached


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """A statement sqlglot parsed.

    Attributes:
        text: the statement text that was parsed (offsets in ``expression`` meta refer to it).
        dialect: the sqlglot dialect used.
        expression: the root AST node (shared: do not mutate).
        is_opaque: sqlglot kept it as an ``exp.Command``; its tables are unknown.
        isolation_level: for ``SET TRANSACTION ISOLATION LEVEL …``, the level in upper case
            with single spaces (``READ UNCOMMITTED``); otherwise None.
        not_analyzed: why the statement was not handed to the parser at all (too long, or a
            construct that sends sqlglot into a loop); it is then opaque.
    """

    text: str
    dialect: str
    expression: exp.Expression
    is_opaque: bool = False
    isolation_level: str | None = None
    not_analyzed: str | None = None
    _found: dict[type, tuple[exp.Expression, ...]] = field(default_factory=dict, compare=False, repr=False)
    _by_type: dict[type, list[exp.Expression]] = field(default_factory=dict, compare=False, repr=False)
    # what other modules derive from the tree, once per tree (refs.table_roles: node ids are only
    # meaningful for this tree, so it cannot be cached by the statement's text)
    derived: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def find_all(self, node_type: type[E]) -> tuple[E, ...]:
        """``tuple(self.expression.find_all(node_type))``: the same nodes in the same (breadth-first)
        order, from one walk of the tree shared by every rule that asks (tables, selects, joins…)."""
        found = self._found.get(node_type)
        if found is None:
            if not self._by_type:
                for node in self.expression.walk():
                    self._by_type.setdefault(type(node), []).append(node)
            kinds = _kinds_of(node_type) & self._by_type.keys()
            if len(kinds) <= 1:
                found = tuple(self._by_type[next(iter(kinds))]) if kinds else ()
            else:  # several node classes match: keep the walk's order
                found = tuple(node for node in self.expression.walk() if isinstance(node, node_type))
            self._found[node_type] = found
        return found


@functools.lru_cache(maxsize=None)  # one entry per node type a rule asks for
def _kinds_of(node_type: type) -> frozenset[type]:
    """``node_type`` and all its subclasses: a set intersection then picks those in a tree (the
    rules ask each statement for a dozen node types; testing every type in the tree was 6% of a
    4,000-statement script's time)."""
    found, stack = {node_type}, [node_type]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A statement sqlglot (or a strict T-SQL check) rejected, the message in T-SQL's words.
    ``offset``/``end`` span the token where the problem was found, in ``text``."""

    text: str
    dialect: str
    message: str
    line: int | None = None
    column: int | None = None
    offset: int | None = None
    end: int | None = None  # just past the token at ``offset``


def parse_statement(sql: str, dialect: str = "tsql") -> ParsedStatement | ParseFailure:
    """Parse one statement (cached by ``(sql, dialect)``); never raises for bad SQL.

    >>> type(parse_statement("SELECT a FROM t WITH (NOLOCK)").expression).__name__
    'Select'
    >>> parse_statement("SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED").isolation_level
    'READ UNCOMMITTED'
    """
    return _parse_cached(sql, dialect)


def parse_fresh(sql: str, dialect: str = "tsql") -> ParsedStatement | ParseFailure:
    """Like :func:`parse_statement`, but never cached: the tree is the caller's to edit (the fixers
    verify an edited statement once, so caching it would only hold memory)."""
    return _parse(sql, dialect)


@statement_cached
def _parse_cached(sql: str, dialect: str) -> ParsedStatement | ParseFailure:
    return _parse(sql, dialect)


def _parse(sql: str, dialect: str) -> ParsedStatement | ParseFailure:
    reason = unparseable_reason(sql)
    if reason is not None:
        return ParsedStatement(sql, dialect, exp.Command(this="UNANALYZED"), is_opaque=True, not_analyzed=reason)
    isolation = _ISOLATION_RE.match(sql)
    if isolation:
        level = " ".join(isolation.group(1).upper().split())
        return ParsedStatement(sql, dialect, exp.Command(this="SET", expression=exp.Literal.string(sql)), False, level)
    if "EXEC" in sql.upper() and _INSERT_EXEC_RE.match(sql) and not re.search(r"\bSELECT\b", sql, re.I):
        return ParsedStatement(sql, dialect, exp.Command(this="INSERT", expression=exp.Literal.string(sql)))
    if "CURRENT" in sql.upper() and _CURRENT_OF_RE.search(sql):
        return ParsedStatement(sql, dialect, exp.Command(this="CURSOR", expression=exp.Literal.string(sql)))
    no_read = no_read_statement(sql)
    if no_read is not None:  # RETURN 0, bspexit:, THROW …: valid, and nothing in it to check
        return ParsedStatement(sql, dialect, exp.Command(this=no_read, expression=exp.Literal.string(sql)))
    blanked = blank_clauses(_blank_tolerated_syntax(sql))
    parseable = blanked.text
    try:
        tokenizer, parser = _reader(dialect)
        expressions = [e for e in parser.parse(tokenizer.tokenize(parseable), parseable) if e is not None]
    except (errors.ParseError, errors.TokenError) as error:
        failure = _failure(sql, dialect, error)
        structural = structural_problem(sql)
        if structural is not None:  # wrong whatever the grammar: a syntax error, said our way
            return _located_failure(sql, dialect, *structural)
        # T-SQL's grammar is far larger than the parser's: without a structural problem, a
        # rejected statement is most often valid T-SQL the parser cannot follow (issue 13: 26 of
        # 30 sampled "syntax errors" in real scripts were valid), so it is not analyzed.
        reason = parser_limit(failure.message) or f"the parser cannot follow this statement ({failure.message})"
        return ParsedStatement(sql, dialect, exp.Command(this="UNANALYZED"), is_opaque=True, not_analyzed=reason)
    except errors.SqlglotError as error:  # unknown dialect and friends: still a located finding, not a crash
        return ParseFailure(sql, dialect, _first_line(str(error)))
    except RecursionError:
        return ParseFailure(sql, dialect, "statement is nested too deeply to parse")
    if not expressions:
        return ParseFailure(sql, dialect, "no SQL statement found")
    if len(expressions) > 1:
        # The splitter hands us one statement; several here means sqlglot split where we did not
        # (e.g. "SELECT 1 SELECT 2" on one line). Keep the first; the rest is unverified.
        return ParsedStatement(sql, dialect, expressions[0], is_opaque=True)
    root = expressions[0]
    strict = strict_problem(sql) if not isinstance(root, exp.Command) else None
    if strict is not None:
        return _located_failure(sql, dialect, *strict)
    if blanked.insert_target_hints and isinstance(root, exp.Insert):
        _give_target_hints(root, blanked.insert_target_hints)
    return ParsedStatement(sql, dialect, root, is_opaque=isinstance(root, exp.Command))


def _located_failure(sql: str, dialect: str, message: str, offset: int) -> ParseFailure:
    line = sql.count("\n", 0, offset) + 1
    token_end = next((t.end for t in significant_tokens(sql, offset)), offset + 1)
    return ParseFailure(sql, dialect, message, line, offset - sql.rfind("\n", 0, offset), offset, token_end)


def _give_target_hints(insert: exp.Insert, hints: tuple[str, ...]) -> None:
    """Put back the INSERT target's hints that were blanked for sqlglot (``INSERT INTO t WITH
    (NOLOCK) (a) …``), so the hint rules see them as on any other table."""
    target = insert.this.this if isinstance(insert.this, exp.Schema) else insert.this
    if isinstance(target, exp.Table):
        target.set("hints", [exp.WithTableHint(expressions=[exp.Var(this=hint) for hint in hints])])


def unparseable_reason(sql: str) -> str | None:
    """Why ``sql`` must not reach sqlglot (None when it may): every parse, of the author's text or
    of text a fixer produced, is bounded by these checks.

    >>> unparseable_reason("CREATE TABLE t (id INT) WITH (SYSTEM_VERSIONING = ON (HISTORY_TABLE = dbo.h))")
    'SYSTEM_VERSIONING options are not parsed (sqlglot cannot parse them safely)'
    """
    if len(sql) > MAX_STATEMENT_CHARS:
        return f"the statement is {len(sql):,} characters long; statements are parsed up to {MAX_STATEMENT_CHARS:,}"
    template = _TEMPLATE_PARAMETER_RE.search(sql) if "<" in sql else None
    if template:
        return f"{template.group()} is an SSMS template parameter; replace it with a value first"
    upper = sql.upper()
    looping = _PARSER_LOOP_RE.search(sql) if "SYSTEM_VERSIONING" in upper or "DATA_DELETION" in upper else None
    if looping:
        return f"{looping.group(1).upper()} options are not parsed (sqlglot cannot parse them safely)"
    return None


class _Readers(threading.local):
    """One sqlglot tokenizer and parser per dialect (and thread): ``sqlglot.parse`` builds both
    for every call, which costs a third of parsing a short statement. Both reset themselves at
    the start of each call, so reuse gives the same trees."""

    def __init__(self) -> None:
        self.by_dialect: dict[str, tuple[Tokenizer, Parser]] = {}


_READERS = _Readers()


def _reader(dialect: str) -> tuple[Tokenizer, Parser]:
    reader = _READERS.by_dialect.get(dialect)
    if reader is None:
        loaded = sqlglot_dialect.Dialect.get_or_raise(dialect)  # an unknown dialect raises here, as sqlglot.parse would
        reader = _READERS.by_dialect[dialect] = (loaded.tokenizer(), loaded.parser())
    return reader


def _blank_tolerated_syntax(sql: str) -> str:
    """Blank out valid T-SQL that sqlglot rejects, keeping every other offset unchanged."""
    if _COMPOUND_TARGET_RE.match(sql):
        sql = _COMPOUND_ASSIGN_RE.sub(lambda m: "= ", sql)
    for pattern, group in ((_DML_TOP_RE, 2), (_DELETE_DOUBLE_FROM_RE, 1), (_CURSOR_FOR_RE, 0)):
        if pattern is _CURSOR_FOR_RE and "FOR" not in sql.upper():
            continue  # the only one of the three that is not anchored at the start: skip the scan
        match = pattern.search(sql)
        if match:
            sql = sql[: match.start(group)] + " " * (match.end(group) - match.start(group)) + sql[match.end(group) :]
    return sql


def _failure(sql: str, dialect: str, error: Exception) -> ParseFailure:
    details = getattr(error, "errors", None) or []
    first = details[0] if details else {}
    line, column = first.get("line"), first.get("col")
    message = first.get("description") or _first_line(str(error))
    if parser_limit(message):
        return ParseFailure(sql, dialect, message)
    offset = _offset_of(sql, line, column) if line and column else None
    message, start, end = tsql_message(sql, message, offset)
    return ParseFailure(sql, dialect, message, line, column, start, end)


def _offset_of(text: str, line: int, column: int) -> int:
    """sqlglot reports 1-based line and column (the column of the last character of the token)."""
    start = 0
    for _ in range(line - 1):
        newline = text.find("\n", start)
        if newline < 0:
            break
        start = newline + 1
    return min(len(text), start + max(0, column - 1))


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "cannot parse"
