"""T-SQL table hints: what they are called, which satisfy NOLOCK, which conflict with it.

sqlglot normalizes ``t (NOLOCK)`` and ``t WITH (NOLOCK)`` to the same AST, so the written form of
a hint comes from the tokens (see :func:`hint_group_after`), its meaning from the AST.
"""
from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from vgptlint.sql.deferred import exp
from vgptlint.sql.split import Token, significant_tokens

NOLOCK_EQUIVALENTS = frozenset({"NOLOCK", "READUNCOMMITTED"})
# Lock hints SQL Server rejects next to NOLOCK (SQL Server error 1065 and the table hints reference): never inject NOLOCK beside them.
CONFLICTS_WITH_NOLOCK = frozenset(
    {"HOLDLOCK", "UPDLOCK", "SERIALIZABLE", "READCOMMITTED", "READCOMMITTEDLOCK", "REPEATABLEREAD", "XLOCK", "TABLOCKX", "READPAST"}
)


def hint_names(table: exp.Expression) -> tuple[str, ...]:
    """Upper-cased hint names on a table node, in written order, duplicates kept (``INDEX`` for ``INDEX(ix)``)."""
    return tuple(hint_name(item) for hint in table.args.get("hints") or ()
                 for item in (hint.expressions if isinstance(hint, exp.WithTableHint) else (hint,)))


def hint_name(item: exp.Expression) -> str:
    """The upper-cased name of one hint node (``INDEX`` for ``INDEX(ix)``)."""
    if isinstance(item, (exp.Var, exp.Column, exp.Identifier)):
        return item.name.upper()
    if isinstance(item, exp.Anonymous):
        return str(item.this).upper()
    if isinstance(item, exp.Func):
        return item.sql_name().upper()
    return item.sql("tsql").split("(")[0].strip().upper()


def has_nolock(names: tuple[str, ...], accepted: frozenset[str] = NOLOCK_EQUIVALENTS) -> bool:
    return any(name in accepted for name in names)


def conflicting_hints(names: tuple[str, ...]) -> tuple[str, ...]:
    """Hints that SQL Server rejects beside the NOLOCK in ``names`` (empty when there is no NOLOCK)."""
    if not has_nolock(names):
        return ()
    return tuple(dict.fromkeys(name for name in names if name in CONFLICTS_WITH_NOLOCK))


def doubled_hints(names: tuple[str, ...]) -> tuple[str, ...]:
    """Hints written more than once on one table (``WITH (NOLOCK, NOLOCK)``, or NOLOCK + READUNCOMMITTED)."""
    counts = Counter("NOLOCK" if name in NOLOCK_EQUIVALENTS else name for name in names if name != "INDEX")
    return tuple(name for name, count in counts.items() if count > 1)


@dataclass(frozen=True, slots=True)
class HintGroup:
    """A written hint group after a table reference, offsets relative to the text scanned.

    ``start`` is the ``WITH`` (or the ``(`` in the legacy form), ``open``/``close`` the parentheses.
    """

    start: int
    open: int
    close: int
    is_legacy: bool

    @property
    def end(self) -> int:
        return self.close + 1


# The usual group, ``WITH (NOLOCK)`` or ``(NOLOCK, INDEX_NAME)``: ASCII words, commas and blanks only,
# which lex to exactly these tokens (a comment, nested brackets or any other character falls
# through to the lexer). Every table with a hint asks; lexing its group was a third of its refs' cost.
_PLAIN_GROUP_RE = re.compile(
    r"[ \t\r\f\v\n]*(?:([Ww][Ii][Tt][Hh])[ \t\r\f\v\n]*)?(\()[ \t\r\f\v\n]*"
    r"[A-Za-z_][A-Za-z0-9_]*[ \t\r\f\v\n]*(?:,[ \t\r\f\v\n]*[A-Za-z_][A-Za-z0-9_]*[ \t\r\f\v\n]*)*(\))"
)


def hint_group_after(text: str, offset: int) -> HintGroup | None:
    """The ``WITH (…)`` or legacy ``(…)`` group starting at the first token at/after ``offset``.

    >>> hint_group_after("FROM t WITH (NOLOCK) WHERE", 6)
    HintGroup(start=7, open=12, close=19, is_legacy=False)
    >>> hint_group_after("FROM t /* c */ (NOLOCK)", 6)
    HintGroup(start=15, open=15, close=22, is_legacy=True)
    """
    plain = _PLAIN_GROUP_RE.match(text, offset)
    if plain is not None:
        is_legacy = plain.start(1) < 0
        return HintGroup(plain.start(2) if is_legacy else plain.start(1), plain.start(2), plain.start(3), is_legacy)
    return _lexed_hint_group(text, offset)


def _lexed_hint_group(text: str, offset: int) -> HintGroup | None:
    """:func:`hint_group_after` for any group, read from the lexer's tokens."""
    tokens = significant_tokens(text, offset)  # lazily: only the group itself is lexed
    first = next(tokens, None)
    if first is None:
        return None
    if first.upper == "WITH":
        paren = next(tokens, None)
        if paren is None or paren.upper != "(":
            return None
        close = _matching_paren(paren, tokens)
        return HintGroup(first.start, paren.start, close.start, False) if close else None
    if first.upper == "(":
        close = _matching_paren(first, tokens)
        return HintGroup(first.start, first.start, close.start, True) if close else None
    return None


def hint_items(text: str, start: int, close: int) -> tuple[tuple[str, int, int], ...]:
    """The hints written in the group that starts at ``start`` and closes at ``close``: (upper-cased
    first word, start, end) of each, split at its top-level commas (``INDEX(a, b)`` is one).

    >>> hint_items("t WITH (INDEX(a, b), NOLOCK)", 2, 27)
    (('INDEX', 8, 19), ('NOLOCK', 21, 27))
    """
    items: list[tuple[str, int, int]] = []
    depth, first, last = 0, None, None
    for token in significant_tokens(text, start):
        if token.start >= close:
            break
        if token.upper == "(":
            depth += 1
            if depth == 1:
                continue
        elif token.upper == ")":
            depth -= 1
        elif token.upper == "," and depth == 1:
            if first is not None:
                items.append((first.upper, first.start, last.end))
            first = last = None
            continue
        if depth >= 1:
            first, last = first or token, token
    if first is not None:
        items.append((first.upper, first.start, last.end))
    return tuple(items)


def _matching_paren(opening: Token, following: Iterator[Token]) -> Token | None:
    depth = 0
    for token in itertools.chain((opening,), following):
        if token.upper == "(":
            depth += 1
        elif token.upper == ")":
            depth -= 1
            if depth == 0:
                return token
    return None
