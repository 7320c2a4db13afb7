"""``vgptlint catalog pull``: read a live database's schema through SQLAlchemy's inspector.

Any SQLAlchemy URL works (``mssql+pyodbc://…`` for Vista on SQL Server, ``sqlite:///file.db``,
``postgresql://…``); the driver is the user's to install, SQLAlchemy comes with the ``db`` extra.
Tables and views of one schema (the connection's default unless named) are read with the
inspector's ``get_multi_*`` calls (a few queries in all where the dialect batches them, as
PostgreSQL's does; table by table elsewhere) and turned into a catalog by
``vgptlint.sql.catalog_derive``. Nothing is written to the database. Tested here on SQLite only:
no SQL Server runs on this machine (see docs/catalog.md).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from vgptlint.errors import UsageError, VgptlintError
from vgptlint.sql.catalog_derive import (CatalogDraft, ForeignKey, ReflectedTable, UniqueKey, derive_catalog,
                                         render_catalog)

INSTALL_HINT = 'pip install "vgptlint[db]"'


@dataclass(frozen=True, slots=True)
class PulledCatalog:
    """The catalog text and what it holds (for the command's summary line)."""

    text: str
    draft: CatalogDraft
    source: str  # the URL with its password hidden


def pull_catalog(url: str, schema: str | None = None, infer_relationships: bool = True) -> PulledCatalog:
    """Read ``url``'s tables, views, keys and foreign keys; return the catalog YAML.

    Raises:
        UsageError: SQLAlchemy or the driver is missing, the URL is malformed, or the schema is empty.
        VgptlintError: the database cannot be reached or read.
    """
    sqlalchemy = _import_sqlalchemy()
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except sqlalchemy.exc.ArgumentError as exc:
        raise UsageError(f'"{url}" is not a database URL ({exc}); expected dialect+driver://user:password@host/database') from None
    shown = parsed.render_as_string(hide_password=True)
    _refuse_missing_sqlite_file(parsed, shown)
    try:
        engine = sqlalchemy.create_engine(parsed)
    except sqlalchemy.exc.NoSuchModuleError:
        raise UsageError(f'{shown}: SQLAlchemy has no dialect "{parsed.drivername}"; see docs/catalog.md for URLs') from None
    except ImportError as exc:
        raise UsageError(f"{shown}: the database driver is not installed ({exc}); install it (pyodbc for mssql+pyodbc)") from None
    try:
        with engine.connect() as connection:
            tables = read_tables(sqlalchemy.inspect(connection), schema)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise VgptlintError(f"{shown}: cannot read the schema: {reason}") from None
    finally:
        engine.dispose()
    if not tables:
        where = f'schema "{schema}"' if schema else "the default schema"
        raise UsageError(f"{shown}: {where} has no tables or views; nothing to write (choose one with --schema)")
    draft = derive_catalog(tables, infer_relationships)
    header = [f"Pulled by vgptlint catalog pull from {shown}" + (f", schema {schema}" if schema else ""),
              f"{len(draft.tables)} tables and views, {len(draft.relationships)} relationships "
              + ("(declared foreign keys and keys read off the columns)" if infer_relationships else "(declared foreign keys)"),
              "Regenerate rather than edit; put site additions in an overlay file (docs/catalog.md)."]
    return PulledCatalog(render_catalog(draft, header), draft, shown)


def read_tables(inspector, schema: str | None) -> list[ReflectedTable]:
    """Tables and views of one schema, with keys, unique indexes and foreign keys."""
    from sqlalchemy.engine.reflection import ObjectKind

    kinds = ObjectKind.TABLE | ObjectKind.VIEW
    columns = inspector.get_multi_columns(schema=schema, kind=kinds)
    views = set(inspector.get_view_names(schema=schema))
    primary = inspector.get_multi_pk_constraint(schema=schema)
    foreign = inspector.get_multi_foreign_keys(schema=schema)
    indexes = inspector.get_multi_indexes(schema=schema)
    uniques = _unique_constraints(inspector, schema)
    found = []
    for (_, name), described in sorted(columns.items(), key=lambda item: item[0][1]):
        key = (schema, name) if (schema, name) in primary else (None, name)
        unique = [UniqueKey(tuple(i["column_names"]), i.get("name") or "", bool(i.get("dialect_options", {}).get("mssql_clustered")))
                  for i in indexes.get(key, []) if i.get("unique") and None not in i["column_names"]]
        unique += [UniqueKey(tuple(u["column_names"]), u.get("name") or "") for u in uniques.get(key, [])]
        found.append(ReflectedTable(
            name, tuple(c["name"] for c in described), name in views,
            tuple((primary.get(key) or {}).get("constrained_columns") or ()), tuple(unique),
            tuple(ForeignKey(tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                  for f in foreign.get(key, []) if f.get("referred_schema") in (None, schema))))
    return found


def _unique_constraints(inspector, schema: str | None) -> dict:
    try:
        return inspector.get_multi_unique_constraints(schema=schema)
    except NotImplementedError:  # some dialects report unique constraints only as indexes
        return {}


def _refuse_missing_sqlite_file(parsed, shown: str) -> None:
    """SQLite creates a missing file on connect: a typo would pull an empty catalog."""
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:" and not database.startswith("file:"):
        if not os.path.exists(database):
            raise UsageError(f'{shown}: the SQLite file "{database}" does not exist')


def _import_sqlalchemy():
    try:
        import sqlalchemy
        import sqlalchemy.engine.reflection  # noqa: F401  (ObjectKind, SQLAlchemy 2.0+)
    except ImportError:
        raise UsageError(f"catalog pull needs SQLAlchemy 2.0 or later: {INSTALL_HINT}") from None
    return sqlalchemy
