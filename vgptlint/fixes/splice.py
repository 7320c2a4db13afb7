"""Rewrite a record's raw JSON text with the fewest changed bytes.

When a fix only changed scalar values that were already there (the usual case: an edited string,
a relabelled ``label``), only the changed characters of those values are replaced in the raw text:
inside a string, the common prefix and suffix of the old and new values keep their exact bytes,
escapes included. Anything else (a new field, a changed structure) re-serializes the whole record
in the file's own style (:func:`~vgptlint.inputs.style.render_record`). Every result is decoded
again and must equal the intended record, or the whole-record rendering is used instead.
"""
from __future__ import annotations

import json

from vgptlint.fixes.edits import apply_edits
from vgptlint.inputs.locate import raw_offset, value_range
from vgptlint.inputs.records import FileInfo
from vgptlint.inputs.style import render_record
from vgptlint.model import Edit

SCALARS = (str, int, float, bool, type(None))
Leaf = tuple[tuple, object, object]  # (path, old value, new value)


def same_json(a: object, b: object) -> bool:
    """Equal as JSON documents, key order and ``true``/``1`` included.

    >>> same_json({"a": 1, "b": 2}, {"b": 2, "a": 1}), same_json([True], [1]), same_json({"x": "é"}, {"x": "é"})
    (False, False, True)
    """
    return json.dumps(a, ensure_ascii=True, allow_nan=True) == json.dumps(b, ensure_ascii=True, allow_nan=True)


def changed_leaves(old: object, new: object, path: tuple = ()) -> list[Leaf] | None:
    """The scalar values that differ, when the structure (keys, their order, lengths) is the same;
    None when it is not, or when a value changed to or from an object or array.

    >>> changed_leaves({"a": "x", "b": [1, 2]}, {"a": "y", "b": [1, 3]})
    [(('a',), 'x', 'y'), (('b', 1), 2, 3)]
    >>> changed_leaves({"a": 1}, {"a": 1, "c": 2}) is None
    True
    """
    if isinstance(old, dict) and isinstance(new, dict):
        if list(old) != list(new):
            return None
        leaves: list[Leaf] = []
        for key in old:
            found = changed_leaves(old[key], new[key], (*path, key))
            if found is None:
                return None
            leaves.extend(found)
        return leaves
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return None
        leaves = []
        for index, (a, b) in enumerate(zip(old, new)):
            found = changed_leaves(a, b, (*path, index))
            if found is None:
                return None
            leaves.extend(found)
        return leaves
    if isinstance(old, SCALARS) and isinstance(new, SCALARS):
        return [] if same_json(old, new) else [(path, old, new)]
    return None


def escape_text(text: str, info: FileInfo) -> str:
    """``text`` as the inside of a JSON string literal, in the file's ``ensure_ascii`` style.

    Lone surrogates are always escaped: written raw they would not be valid UTF-8.

    >>> escape_text('a"é\\n', FileInfo("jsonl", ensure_ascii=True)), escape_text("é", FileInfo("jsonl"))
    ('a\\\\"\\\\u00e9\\\\n', 'é')
    """
    ascii_only = bool(info.ensure_ascii) or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)
    return json.dumps(text, ensure_ascii=ascii_only)[1:-1]


def render_scalar(value: object, info: FileInfo) -> str:
    if isinstance(value, str):
        return '"' + escape_text(value, info) + '"'
    return json.dumps(value)


def common_affixes(old: str, new: str) -> tuple[int, int]:
    """Lengths of the common prefix and of the common suffix (not overlapping the prefix).

    >>> common_affixes("abXcd", "abYYcd"), common_affixes("aa", "aaa")
    ((2, 2), (2, 0))
    """
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return prefix, suffix


def string_splice(raw_text: str, start: int, end: int, old: str, new: str, info: FileInfo) -> tuple[int, int, str] | None:
    """Replace only the changed middle of the string literal at ``raw_text[start:end]``."""
    body = raw_text[start + 1 : end - 1]
    prefix, suffix = common_affixes(old, new)
    raw_start = raw_offset(body, prefix)
    raw_end = raw_offset(body, len(old) - suffix)
    if raw_start is None or raw_end is None:
        return None
    return start + 1 + raw_start, start + 1 + raw_end, escape_text(new[prefix : len(new) - suffix], info)


def rewrite_record_text(old_text: str, old_data: object, new_data: object, info: FileInfo, base_indent: str = "") -> str:
    """The raw text of the record after its fixes, as close to ``old_text`` as possible.

    Args:
        old_text: the record's raw JSON text as it is in the file.
        old_data: its decoded data.
        new_data: the data after fixing.
        info: the file's style.
        base_indent: whitespace before the record on its first line (pretty JSON arrays).
    """
    spliced = _splice_leaves(old_text, old_data, new_data, info)
    if spliced is not None:
        return spliced
    rendered = render_record(new_data, info, base_indent)
    try:
        if same_json(json.loads(rendered), new_data):
            return rendered
    except ValueError:
        pass
    # A lone surrogate written raw cannot round-trip: fall back to escaping everything.
    return render_record(new_data, FileInfo(**{**_fields(info), "ensure_ascii": True}), base_indent)


def _fields(info: FileInfo) -> dict:
    return {name: getattr(info, name) for name in info.__slots__}


def _splice_leaves(old_text: str, old_data: object, new_data: object, info: FileInfo) -> str | None:
    leaves = changed_leaves(old_data, new_data)
    if leaves is None:
        return None
    replacements = []
    for path, old, new in leaves:
        found = value_range(old_text, path)
        if found is None:
            return None
        start, end = found
        piece = None
        if isinstance(old, str) and isinstance(new, str):
            piece = string_splice(old_text, start, end, old, new, info)
        replacements.append(Edit(*(piece or (start, end, render_scalar(new, info)))))
    try:
        result = apply_edits(old_text, replacements)
        return result if same_json(json.loads(result), new_data) else None
    except ValueError:
        return None
