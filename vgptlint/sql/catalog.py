"""The schema catalog: which tables and columns exist, how tables are scoped and joined.

A catalog comes from a YAML/JSON file (tables with module, company column, key, columns and the
base table a view wraps, plus relationships) or from a CSV export of
``INFORMATION_SCHEMA.COLUMNS`` (columns only). Several files merge into one: a generic catalog
first, then per-site overlays that add ``ud…`` tables or user columns.

Lookups are case-sensitive, because Vista databases use a binary collation (``APCo`` is not
``APCO``); a case-insensitive index answers "did you mean" and wrong-case questions.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache

from vgptlint.errors import PolicyError, Problem
from vgptlint.sql.catalog_load import parse_catalog_document, parse_columns_csv
from vgptlint.sql.catalog_types import (CatalogPart, KeyPair, Relationship, TableInfo, guess_company,
                                        relationship_problems)


class Catalog:
    """Tables and relationships with exact and case-folded indexes. Hashable by identity so
    analyses can be cached per catalog."""

    def __init__(self, tables: Mapping[str, TableInfo], relationships: Sequence[Relationship] = (), sources: Sequence[str] = ()):
        self.sources = tuple(sources)
        self.tables: dict[str, TableInfo] = dict(tables)
        # A view's base table (bAPTH under APTH) exists too, with the same columns and scope.
        for view in list(self.tables.values()):
            if view.view_of and view.view_of not in self.tables:
                self.tables[view.view_of] = replace(view, name=view.view_of, view_of=None, base_of=view.name)
        self._folded: dict[str, list[str]] = {}
        for name in self.tables:
            self._folded.setdefault(name.casefold(), []).append(name)
        self.relationships = tuple(relationships)
        self._relations: dict[tuple[str, str], list[Relationship]] = {}
        for rel in self.relationships:
            self._relations.setdefault((rel.parent, rel.child), []).append(rel)
        self._column_owners: dict[str, list[str]] | None = None

    def __repr__(self) -> str:
        return f"Catalog({len(self.tables)} tables, {len(self.relationships)} relationships)"

    def table(self, name: str) -> TableInfo | None:
        """The table spelled exactly ``name``; a base table resolves to its own entry."""
        return self.tables.get(name)

    def table_case(self, name: str) -> str | None:
        """The one catalog spelling of ``name`` when it matches only case-insensitively."""
        if name in self.tables:
            return None
        spellings = self._folded.get(name.casefold(), [])
        return spellings[0] if len(spellings) == 1 else None

    def view_for_base(self, name: str, prefixes: Iterable[str] = ("b",)) -> str | None:
        """The view over base table ``name`` (``bAPTH`` → ``APTH``), from ``view_of`` or the prefix."""
        entry = self.tables.get(name)
        if entry is not None and entry.base_of:
            return entry.base_of
        for prefix in prefixes:
            if prefix and name.startswith(prefix) and len(name) > len(prefix):
                stripped = name[len(prefix):]
                view = self.tables.get(stripped)
                if view is not None and (view.view_of in (None, name)):
                    return stripped
        return None

    def tables_with_column(self, column: str) -> list[str]:
        """Names of tables (views, not derived base entries) that have ``column``."""
        if self._column_owners is None:
            owners: dict[str, list[str]] = {}
            for table in self.tables.values():
                if table.base_of:
                    continue
                for name in table.columns:
                    owners.setdefault(name, []).append(table.name)
            self._column_owners = owners
        return self._column_owners.get(column, [])

    def relationships_between(self, left: str, right: str) -> list[tuple[Relationship, bool]]:
        """Relationships joining two tables, each with True when ``left`` is the parent.

        Base tables count as their views (``bAPTH`` joins like ``APTH``)."""
        a, b = self._as_view(left), self._as_view(right)
        found = [(rel, True) for rel in self._relations.get((a, b), [])]
        if a != b:
            found += [(rel, False) for rel in self._relations.get((b, a), [])]
        return found

    def _as_view(self, name: str) -> str:
        entry = self.tables.get(name)
        return entry.base_of if entry is not None and entry.base_of else name


# ---------------------------------------------------------------------------- loading


def load_catalog(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> Catalog:
    """Load one catalog file, or several merged in order (later files overlay earlier ones).

    Raises:
        PolicyError: every located problem in the files.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    key = tuple((os.fspath(p), _mtime(p)) for p in paths)
    return _load_cached(key)


load_catalogs = load_catalog  # the engine's name for loading several overlaid files


def _mtime(path: str | os.PathLike) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0


@lru_cache(maxsize=16)
def _load_cached(key: tuple[tuple[str, float], ...]) -> Catalog:
    parts = [read_catalog_file(path) for path, _ in key]
    return merge_catalogs(parts)


def read_catalog_file(path: str | os.PathLike) -> CatalogPart:
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except OSError as exc:
        raise PolicyError([Problem(source, 1, 1, "catalog-unreadable", f"cannot read the catalog: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        raise PolicyError([Problem(source, 1, 1, "invalid-utf8", f"the catalog is not valid UTF-8: {exc.reason} at byte {exc.start}")]) from None
    if source.lower().endswith((".csv", ".tsv", ".txt")):
        return parse_columns_csv(text, source)
    return parse_catalog_document(text, source)


def merge_catalogs(parts: Sequence[CatalogPart]) -> Catalog:
    """Merge catalog parts in order: a later part adds tables and columns, and the fields it
    states explicitly (module, company, key, view_of) override earlier ones."""
    tables: dict[str, TableInfo] = {}
    relationships: dict[tuple[str, str, tuple[KeyPair, ...]], Relationship] = {}
    for part in parts:
        for name, table in part.tables.items():
            earlier = tables.get(name)
            tables[name] = table if earlier is None else _overlay(earlier, table, part.explicit.get(name, frozenset()))
        for rel in part.relationships:
            relationships[(rel.parent, rel.child, rel.on)] = rel
    problems = [p for rel in relationships.values() for p in relationship_problems(rel, tables)]
    if problems:
        raise PolicyError(problems)
    return Catalog(tables, list(relationships.values()), [p.source for p in parts])


def _overlay(earlier: TableInfo, later: TableInfo, explicit: frozenset[str]) -> TableInfo:
    columns = earlier.columns + tuple(c for c in later.columns if not earlier.has_column(c))
    changes: dict[str, object] = {"columns": columns, "column_types": {**earlier.column_types, **later.column_types}}
    for name in ("module", "company", "key", "view_of"):
        if name in explicit:
            changes[name] = getattr(later, name)
    if "company" in changes:
        changes["is_company_guessed"] = later.is_company_guessed
    return replace(earlier, **changes)


def catalog_from_mapping(data: Mapping[str, object], source: str = "<catalog>") -> Catalog:
    """Build a catalog from an in-memory mapping of the YAML shape (tests, embedding)."""
    return merge_catalogs([parse_catalog_document(json.dumps(data), source)])


def catalog_from_csv_text(text: str, source: str = "<catalog>") -> Catalog:
    return merge_catalogs([parse_columns_csv(text, source)])


__all__ = [
    "Catalog",
    "CatalogPart",
    "KeyPair",
    "Relationship",
    "TableInfo",
    "catalog_from_csv_text",
    "catalog_from_mapping",
    "guess_company",
    "load_catalog",
    "load_catalogs",
    "merge_catalogs",
    "read_catalog_file",
]
