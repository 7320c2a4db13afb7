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
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

_TOKEN_RE = re.compile(
    r"""
     (?P<ws>[ \t\r\f\v]+)
    |(?P<nl>\n)
    |(?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    |(?P<string>N?'(?:[^']|'')*(?:'|\Z))
    |(?P<quoted>\[(?:[^\]]|\]\])*(?:\]|\Z)|"(?:[^"]|"")*(?:"|\Z))
    |(?P<word>[@#]{0,2}[A-Za-z_\u00c0-\uffff][\w@$#]*)
    |(?P<number>(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)
    |(?P<punct>.)
    """,
    re.S | re.X,
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
    for match in _TOKEN_RE.finditer(text, start, end):
        kind = match.lastgroup or "punct"
        value = match.group()
        yield make(Token, (kind, match.start(), match.end(), value.upper() if kind == "word" else value))


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
# A keyword right after one of these continues the statement (UNION SELECT, CURSOR FOR SELECT, AS SELECT).
_CONTINUATION_PREVIOUS = frozenset({"UNION", "ALL", "EXCEPT", "INTERSECT", "FOR", "AS", "THEN", "(", ",", "=", "RETURN"})
_DML_BODIES = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"})
_PROCEDURE_OBJECTS = frozenset({"PROC", "PROCEDURE", "TRIGGER", "FUNCTION"})


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
    tokens = [t for t in lex(text) if t.kind != "ws"]
    segments: list[Segment] = []
    state = _Statement()
    batch = depth = case_depth = 0
    at_line_start = True
    previous: Token | None = None
    index = 0

    def flush() -> None:
        nonlocal state
        if state.first >= 0:
            if state.condition:
                segments.extend(_condition_subqueries(tokens, state.first, state.last, batch))
            else:
                segments.append(Segment(tokens[state.first].start, tokens[state.last].end, batch))
        state = _Statement()

    while index < len(tokens):
        token = tokens[index]
        if token.kind == "nl":
            at_line_start = True
            index += 1
            continue
        if token.kind == "comment":
            index += 1
            continue
        line_start, at_line_start = at_line_start, False
        word = token.upper if token.kind == "word" else ""
        if word == "GO" and line_start and _rest_of_line_is_go(tokens, index):
            flush()
            batch += 1
            depth = case_depth = 0
            index = _skip_line(tokens, index)
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
                if index < len(tokens) and tokens[index].upper in _SEPARATOR_TAILS:
                    index += 1
                previous = None
                continue
            if word in STATEMENT_KEYWORDS and _starts_statement(tokens, index, state, previous, line_start):
                flush()
                state.head = word
                state.condition = word in ("IF", "WHILE") or _returns_subquery(tokens, index)
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
        if word == "AS" and depth == 0 and _is_routine_header(tokens, state):
            state = _Statement()  # "CREATE PROCEDURE p @a int AS": only its body is SQL to check
        elif word == "FOR" and depth == 0 and state.head == "DECLARE" and _declares_cursor(tokens, state):
            state = _Statement()  # "DECLARE c CURSOR … FOR": its SELECT is checked on its own
    flush()
    return tuple(segments)


def _starts_statement(tokens: list[Token], index: int, state: _Statement, previous: Token | None, line_start: bool) -> bool:
    word = tokens[index].upper
    if word == "WITH" and not _opens_cte(tokens, index):
        return False  # a table hint such as "FROM t\nWITH (NOLOCK)"
    if state.first < 0:
        return True
    if state.condition:
        return True  # "IF @x = 1 SELECT …": the body starts at the first statement keyword
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


def _opens_cte(tokens: list[Token], index: int) -> bool:
    """``WITH name AS (`` or ``WITH name (cols) AS (`` — not ``WITH (NOLOCK)``."""
    following = [t for t in tokens[index + 1 : index + 3] if t.is_significant]
    return bool(following) and following[0].kind in ("word", "quoted") and following[0].upper not in ("XMLNAMESPACES",)


def _is_routine_header(tokens: list[Token], state: _Statement) -> bool:
    if state.head not in ("CREATE", "ALTER"):
        return False
    words = [t.upper for t in tokens[state.first + 1 : state.first + 4] if t.kind == "word"]
    return any(w in _PROCEDURE_OBJECTS for w in words[:3])


def _declares_cursor(tokens: list[Token], state: _Statement) -> bool:
    return any(t.upper == "CURSOR" for t in tokens[state.first : state.last + 1])


def _returns_subquery(tokens: list[Token], index: int) -> bool:
    """``RETURN (SELECT …)`` in an inline table-valued function: check the subquery."""
    return tokens[index].upper == "RETURN" and index + 1 < len(tokens) and tokens[index + 1].upper == "("


def _rest_of_line_is_go(tokens: list[Token], index: int) -> bool:
    for token in tokens[index + 1 :]:
        if token.kind == "nl":
            return True
        if token.kind == "comment" or token.kind == "number" or token.upper == ";":
            continue
        return False
    return True


def _skip_line(tokens: list[Token], index: int) -> int:
    while index < len(tokens) and tokens[index].kind != "nl":
        index += 1
    return index


def _condition_subqueries(tokens: list[Token], first: int, last: int, batch: int) -> list[Segment]:
    """Parenthesized ``SELECT``/``WITH`` inside an IF/WHILE condition, each as a statement."""
    found: list[Segment] = []
    depth = 0
    opened_at = -1
    for index in range(first, last + 1):
        token = tokens[index]
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
