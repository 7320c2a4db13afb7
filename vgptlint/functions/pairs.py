"""Pair functions: compare the two sides of a preference record (``given: $``, ``kind: pair``).

``pair_identical``          chosen equals rejected once whitespace is normalized: the pair has no signal.
``pair_trivial_difference`` chosen and rejected differ only by table hints (NOLOCK/READUNCOMMITTED):
                            equal once the hints are removed, compared on the SQL AST (sqlglot) when
                            both sides' SQL parses, on normalized text otherwise. Such a pair teaches
                            "add NOLOCK" and nothing else (review §4). Identifiers are compared as the
                            database compares them: case-sensitively by default (Vista's collation is
                            binary, so ``g.GLAcct`` and ``g.glacct`` are different columns and a pair
                            that differs in them teaches case too); keywords and prose ignore case.

Options (both): ``chosen``/``rejected``: the field names (default ``chosen``, ``rejected``); a side
may be a string, a message ``{role, content}`` or a list of messages (its last message is compared).
``hints`` (trivial difference): the hints whose presence alone does not count as a difference.

Example: ``{chosen: "SELECT a FROM APTH WITH (NOLOCK)", rejected: "SELECT a FROM APTH"}`` →
"chosen and rejected differ only in table hints: NOLOCK on APTH in chosen only".
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from vgptlint.functions.base import Context, Hit, MISSING, function
import vgptlint.functions.sql  # noqa: F401  (dpo-chosen-violates reuses the SQL functions: make sure they are registered)
from vgptlint.sql.deferred import exp
from vgptlint.sql.extract import extract_sql
from vgptlint.sql.parse import ParsedStatement, parse_fresh


def side_text(value: object) -> str | None:
    """The text of one side: a string, a message's content, or the last message of a list.

    >>> side_text([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}])
    'a'
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("content", "value", "text"):
            if isinstance(value.get(key), str):
                return value[key]
        return None
    if isinstance(value, list) and value:
        return side_text(value[-1])
    return None


def normalized(text: str) -> str:
    """Whitespace collapsed, lower-cased.

    >>> normalized("  SELECT a\\n  FROM  t ")
    'select a from t'
    """
    return " ".join(text.split()).lower()


@dataclass(frozen=True, slots=True)
class PairOptions:
    """``chosen``/``rejected``: field names of the two sides; ``hints``: table hints whose presence
    alone is not a difference (default NOLOCK, READUNCOMMITTED); ``case_sensitive``: identifiers that
    differ only in case are different (default true: a binary collation such as Vista's)."""

    chosen: str = "chosen"
    rejected: str = "rejected"
    hints: tuple[str, ...] = ("NOLOCK", "READUNCOMMITTED")
    case_sensitive: bool = True

    def validate(self) -> str | None:
        if not self.hints or not all(h.isalpha() for h in self.hints):
            return 'option "hints" needs table hint names, e.g. [NOLOCK]'
        object.__setattr__(self, "hints", tuple(h.upper() for h in self.hints))
        return None


def _sides(record: dict, opts: PairOptions) -> tuple[str, str] | None:
    chosen, rejected = side_text(record.get(opts.chosen, MISSING)), side_text(record.get(opts.rejected, MISSING))
    return (chosen, rejected) if chosen is not None and rejected is not None else None


@function("pair_identical", options=PairOptions, accepts=(dict,), is_pure=True)
def pair_identical(value: dict, opts: PairOptions, ctx: Context) -> Iterator[Hit]:
    """Chosen and rejected are the same text (whitespace-normalized)."""
    sides = _sides(value, opts)
    if sides is not None and " ".join(sides[0].split()) == " ".join(sides[1].split()):
        yield Hit(f"{opts.chosen} and {opts.rejected} are identical", data={"chosen": opts.chosen, "rejected": opts.rejected})


@function("pair_trivial_difference", options=PairOptions, accepts=(dict,), is_pure=True)
def pair_trivial_difference(value: dict, opts: PairOptions, ctx: Context) -> Iterator[Hit]:
    """Chosen and rejected are equal once table hints are removed (AST where both parse, else text)."""
    sides = _sides(value, opts)
    if sides is None:
        return
    chosen, rejected = sides
    if " ".join(chosen.split()) == " ".join(rejected.split()):
        return  # identical: pair_identical's business
    compared = trivial_difference(chosen, rejected, opts.hints, ctx.dialect or "tsql", opts.case_sensitive)
    if compared:
        where = hint_differences(chosen, rejected, opts.hints, opts.chosen, opts.rejected)
        yield Hit(f"{opts.chosen} and {opts.rejected} differ only in table hints: {where}",
                  data={"compared": compared, "chosen": opts.chosen, "rejected": opts.rejected})


def hint_differences(chosen: str, rejected: str, hints: tuple[str, ...], chosen_name: str = "chosen",
                     rejected_name: str = "rejected") -> str:
    """Which side has the hints on which tables, e.g. ``NOLOCK on APTH, APTL in chosen only``.

    >>> hint_differences("SELECT a FROM APTH h WITH (NOLOCK) JOIN APTL (NOLOCK)", "SELECT a FROM APTH h JOIN APTL", ("NOLOCK",))
    'NOLOCK on APTH, APTL in chosen only'
    """
    pattern = _hinted_table_regex(hints)
    found = {side: sorted({(m.group(2).upper(), m.group(1)) for m in pattern.finditer(text)})
             for side, text in ((chosen_name, chosen), (rejected_name, rejected))}
    parts = []
    for side, other in ((chosen_name, rejected_name), (rejected_name, chosen_name)):
        only = [pair for pair in found[side] if pair not in found[other]]
        for hint in dict.fromkeys(h for h, _ in only):
            tables = ", ".join(dict.fromkeys(t for h, t in only if h == hint))
            parts.append(f"{hint} on {tables} in {side} only")
    return "; ".join(parts) or "the hints are written differently"


@functools.lru_cache(maxsize=8)
def _hinted_table_regex(hints: tuple[str, ...]) -> re.Pattern[str]:
    # FROM/JOIN/comma, a table name, an optional alias, then WITH (hint ...) or the legacy (hint).
    # The lookahead names the characters a match can start with: elsewhere the scan moves on at
    # once (a third of the time), finding the same matches.
    return re.compile(rf"(?=[FfJj,])(?:\bFROM|\bJOIN|,)\s+([\w.\[\]#@]+)(?:\s+(?:AS\s+)?(?!WITH\b)\w+)?\s*(?:WITH\s*)?\(\s*(?:\w+\s*,\s*)*({'|'.join(hints)})\b",
                      re.I)


# dpo-trivial-difference and dpo-trivial-share ask about the same record one after the other.
@functools.lru_cache(maxsize=64)
def trivial_difference(chosen: str, rejected: str, hints: tuple[str, ...], dialect: str,
                       case_sensitive: bool = True) -> str | None:
    """``"ast"`` or ``"text"`` when the sides are equal without ``hints`` (how it was decided), else None.

    Text first: equal hint-stripped text implies equal ASTs, and costs no parse (case-sensitively
    when identifiers are, so ``select`` vs ``SELECT`` goes on to the AST). The AST comparison then
    catches what text cannot (layout, keyword case, ``AS``) and is only tried when both sides hold
    the same number of statements and the prose around them matches.
    """
    spaced = _spaced if case_sensitive else normalized
    if spaced(_without_hints(chosen, hints)) == spaced(_without_hints(rejected, hints)):
        return "text"
    left, right = extract_sql(chosen), extract_sql(rejected)
    if not left or len(left) != len(right) or normalized(_prose(chosen, left)) != normalized(_prose(rejected, right)):
        return None
    for a, b in zip(left, right):
        first = _stripped_sql(a.text, hints, dialect, case_sensitive)
        if first is None or first != _stripped_sql(b.text, hints, dialect, case_sensitive):
            return None  # the second side is not parsed when the first cannot be compared
    return "ast"


_HINT_REGEXES: dict[tuple[str, ...], re.Pattern[str]] = {}


def _hint_regex(hints: tuple[str, ...]) -> re.Pattern[str]:
    found = _HINT_REGEXES.get(hints)
    if found is None:
        names = "|".join(hints)
        # Every match starts with a blank, ``,``, ``(``, the W of WITH or a hint's first letter
        # (matched case-insensitively, as the alternatives are): the lookahead lets the scan skip
        # any other position at once (half the time), finding the same matches.
        firsts = "".join(dict.fromkeys(hint[0] for hint in hints))
        found = _HINT_REGEXES[hints] = re.compile(
            rf"(?=[\s,(W{firsts}])"
            # ``WITH (NOLOCK)``, ``WITH (NOLOCK, INDEX(x))`` keeps the rest, legacy ``(NOLOCK)``.
            rf"(?:\s*\bWITH\s*\(\s*(?:{names})\s*\)|\s*\(\s*(?:{names})\s*\)|\b(?:{names})\b\s*,\s*|\s*,\s*\b(?:{names})\b)", re.I)
    return found


def _without_hints(text: str, hints: tuple[str, ...]) -> str:
    """``text`` with its ``hints`` removed (:func:`_hint_regex`). An ASCII text that names none of
    them is returned as it is without a scan: every match contains a hint's name, and in ASCII
    text re.I matches exactly what lower-casing both sides matches."""
    if text.isascii() and all(hint.isascii() for hint in hints):
        lowered = text.lower()
        if not any(hint.lower() in lowered for hint in hints):
            return text
    return _hint_regex(hints).sub("", text)


def _prose(text: str, statements: tuple) -> str:
    pieces, position = [], 0
    for statement in statements:
        pieces.append(text[position:statement.start])
        position = statement.end
    pieces.append(text[position:])
    return " ".join(pieces)


def _spaced(text: str) -> str:
    return " ".join(text.split())


def _stripped_sql(sql: str, hints: tuple[str, ...], dialect: str, case_sensitive: bool = True) -> str | None:
    # A tree of our own to edit: parsing again is several times cheaper than copying a cached
    # tree (sqlglot's deep copy), and gives the same tree.
    parsed = parse_fresh(sql, dialect)
    if not isinstance(parsed, ParsedStatement) or parsed.is_opaque:
        return None
    tree = _strip_hints(parsed.expression, hints)
    # normalize=True would lower-case identifiers; keywords come out upper-case either way
    return tree.sql(dialect=dialect, normalize=not case_sensitive, pretty=False, copy=False)  # may edit our tree


def _strip_hints(tree: exp.Expression, hints: tuple[str, ...]) -> exp.Expression:
    """``tree`` with ``hints`` removed from every table, edited in place."""
    for table in tree.find_all(exp.Table):
        kept = []
        for hint in table.args.get("hints") or ():
            if isinstance(hint, exp.WithTableHint):
                rest = [h for h in hint.expressions if h.name.upper() not in hints]
                if rest:
                    hint.set("expressions", rest)
                    kept.append(hint)
            else:
                kept.append(hint)
        table.set("hints", kept or None)
    return tree
