"""The catalog's value types, apart from :class:`~vgptlint.sql.catalog.Catalog`: the loaders
(:mod:`vgptlint.sql.catalog_load`) build them and the catalog merges them, so both import them from here."""
from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from vgptlint.errors import Problem


@dataclass(frozen=True, slots=True)
class TableInfo:
    """One table or view.

    ``company`` is the table's own company column (None for group-keyed masters and global
    lookups); ``view_of`` names the base table a view wraps; ``base_of`` is set on the derived
    entry for that base table and names its view.
    """

    name: str
    columns: tuple[str, ...]
    module: str | None = None
    company: str | None = None
    key: tuple[str, ...] = ()
    view_of: str | None = None
    base_of: str | None = None
    column_types: Mapping[str, str] = field(default_factory=dict, compare=False)
    is_company_guessed: bool = False
    # Precomputed lookups (a table is consulted for every column reference).
    _column_set: frozenset[str] = field(init=False, repr=False, compare=False)
    _column_folds: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        folds: dict[str, str] = {}
        for column in self.columns:
            folds.setdefault(column.casefold(), column)
        object.__setattr__(self, "_column_set", frozenset(self.columns))
        object.__setattr__(self, "_column_folds", folds)

    def has_column(self, name: str) -> bool:
        return name in self._column_set

    def column_case(self, name: str) -> str | None:
        """The catalog spelling of ``name`` when it matches only case-insensitively."""
        if name in self._column_set:
            return None
        return self._column_folds.get(name.casefold())


@dataclass(frozen=True, slots=True)
class KeyPair:
    """One equated column pair of a relationship (names may differ: PREH.Employee = HRRM.PREmp)."""

    parent: str
    child: str
    is_optional: bool = False


@dataclass(frozen=True, slots=True)
class Relationship:
    parent: str
    child: str
    on: tuple[KeyPair, ...]
    origin: tuple[str, int, int] | None = field(default=None, compare=False)  # file, line, column


@dataclass(frozen=True, slots=True)
class CatalogPart:
    """What one file contributes before merging; ``explicit`` records which table fields it set."""

    source: str
    tables: Mapping[str, TableInfo]
    explicit: Mapping[str, frozenset[str]]
    relationships: tuple[Relationship, ...]


def relationship_problems(rel: Relationship, tables: Mapping[str, TableInfo]) -> list[Problem]:
    source, line, column = rel.origin or ("<catalog>", 1, 1)
    problems = []
    for end, name in (("parent", rel.parent), ("child", rel.child)):
        table = tables.get(name)
        if table is None:
            close = difflib.get_close_matches(name, list(tables), n=1)
            hint = f'did you mean "{close[0]}"?' if close else None
            problems.append(Problem(source, line, column, "catalog-unknown-table", f'relationship {rel.parent} -> {rel.child}: {end} "{name}" is not a table of the catalog', hint))
            continue
        for pair in rel.on:
            wanted = pair.parent if end == "parent" else pair.child
            if not table.has_column(wanted):
                spelled = table.column_case(wanted)
                hint = f'the column is spelled "{spelled}" (names are case-sensitive)' if spelled else None
                problems.append(Problem(source, line, column, "catalog-unknown-column", f'relationship {rel.parent} -> {rel.child}: "{wanted}" is not a column of {end} {name}', hint))
    return problems


def guess_company(table: str, columns: Sequence[str]) -> str | None:
    """The company column a CSV catalog cannot state: ``<module>Co`` when the table has it,
    else a leading ``Co`` (batch tables).

    >>> guess_company("bAPTH", ["APCo", "Mth", "APTrans"])
    'APCo'
    >>> guess_company("APVM", ["VendorGroup", "Vendor", "GLCo"]) is None
    True
    """
    stem = table[1:] if table[:1] in ("b", "v") and table[1:3].isupper() else table
    own = stem[:2] + "Co"
    if own in columns:
        return own
    if columns and columns[0] == "Co":
        return "Co"
    return None
