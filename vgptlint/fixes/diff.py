"""``--diff``: a unified diff of what ``--fix`` would change, file by file (git's ``a/``/``b/`` paths)."""
from __future__ import annotations

import difflib
from collections.abc import Iterable


def unified_diff(path: str, old_text: str, new_text: str, context: int = 3) -> str:
    """The unified diff of one file; "" when nothing changes.

    A last line without a newline is marked as ``diff`` marks it, so the output stays one line
    per line and ``patch`` can apply it.

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
    old_lines = _lines(old_text)
    new_lines = _lines(new_text)
    out = []
    for line in difflib.unified_diff(old_lines, new_lines, f"a/{path}", f"b/{path}", n=context):
        if line.startswith(("---", "+++")):
            line = line.rstrip("\n") + "\n"
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _lines(text: str) -> list[str]:
    """Split on ``\\n`` only (a U+2028 inside a JSON string is not a line break)."""
    pieces = text.split("\n")
    lines = [p + "\n" for p in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


def diff_files(changes: Iterable[tuple[str, str, str]]) -> str:
    """Concatenated diffs of ``(path, old_text, new_text)``."""
    return "".join(unified_diff(path, old, new) for path, old, new in changes)
