"""Find the SQL statements inside a text field, with exact character offsets.

Where SQL hides in LLM answers:

* fenced blocks labelled ``sql``, ``tsql``, ``t-sql``, ``mssql`` or ``sqlserver`` (always SQL), and
  unlabelled fences whose content starts like a statement;
* a whole field that is just SQL;
* SQL written inline after prose: ``Use: SELECT … FROM APTH WITH (NOLOCK) WHERE …``. An inline
  statement runs to the end of its paragraph, a backtick, or a sentence that goes back to prose.

Prose that only mentions keywords ("Select the vendor on the form, then update the record") is not
SQL: an inline candidate needs an upper- or lower-case keyword (never "Select") followed by the
statement's shape (``SELECT … FROM name``, ``UPDATE name SET``, ``DELETE FROM name``, …), and a
lower-case one must also parse.

Each region is then split into statements (see :mod:`vgptlint.sql.split`). Most records hold no
SQL at all, so a few substring searches reject them before any other work.
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

from vgptlint.sql.parse import ParsedStatement, STATEMENT_CACHE_SIZE, note_field_statements, parse_statement
from vgptlint.sql.re311 import re
from vgptlint.sql.split import first_significant, lex, split_statements


@dataclass(frozen=True, slots=True)
class SqlStatement:
    """One statement found in a field.

    Attributes:
        text: the statement exactly as written (``value[start:end]``).
        start: offset of its first character in the field value.
        end: offset just past its last character.
        origin: ``fence`` | ``inline`` | ``whole`` — where the statement came from; ``field``
            for the stand-in of a field too long to search (longer than ``MAX_FIELD_CHARS``).
        batch: the GO batch number within the field (0-based), e.g. for the scope of
            ``SET TRANSACTION ISOLATION LEVEL``.
    """

    text: str
    start: int
    end: int
    origin: str
    batch: int


# Possessive quantifiers: a line of 300,000 backticks without a newline must fail at once, not
# retry every shorter fence mark against the rest of the line (issue 14: quadratic, 120 s).
_FENCE_RE = re.compile(
    r"^[ \t]*+(?P<mark>`{3,}+|~{3,}+)[ \t]*+(?P<label>[\w+#.-]*+)[^\n]*+\n(?P<body>.*?)(?:^[ \t]*+(?P=mark)[ \t]*+$|\Z)",
    re.M | re.S,
)
# Fields longer than this are not searched for SQL statement by statement: one not-analyzed
# statement stands for the whole field (a 200 MB field would otherwise take many minutes).
MAX_FIELD_CHARS = 1_000_000
_SQL_LABELS = frozenset({"sql", "tsql", "t-sql", "mssql", "sqlserver", "transact-sql"})

_NAME = r"(?:[\w#@$]+|\[[^\]\n]+\]|\"[^\"\n]+\"|`[^`\n]+`)"  # `name`: MySQL, still SQL to report
_QUALIFIED = rf"{_NAME}(?:\s*\.\s*{_NAME}){{0,3}}"
# The shape each statement keyword must have to count as SQL outside a fence (pattern, flags),
# compiled by _shapes().
_SHAPE_SOURCES = {
    "SELECT": (rf"SELECT\b.*?\bFROM\s+(?:{_QUALIFIED}|\()", re.S | re.I),
    "WITH": (rf"WITH\s+{_NAME}\s*(?:\([^)]*\)\s*)?AS\s*\(", re.I),
    "INSERT": (rf"INSERT\s+(?:INTO\s+)?{_QUALIFIED}\s*(?:\([^)]*\)\s*)?(?:SELECT|VALUES|EXEC|WITH|DEFAULT|OUTPUT)\b", re.I),
    "UPDATE": (rf"UPDATE\s+(?:TOP\s*\(\s*\d+\s*\)\s*)?{_QUALIFIED}(?:\s*WITH\s*\((?:[^()]|\([^()]*\))*\))?\s+SET\s", re.I),
    "DELETE": (rf"DELETE\s+(?:TOP\s*\(\s*\d+\s*\)\s*)?(?:FROM\s+{_QUALIFIED}|{_QUALIFIED}\s+FROM\s)", re.I),
    "MERGE": (rf"MERGE\s+(?:INTO\s+)?{_QUALIFIED}.*?\bUSING\b", re.I | re.S),
    "DECLARE": (r"DECLARE\s+@", re.I),
    "SET": (r"SET\s+(?:@|NOCOUNT\b|TRANSACTION\s+ISOLATION\b|XACT_ABORT\b|ANSI_|QUOTED_IDENTIFIER\b|DATEFORMAT\b)", re.I),
    "EXEC": (
        rf"EXEC(?:UTE)?\s+(?:@\w+\s*=\s*)?{_NAME}\s*\.\s*{_NAME}|EXEC(?:UTE)?\s+(?:sp_|usp|vsp|vrpt)\w*"
        rf"|EXEC(?:UTE)?\s+(?:@\w+\s*=\s*)?[A-Za-z_][\w$#]*(?=[ \t]*(?:[;\n]|\Z|@|'|N'|\d))",  # EXEC bspAPHBVal @co = 1
        re.I,
    ),
    "IF": (r"IF\s+(?:NOT\s+)?(?:EXISTS\s*\(|@|OBJECT_ID\s*\()", re.I),
    "CREATE": (r"(?:CREATE|ALTER)\s+(?:OR\s+ALTER\s+)?(?:TABLE|VIEW|PROC|PROCEDURE|FUNCTION|TRIGGER|(?:UNIQUE\s+)?(?:NON)?(?:CLUSTERED\s+)?INDEX)\b", re.I),
    "TRUNCATE": (rf"TRUNCATE\s+TABLE\s+{_QUALIFIED}", re.I),
}
_SHAPE_SOURCES["EXECUTE"] = _SHAPE_SOURCES["EXEC"]
_SHAPE_SOURCES["ALTER"] = _SHAPE_SOURCES["CREATE"]


@functools.cache
def _shapes() -> dict[str, re.Pattern]:
    """The shapes, compiled when first needed (~4 ms): a rerun whose every file is found in the result cache
    looks for no SQL."""
    return {keyword: re.compile(pattern, flags) for keyword, (pattern, flags) in _SHAPE_SOURCES.items()}


# Words each shape needs besides its keyword (``SELECT … FROM``, ``UPDATE … SET``): an ASCII text
# that holds no keyword together with one of its words holds no statement. Substring searches on
# the lower-cased text reject most prose far faster than any case-insensitive regex could.
_SHAPE_WORDS = (
    ("select", ("from",)),
    ("with", ("as",)),
    ("insert", ("select", "values", "exec", "with", "default", "output")),
    ("update", ("set",)),
    ("delete", ("from",)),
    ("merge", ("using",)),
    ("declare", ("@",)),
    ("set", ("@", "nocount", "transaction", "xact_abort", "ansi_", "quoted_identifier", "dateformat")),
    ("exec", ("exec",)),  # and execute: EXEC bspAPHBVal needs no other word
    ("if", ("exists", "@", "object_id")),
    ("create", ("table", "view", "proc", "function", "trigger", "index")),
    ("alter", ("table", "view", "proc", "function", "trigger", "index")),
    ("truncate", ("table",)),
)
_CANDIDATE_RE = re.compile(r"\b(?:" + "|".join(sorted(_SHAPE_SOURCES, key=len, reverse=True)) + r")\b", re.I)
# The same on lower-cased ASCII text (identical offsets), where no case-insensitive matching is needed.
_LOWER_CANDIDATE_RE = re.compile(r"\b(?:" + "|".join(sorted((k.lower() for k in _SHAPE_SOURCES), key=len, reverse=True)) + r")\b")
# Lower-case inline SQL must also show something prose never has (an operator, a dotted name, a clause).
_LOWER_CASE_SIGNAL_RE = re.compile(r"[*=<>(@]|\w\.\w|\b(?:where|join|group\s+by|order\s+by|top|distinct|union|having|nolock|values|set)\b")
_PARAGRAPH_END_RE = re.compile(r"\n[ \t]*\n")
# Inside an inline region: a sentence that returns to prose ("… WHERE APCo = 1. This returns …").
_PROSE_WORDS = frozenset(
    "THE THIS THAT THESE THOSE IT ITS YOU YOUR WE OUR THEY THEN NOTE HERE THERE REPLACE MAKE USE ALWAYS NEVER "
    "IF EACH ALL A AN TO IN FOR IS ARE WILL WOULD SHOULD CAN MAY AND BUT OR SO".split()
)


def contains_sql(text: str) -> bool:
    """True when :func:`extract_sql` finds at least one statement in ``text``."""
    return bool(extract_sql(text))


def extract_sql(text: str) -> tuple[SqlStatement, ...]:
    """Every SQL statement in ``text`` in order, with exact offsets (cached per text).

    >>> [(s.text, s.origin) for s in extract_sql("Use: SELECT a FROM APTH WITH (NOLOCK) WHERE APCo = 1.")]
    [('SELECT a FROM APTH WITH (NOLOCK) WHERE APCo = 1', 'inline')]
    >>> extract_sql("Select the vendor on the form, then update the record.")
    ()
    """
    if not isinstance(text, str):
        return ()
    return _extract_cached(text)


# Every SQL rule asks about the same field in turn: the cache turns all but the first into a lookup,
# including for prose (the gate's scan of a long answer costs more than the lookup).
@functools.lru_cache(maxsize=1024)  # field values: the fields of one record, with room to spare
def _extract_cached(text: str) -> tuple[SqlStatement, ...]:
    # ASCII text lower-cases to the same offsets, and matches plainly what re.I matches in it.
    if len(text) > MAX_FIELD_CHARS:
        return (SqlStatement(text, 0, len(text), "field", 0),) if _may_hold_sql(text, None) else ()
    lowered = text.lower() if text.isascii() else None
    if not _may_hold_sql(text, lowered):
        return ()
    regions: list[tuple[int, int, str]] = []
    prose_start = 0
    # the fence pattern needs a run of backticks or tildes: skip its line-by-line scan without one
    fences = _FENCE_RE.finditer(text) if "```" in text or "~~~" in text else ()
    for fence in fences:
        regions.extend(_inline_regions(text, lowered, prose_start, fence.start()))
        prose_start = fence.end()
        body_start, body_end = fence.span("body")
        label = fence.group("label").lower()
        if label in _SQL_LABELS or (not label and _looks_like_sql(text[body_start:body_end], strict=False)):
            regions.append((body_start, body_end, "fence"))
    if prose_start == 0 and _is_all_sql(text):
        regions.append((0, len(text), "whole"))
    else:
        regions.extend(_inline_regions(text, lowered, prose_start, len(text)))
    if len(regions) == 1 and regions[0][2] == "inline" and not text[: regions[0][0]].strip() and not text[regions[0][1] :].strip(" \t\r\n;."):
        regions = [(regions[0][0], regions[0][1], "whole")]
    statements: list[SqlStatement] = []
    batch = 0
    for start, end, origin in regions:
        segments = split_statements(text[start:end])
        for segment in segments:
            statements.append(
                SqlStatement(text[start + segment.start : start + segment.end], start + segment.start, start + segment.end, origin, batch + segment.batch)
            )
        batch += max((s.batch for s in segments), default=0)
    if len(statements) > STATEMENT_CACHE_SIZE:
        note_field_statements(len(statements))
    return tuple(statements)


def _may_hold_sql(text: str, lowered: str | None) -> bool:
    """False when ``text`` cannot hold a statement: no fence, and no statement shape's words.
    ``lowered`` is ``text.lower()`` for ASCII text, else None.

    >>> [_may_hold_sql(t, t.lower()) for t in ("Set the vendor's status if it changed.", "SET @co = 1")]
    [False, True]
    >>> [_may_hold_sql(t, t.lower()) for t in ("Runs with the same key as APTH.", "WITH c AS (SELECT 1 FROM t)")]
    [False, True]
    """
    if "```" in text or "~~~" in text:
        return True
    if _WHOLE_FIELD_START_RE.match(text) or _whole_field_start_after_comments(text):
        return True
    if lowered is None:  # outside ASCII, str.lower() and re.I disagree (ſ, İ): keywords alone gate
        return _CANDIDATE_RE.search(text) is not None
    has_with_words = False
    for keyword, words in _SHAPE_WORDS:  # loops, not any(): this runs on every text field
        if keyword in lowered:
            for word in words:
                if word in lowered:
                    if keyword != "with":
                        return True
                    has_with_words = True
                    break
    return has_with_words and _may_hold_cte(lowered)


# "with" and "as" are in most English prose ("as" also in "was", "has", "base"): of the review
# data's prose answers that passed the gate, 6,766 of 6,778 passed on them alone, and then cost a
# keyword search. Every WITH shape also needs "AS (", which such prose never has.
_CTE_OPENING_RE = re.compile(r"as\s*\(")


def _may_hold_cte(lowered: str) -> bool:
    """For ASCII text whose only statement words are WITH's: False when it holds no statement.

    Only the WITH shape can match in such text, and it needs ``AS (``, unless a comment stands
    between them (``AS -- the open jobs\\n(``): such text goes on to the statement finders.
    """
    return _CTE_OPENING_RE.search(lowered) is not None or "--" in lowered or "/*" in lowered


# Words a paragraph of SQL may start with (a blank line inside or between statements).
_SQL_PARAGRAPH_STARTS = frozenset(
    "SELECT WITH INSERT UPDATE DELETE MERGE DECLARE SET IF WHILE EXEC EXECUTE PRINT RETURN TRUNCATE CREATE ALTER DROP "
    "USE GO BEGIN END ELSE COMMIT ROLLBACK FROM WHERE JOIN INNER LEFT RIGHT FULL CROSS OUTER ON AND OR GROUP ORDER "
    "HAVING UNION EXCEPT INTERSECT WHEN THEN AS OUTPUT VALUES OPTION OPEN FETCH CLOSE DEALLOCATE RAISERROR THROW "
    "INTO CASE PIVOT UNPIVOT FOR".split()
)


# Statement keywords a whole field of SQL may start with although they have no inline shape
# (``USE Viewpoint``, ``DROP TABLE``, ``IF 1 <= (SELECT …)``, ``BEGIN TRAN``), when written in
# capitals and not followed by a prose word ("IF you want …", "USE the form").
_WHOLE_FIELD_STARTS = frozenset("USE DROP ALTER CREATE IF WHILE BEGIN DECLARE SET PRINT GRANT REVOKE DENY RAISERROR TRUNCATE".split())


_WHOLE_FIELD_START_RE = re.compile(r"\s*(?:" + "|".join(sorted(_WHOLE_FIELD_STARTS)) + r")\b")


_LEADING_COMMENT_RE = re.compile(r"\s*(?:--|/\*)")


def _whole_field_start_after_comments(text: str) -> bool:
    """The field opens with comments, then a keyword a whole field of SQL may start with (``-- note
    DROP TABLE t``): what ``_WHOLE_FIELD_START_RE`` finds in a field without them, for
    :func:`_is_all_sql` (which reads past comments) to decide.

    >>> [_whole_field_start_after_comments(t) for t in ("-- scratch\\nDROP TABLE t", "/* a */ USE Viewpoint", "Drop it.")]
    [True, True, False]
    """
    if not _LEADING_COMMENT_RE.match(text):
        return False
    first = first_significant(text, 0, 2000)
    return first is not None and first.kind == "word" and first.upper in _WHOLE_FIELD_STARTS


def _is_all_sql(text: str) -> bool:
    """The whole field is SQL: it starts with a shaped statement (or, in capitals, another statement
    keyword not followed by prose) and no paragraph starts like prose."""
    first = first_significant(text, 0, 2000)
    if first is None or first.kind != "word":
        return False
    keyword = text[first.start : first.end]
    if first.upper in _WHOLE_FIELD_STARTS and keyword.isupper():
        following = first_significant(text, first.end, first.end + 200)
        if following is None or (following.kind == "word" and following.upper in _PROSE_WORDS and not text[following.start : following.end].isupper()):
            return False
    elif first.upper not in _SHAPE_SOURCES or not _looks_like_sql(text[first.start :], strict=not keyword.isupper()):
        return False
    # What the paragraphs before left open: brackets (a blank line in a column list), block
    # comments (notes in a procedure's header) and strings (an R script in N'…'): a paragraph
    # that starts inside one is not prose. Counted roughly (characters, not tokens): it only
    # decides whether to look at a paragraph's first word.
    depth = comments = quotes = 0
    for paragraph in _PARAGRAPH_END_RE.split(text):
        first = first_significant(paragraph, 0, 200) if depth <= 0 and comments <= 0 and quotes % 2 == 0 else None
        depth += paragraph.count("(") - paragraph.count(")")
        comments += paragraph.count("/*") - paragraph.count("*/")
        quotes += paragraph.count("'")
        if first is not None and first.kind == "word" and first.upper not in _SQL_PARAGRAPH_STARTS:
            raw = paragraph[first.start : first.end]
            if raw[:1].isupper() and not raw.isupper():
                return False  # "This query returns …"
    return True


def _inline_regions(text: str, lowered: str | None, start: int, end: int) -> list[tuple[int, int, str]]:
    """SQL regions in prose between fences: from a shaped keyword to the end of its paragraph.
    ``lowered``: see :func:`_may_hold_sql`."""
    regions: list[tuple[int, int, str]] = []
    candidates, searched = (_CANDIDATE_RE, text) if lowered is None else (_LOWER_CANDIDATE_RE, lowered)
    position = start
    while position < end:
        match = candidates.search(searched, position, end)
        if not match:
            break
        keyword = text[match.start() : match.end()]
        # re.I also matches "İF" (upper-cased: not a keyword): no shape, not SQL
        shape = _shapes().get(keyword.upper())
        if shape is None or not _is_word_start(text, match.start()) or _in_comment(text, start, match.start()):
            position = match.end()
            continue
        paragraph = _PARAGRAPH_END_RE.search(text, match.start(), end)
        while paragraph and text.count("'", match.start(), paragraph.start()) % 2:  # a blank line in a string
            paragraph = _PARAGRAPH_END_RE.search(text, paragraph.end(), end)
        paragraph_end = paragraph.start() if paragraph else end
        # Cheap first: a statement shape that fails on the whole paragraph fails on any prefix of it,
        # so most prose ("with", "set", "if" …) never reaches the tokenizer in _prose_cut.
        if not shape.match(text, match.start(), paragraph_end):
            position = match.end()
            continue
        region_end = _prose_cut(text, match.start(), paragraph_end)
        candidate = text[match.start() : region_end]
        # capitals alone do not make SQL: "Click SELECT ALL in PR Timecard Entry, then choose UPDATE
        # from the toolbar" has SELECT … FROM's shape, so prose words in it call for a parse too
        needs_parse = not keyword.isupper() or _has_prose_words(candidate)
        if shape.match(candidate) and (not needs_parse or _looks_like_sql(candidate, strict=True)):
            regions.append((match.start(), region_end, "inline"))
            position = region_end
        else:
            position = match.end()
    return regions


def _in_comment(text: str, start: int, index: int) -> bool:
    """Inside a ``/* … */`` block or after ``--`` on its line (SQL comments before the SQL)."""
    line_start = text.rfind("\n", start, index) + 1
    if "--" in text[max(line_start, start) : index]:
        return True
    opened = text.rfind("/*", start, index)
    return opened >= 0 and text.rfind("*/", opened, index) < 0


def _is_word_start(text: str, index: int) -> bool:
    """Not part of ``@select``, ``#update``, ``x.set`` or ``dbo.Select``."""
    return index == 0 or text[index - 1] not in "@#.$_"


def _prose_cut(text: str, start: int, end: int) -> int:
    """Where an inline region returns to prose: a backtick, or ``. `` before a prose word."""
    region = text[start:end]
    tokens = lex(region)
    depth = 0
    cut = end
    for index, token in enumerate(tokens):
        if token.upper == "(":
            depth += 1
        elif token.upper == ")":
            if depth == 0:  # "IF 1 <= (SELECT … = 1)": the region started inside brackets it cannot close
                cut = start + token.start
                break
            depth -= 1
        elif token.upper == "`":
            cut = start + token.start
            break
        elif depth == 0 and token.upper in (".", ":", "!", "?") and _next_is_prose(region, tokens, index):
            cut = start + token.start
            break
    while cut > start and text[cut - 1] in " \t\r\n":
        cut -= 1
    return cut


def _next_is_prose(region: str, tokens: tuple, index: int) -> bool:
    """After sentence punctuation: the end, or whitespace then a prose word ("This", "Note")."""
    if index + 1 == len(tokens):
        return True
    if tokens[index + 1].kind not in ("ws", "nl"):
        return False
    # no slice of the rest: a region of thousands of tokens has hundreds of full stops
    word = next((t for t in itertools.islice(tokens, index + 2, None) if t.is_significant), None)
    if word is None:
        return True
    if word.kind != "word":
        return False
    raw = region[word.start : word.end]
    is_title_case = raw[:1].isupper() and not raw.isupper()
    return word.upper in _PROSE_WORDS or (is_title_case and word.upper not in _SHAPE_SOURCES)


# Lower-case words of prose that SQL has no use for outside strings and comments.
_PROSE_WORD_RE = re.compile(r"(?<![\w@#$.'\[])(?:the|then|click|choose|you|your|we|our|please|can|should|will|want|use|get)(?![\w'\]])")


def _has_prose_words(candidate: str) -> bool:
    """Prose words outside strings and comments (``'the'`` in a string is data, not prose)."""
    if _PROSE_WORD_RE.search(candidate) is None:
        return False
    return any(_PROSE_WORD_RE.fullmatch(candidate, token.start, token.end) for token in lex(candidate) if token.kind == "word")


def _looks_like_sql(body: str, strict: bool) -> bool:
    """Does this text start like a statement? ``strict`` (lower-case inline SQL) also requires a parse."""
    token = first_significant(body, 0, 400)
    if token is None or token.kind != "word":
        return False
    shape = _shapes().get(token.upper)
    first = token.start
    raw_keyword = body[first : token.end]
    if raw_keyword[:1].isupper() and not raw_keyword.isupper():
        strict = True  # "Select the vendor…" is prose; "Select a.Vendor from APVM a where …" parses
    if shape is None or not shape.match(body, first):
        return False
    if not strict:
        return True
    if not _LOWER_CASE_SIGNAL_RE.search(body, token.end):
        return False

    segments = split_statements(body[first:])
    head = body[first + segments[0].start : first + segments[0].end] if segments else body[first:]
    parsed = parse_statement(head.rstrip(" \t\r\n;."))
    return isinstance(parsed, ParsedStatement) and not parsed.not_analyzed
