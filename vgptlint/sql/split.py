"""A small T-SQL lexer and a statement splitter that does not trust semicolons.

sqlglot 30 swallows ``DECLARE @co tinyint`` followed by a ``SELECT`` on the next line into one
opaque ``exp.Command`` (no tables, every check silently passes), and it rejects ``IF … BEGIN …
END`` blocks whose statements lack semicolons. Real Vista SQL rarely uses semicolons, so we split
statements ourselves: at ``;``, at ``GO`` lines, and at statement keywords that start a line,
unless the keyword continues the statement in progress (``INSERT … SELECT``, ``UPDATE … SET``,
a CTE's body, ``UNION`` branches, anything inside parentheses or a CASE expression).

``IF``/``WHILE`` conditions and ``CREATE PROCEDURE … AS`` headers are not statements sqlglot can
verify on their own; subqueries inside a condition are emitted as statements of their own so
their tables are still checked.

Every SQL answer is split, so the splitter does not walk the tokens one by one: a scanner hands it
each stretch of tokens it would only pass over (``SELECT a, ISNULL(b, 0) FROM APTH h``'s
``a, ISNULL(b, 0)``) as one item, matched by the regex engine (see ``_SCAN_PATTERN``).
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from vgptlint.sql.re311 import re

# One pattern per token kind; the lexer tries them in this order at each position.
_WS = r"[ \t\r\f\v]"
# T-SQL block comments nest (``/* a /* b */ c */`` is one comment): one level of nesting is read.
_COMMENT = r"--[^\n]*|/\*(?:[^*/]|\*(?!/)|/(?!\*)|/\*(?:[^*]|\*(?!/))*(?:\*/|\Z))*(?:\*/|\Z)"
_STRING = r"N?'(?:[^']|'')*(?:'|\Z)"
_QUOTED = r'\[(?:[^\]]|\]\])*(?:\]|\Z)|"(?:[^"]|"")*(?:"|\Z)'
_WORD = r"[@#]{0,2}[A-Za-z_\u00c0-\uffff][\w@$#]*"
_NUMBER = r"(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?"


@functools.cache
def _token_re() -> re.Pattern:
    """The lexer, compiled when first needed (~5 ms): a rerun whose every file is found in the result
    cache lexes nothing."""
    return re.compile(
        rf"(?P<ws>{_WS}+)|(?P<nl>\n)|(?P<comment>{_COMMENT})|(?P<string>{_STRING})|(?P<quoted>{_QUOTED})"
        rf"|(?P<word>{_WORD})|(?P<number>{_NUMBER})|(?P<punct>.)",
        re.S,
    )


class Token(NamedTuple):
    """One lexical token; ``upper`` is the upper-cased text for words, the text otherwise.

    A NamedTuple rather than a frozen dataclass: every statement is lexed, and building a tuple
    is several times cheaper than a frozen dataclass's ``__init__``."""

    kind: str  # ws | nl | comment | string | quoted | word | number | punct
    start: int
    end: int
    upper: str

    @property
    def is_significant(self) -> bool:
        return self.kind not in _INSIGNIFICANT


_INSIGNIFICANT = frozenset({"ws", "nl", "comment"})


def lex(text: str) -> tuple[Token, ...]:
    """Tokenize ``text``; never fails (an unterminated string or comment runs to the end)."""
    return tuple(_tokens(text, 0, len(text)))


def _tokens(text: str, start: int, end: int) -> Iterator[Token]:
    """Tokens of ``text[start:end]`` with offsets in ``text``, lazily (as if the text ended at ``end``)."""
    make = tuple.__new__  # Token(...) without the NamedTuple's Python-level __new__
    for match in _token_re().finditer(text, start, end):
        kind = match.lastgroup or "punct"
        value = match.group()
        yield make(Token, (kind, match.start(), match.end(), value.upper() if kind == "word" else value))


def statement_tail(text: str) -> tuple[Token | None, int]:
    """The last significant token of ``text`` and its bracket depth (``(`` minus ``)``), as
    :func:`lex` would give them, lexing only the last stretch of :func:`_scan` (stretches hold
    balanced brackets only, so the depth is the bare brackets').

    >>> statement_tail("SELECT a FROM t WHERE (b = ')' AND")
    (Token(kind='word', start=31, end=34, upper='AND'), 1)
    """
    items = _scan(text)
    depth = sum(1 if item.upper == "(" else -1 if item.upper == ")" else 0 for item in items if item.kind == "punct")
    for item in reversed(items):
        if item.kind == "run":
            tokens = [t for t in _tokens(text, item.start, item.end) if t.kind not in _INSIGNIFICANT]
            return tokens[-1], depth
        if item.kind not in _INSIGNIFICANT:
            return item, depth
    return None, depth


def significant_tokens(text: str, start: int = 0) -> Iterator[Token]:
    """The significant tokens of ``text[start:]`` (offsets in ``text``), lexed as they are consumed."""
    return (token for token in _tokens(text, start, len(text)) if token.kind not in _INSIGNIFICANT)


def first_significant(text: str, start: int = 0, end: int | None = None) -> Token | None:
    """The first significant token of ``text[start:end]`` (offsets in ``text``), lexing no further.

    Same token as ``lex(text[start:end])`` would give first: the pattern only looks ahead, and
    ``finditer`` treats ``end`` as the end of the text (an unterminated comment stops there)."""
    for token in _tokens(text, start, len(text) if end is None else min(end, len(text))):
        if token.kind not in _INSIGNIFICANT:
            return token
    return None


# Keywords that may start a statement when they open a line.
STATEMENT_KEYWORDS = frozenset(
    "SELECT WITH INSERT UPDATE DELETE MERGE DECLARE SET IF WHILE EXEC EXECUTE PRINT RETURN TRUNCATE "
    "CREATE ALTER DROP USE RAISERROR THROW OPEN FETCH CLOSE DEALLOCATE WAITFOR GRANT REVOKE".split()
)
# Words that end the statement in progress and are not statements themselves (control flow).
_SEPARATORS = frozenset({"BEGIN", "END", "ELSE", "COMMIT", "ROLLBACK", "BREAK", "CONTINUE", "GOTO"})
_SEPARATOR_TAILS = frozenset({"TRAN", "TRANSACTION", "TRY", "CATCH", "WORK", "DISTRIBUTED"})
# A natively compiled module's body: BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = …, LANGUAGE = …)
_ATOMIC_OPTIONS_RE = re.compile(r"\s+ATOMIC\s+WITH\s*\((?:[^()']|'[^']*')*\)", re.I)
# A keyword right after one of these continues the statement (UNION SELECT, CURSOR FOR SELECT, AS SELECT).
_CONTINUATION_PREVIOUS = frozenset({"UNION", "ALL", "EXCEPT", "INTERSECT", "FOR", "AS", "THEN", "(", ",", "="})
_DML_BODIES = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"})
_PROCEDURE_OBJECTS = frozenset({"PROC", "PROCEDURE", "TRIGGER", "FUNCTION"})


# Words the splitter acts on; every other token only extends the statement in progress.
_SPLITTER_WORDS = (
    STATEMENT_KEYWORDS | _SEPARATORS | _SEPARATOR_TAILS | _CONTINUATION_PREVIOUS | _DML_BODIES
    | {"GO", "CASE", "END", "AS", "FOR", "VALUES", "DEFAULT"}
) - {"(", ",", "="}


def _trie(words: frozenset[str] | list[str]) -> str:
    """A regex alternation of plain words that shares prefixes, which sre tries much faster than
    a flat alternation of 60 words.

    >>> _trie(["AS", "ALL", "ALTER", "GO"])
    'A(?:L(?:L|TER)|S)|GO'
    """
    branches = []
    for first, rests in _by_first_letter(words).items():
        if rests == [""] or len(rests) == 1:
            branches.append(first + rests[0])
        else:
            optional = "?" if "" in rests else ""
            branches.append(f"{first}(?:{_trie([r for r in rests if r])}){optional}")
    return "|".join(branches)


def _by_first_letter(words: frozenset[str] | list[str]) -> dict[str, list[str]]:
    """Each first letter and the rests of the words that start with it, in sorted order."""
    grouped: dict[str, list[str]] = {}
    for word in sorted(words):
        grouped.setdefault(word[0], []).append(word[1:])
    return grouped


def _caseless_trie(words: frozenset[str] | list[str]) -> str:
    """:func:`_trie` matched in any case, with each branch's first letter written in both cases
    outside ``(?i:…)``: sre skips a branch whose first literal differs without entering it, which it
    cannot do for case-insensitive literals (the scanner tests every identifier against the
    splitter's words: 22% of its time on a 886 KB script).

    >>> _caseless_trie(["AS", "ALL", "GO"])
    'A(?i:LL|S)|a(?i:LL|S)|G(?i:O)|g(?i:O)'
    """
    branches = []
    for first, rests in _by_first_letter(words).items():
        inner = _trie([r for r in rests if r])
        tail = f"(?i:{inner}){'?' if '' in rests else ''}" if inner else ""
        branches += [case + tail for case in sorted({first.upper(), first.lower()})]
    return "|".join(branches)


# The splitter's scanner: a "run" is a stretch of tokens the splitter would pass over one by one
# without acting (strings, numbers, operators, ASCII words not in _SPLITTER_WORDS, and balanced
# parentheses, two deep, holding only those), matched by the regex engine in one step. A run
# never ends with "," or "=" (they matter as the token before a keyword) and never holds a
# comment. Each token alternative is atomic, so a run splits the text into exactly the tokens of
# _token_re(); anything else is scanned as that lexer would (tests/sql/test_split_scanner.py). The
# item is written once, with "," and "=" kept from the front of a run by a lookahead (whitespace
# before it is taken first): an item written twice compiled in 44 ms, once in half that.
_PLAIN_TOKEN = (
    rf"(?>{_STRING}|{_QUOTED}"
    rf"|(?!(?:{_caseless_trie(_SPLITTER_WORDS)})(?![\w@$#]))[@#]{{0,2}}[A-Za-z_][A-Za-z0-9_@$#]*(?![\w@$#])"
    rf"|(?![@#]{{0,2}}[A-Za-z_\u00c0-\uffff])(?:{_NUMBER}|(?!--|/\*)[^ \t\r\f\v\n();,=]))"
)
_PLAIN_GROUP = rf"\((?:[ \t\r\f\v\n,=]|{_PLAIN_TOKEN})*+\)"
_PLAIN_ITEM = rf"(?:{_PLAIN_TOKEN}|\((?:[ \t\r\f\v\n,=]|{_PLAIN_TOKEN}|{_PLAIN_GROUP})*+\))"
_SCAN_PATTERN = (
    rf"{_WS}*+(?:(?P<run>(?![,=])(?:{_WS}*(?:[,=]{_WS}*)*{_PLAIN_ITEM})+)"
    rf"|(?P<nl>\n)|(?P<comment>{_COMMENT})|(?P<word>{_WORD})|(?P<punct>.))"
)


@functools.cache
def _scan_re() -> re.Pattern:
    """The scanner, compiled when first needed: compiling takes ~20 ms, and a rerun whose every
    file is found in the result cache never splits a statement."""
    return re.compile(_SCAN_PATTERN, re.S)


def _scan(text: str) -> list[Token]:
    """The splitter's view of ``text``: runs (kind ``run``, ``upper`` empty), newlines, comments,
    and the tokens between runs, with offsets in ``text``; whitespace is left out."""
    make = tuple.__new__
    items = []
    for match in _scan_re().finditer(text):
        kind = match.lastgroup
        start, end = match.span(kind)
        items.append(make(Token, (kind, start, end, text[start:end].upper() if kind == "word" else "" if kind == "run" else text[start:end])))
    return items


@dataclass(frozen=True, slots=True)
class Segment:
    """A statement found by :func:`split_statements`: ``[start, end)`` in the text, and its GO batch."""

    start: int
    end: int
    batch: int


@dataclass
class _Statement:
    """The statement being collected (mutable scanner state, private to one split call)."""

    head: str = ""
    first: int = -1
    last: int = -1
    is_source_seen: bool = False  # INSERT: its SELECT/EXEC/VALUES arrived; UPDATE: its SET arrived
    is_body_seen: bool = False  # WITH: the CTE's main statement arrived
    condition: bool = False  # IF/WHILE condition: emit only its subqueries


def split_statements(text: str) -> tuple[Segment, ...]:
    """Split SQL text into statements; offsets are exact, leading/trailing blanks and ``;`` excluded.

    >>> [text[s.start:s.end] for text in ["DECLARE @co int\\nSELECT 1 FROM t"] for s in split_statements(text)]
    ['DECLARE @co int', 'SELECT 1 FROM t']
    """
    items = _scan(text)
    segments: list[Segment] = []
    state = _Statement()
    batch = depth = case_depth = 0
    at_line_start = True
    previous: Token | None = None
    index = 0

    def flush() -> None:
        nonlocal state
        if state.first >= 0:
            start, end = items[state.first].start, items[state.last].end
            if state.condition:
                segments.extend(_condition_subqueries(text, start, end, batch))
            else:
                segments.append(Segment(start, end, batch))
        state = _Statement()

    while index < len(items):
        token = items[index]
        kind = token.kind
        if kind == "run":  # passes over tokens that only extend the statement (see _SCAN_PATTERN)
            if at_line_start and _LABEL_RE.fullmatch(text, token.start, token.end) and (index + 1 == len(items) or items[index + 1].kind in ("nl", "comment")):
                flush()  # "bspexit:": a GOTO label ends the statement before it and is none itself
                index += 1
                previous = None
                continue
            at_line_start = False
            if state.first < 0:
                state.first = index
                state.head = ""
            state.last = index
            previous = token
            index += 1
            continue
        if kind == "nl":
            at_line_start = True
            index += 1
            continue
        if kind == "comment":
            index += 1
            continue
        line_start, at_line_start = at_line_start, False
        word = token.upper if kind == "word" else ""
        before = previous  # the token before this one (``previous`` becomes this one below)
        if word == "GO" and line_start and _rest_of_line_is_go(text, token.end):
            flush()
            batch += 1
            depth = case_depth = 0
            while index < len(items) and items[index].kind != "nl":
                index += 1
            previous = None
            continue
        if depth == 0 and case_depth == 0:
            if token.upper == ";":
                flush()
                previous = token
                index += 1
                continue
            if word in _SEPARATORS:
                flush()
                index += 1
                if index < len(items) and items[index].upper in _SEPARATOR_TAILS:
                    index += 1
                atomic = _ATOMIC_OPTIONS_RE.match(text, token.end) if word == "BEGIN" else None
                while atomic and index < len(items) and items[index].start < atomic.end():
                    index += 1  # BEGIN ATOMIC WITH (…): the block's options, not a statement
                previous = None
                continue
            if word in STATEMENT_KEYWORDS and _starts_statement(text, token, state, previous, line_start):
                flush()
                state.head = word
                state.condition = word in ("IF", "WHILE") or (word == "RETURN" and [t.upper for t in _following(text, token.end, 1)] == ["("])
                state.first = index
        if token.upper == "(":
            depth += 1
        elif token.upper == ")":
            depth = max(0, depth - 1)
        elif word == "CASE":
            case_depth += 1
        elif word == "END" and case_depth:
            case_depth -= 1
        if state.first < 0:
            state.first = index
            state.head = word
        elif depth == 0 or token.upper == "(":
            _note_progress(state, word, depth)
        state.last = index
        previous = token
        index += 1
        if word == "AS" and depth == 0 and state.head in ("CREATE", "ALTER") and not _names_a_type(text, before) and _is_routine_header(text, items[state.first]):
            state = _Statement()  # "CREATE PROCEDURE p @a int AS": only its body is SQL to check (not "@a AS int", "EXECUTE AS")
        elif word == "WITH" and depth == 0 and state.head in ("CREATE", "ALTER") and before is not None and before.upper == "AS":
            state.head = "WITH"  # CREATE VIEW v AS WITH c AS (…) SELECT …: the CTE's body follows
        elif word == "FOR" and depth == 0 and state.head == "DECLARE" and _declares_cursor(text, items[state.first].start, token.end):
            state = _Statement()  # "DECLARE c CURSOR … FOR": its SELECT is checked on its own
    flush()
    return tuple(segments)


def _names_a_type(text: str, before: Token | None) -> bool:
    """The AS after ``before`` is ``@p AS int`` (a parameter's type) or ``EXECUTE AS``, not the
    AS that ends a procedure's header."""
    if before is None:
        return False
    if before.upper == "EXECUTE":
        return True
    written = text[before.start : before.end]
    return _ENDS_WITH_VARIABLE_RE.search(written) is not None


_ENDS_WITH_VARIABLE_RE = re.compile(r"@[\w@$#]*\s*\Z")
_LABEL_RE = re.compile(r"[A-Za-z_]\w*[ \t]*:(?!:)")


def _following(text: str, offset: int, count: int) -> list[Token]:
    """The next ``count`` tokens after ``offset``, whitespace skipped (newlines and comments
    count). The splitter looks ahead only here, in the lexer's tokens, never in runs."""
    return list(itertools.islice((t for t in _tokens(text, offset, len(text)) if t.kind != "ws"), count))


def _starts_statement(text: str, token: Token, state: _Statement, previous: Token | None, line_start: bool) -> bool:
    word = token.upper
    if word == "WITH" and not _opens_cte(text, token.end):
        return False  # a table hint such as "FROM t\nWITH (NOLOCK)"
    if state.first < 0:
        return True
    if state.condition:
        return True  # "IF @x = 1 SELECT …": the body starts at the first statement keyword
    if state.head == "RETURN" and previous is not None and previous.upper == "RETURN" and word in ("SELECT", "WITH"):
        return True  # RETURN SELECT …: an inline function's body, or a SELECT after a bare RETURN
    if not line_start:
        return False
    if previous is not None and previous.upper in _CONTINUATION_PREVIOUS:
        return False
    if state.head == "MERGE":
        return False  # MERGE must end with ';' and its WHEN branches hold INSERT/UPDATE/DELETE
    if state.head == "WITH" and not state.is_body_seen and word in _DML_BODIES:
        state.is_body_seen = True
        state.head = word
        return False
    if state.head == "INSERT" and not state.is_source_seen and word in ("SELECT", "WITH", "EXEC", "EXECUTE"):
        state.is_source_seen = True
        return False
    if state.head == "UPDATE" and not state.is_source_seen and word == "SET":
        state.is_source_seen = True
        return False
    return True


def _note_progress(state: _Statement, word: str, depth: int) -> None:
    if state.head == "INSERT" and word in ("SELECT", "VALUES", "EXEC", "EXECUTE", "DEFAULT"):
        state.is_source_seen = True
    elif state.head == "UPDATE" and word == "SET":
        state.is_source_seen = True
    elif state.head == "WITH" and word in _DML_BODIES:
        state.is_body_seen = True
        state.head = word


def _opens_cte(text: str, offset: int) -> bool:
    """``WITH name AS (`` or ``WITH name (cols) AS (``, or ``WITH XMLNAMESPACES (``: a statement
    starts — not ``WITH (NOLOCK)`` nor the options of the statement in progress (``WITH
    RECOMPILE``, ``WITH EXECUTE AS OWNER``, ``WITH SCHEMABINDING``, ``WITH CHECK ADD``, ``WITH
    NOWAIT``, ``WITH RESULT SETS``, ``WITH FILLFACTOR = 80``…)."""
    tokens = significant_tokens(text, offset)
    name = next(tokens, None)
    if name is None or name.kind not in ("word", "quoted"):
        return False
    if name.upper == "XMLNAMESPACES":
        return True
    after = next(tokens, None)
    if after is not None and after.upper == "(":  # a column list: (a, b, …)
        depth = 1
        for after in tokens:
            depth += 1 if after.upper == "(" else -1 if after.upper == ")" else 0
            if depth == 0:
                break
        after = next(tokens, None)
    opening = next(tokens, None)
    return after is not None and after.upper == "AS" and opening is not None and opening.upper == "("


def _is_routine_header(text: str, head: Token) -> bool:
    """The three tokens after CREATE/ALTER name a procedure, trigger or function."""
    return any(t.kind == "word" and t.upper in _PROCEDURE_OBJECTS for t in _following(text, head.end, 3))


def _declares_cursor(text: str, start: int, end: int) -> bool:
    return any(t.upper == "CURSOR" for t in _tokens(text, start, end))


def _rest_of_line_is_go(text: str, offset: int) -> bool:
    for token in _tokens(text, offset, len(text)):
        if token.kind == "nl":
            return True
        if token.kind in ("ws", "comment", "number") or token.upper == ";":
            continue
        return False
    return True


def _condition_subqueries(text: str, start: int, end: int, batch: int) -> list[Segment]:
    """Parenthesized ``SELECT``/``WITH`` inside an IF/WHILE condition, each as a statement."""
    tokens = [t for t in _tokens(text, start, end) if t.kind != "ws"]
    found: list[Segment] = []
    depth = 0
    opened_at = -1
    for index, token in enumerate(tokens):
        if token.upper == "(":
            depth += 1
            if depth == 1:
                opened_at = index
        elif token.upper == ")" and depth:
            depth -= 1
            if depth == 0 and opened_at >= 0:
                inner = [t for t in tokens[opened_at + 1 : index] if t.is_significant]
                if inner and inner[0].upper in ("SELECT", "WITH"):
                    found.append(Segment(inner[0].start, inner[-1].end, batch))
                opened_at = -1
    return found
