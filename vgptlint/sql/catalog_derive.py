"""From a database's reflected schema to a catalog document: keys, scope, views, relationships.

Pure functions over plain data (``ReflectedTable``), so every rule is testable without a
database; ``vgptlint.sql.catalog_pull`` fills the data from a live one.

What is derived, and why:

- **key**: the primary key; failing that the clustered unique index, then the unique index or
  constraint with the most columns. Vista declares few primary keys: its business keys are
  unique clustered indexes (``biAPTH`` on APCo, Mth, APTrans), beside a one-column ``KeyID`` one.
- **views**: a view ``APTH`` over a table ``bAPTH`` (or ``vSMWorkOrder`` under ``SMWorkOrder``)
  is written once, as the view with ``view_of``; the catalog derives the base table's entry.
  The view takes the table's key, since views have none.
- **company**: the first key column when it is a company column (``APCo``, ``JCCo``, the batch
  tables' ``Co``), else ``<module>Co`` when the table has it (:func:`guess_company`).
  **group**: the first key column of a table without a company when it ends in ``Group``
  (``APVM`` keyed by VendorGroup, Vendor).
- **relationships**: every declared foreign key, plus (unless turned off) one relationship for
  each table whose columns include another table's whole key of two or more columns: Vista
  enforces its joins in triggers, not constraints, so they must be read off the keys. A group
  column in a company-scoped key is optional (HQCO fixes each company's groups), as in
  ``examples/catalog.yaml``. One-column keys are not used: a surrogate (``id``, ``KeyID``) would
  relate every table to every other.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from vgptlint.sql.catalog import guess_company

VIEW_PREFIXES = ("b", "v")
_COMPANY = re.compile(r"(?:[A-Z]{2})?Co")
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Scalars YAML 1.1 or 1.2 would read as booleans or null: quoted when they are names.
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """A declared foreign key: ``columns`` of this table refer to ``referred_columns`` of ``referred_table``."""

    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UniqueKey:
    columns: tuple[str, ...]
    name: str = ""
    is_clustered: bool = False


@dataclass(frozen=True, slots=True)
class ReflectedTable:
    """One table or view as the database describes it (columns in their declared order)."""

    name: str
    columns: tuple[str, ...]
    is_view: bool = False
    primary_key: tuple[str, ...] = ()
    unique_keys: tuple[UniqueKey, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()


@dataclass(frozen=True, slots=True)
class DraftTable:
    name: str
    columns: tuple[str, ...]
    module: str | None = None
    company: str | None = None
    group: str | None = None
    key: tuple[str, ...] = ()
    view_of: str | None = None


@dataclass(frozen=True, slots=True)
class DraftRelationship:
    parent: str
    child: str
    on: tuple[tuple[str, str, bool], ...]  # (parent column, child column, is optional)
    is_declared: bool = False


@dataclass(frozen=True, slots=True)
class CatalogDraft:
    tables: tuple[DraftTable, ...]
    relationships: tuple[DraftRelationship, ...] = field(default=())


def choose_key(table: ReflectedTable) -> tuple[str, ...]:
    """The table's business key.

    >>> choose_key(ReflectedTable("bHQCO", ("HQCo", "KeyID"), unique_keys=(UniqueKey(("KeyID",), "biKeyID"), UniqueKey(("HQCo",), "biHQCO", True))))
    ('HQCo',)
    """
    if table.primary_key:
        return table.primary_key
    if not table.unique_keys:
        return ()
    best = sorted(table.unique_keys, key=lambda u: (not u.is_clustered, -len(u.columns), u.name))[0]
    return best.columns


def company_column(table: str, columns: Sequence[str], key: Sequence[str]) -> str | None:
    """The table's own company column.

    >>> company_column("APTL", ["APCo", "Mth", "APTrans", "APLine", "JCCo"], ["APCo", "Mth", "APTrans", "APLine"])
    'APCo'
    >>> company_column("APVM", ["VendorGroup", "Vendor", "GLCo"], ["VendorGroup", "Vendor"]) is None
    True
    """
    if key and _COMPANY.fullmatch(key[0]):
        return key[0]
    return guess_company(table, list(columns))


def derive_catalog(tables: Iterable[ReflectedTable], infer_relationships: bool = True) -> CatalogDraft:
    """The catalog a set of reflected tables and views describes (see the module docstring)."""
    by_name = {t.name: t for t in tables}
    view_of = _views_over_tables(by_name)
    hidden = set(view_of.values())  # base tables written through their views
    shown_as = {base: view for view, base in view_of.items()}
    drafts: list[DraftTable] = []
    for name in sorted(by_name):
        if name in hidden:
            continue
        table = by_name[name]
        base = by_name.get(view_of.get(name, ""), table)
        key = choose_key(base)
        if not set(key) <= set(table.columns):
            key = ()  # a view that hides part of its table's key has none
        company = company_column(name, table.columns, key)
        group = key[0] if company is None and key and key[0].endswith("Group") else None
        drafts.append(DraftTable(name, table.columns, _module(name, company, group), company, group, key, view_of.get(name)))
    declared = [rel for t in by_name.values() for rel in _declared(t, shown_as)]
    inferred = _inferred(drafts) if infer_relationships else []
    unique: dict[tuple[str, str, tuple[tuple[str, str], ...]], DraftRelationship] = {}
    for rel in declared + inferred:  # a declared key wins over the same one read off the columns
        unique.setdefault((rel.parent, rel.child, tuple((p, c) for p, c, _ in rel.on)), rel)
    columns = {d.name: set(d.columns) for d in drafts}
    relationships = sorted((r for r in unique.values() if _fits(r, columns)), key=lambda r: (r.parent, r.child, r.on))
    return CatalogDraft(tuple(drafts), tuple(relationships))


def _fits(rel: DraftRelationship, columns: Mapping[str, set[str]]) -> bool:
    """Both ends are in the catalog with the related columns (a view may hide some of its table's)."""
    parent, child = columns.get(rel.parent), columns.get(rel.child)
    return parent is not None and child is not None and all(p in parent and c in child for p, c, _ in rel.on)


def _views_over_tables(by_name: Mapping[str, ReflectedTable]) -> dict[str, str]:
    found = {}
    for view in by_name.values():
        if not view.is_view:
            continue
        for prefix in VIEW_PREFIXES:
            base = by_name.get(prefix + view.name)
            if base is not None and not base.is_view:
                found[view.name] = base.name
                break
    return found


def _module(name: str, company: str | None, group: str | None) -> str | None:
    """Vista's module is the first two letters of the name, when the table is scoped at all."""
    if company is None and group is None:
        return None
    if company and company != "Co":
        return company[:-2]
    return name[:2] if re.fullmatch(r"[A-Z]{2}", name[:2]) else None


def _declared(table: ReflectedTable, shown_as: Mapping[str, str]) -> list[DraftRelationship]:
    child = shown_as.get(table.name, table.name)
    return [DraftRelationship(shown_as.get(fk.referred_table, fk.referred_table), child,
                              tuple((p, c, False) for p, c in zip(fk.referred_columns, fk.columns)), True)
            for fk in table.foreign_keys if fk.columns and len(fk.columns) == len(fk.referred_columns)]


def _inferred(drafts: Sequence[DraftTable]) -> list[DraftRelationship]:
    found = []
    for parent in drafts:
        if len(parent.key) < 2:
            continue
        wanted = set(parent.key)
        for child in drafts:
            if child.name == parent.name or not wanted <= set(child.columns) or set(child.key) == wanted:
                continue
            found.append(DraftRelationship(parent.name, child.name, tuple((c, c, _is_optional(c, parent)) for c in parent.key)))
    return found


def _is_optional(column: str, parent: DraftTable) -> bool:
    return parent.company is not None and column != parent.company and column.endswith("Group")


# ---------------------------------------------------------------------------- YAML


def render_catalog(draft: CatalogDraft, header: Sequence[str] = ()) -> str:
    """The catalog as YAML in the shape of ``examples/catalog.yaml`` (one flow list per table).

    >>> print(render_catalog(CatalogDraft((DraftTable("T", ("a", "Receiver#", "yes"), key=("a",)),))), end="")
    tables:
      T:
        key: [a]
        columns: [a, "Receiver#", "yes"]
    """
    lines = [f"# {text}" if text else "#" for text in header]
    lines.append("tables:")
    for table in draft.tables:
        lines.append(f"  {_scalar(table.name)}:")
        for label, value in (("module", table.module), ("company", table.company), ("group", table.group)):
            if value is not None:
                lines.append(f"    {label}: {_scalar(value)}")
        if table.key:
            lines.append(f"    key: {_flow(table.key)}")
        if table.view_of:
            lines.append(f"    view_of: {_scalar(table.view_of)}")
        lines.append(f"    columns: {_flow(table.columns)}")
    if draft.relationships:
        lines.append("relationships:")
        for rel in draft.relationships:
            on = ", ".join(_pair(parent, child, optional) for parent, child, optional in rel.on)
            lines.append(f"  - {{parent: {_scalar(rel.parent)}, child: {_scalar(rel.child)}, on: [{on}]}}")
    return "\n".join(lines) + "\n"


def _pair(parent: str, child: str, is_optional: bool) -> str:
    if parent == child:
        return f"{{column: {_scalar(parent)}, optional: true}}" if is_optional else _scalar(parent)
    return f"{{parent: {_scalar(parent)}, child: {_scalar(child)}}}"


def _flow(names: Sequence[str]) -> str:
    return "[" + ", ".join(_scalar(n) for n in names) + "]"


def _scalar(name: str) -> str:
    """A name as a YAML scalar: plain when safe, else JSON-quoted (a JSON string is valid YAML)."""
    if _PLAIN_NAME.fullmatch(name) and name.lower() not in _YAML_WORDS:
        return name
    return json.dumps(name, ensure_ascii=False)
