"""T-SQL as SQL Server reads it, where sqlglot 30 reads it otherwise (issue 13).

Three kinds of differences, each decided here and applied by :mod:`vgptlint.sql.parse`:

* statements SQL Server runs that read no table and that sqlglot rejects or misreads
  (``RETURN 0``, ``bspexit:``, ``THROW 50000, 'x', 1``, ``WAITFOR DELAY``, ``RAISERROR … WITH
  NOWAIT``, ``DENY``, ``BULK INSERT``, ``DBCC``…): recognised by their first words
  (:func:`no_read_statement`), never a syntax error and never "unverifiable";
* valid clauses sqlglot rejects inside statements it otherwise reads: ``EXEC … WITH RECOMPILE`` /
  ``WITH RESULT SETS (…)``, a leading ``WITH XMLNAMESPACES (…)``, and table hints on an INSERT
  target (``INSERT INTO t WITH (TABLOCK) (a) SELECT …``): blanked to spaces of the same length, so
  every offset still points at the author's text (:func:`blank_clauses`);
* what SQL Server rejects and sqlglot accepts: a comma right before ``FROM`` and a ``JOIN`` without
  its ``ON`` (:func:`strict_problem`), reported as syntax errors in T-SQL's words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import takewhile

from vgptlint.deferred import DeferredPattern
from vgptlint.sql.split import first_significant, lex, significant_tokens

_NO_READ_RE = DeferredPattern(
    r"\A\s*(?:"
    r"(?P<label>[A-Za-z_]\w*\s*:)\s*\Z"  # a GOTO label: bspexit:
    r"|(?P<keyword>RETURN|GOTO|THROW|WAITFOR|RAISERROR|DENY|GRANT|REVOKE|SAVE|BACKUP|RESTORE|DBCC|CHECKPOINT"
    r"|RECONFIGURE|KILL|REVERT|EXEC(?:UTE)?\s+AS|BULK\s+INSERT|(?:ENABLE|DISABLE)\s+TRIGGER|BEGIN\s+ATOMIC|(?:CREATE|UPDATE|DROP)\s+STATISTICS"
    r"|ALTER\s+INDEX|ALTER\s+DATABASE|SET\s+(?:IDENTITY_INSERT|STATISTICS|ROWCOUNT|LOCK_TIMEOUT|DEADLOCK_PRIORITY"
    r"|SHOWPLAN_\w+|NOEXEC|PARSEONLY|FMTONLY|ARITHABORT|CONCAT_NULL_YIELDS_NULL|NUMERIC_ROUNDABORT|LANGUAGE|DATEFIRST))\b)",
    re.I,
)
# Words after which a RETURN reads tables after all (an inline function's RETURN SELECT, or a
# RETURN (SELECT …) of a scalar function): those go to the parser.
_READS_RE = DeferredPattern(r"\b(?:SELECT|FROM)\b", re.I)


def no_read_statement(sql: str) -> str | None:
    """The statement's kind when it is one SQL Server runs that reads no table and sqlglot cannot
    read (None otherwise).

    >>> [no_read_statement(s) for s in ("RETURN 0", "bspexit:", "THROW 50000, 'x', 1", "RETURN (SELECT 1 FROM t)", "SELECT 1")]
    ['RETURN', 'LABEL', 'THROW', None, None]
    """
    match = _NO_READ_RE.match(sql)
    if match is None:
        return None
    if match.group("label"):
        return "LABEL"
    keyword = " ".join(match.group("keyword").upper().split())
    if keyword in ("RETURN", "RAISERROR", "THROW", "WAITFOR") and _READS_RE.search(sql):
        return None
    return keyword


# Valid clauses sqlglot 30 rejects, blanked before parsing; each pattern's group 1 is the clause.
_EXEC_OPTIONS_RE = DeferredPattern(r"\A\s*EXEC(?:UTE)?\b.*?(\bWITH\s+(?:RECOMPILE\b|RESULT\s+SETS\b).*)\Z", re.I | re.S)
_XMLNAMESPACES_RE = DeferredPattern(r"\A\s*(WITH\s+XMLNAMESPACES\s*\((?:[^()']|'[^']*')*\)\s*,?)", re.I)
_INSERT_TARGET_HINTS_RE = DeferredPattern(
    r"\A\s*INSERT\s+(?:TOP\s*\([^()]*\)\s*(?:PERCENT\s+)?)?(?:INTO\s+)?(?:[\w#@$]+|\[[^\]]+\])(?:\s*\.\s*(?:[\w#@$]+|\[[^\]]+\])){0,3}(?:\s|/\*(?:[^*]|\*(?!/))*\*/|--[^\n]*\n)*"
    r"(WITH\s*\(\s*[A-Za-z_]\w*(?:\s*\([^()]*\))?(?:\s*,\s*[A-Za-z_]\w*(?:\s*\([^()]*\))?)*\s*\))",
    re.I,
)
_HINT_WORD_RE = DeferredPattern(r"[A-Za-z_]\w*(?=\s*(?:\(|,|\)))")


@dataclass(frozen=True, slots=True)
class Blanked:
    """The text to parse (same length as the author's) and the INSERT target's hints it blanked."""

    text: str
    insert_target_hints: tuple[str, ...] = ()


def blank_clauses(sql: str) -> Blanked:
    """Blank the valid T-SQL clauses sqlglot rejects (see the module docstring).

    >>> blank_clauses("INSERT INTO t WITH (TABLOCK) (a) SELECT a FROM u")
    Blanked(text='INSERT INTO t                (a) SELECT a FROM u', insert_target_hints=('TABLOCK',))
    """
    hints: tuple[str, ...] = ()
    head = sql[:8].upper()
    if "EXEC" in head:
        sql = _blank(sql, _EXEC_OPTIONS_RE.match(sql))
    elif "WITH" in head:
        sql = _blank(sql, _XMLNAMESPACES_RE.match(sql))
    elif "INSERT" in head and "WITH" in sql.upper():  # the pattern is slow to fail on a long column list
        match = _INSERT_TARGET_HINTS_RE.match(sql)
        if match:
            group = match.group(1)
            hints = tuple(word.upper() for word in _HINT_WORD_RE.findall(group[group.index("(") :]))
            sql = _blank(sql, match)
    return Blanked(sql, hints)


def _blank(sql: str, match: re.Match | None) -> str:
    if match is None:
        return sql
    start, end = match.span(1)
    return sql[:start] + re.sub(r"[^\n]", " ", sql[start:end]) + sql[end:]


# ----------------------------------------------------------------------------- strict checks

_CLAUSE_ENDS = frozenset({"WHERE", "GROUP", "ORDER", "HAVING", "UNION", "EXCEPT", "INTERSECT", "OPTION", "SELECT",
                          "INSERT", "UPDATE", "DELETE", "MERGE", "SET", "OUTPUT", "WINDOW", "WHEN", "THEN", "ELSE", "END"})


# Searched in the upper-cased text on every statement: no IGNORECASE, and a literal first with
# the word boundary checked after it (a leading \b stops the engine's literal-prefix search: 10x).
_COMMA_FROM_RE = DeferredPattern(r",\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*FROM\b", re.S)
_JOIN_RE = DeferredPattern(r"JOIN(?<!\wJOIN)(?!\w)")
_CROSS_JOIN_RE = DeferredPattern(r"CROSS(?<!\wCROSS)\s+JOIN(?!\w)")
_ON_RE = DeferredPattern(r"ON(?<!\wON)(?!\w)")


def strict_problem(sql: str) -> tuple[str, int] | None:
    """What SQL Server rejects in ``sql`` although sqlglot accepts it: (message, offset), or None.

    >>> strict_problem("SELECT a, b,\\nFROM t")
    ('a comma ends the select list before FROM; remove it or add the missing column', 11)
    >>> strict_problem("SELECT a FROM a INNER JOIN b INNER JOIN c ON c.x = b.x")[0]
    'JOIN without ON: every JOIN except CROSS JOIN needs an ON condition'
    >>> strict_problem("SELECT a FROM a JOIN b JOIN c ON c.x = b.x ON b.y = a.y") is None
    True
    """
    # Most statements need no lexing: no comma before a FROM, and at least as many ONs as JOINs
    # that need one (an ON elsewhere only makes the count safer: it never hides a missing one
    # from the lexed check, it only skips it when the counts cannot show one).
    if not _may_need_lexing(sql.upper()):
        return None
    previous = None
    # per bracket depth: JOINs (not CROSS) still waiting for an ON in the FROM clause open there
    open_joins: dict[int, list[int]] = {}
    in_from: dict[int, bool] = {}
    depth = 0
    for token in significant_tokens(sql):
        word = token.upper if token.kind == "word" else ""
        if token.upper == "(":
            depth += 1
        elif token.upper == ")":
            problem = _unmatched(open_joins.pop(depth, None))
            if problem:
                return problem
            in_from.pop(depth, None)
            depth = max(0, depth - 1)
        elif word == "FROM":
            if previous is not None and previous.upper == ",":
                return "a comma ends the select list before FROM; remove it or add the missing column", previous.start
            problem = _unmatched(open_joins.pop(depth, None))
            if problem:
                return problem
            in_from[depth] = True
        elif in_from.get(depth) and word == "JOIN":
            if previous is None or previous.upper != "CROSS":
                open_joins.setdefault(depth, []).append(token.start)
        elif in_from.get(depth) and word == "ON" and open_joins.get(depth):
            open_joins[depth].pop()
        elif in_from.get(depth) and word in _CLAUSE_ENDS:
            problem = _unmatched(open_joins.pop(depth, None))
            if problem:
                return problem
            in_from[depth] = False
        elif token.upper == ";":
            break
        previous = token
    return _unmatched(open_joins.pop(depth, None))


def _may_need_lexing(upper: str) -> bool:
    if "," in upper and "FROM" in upper and _COMMA_FROM_RE.search(upper) is not None:
        return True
    if "JOIN" not in upper:
        return False
    crossed = len(_CROSS_JOIN_RE.findall(upper)) if "CROSS" in upper else 0
    return len(_JOIN_RE.findall(upper)) - crossed > len(_ON_RE.findall(upper))


# Words a statement cannot end on: something after them is missing (a cut answer).
_DANGLING_WORDS = frozenset(
    "SELECT FROM WHERE AND OR JOIN BY SET VALUES INTO AS IN NOT BETWEEN LIKE HAVING UNION EXCEPT INTERSECT CASE WHEN "
    "THEN ELSE EXISTS TOP DISTINCT INNER LEFT RIGHT FULL OUTER CROSS APPLY GROUP ORDER UPDATE DELETE INSERT WITH".split()
)
_DANGLING_PUNCT = frozenset({",", "=", "<", ">", "+", "-", "/", "%", "(", "."})
_OPERAND_ENDS = frozenset({"AND", "OR", "WHERE", "FROM", "GROUP", "ORDER", "JOIN", "THEN", "HAVING", ")", ","})
_REPEATABLE = frozenset({"SELECT", "FROM", "WHERE", "AND", "OR", "JOIN", "BY", "GROUP", "ORDER", "SET"})  # not ON: "= ON ON PARTITIONS"


def structural_problem(sql: str) -> tuple[str, int] | None:
    """What is wrong with ``sql`` whatever the grammar: brackets that do not balance, a string,
    name or comment left open, a statement that ends where something must follow, a clause
    keyword written twice, GROUP or ORDER without BY. (message, offset), or None.

    Only these make a statement the parser rejects a syntax error: T-SQL's grammar is far larger
    than the parser's, so a rejected statement without one is reported as not analyzed.

    >>> structural_problem("SELECT a FROM t WHERE (a = 1")
    ('( is never closed', 22)
    >>> structural_problem("SELECT a FROM t WHERE a = 1 AND")
    ('the statement ends after AND: something is missing', 28)
    >>> structural_problem("SELECT a FROM t GROUP a")
    ('GROUP needs BY', 16)
    """
    opened: list[int] = []
    previous = None
    last = None
    for token in _all_tokens(sql):
        if token.kind in ("string", "quoted", "comment") and _is_open(sql, token):
            return f"{sql[token.start:token.start + 2].strip()[:1] if token.kind != 'comment' else '/*'} is never closed", token.start
        if not token.is_significant:
            continue
        if token.upper == "(":
            opened.append(token.start)
        elif token.upper == ")":
            if not opened:
                return ") closes nothing", token.start
            opened.pop()
        if previous is not None and previous.upper in ("GROUP", "ORDER") and token.upper not in ("BY", "(") and previous.kind == "word":
            return f"{previous.upper} needs BY", previous.start
        if token.upper == "." and previous is not None and previous.upper == "." and previous.end == token.start and sql.startswith("...", previous.start):
            return '"..." stands in for something left out: not T-SQL', previous.start
        if previous is not None and token.kind == "word" and token.upper == previous.upper and token.upper in _REPEATABLE:
            return f"{token.upper} is written twice", token.start
        if previous is not None and previous.upper in ("=", "<", ">") and (token.upper == "=" and token.start > previous.end or token.upper in _OPERAND_ENDS):
            return f"an operand is missing after {previous.upper}", token.start
        previous = last = token
    if opened:
        return "( is never closed", opened[-1]
    if last is not None and ((last.kind == "word" and last.upper in _DANGLING_WORDS) or (last.kind == "punct" and last.upper in _DANGLING_PUNCT)):
        return f"the statement ends after {sql[last.start:last.end].upper()}: something is missing", last.start
    return None


def _all_tokens(sql: str):
    return lex(sql)


def _is_open(sql: str, token) -> bool:
    """A string, bracketed name or block comment the lexer ran to the end of the text."""
    body = sql[token.start : token.end]
    if token.kind == "comment":
        return body.startswith("/*") and (not body.endswith("*/") or len(body) < 4)
    closer = {"'": "'", "N": "'", "[": "]", '"': '"'}[body[0]]
    return len(body) < 2 or not body.endswith(closer) or (body.startswith("N") and len(body) < 3)


def _unmatched(join_offsets: list[int] | None) -> tuple[str, int] | None:
    if join_offsets:
        return "JOIN without ON: every JOIN except CROSS JOIN needs an ON condition", join_offsets[0]
    return None


# ---------------------------------------------------------------------------- messages

# sqlglot's node classes as T-SQL calls them, for "Required keyword: … missing for <class …>".
_CLAUSE_NAMES = {"Order": "ORDER BY", "Group": "GROUP BY", "Where": "WHERE", "Having": "HAVING", "Join": "JOIN",
                 "In": "IN (…)", "Select": "SELECT", "Insert": "INSERT", "Update": "UPDATE", "Delete": "DELETE",
                 "Case": "CASE", "If": "CASE WHEN", "Between": "BETWEEN", "Cast": "CAST", "Table": "table name",
                 "Values": "VALUES", "Merge": "MERGE", "With": "WITH", "CTE": "common table expression"}
_TOKEN_RE = DeferredPattern(r"<Token token_type: TokenType\.(\w+), text: ((?:[^,]|,(?! line:))*), line: \d+, col: \d+[^>]*>")
_CLASS_RE = DeferredPattern(r"<class '(?:[\w.]+\.)?(\w+)'>")
# sqlglot messages that say what it does not know, not what is wrong: not analyzed, not errors.
_PARSER_LIMITS_RE = DeferredPattern(r"\AUnknown option (\w+)")


def parser_limit(message: str) -> str | None:
    """A reason to report "not analyzed" when sqlglot's ``message`` is about its own limits.

    >>> parser_limit("Unknown option OPTIMIZE")
    'the parser does not know the query hint OPTIMIZE'
    """
    match = _PARSER_LIMITS_RE.match(message)
    return f"the parser does not know the query hint {match.group(1).upper()}" if match else None


def tsql_message(sql: str, message: str, offset: int | None) -> tuple[str, int | None, int | None]:
    """sqlglot's ``message`` in T-SQL's words, naming what stands at ``offset`` (the character
    sqlglot reported), and the span of that token in ``sql`` (None, None when unknown).

    >>> tsql_message("SELECT a FROM t GROUP a", "Invalid expression / Unexpected token", 22)
    ("unexpected 'a'", 22, 23)
    >>> tsql_message("SELECT a FROM", "Expected table name but got <Token token_type: TokenType.SENTINEL, text: , line: 1, col: 13, start: 13, end: 13, comments: []>", 13)[0]
    'expected a table name, got the end of the statement'
    """
    token = _token_at(sql, offset) if offset is not None else None
    here = f"'{sql[token[0]:token[1]]}'" if token else "the end of the statement"
    text = _TOKEN_RE.sub(lambda m: "the end of the statement" if m.group(1) == "SENTINEL" else f"'{m.group(2)}'", message)
    text = _CLASS_RE.sub(lambda m: _CLAUSE_NAMES.get(m.group(1), "an expression"), text)
    required = re.match(r"Required keyword: '(\w+)' missing for (.+)", text)
    if text.startswith("Invalid expression / Unexpected token"):
        text = f"unexpected {here}" + (_why_unexpected(sql, token) if token else "")
    elif text.startswith("Expecting ") and len(text) <= 12:
        # at the end, sqlglot points at the last token: what is missing comes after it
        is_last = token is not None and first_significant(sql, token[1]) is None
        text = f"expected {text[len('Expecting '):]} before {'the end of the statement' if is_last else here}"
    elif required:
        text = f"{required.group(2)} is incomplete before {here}"
    elif text.startswith("Expected table name but got"):
        text = "expected a table name, got " + text[len("Expected table name but got ") :]
    elif text.startswith("Failed to parse any statement following CTE"):
        text = "WITH … AS (…) must be followed by SELECT, INSERT, UPDATE, DELETE or MERGE"
    elif text.startswith("Expected CTE to have alias"):
        text = f"WITH must name a common table expression, got {here}"
    elif text.startswith("Error tokenizing"):
        text = f"cannot read the text from {here} on (an unclosed string, comment or bracket?)"
    return text, (token[0] if token else None), (token[1] if token else None)


# Clause words a statement cannot start with: a text that does is a piece of one (a WHERE clause
# shown on its own). Clause words that cannot stand alone as a select-list item: one that does is
# a column named after it, which T-SQL reads only bracketed ([Select]).
_CLAUSE_STARTS = frozenset({"WHERE", "FROM", "AND", "OR", "ON", "JOIN", "INNER", "ORDER", "GROUP", "HAVING", "UNION"})
_CLAUSE_WORDS = _CLAUSE_STARTS | {"SELECT", "INSERT", "UPDATE", "DELETE", "INTO", "VALUES", "SET", "BY", "AS"}


def _why_unexpected(sql: str, token: tuple[int, int]) -> str:
    """What an unexpected clause word most likely means where it stands ("" when nothing is sure):
    at the start, a fragment; alone between commas of a select list, a name that needs brackets.

    >>> _why_unexpected("WHERE Mth = '2024-01-01'", (0, 5))
    ' at the start: a clause on its own, not a whole statement'
    >>> _why_unexpected("SELECT Co,\\n  Select\\nFROM t", (13, 19))
    '; a column named after a keyword is read only in brackets: [Select]'
    """
    word = sql[token[0]:token[1]]
    upper = word.upper()
    if upper not in _CLAUSE_WORDS:
        return ""
    before = [t.upper for t in takewhile(lambda t: t.end <= token[0], significant_tokens(sql))][-1:]
    if not before and upper in _CLAUSE_STARTS:
        return " at the start: a clause on its own, not a whole statement"
    after = first_significant(sql, token[1])
    if before in ([","], ["SELECT"]) and (after is None or after.upper in (",", "FROM")):
        return f"; a column named after a keyword is read only in brackets: [{word}]"
    return ""


def _token_at(sql: str, offset: int) -> tuple[int, int] | None:
    """The significant token holding ``offset`` (or the first after it)."""
    for token in significant_tokens(sql):
        if token.end > offset:
            return token.start, token.end
    return None
