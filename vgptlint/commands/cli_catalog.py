"""``vgptlint catalog pull``: write a schema catalog read from a live database (docs/catalog.md).

Registered on the main group by name (``vgptlint.commands.cli.COMMAND_MODULES``), like ``vgptlint.commands.cli_stats``.
"""
from __future__ import annotations

import os

import click

from vgptlint.commands.output import handle_errors
from vgptlint.errors import UsageError
from vgptlint.fixes.write import WriteRefused, write_atomically
from vgptlint.sql.catalog_pull import pull_catalog


@click.group()
def catalog() -> None:
    """Schema catalogs for the sql_catalog rules."""


@catalog.command()
@click.argument("url")
@click.option("--output", "-o", default="catalog.yaml", show_default=True,
              help="Catalog file to write (- for standard output). An existing file is kept unless --force.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--schema", default=None, help="Database schema to read (default: the connection's, e.g. dbo).")
@click.option("--infer-relationships/--declared-relationships-only", default=True, show_default=True,
              help="Also relate tables whose columns hold another table's whole key (Vista declares few foreign keys).")
def pull(url, output, force, schema, infer_relationships) -> None:
    """Read tables, columns, keys and foreign keys from the database at URL (any SQLAlchemy URL,
    e.g. mssql+pyodbc://... or sqlite:///vista.db) and write a catalog. Needs the db extra."""
    handle_errors(_pull)(url, output, force, schema, infer_relationships)


def _pull(url, output, force, schema, infer_relationships) -> None:
    if output != "-" and os.path.exists(output) and not force:
        raise UsageError(f'{output} exists; not overwritten (pass --force to replace it, or choose another --output)')
    pulled = pull_catalog(url, schema, infer_relationships)
    if output == "-":
        click.echo(pulled.text, nl=False)
    else:
        try:
            write_atomically(output, pulled.text.encode("utf-8"))
        except WriteRefused as exc:
            raise UsageError(str(exc)) from None
    tables, relationships = len(pulled.draft.tables), len(pulled.draft.relationships)
    where = "standard output" if output == "-" else output
    click.echo(f"wrote {where}: {tables} table{'s' if tables != 1 else ''}, "
               f"{relationships} relationship{'s' if relationships != 1 else ''} from {pulled.source}", err=True)
