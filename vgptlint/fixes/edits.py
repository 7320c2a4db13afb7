"""The one edit applier: every text edit vgptlint makes (a fix on a field, a fix being verified, a
record spliced into its file) goes through :func:`apply_edits`, so "never change a byte we did not
mean to" is proved once (tests/fixes/test_edit_properties.py)."""
from __future__ import annotations

from collections.abc import Iterable

from vgptlint.model import Edit


def apply_edits(text: str, edits: Iterable[Edit], base: int = 0) -> str:
    """Apply non-overlapping edits to ``text``; offsets are relative to ``text`` plus ``base`` (an
    edit of a field applied to one statement of it has ``base`` = the statement's start).

    Every character outside the edits is kept. Two insertions at one offset are applied in the order
    given, the later one first in the text; callers that need a defined order keep them apart
    (:func:`edits_overlap`).

    >>> apply_edits("SELECT a FROM t WHERE x", [Edit(15, 15, " WITH (NOLOCK)")])
    'SELECT a FROM t WITH (NOLOCK) WHERE x'
    >>> apply_edits("abcdef", [Edit(4, 6, "X"), Edit(0, 1, "")])
    'bcdX'
    >>> apply_edits("FROM t", [Edit(106, 106, " x")], base=100)
    'FROM t x'

    Raises:
        ValueError: an edit outside ``text`` or overlapping another.
    """
    pieces = []
    cursor = len(text)
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        start, end = edit.start - base, edit.end - base
        if not 0 <= start <= end <= cursor:
            raise ValueError(f"edit [{edit.start}, {edit.end}) is outside the value or overlaps another")
        pieces.append(text[end:cursor])
        pieces.append(edit.replacement)
        cursor = start
    pieces.append(text[:cursor])
    return "".join(reversed(pieces))


def edits_overlap(a: Edit, b: Edit) -> bool:
    """Two edits conflict when their ranges intersect or both start at the same offset (two
    insertions at one point have no defined order).

    >>> edits_overlap(Edit(0, 2, ""), Edit(2, 2, "x")), edits_overlap(Edit(3, 3, "a"), Edit(3, 3, "b"))
    (False, True)
    """
    return (a.start < b.end and b.start < a.end) or a.start == b.start
