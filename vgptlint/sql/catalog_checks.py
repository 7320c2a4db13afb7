"""The catalog rules' judgments on one analysed statement, as statement-relative issues.

Kept apart from :mod:`vgptlint.functions.sql_catalog` (which extracts statements and turns issues
into hits) so each judgment can be tested on a single parsed statement.
"""
from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from vgptlint.model import Severity
from vgptlint.sql.catalog import Catalog
from vgptlint.sql.deferred import exp
from vgptlint.sql.parse import statement_cached, ParsedStatement, parse_statement
from vgptlint.sql.resolve import Analysis, Source, analyze
from vgptlint.sql.resolve_columns import ColumnRef


@dataclass(frozen=True, slots=True)
class Issue:
    """One judgment: ``span`` is relative to the statement text."""

    message: str
    span: tuple[int, int] | None
    severity: Severity | None = None
    data: dict = field(default_factory=dict, compare=False)


@statement_cached
def analysis_for(text: str, dialect: str, catalog: Catalog) -> Analysis | None:
    """Analyse a statement once per (text, dialect, catalog); None when it did not parse into
    something checkable (parse failures and opaque commands are other rules' findings).

    Keyed by text, not by AST: sqlglot ASTs compare structurally, so two statements that differ
    only in spacing would share spans."""
    parsed = parse_statement(text, dialect)
    if not isinstance(parsed, ParsedStatement) or parsed.is_opaque:
        return None
    return analyze(parsed, catalog)


def _has_prefix(name: str, prefixes: Iterable[str]) -> bool:
    return any(name.startswith(p) for p in prefixes if p)


def _listing(names: Iterable[str], limit: int = 3) -> str:
    names = list(dict.fromkeys(names))
    shown = ", ".join(names[:limit])
    return shown + (", …" if len(names) > limit else "")


# ---------------------------------------------------------------------------- tables


def unknown_tables(analysis: Analysis, catalog: Catalog, unverifiable_prefixes: tuple[str, ...], ignore: frozenset[str]) -> Iterator[Issue]:
    for source in analysis.tables:
        name = source.name or ""
        if source.entry is not None or source.expected or name in ignore:
            continue
        if _has_prefix(name, unverifiable_prefixes):
            yield Issue(f"{name} is not in the catalog; a site-specific ud table cannot be verified", source.name_span, Severity.INFO, {"table": name})
            continue
        message = f"{name} is not a table in the catalog"
        owners = catalog.tables_with_column(name)
        if owners:
            message += f"; it is a column of {_listing(owners)}"
        else:
            close = _close_table_name(name, catalog)
            if close:
                message += f'; did you mean "{close}"?'
        yield Issue(message, source.name_span, None, {"table": name})


@functools.lru_cache(maxsize=4096)  # short names: a few hundred KB at most
def _close_table_name(name: str, catalog: Catalog) -> str | None:
    """The catalog name most like ``name`` (difflib, cutoff 0.8); cached, as unknown names recur."""
    close = difflib.get_close_matches(name, [n for n, t in catalog.tables.items() if not t.base_of], n=1, cutoff=0.8)
    return close[0] if close else None


def base_tables(analysis: Analysis, catalog: Catalog, prefixes: tuple[str, ...], allow_in_dml: bool) -> Iterator[Issue]:
    if analysis.is_ddl:
        return
    for source in analysis.tables:
        if source.entry is None or (allow_in_dml and source.is_target):
            continue
        view = catalog.view_for_base(source.entry.name, prefixes)
        if view:
            yield Issue(f"{source.name} is a base table; use the view {view}", source.name_span, None, {"table": source.name, "view": view})


# ---------------------------------------------------------------------------- columns


def _describe(source: Source) -> str:
    if source.entry is not None:
        return source.entry.name
    if source.alias == "\0union":
        return "the UNION's result"
    if source.kind == "cte":
        return f"CTE {source.name}"
    return f"derived table {source.alias}" if source.alias and not source.alias.startswith("\0") else "the derived table"


def unknown_columns(analysis: Analysis, catalog: Catalog, unverifiable_prefixes: tuple[str, ...], report_unbound: bool) -> Iterator[Issue]:
    for ref in analysis.columns:
        if ref.status == "unbound" and report_unbound:
            yield Issue(f'{ref.qualifier}.{ref.name}: "{ref.qualifier}" is not a table or alias in this query', ref.qualifier_span, None, {"column": ref.name})
        if ref.status != "unknown" or not ref.searched:
            continue
        owner = " or ".join(dict.fromkeys(_describe(s) for s in ref.searched))
        if _has_prefix(ref.name, unverifiable_prefixes):
            yield Issue(f"{ref.name} is not in the catalog; a site-specific ud column of {owner} cannot be verified", ref.name_span, Severity.INFO, {"column": ref.name})
            continue
        message = f"{ref.name} is not a column of {owner}"
        others = [t for t in catalog.tables_with_column(ref.name) if t not in {s.entry.name for s in ref.searched if s.entry}]
        if others and any(s.entry is not None for s in ref.searched):
            message += f"; it is a column of {_listing(others)}"
        yield Issue(message, ref.name_span, None, {"column": ref.name})


# ---------------------------------------------------------------------------- case


def identifier_case(analysis: Analysis, catalog: Catalog, tables: bool, columns: bool, aliases: bool) -> Iterator[Issue]:
    if tables:
        for source in analysis.tables:
            if source.expected:
                yield Issue(f'table "{source.name}" is written in the wrong case; the catalog spells it "{source.expected}"', source.name_span, None,
                            {"written": source.name, "expected": source.expected, "is_safe": not catalog.tables_with_column(source.name or "")})
    if aliases:
        for ref in analysis.columns:
            if ref.qualifier_expected and ref.qualifier_expected != ref.qualifier and not ref.qualifier_expected.startswith("\0"):
                yield Issue(f'alias "{ref.qualifier}" is written in the wrong case; the query defines it as "{ref.qualifier_expected}"', ref.qualifier_span, None,
                            {"written": ref.qualifier, "expected": ref.qualifier_expected, "is_safe": True})
    if columns:
        for ref in analysis.columns:
            if ref.status == "case" and ref.expected and ref.source is not None and ref.source.entry is not None:
                yield Issue(f'{ref.source.entry.name}.{ref.name} is written "{ref.name}"; the catalog spells it "{ref.expected}"', ref.name_span, None,
                            {"written": ref.name, "expected": ref.expected, "table": ref.source.entry.name, "is_safe": True})


# ---------------------------------------------------------------------------- equalities


class _Classes:
    """Union-find over (source, column) pairs and constants, with pinned classes."""

    def __init__(self) -> None:
        self.parent: dict[object, object] = {}
        self.pinned: set[object] = set()

    def find(self, node: object) -> object:
        parent = self.parent.setdefault(node, node)
        while parent != node:
            grand = self.parent.setdefault(parent, parent)
            self.parent[node] = grand
            node, parent = parent, grand
        return node

    def union(self, left: object, right: object) -> None:
        a, b = self.find(left), self.find(right)
        if a != b:
            self.parent[a] = b

    def is_pinned(self, node: object) -> bool:
        root = self.find(node)
        return any(self.find(p) == root for p in self.pinned)


def _column_node(column: exp.Expression, analysis: Analysis) -> tuple[int, str] | None:
    """The (source, column) a column reference stands for. A qualified column of a source whose
    columns are unknowable (``x.Co`` of a table the catalog lacks, a temp table, a function) is
    a node too: equalities and constants still flow through it."""
    ref: ColumnRef | None = analysis.column_at.get(id(column))
    if ref is None or ref.source is None or ref.status not in ("resolved", "case", "opaque"):
        return None
    return id(ref.source), ref.expected or ref.name


def _unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, (exp.Paren, exp.Cast, exp.Collate)) and node.this is not None:
        node = node.this
    return node


def _is_constant(node: exp.Expression) -> bool:
    """A value fixed for the whole query: literal, variable, function of those, or a subquery."""
    if isinstance(node, (exp.Subquery, exp.Query)):
        return True
    for inner in node.walk():
        if isinstance(inner, (exp.Subquery, exp.Query)):
            continue
        if isinstance(inner, exp.Column):
            return False
    return True


def constant_text(node: exp.Expression) -> str:
    """``node.sql()``: the text a constant is known by. A literal without comments is written from
    its value alone, so that text is remembered by value: generating it cost ~20 µs a call, and the
    same few constants (``= 1``, ``= 'Y'``) come back in statement after statement."""
    if type(node) is exp.Literal and not node.comments:
        return _literal_text(node.this, node.is_string)
    return node.sql()


@functools.lru_cache(maxsize=1024)
def _literal_text(value: str, is_string: bool) -> str:
    return exp.Literal(this=value, is_string=is_string).sql()


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    node = _unwrap(node)
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _pins(node: exp.Expression, analysis: Analysis) -> set[tuple[int, str]]:
    """Columns a predicate fixes to constants, for every row it lets through."""
    node = _unwrap(node)
    if isinstance(node, exp.And):
        return _pins(node.this, analysis) | _pins(node.expression, analysis)
    if isinstance(node, exp.Or):
        return _pins(node.this, analysis) & _pins(node.expression, analysis)
    if isinstance(node, (exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
        left, right = _unwrap(node.this), _unwrap(node.expression)
        for column, other in ((left, right), (right, left)):
            if isinstance(column, exp.Column) and _is_constant(other):
                found = _column_node(column, analysis)
                return {found} if found else set()
    if isinstance(node, (exp.In, exp.Between)) and isinstance(_unwrap(node.this), exp.Column) and not node.args.get("unnest"):
        found = _column_node(_unwrap(node.this), analysis)
        return {found} if found else set()
    return set()


def _semi_join(term: exp.Expression, analysis: Analysis) -> tuple[tuple[int, str], tuple[int, str]] | None:
    """``a.x [NOT] IN (SELECT b.y FROM …)`` correlates a.x with b.y, like a join condition."""
    if isinstance(term, exp.Not):
        term = _unwrap(term.this)
    if not isinstance(term, exp.In) or not isinstance(_unwrap(term.this), exp.Column):
        return None
    query = term.args.get("query")
    body = query.this if isinstance(query, exp.Subquery) else query
    if not isinstance(body, exp.Select) or len(body.expressions) != 1:
        return None
    selected = body.expressions[0]
    selected = _unwrap(selected.this if isinstance(selected, exp.Alias) else selected)
    if not isinstance(selected, exp.Column):
        return None
    outer, inner = _column_node(_unwrap(term.this), analysis), _column_node(selected, analysis)
    return (outer, inner) if outer and inner else None


@dataclass(eq=False)
class Equalities:
    classes: _Classes
    edges: list[tuple[Source, Source]]


@statement_cached
def equalities(analysis: Analysis) -> Equalities:
    """Equated and pinned columns over every scope's conjunctive WHERE / ON / HAVING terms."""
    classes = _Classes()
    sources = {id(s): s for scope in analysis.scopes for s in scope.sources.values()}
    edges: list[tuple[Source, Source]] = []
    for scope in analysis.scopes:
        for predicate in scope.predicates:
            for term in _conjuncts(predicate):
                if isinstance(term, exp.EQ):
                    left, right = _unwrap(term.this), _unwrap(term.expression)
                    a = _column_node(left, analysis) if isinstance(left, exp.Column) else None
                    b = _column_node(right, analysis) if isinstance(right, exp.Column) else None
                    if a and b:
                        classes.union(a, b)
                        if a[0] != b[0]:
                            edges.append((sources[a[0]], sources[b[0]]))
                        continue
                    for found, other in ((a, right), (b, left)):
                        if found and _is_constant(other):
                            classes.union(found, ("constant", constant_text(other)))
                semi = _semi_join(term, analysis)
                if semi:
                    classes.union(*semi)
                    if semi[0][0] != semi[1][0]:
                        edges.append((sources[semi[0][0]], sources[semi[1][0]]))
                for pinned in _pins(term, analysis):
                    classes.pinned.add(pinned)
        # A derived table's or CTE's output column is the inner column it selects.
        for source in scope.sources.values():
            if source.kind in ("derived", "cte") and source.output:
                for name, inner in source.output.items():
                    if isinstance(inner, Source):  # SELECT * passes the inner source's column through
                        classes.union((id(source), name), (id(inner), name))
                    elif isinstance(inner, exp.Column):
                        found = _column_node(inner, analysis)
                        if found:
                            classes.union((id(source), name), found)
    return Equalities(classes, edges)


# ---------------------------------------------------------------------------- company scope


def company_filters(analysis: Analysis, catalog: Catalog, accept_group_by: bool, row_identifiers: tuple[str, ...], check_write_targets: bool) -> Iterator[Issue]:
    if analysis.is_ddl:
        return
    # A table keyed by its company alone (HQCO, APCO) is the list of companies: reading it whole is fine.
    company_tables = [s for s in analysis.tables if s.entry is not None and s.entry.company and s.entry.key != (s.entry.company,)]
    if not company_tables:
        return  # nothing to judge, so no equalities to build (half of all statements)
    is_insert = isinstance(analysis.statement, exp.Insert)
    eq = equalities(analysis)
    classes = eq.classes
    scope_of = {id(s): scope for scope in analysis.scopes for s in scope.sources.values()}
    members: dict[object, list[tuple[int, str]]] = {}
    for node in list(classes.parent):
        if isinstance(node, tuple) and isinstance(node[0], int):
            members.setdefault(classes.find(node), []).append(node)
    company_ids = {id(s) for s in company_tables}
    # Rows a script or the server already chose: a table variable, a temp table, a table-valued
    # function's result, the trigger's inserted/deleted. Equating a company column with one of
    # their columns reads only the companies they hold (the statement cannot see how they were
    # filled; issue 13 counted such joins among the false alarms). A table the catalog lacks is
    # not one of them: constants flow through its columns, but joining it scopes nothing.
    chosen_rows = {id(s) for scope in analysis.scopes for s in scope.sources.values() if s.kind in ("temp", "variable", "function", "pseudo")}
    derived = [s for scope in analysis.scopes for s in scope.sources.values() if s.kind in ("derived", "cte") and s.inner is not None]
    scoped: set[int] = set()
    for table in company_tables:
        company = table.entry.company
        if classes.is_pinned((id(table), company)) or any(classes.is_pinned((id(table), c)) for c in row_identifiers):
            scoped.add(id(table))
        elif accept_group_by and _grouped_by(table, company, scope_of.get(id(table)), analysis):
            scoped.add(id(table))
    # A table joined on the complete key of a declared relationship takes its rows from the other
    # side (HRRM joined to PREH on PRCo and PREmp), so scope flows across such joins too.
    complete = [(a, b) for a, b, (_, missing) in _relationship_joins(analysis, catalog, eq) if not missing]
    changed = True
    while changed:  # scope flows along equated company columns and out of scoped derived tables
        changed = False
        for a, b in complete:
            for one, other in ((a, b), (b, a)):
                if id(one) in scoped and id(other) not in scoped:
                    scoped.add(id(other))
                    changed = True
        for table in company_tables:
            if id(table) in scoped:
                continue
            root = classes.find((id(table), table.entry.company))
            if any(owner != id(table) and (owner in scoped or owner in chosen_rows) for owner, _ in members.get(root, [])):
                scoped.add(id(table))
                changed = True
        for source in derived:
            inner_tables = [s for s in source.inner.sources.values() if id(s) in company_ids or s.kind in ("derived", "cte")]
            if id(source) not in scoped and inner_tables and all(id(s) in scoped for s in inner_tables):
                scoped.add(id(source))
                changed = True
    for table in company_tables:
        if id(table) in scoped or (table.is_target and (is_insert or not check_write_targets)):
            continue
        company = table.entry.company
        groups = [c for c in table.entry.columns if c.endswith("Group") and classes.is_pinned((id(table), c))]
        if groups:
            message = f"{table.name} is filtered by {groups[0]} but not by its company column {company}"
        else:
            message = f"{table.name} is read without a filter on its company column {company}"
        yield Issue(message, table.name_span, None, {"table": table.name, "column": company})


def _grouped_by(table: Source, company: str, scope, analysis: Analysis) -> bool:
    if scope is None:
        return False
    for item in scope.group_by:
        item = _unwrap(item)
        if isinstance(item, exp.Column) and _column_node(item, analysis) == (id(table), company):
            return True
    return False


# ---------------------------------------------------------------------------- join keys


def _relationship_joins(analysis: Analysis, catalog: Catalog, eq: Equalities):
    """For every directly joined pair of catalog tables with a declared relationship: the pair
    (parent first), the relationship closest to complete, and its key pairs not equated."""
    seen: set[frozenset[int]] = set()
    for left, right in eq.edges:
        pair = frozenset((id(left), id(right)))
        if pair in seen or left.entry is None or right.entry is None or left.kind != "table" or right.kind != "table":
            continue
        seen.add(pair)
        best = None
        for relationship, left_is_parent in catalog.relationships_between(left.entry.name, right.entry.name):
            parent, child = (left, right) if left_is_parent else (right, left)
            missing = [k for k in relationship.on if eq.classes.find((id(parent), k.parent)) != eq.classes.find((id(child), k.child))]
            rank = (sum(not k.is_optional for k in missing), len(missing))
            if best is None or rank < best[0]:
                best = (rank, relationship, parent, child, missing)
        if best is not None:
            yield best[2], best[3], (best[1], best[4])


def join_keys(analysis: Analysis, catalog: Catalog, optional_severity: Severity | None) -> Iterator[Issue]:
    if sum(source.entry is not None for source in analysis.tables) < 2:
        return  # _relationship_joins pairs two catalog tables: none, so no equalities to build
    eq = equalities(analysis)
    for parent, child, (relationship, missing) in _relationship_joins(analysis, catalog, eq):
        if not missing:
            continue
        later = max((parent, child), key=lambda s: s.name_span[0] if s.name_span else -1)
        names = f"{parent.entry.name} and {child.entry.name}"
        key = ", ".join(k.parent if k.parent == k.child else f"{k.parent} = {k.child}" for k in relationship.on)
        required = [k for k in missing if not k.is_optional]
        optional = [k for k in missing if k.is_optional]
        for group, severity, note in ((required, None, f"key: {key}"), (optional, optional_severity, "optional key column")):
            if not group or (group is optional and optional_severity is None):
                continue
            listed = ", ".join(k.parent if k.parent == k.child else f"{k.parent} = {k.child}" for k in group)
            yield Issue(f"the join of {names} does not equate {listed} ({note})", later.name_span, severity,
                        {"parent": parent.entry.name, "child": child.entry.name, "missing": listed})
