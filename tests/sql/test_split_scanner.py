"""The splitter's scanner (``split._scan``) is the lexer with the tokens the splitter only passes
over merged into runs: the same tokens, at the same offsets, with nothing the splitter acts on
hidden inside a run. With that, splitting runs gives what splitting token by token gives."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.sql.split import _SPLITTER_WORDS, _scan, lex, split_statements, statement_tail

# Fragments that exercise every branch of the lexer and the scanner: keywords in any case, words
# that merely contain one, all punctuation the splitter acts on, strings and quoted names holding
# it, comments, numbers, and characters where str.upper() and re.I disagree (ſ, İ, the Kelvin sign).
FRAGMENTS = [
    *sorted(_SPLITTER_WORDS), "select", "Go", "end", "With", "XMLNAMESPACES", "CURSOR", "PROCEDURE", "FROM", "t", "a1", "@v",
    "#t", "##g", "@@ROWCOUNT", "N", "ſelect", "İF", "BREA\u212a", "é", "selected", "x$", "_", "(", ")", ";", ",", "=", ".", "*",
    "<", "-", "/", "@", "#", "'", "''", "'a;b'", "N'x'", "'(\n'", "[a b]", "[", "]", '"q"', '"', "--c", "--", "/*", "*/",
    "/* c\n */", "1", "1.5", ".5", "1e5", "€", "\u2028", "\U0001d400", " ", " ", "\t", "\n", "\n", "\r\n", "\v",
]
TEXTS = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)


@settings(max_examples=1500, deadline=None)
@given(TEXTS)
def test_scan_is_the_lexer_with_runs_merged(text: str) -> None:
    tokens = [t for t in lex(text) if t.kind != "ws"]
    position = 0
    for item in _scan(text):
        if item.kind != "run":
            assert tuple(tokens[position]) == tuple(item)
            position += 1
            continue
        assert tokens[position].start == item.start
        depth = 0
        while tokens[position].end < item.end:
            depth = _check_plain(tokens[position], depth)
            position += 1
        last = tokens[position]
        assert last.end == item.end and _check_plain(last, depth) == 0
        assert last.upper not in (",", "=")  # they matter as the token before a keyword
        position += 1
    assert position == len(tokens)


def _check_plain(token, depth: int) -> int:
    """Asserts the splitter would only pass over ``token``; returns the parenthesis depth after it."""
    assert token.kind not in ("comment", "nl") or (token.kind == "nl" and depth > 0)
    assert not (token.kind == "word" and token.upper in _SPLITTER_WORDS)
    assert token.upper != ";"
    if token.upper == "(":
        return depth + 1
    if token.upper == ")":
        assert depth > 0
        return depth - 1
    return depth


def test_scan_merges_plain_stretches() -> None:
    text = "SELECT a, ISNULL(b, 0) AS c FROM APTH h WITH (NOLOCK)\nWHERE h.APCo = 1"
    assert [(i.kind, text[i.start : i.end]) for i in _scan(text)] == [
        ("word", "SELECT"), ("run", "a, ISNULL(b, 0)"), ("word", "AS"), ("run", "c FROM APTH h"), ("word", "WITH"), ("run", "(NOLOCK)"), ("nl", "\n"), ("run", "WHERE h.APCo = 1"),
    ]


def test_split_acts_on_the_merged_tokens() -> None:
    text = "DECLARE @co int = 1\nSELECT a FROM t WHERE x IN (1, 2) AND y = CASE WHEN z = 1 THEN 2 END\nGO\nUPDATE t SET a = 1"
    assert [text[s.start : s.end] for s in split_statements(text)] == [
        "DECLARE @co int = 1", "SELECT a FROM t WHERE x IN (1, 2) AND y = CASE WHEN z = 1 THEN 2 END", "UPDATE t SET a = 1",
    ]
    assert [s.batch for s in split_statements(text)] == [0, 0, 1]


@settings(max_examples=1500, deadline=None)
@given(TEXTS)
def test_statement_tail_is_the_lexers_last_token_and_depth(text: str) -> None:
    tokens = [t for t in lex(text) if t.is_significant]
    depth = sum(1 if t.upper == "(" else -1 if t.upper == ")" else 0 for t in tokens)
    assert statement_tail(text) == ((tokens[-1] if tokens else None), depth)
