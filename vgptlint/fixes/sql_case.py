"""``fix_identifier_case``: rewrite a table, column or alias in the catalog's spelling.

The edit replaces exactly the identifier's characters (inside brackets or quotes, which stay),
and only when the written text equals the catalog spelling ignoring case, so no other byte of the
field changes. The statement is re-parsed after the edit; if it no longer parses the fix is
display-only.

Safety: ``safe`` in general, since in a binary-collation database the wrong-case name does not
bind at all. It is ``unsafe`` when the written table name is also a column name (``FROM APCo``
where the catalog has the APCO parameters view): the writer probably meant something else.
"""
from __future__ import annotations

from vgptlint.fixes.base import fixer, is_verification_deferred
from vgptlint.functions.base import Context, Hit, NoOptions
from vgptlint.model import Applicability, Edit, Fix
from vgptlint.sql.extract import extract_sql
from vgptlint.sql.parse import ParsedStatement, parse_statement


def case_edit(value: str, start: int, end: int, expected: str) -> Edit | None:
    """The edit that respells ``value[start:end]`` as ``expected``, or None if that would change
    more than letter case.

    >>> case_edit("SELECT apco FROM APTH", 7, 11, "APCo")
    Edit(start=7, end=11, replacement='APCo')
    >>> case_edit("SELECT apco FROM APTH", 7, 11, "APTrans") is None
    True
    """
    written = value[start:end]
    if not (0 <= start < end <= len(value)) or written == expected or written.casefold() != expected.casefold():
        return None
    return Edit(start, end, expected)


@fixer("fix_identifier_case", options=NoOptions)
def fix_identifier_case(value: object, hit: Hit, opts: NoOptions, ctx: Context) -> Fix | None:
    """Respell the identifier the hit points at as the catalog does."""
    expected = hit.data.get("expected")
    if not isinstance(value, str) or hit.span is None or not isinstance(expected, str):
        return None
    edit = case_edit(value, hit.span.start, hit.span.end, expected)
    if edit is None:
        return None
    title = f'write "{expected}" for "{value[edit.start:edit.end]}"'
    if not is_verification_deferred(ctx) and not _still_parses(value, edit, ctx.dialect or "tsql"):
        return Fix(f"not fixed: {title} would not parse", Applicability.DISPLAY_ONLY, (edit,))
    applicability = Applicability.SAFE if hit.data.get("is_safe", True) else Applicability.UNSAFE
    return Fix(title, applicability, (edit,))


def _still_parses(value: str, edit: Edit, dialect: str) -> bool:
    for statement in extract_sql(value):
        if statement.start <= edit.start and edit.end <= statement.end:
            offset = edit.start - statement.start
            text = statement.text[:offset] + edit.replacement + statement.text[offset + edit.end - edit.start:]
            parsed = parse_statement(text, dialect)
            return isinstance(parsed, ParsedStatement) and not parsed.not_analyzed
    return False
