"""``fix_identifier_case``: rewrite a table, column or alias in the catalog's spelling.

The edit replaces exactly the identifier's characters (inside brackets or quotes, which stay),
and only when the written text equals the catalog spelling ignoring case, so no other byte of the
field changes. The fix stage re-parses the statement after the edit (``Reparse`` with no expected
change); if it no longer parses the fix is display-only.

Safety: ``safe`` in general, since in a binary-collation database the wrong-case name does not
bind at all. It is ``unsafe`` when the written table name is also a column name (``FROM APCo``
where the catalog has the APCO parameters view): the writer probably meant something else.
"""
from __future__ import annotations

from vgptlint.fixes.base import fixer
from vgptlint.fixes.verify import Reparse
from vgptlint.functions.base import Context, NoOptions
from vgptlint.functions.sites import IdentifierCaseSite
from vgptlint.model import Applicability, Edit, Fix


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


@fixer("fix_identifier_case", options=NoOptions, site=IdentifierCaseSite)
def fix_identifier_case(value: object, site: IdentifierCaseSite, opts: NoOptions, ctx: Context) -> Fix | None:
    """Respell the identifier the hit points at as the catalog does."""
    if not isinstance(value, str):
        return None
    edit = case_edit(value, site.name.start, site.name.end, site.expected)
    if edit is None:
        return None
    applicability = Applicability.SAFE if site.is_safe else Applicability.UNSAFE
    return Fix(f'write "{site.expected}" for "{value[edit.start:edit.end]}"', applicability, (edit,),
               verify=Reparse(site.statement))
