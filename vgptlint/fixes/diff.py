"""``--diff``: a unified diff of what ``--fix`` would change, file by file (git's ``a/``/``b/`` paths).

``difflib`` alone needs 15 s for a 300,000-line pretty-printed array, whose lines (``  },``,
``"input": ""``) repeat everywhere. Fixes change a few lines at scattered places, so the two texts
are walked together: equal lines are skipped in one pass, and at each difference the next point
where three lines agree again is looked up nearby; only the small window in between goes through
``difflib``. Hunks are then laid out like ``diff -u`` (three lines of context, merged when close).
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable

SYNC_LINES = 3
SEARCH_WINDOW = 2000

Opcode = tuple[str, int, int, int, int]


def unified_diff(path: str, old_text: str, new_text: str, context: int = 3) -> str:
    """The unified diff of one file; "" when nothing changes.

    A last line without a newline is marked as ``diff`` marks it, so ``patch`` can apply the output.

    >>> print(unified_diff("d.jsonl", '{"a": 1}\\n{"b": 2}\\n', '{"a": 1}\\n{"b": 3}\\n'), end="")
    --- a/d.jsonl
    +++ b/d.jsonl
    @@ -1,2 +1,2 @@
     {"a": 1}
    -{"b": 2}
    +{"b": 3}
    """
    if old_text == new_text:
        return ""
    old, new = split_lines(old_text), split_lines(new_text)
    out = [f"--- a/{path}\n", f"+++ b/{path}\n"]
    for group in group_opcodes(line_opcodes(old, new), context):
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(_marked(" ", old[i1:i2]))
                continue
            out.extend(_marked("-", old[i1:i2]))
            out.extend(_marked("+", new[j1:j2]))
    return "".join(out)


def split_lines(text: str) -> list[str]:
    """Lines with their ``\\n``, split on ``\\n`` only (a U+2028 inside a JSON string is no line break)."""
    pieces = text.split("\n")
    lines = [p + "\n" for p in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


def line_opcodes(old: list[str], new: list[str]) -> list[Opcode]:
    """``SequenceMatcher.get_opcodes()`` for the two line lists, computed window by window."""
    ops: list[Opcode] = []
    i = j = 0
    while i < len(old) or j < len(new):
        start_i, start_j = i, j
        while i < len(old) and j < len(new) and old[i] == new[j]:
            i, j = i + 1, j + 1
        if i > start_i:
            ops.append(("equal", start_i, i, start_j, j))
        if i == len(old) and j == len(new):
            break
        sync = _next_sync(old, new, i, j)
        end_i, end_j = sync if sync is not None else (len(old), len(new))
        if sync is None and end_i - i + end_j - j > 2 * SEARCH_WINDOW:
            ops.append(("replace", i, end_i, j, end_j))  # a shuffle: everything differs
        else:
            matcher = difflib.SequenceMatcher(None, old[i:end_i], new[j:end_j], autojunk=False)
            ops.extend((tag, i + a1, i + a2, j + b1, j + b2) for tag, a1, a2, b1, b2 in matcher.get_opcodes())
        i, j = end_i, end_j
    return _merge_equal(ops)


def _next_sync(old: list[str], new: list[str], i: int, j: int) -> tuple[int, int] | None:
    """The nearest (by lines skipped on both sides) point after a difference where SYNC_LINES lines agree.

    Small windows first: most fixes change one line of one record.
    """
    for window in (8, 64, 512, SEARCH_WINDOW):
        found = _sync_within(old, new, i, j, window)
        if found is not None or window >= max(len(old) - i, len(new) - j):
            return found
    return None


def _sync_within(old: list[str], new: list[str], i: int, j: int, window: int) -> tuple[int, int] | None:
    positions: dict[str, list[int]] = {}
    for b in range(j, min(len(new), j + window)):
        positions.setdefault(new[b], []).append(b)
    best = None
    for a in range(i, min(len(old), i + window)):
        if best is not None and a - i >= best[0]:
            break
        for b in positions.get(old[a], ()):
            if _agree(old, new, a, b):
                cost = (a - i) + (b - j)
                if best is None or cost < best[0]:
                    best = (cost, a, b)
                break  # later b cost more for this a
    return None if best is None else (best[1], best[2])


def _agree(old: list[str], new: list[str], a: int, b: int) -> bool:
    """SYNC_LINES equal lines from (a, b), or equal lines up to both ends."""
    old_part, new_part = old[a : a + SYNC_LINES], new[b : b + SYNC_LINES]
    if old_part != new_part:
        return False
    return len(old_part) == SYNC_LINES or (a + len(old_part) == len(old) and b + len(new_part) == len(new))


def _merge_equal(ops: list[Opcode]) -> list[Opcode]:
    merged: list[Opcode] = []
    for op in ops:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if merged and merged[-1][0] == op[0] == "equal":
            tag, i1, _, j1, _ = merged[-1]
            merged[-1] = (tag, i1, op[2], j1, op[4])
        else:
            merged.append(op)
    return merged


def group_opcodes(ops: list[Opcode], context: int) -> list[list[Opcode]]:
    """Hunks: the changes with ``context`` equal lines around them, merged when they touch."""
    matcher = difflib.SequenceMatcher(None, "", "")
    matcher.get_opcodes = lambda: list(ops) or [("equal", 0, 1, 0, 1)]  # reuse difflib's grouping
    return [group for group in matcher.get_grouped_opcodes(context) if any(op[0] != "equal" for op in group)]


def _range(start: int, stop: int) -> str:
    """``diff -u``'s ``start,length`` (1-based; an empty range names the line before it)."""
    length = stop - start
    first = start + 1
    if length == 1:
        return f"{first}"
    if length == 0:
        first -= 1
    return f"{first},{length}"


def _marked(prefix: str, lines: list[str]) -> Iterable[str]:
    for line in lines:
        yield prefix + line if line.endswith("\n") else prefix + line + "\n\\ No newline at end of file\n"


def diff_files(changes: Iterable[tuple[str, str, str]]) -> str:
    """Concatenated diffs of ``(path, old_text, new_text)``."""
    return "".join(unified_diff(path, old, new) for path, old, new in changes)
