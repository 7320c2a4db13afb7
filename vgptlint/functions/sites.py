"""Fix sites: what a function knows about where and how its hit could be fixed, typed.

A function attaches one to a :class:`~vgptlint.functions.base.Hit` (``hit.site``); a fixer declares
the site class it reads (``@fixer(..., site=TableHintSite)``) and is called only for hits that
carry one. A hit's ``data`` is for the rule's message template, never for fixers.

Offsets are characters of the decoded string value the function was given (like ``Hit.span``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from vgptlint.model import Span


class HintPlacement(NamedTuple):
    """Where a table hint goes in a statement (a named tuple: a statement's placements are hashed
    once per fix as the key of their joint verification, so hashing must stay in C).

    Args:
        node_index: the table's position among the statement's ``exp.Table`` nodes (``find_all`` order).
        insert_at: just after the table reference (after its alias): where a new ``WITH (…)`` goes.
        hint_start: the ``(`` of its existing hint group, when it has one.
        hint_close: the ``)`` of that group: where another hint is merged in.
        is_legacy_hint: the group is written without ``WITH``.
    """

    node_index: int
    insert_at: int
    hint_start: int | None = None
    hint_close: int | None = None
    is_legacy_hint: bool = False


@dataclass(frozen=True, slots=True)
class TableHintSite:
    """A table read without the required hint (``sql_table_hint``).

    Args:
        table: its name as written.
        statement: the statement it is in.
        placement: where the hint goes.
        statement_placements: the placements of every fixable table of the statement, in order
            (its fixes are verified together, by one re-parse).
        blocked: why no hint may be added (a conflicting lock hint; hints not located), or None.
    """

    table: str
    statement: Span
    placement: HintPlacement
    statement_placements: tuple[HintPlacement, ...] = ()
    blocked: str | None = None


@dataclass(frozen=True, slots=True)
class LegacyHintSite:
    """A hint group written without ``WITH`` (``sql_legacy_hint``): its ``(`` is at ``hint_start``."""

    table: str
    statement: Span
    hint_start: int


@dataclass(frozen=True, slots=True)
class WrittenHintsSite:
    """A table's written hint group (``sql_write_target_hint``): ``group`` spans ``WITH (…)`` (or a
    legacy ``(…)``); ``items`` are its hints in written order, (upper-cased name, start, end);
    ``node_index`` the table's position among the statement's ``exp.Table`` nodes."""

    table: str
    statement: Span
    node_index: int
    group: Span
    items: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class IdentifierCaseSite:
    """An identifier written at ``name`` that the catalog spells ``expected`` (ignoring case), in ``statement``.

    ``is_safe``: False when the respelling may not be what the writer meant (a table name that is
    also a column name).
    """

    expected: str
    name: Span
    statement: Span
    is_safe: bool = True


@dataclass(frozen=True, slots=True)
class KtoLabelSite:
    """A KTO label ``label`` in field ``field`` that the trainer reads only as ``expected``
    ("boolean", "string" or "either")."""

    field: str
    label: object
    expected: str
