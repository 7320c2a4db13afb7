"""Catalog functions: SQL inside a text field checked against the schema catalog.

They need a catalog (``catalog:`` in the policy or ``--catalog``); without one the engine skips
them with one info line. Statements come from :func:`vgptlint.sql.extract.extract_sql` and are
parsed once per run; statements that do not parse are left to ``sql_syntax_error`` and
``sql_unverifiable``. Names are compared case-sensitively (Vista's collation is binary); every
hit's span is the identifier in question.

``sql_unknown_table``    a table the catalog does not have: ``FROM Vendors`` → "Vendors is not a
                         table in the catalog". CTE names, ``#temp``, ``@table`` variables, derived
                         tables, functions, ``sys.*`` and cross-database names are not checked.
                         Options: ``unverifiable_prefixes`` (default ``[ud, bud]``: such names are
                         site-specific, reported at info severity as unverifiable), ``ignore``.
``sql_unknown_column``   a column its table (or CTE / derived table) does not have, after
                         resolving aliases; unqualified names only when exactly one source fits.
                         ``SELECT Status FROM APTH`` → "Status is not a column of APTH; it is a
                         column of APTD". Columns of unknown tables are not reported again.
                         PIVOT/UNPIVOT aliases have the columns SQL Server gives them.
                         Options: ``unverifiable_prefixes`` (``[ud]``), ``report_unbound``
                         (true: ``x.Col`` where no ``x`` is in scope).
``sql_identifier_case``  a table, column or alias that matches only case-insensitively:
                         ``WHERE APCO = 1`` on APTH → 'APTH.APCO is written "APCO"; the catalog
                         spells it "APCo"'. Fixer ``fix_identifier_case`` rewrites the identifier.
                         Options: ``tables``, ``columns``, ``aliases`` (all true).
``sql_company_filter``   a company-keyed table read without a filter on its company column (in
                         WHERE / ON, or through an equality with a table that is filtered, with a
                         column of a table the catalog lacks that is filtered, or with a column
                         of rows the script chose: a table variable, #temp table, table-valued
                         function, a trigger's inserted/deleted).
                         Group-keyed masters (APVM) have no company column and pass. Options:
                         ``accept_group_by`` (true: ``GROUP BY APCo`` reports per company),
                         ``row_identifiers`` (``[KeyID]``: pinning one row scopes the table),
                         ``check_write_targets`` (true: UPDATE/DELETE targets too).
``sql_join_keys``        a join between tables with a declared relationship that does not equate
                         every key column: "the join of APTH and APTL does not equate Mth (key:
                         APCo, Mth, APTrans)". Missing ``optional`` key columns give a separate
                         hit at ``optional_severity`` (default warning; ``off`` drops them).
``sql_base_table``       a base table used where its view exists: "bAPTH is a base table; use the
                         view APTH". DDL and admin statements are exempt. Options: ``prefixes``
                         (``[b]``), ``allow_in_dml`` (false).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from vgptlint.functions.base import Context, Hit, function
from vgptlint.functions.sites import IdentifierCaseSite
from vgptlint.model import Severity, Span
from vgptlint.sql import catalog_checks as checks
from vgptlint.sql.catalog import Catalog
from vgptlint.sql.extract import extract_sql, contains_sql
from vgptlint.sql.resolve import Analysis

SEVERITY_CHOICES = ("error", "warning", "info", "off")


def _issues(value: str, ctx: Context, judge: Callable[[Analysis, Catalog], Iterator[checks.Issue]],
            site_of: Callable[[checks.Issue, Span, Span], object] | None = None) -> Iterator[Hit]:
    catalog = ctx.services.get("catalog")
    if not isinstance(catalog, Catalog):
        return
    dialect = ctx.dialect or "tsql"
    for statement in extract_sql(value):
        analysis = checks.analysis_for(statement.text, dialect, catalog)
        if analysis is None:
            continue
        for issue in judge(analysis, catalog):
            span = Span(statement.start + issue.span[0], statement.start + issue.span[1]) if issue.span else Span(statement.start, statement.end)
            site = site_of(issue, span, Span(statement.start, statement.end)) if site_of else None
            yield Hit(issue.message, span=span, data=issue.data, site=site, severity=issue.severity)


@dataclass(frozen=True, slots=True)
class SqlUnknownTableOptions:
    """``unverifiable_prefixes``: names reported as unverifiable (info) instead of unknown.
    ``ignore``: table names to accept although the catalog lacks them."""

    unverifiable_prefixes: tuple[str, ...] = ("ud", "bud")
    ignore: tuple[str, ...] = ()


@function("sql_unknown_table", options=SqlUnknownTableOptions, accepts=(str,), only_if=contains_sql, needs=("catalog",), is_pure=True)
def sql_unknown_table(value: str, opts: SqlUnknownTableOptions, ctx: Context) -> Iterator[Hit]:
    """A table the catalog does not have (see the module documentation)."""
    ignore = frozenset(opts.ignore)
    yield from _issues(value, ctx, lambda a, c: checks.unknown_tables(a, c, opts.unverifiable_prefixes, ignore))


@dataclass(frozen=True, slots=True)
class SqlUnknownColumnOptions:
    """``unverifiable_prefixes``: column names reported as unverifiable (info).
    ``report_unbound``: also report ``x.Col`` where ``x`` names no table or alias in scope."""

    unverifiable_prefixes: tuple[str, ...] = ("ud",)
    report_unbound: bool = True


@function("sql_unknown_column", options=SqlUnknownColumnOptions, accepts=(str,), only_if=contains_sql, needs=("catalog",), is_pure=True)
def sql_unknown_column(value: str, opts: SqlUnknownColumnOptions, ctx: Context) -> Iterator[Hit]:
    """A column its table does not have (see the module documentation)."""
    yield from _issues(value, ctx, lambda a, c: checks.unknown_columns(a, c, opts.unverifiable_prefixes, opts.report_unbound))


@dataclass(frozen=True, slots=True)
class SqlIdentifierCaseOptions:
    """Which identifiers to compare: ``tables``, ``columns``, ``aliases`` (qualifiers)."""

    tables: bool = True
    columns: bool = True
    aliases: bool = True


@function("sql_identifier_case", options=SqlIdentifierCaseOptions, accepts=(str,), only_if=contains_sql, needs=("catalog",), is_pure=True)
def sql_identifier_case(value: str, opts: SqlIdentifierCaseOptions, ctx: Context) -> Iterator[Hit]:
    """A table, column or alias written in a case other than the catalog's (see the module documentation)."""
    yield from _issues(value, ctx, lambda a, c: checks.identifier_case(a, c, opts.tables, opts.columns, opts.aliases),
                       _case_site)


def _case_site(issue: checks.Issue, name: Span, statement: Span) -> IdentifierCaseSite:
    return IdentifierCaseSite(str(issue.data["expected"]), name, statement, bool(issue.data.get("is_safe", True)))


@dataclass(frozen=True, slots=True)
class SqlCompanyFilterOptions:
    """``accept_group_by``: a table grouped by its company column is scoped per company.
    ``row_identifiers``: columns that pin one row (a filter on them scopes the table).
    ``check_write_targets``: also require the filter on UPDATE/DELETE/MERGE targets."""

    accept_group_by: bool = True
    row_identifiers: tuple[str, ...] = ("KeyID",)
    check_write_targets: bool = True


@function("sql_company_filter", options=SqlCompanyFilterOptions, accepts=(str,), only_if=contains_sql, needs=("catalog",), is_pure=True)
def sql_company_filter(value: str, opts: SqlCompanyFilterOptions, ctx: Context) -> Iterator[Hit]:
    """A company-keyed table read without a company filter (see the module documentation)."""
    yield from _issues(value, ctx, lambda a, c: checks.company_filters(a, c, opts.accept_group_by, opts.row_identifiers, opts.check_write_targets))


@dataclass(frozen=True, slots=True)
class SqlJoinKeysOptions:
    """``optional_severity``: severity of a hit for missing ``optional: true`` key columns
    (``off`` drops those hits)."""

    optional_severity: str = "warning"

    def validate(self) -> str | None:
        if self.optional_severity not in SEVERITY_CHOICES:
            return f'option "optional_severity" must be one of {", ".join(SEVERITY_CHOICES)}; got "{self.optional_severity}"'
        return None


@function("sql_join_keys", options=SqlJoinKeysOptions, accepts=(str,), only_if=contains_sql, needs=("catalog",), is_pure=True)
def sql_join_keys(value: str, opts: SqlJoinKeysOptions, ctx: Context) -> Iterator[Hit]:
    """A join that does not equate every key column of a declared relationship (see the module documentation)."""
    optional = None if opts.optional_severity == "off" else Severity(opts.optional_severity)
    yield from _issues(value, ctx, lambda a, c: checks.join_keys(a, c, optional))


@dataclass(frozen=True, slots=True)
class SqlBaseTableOptions:
    """``prefixes``: base-table prefixes (``b`` + view name; add ``v`` for newer modules).
    ``allow_in_dml``: accept base tables as INSERT/UPDATE/DELETE targets."""

    prefixes: tuple[str, ...] = ("b",)
    allow_in_dml: bool = False

    def validate(self) -> str | None:
        if not self.prefixes or not all(self.prefixes):
            return 'option "prefixes" needs at least one non-empty prefix, e.g. [b]'
        return None


@function("sql_base_table", options=SqlBaseTableOptions, accepts=(str,), only_if=contains_sql, needs=("catalog",), is_pure=True)
def sql_base_table(value: str, opts: SqlBaseTableOptions, ctx: Context) -> Iterator[Hit]:
    """A base table used where its view exists (see the module documentation)."""
    yield from _issues(value, ctx, lambda a, c: checks.base_tables(a, c, opts.prefixes, opts.allow_in_dml))
