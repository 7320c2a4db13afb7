"""Binding column references to sources, the way SQL Server does, but lenient where it cannot know.

Order of binding for an unqualified name: the innermost scope's sources, then each enclosing
scope (correlated subqueries). A name that matches no source exactly may match one source
case-insensitively: that is a *case* problem (Vista's binary collation rejects it), reported by
``sql-identifier-case``, not an unknown column. A name any opaque source might provide is never
reported.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vgptlint.sql.deferred import exp

if TYPE_CHECKING:
    from vgptlint.sql.resolve import Pending, QueryScope, Source


def ident_span(identifier: exp.Expression | None) -> tuple[int, int] | None:
    """The half-open span of an identifier's name inside the statement, without brackets/quotes."""
    if not isinstance(identifier, exp.Identifier):
        return None
    meta = identifier.meta
    if "start" not in meta or "end" not in meta:
        return None
    start, end = meta["start"], meta["end"] + 1
    if identifier.args.get("quoted") and end - start >= 2:
        return start + 1, end - 1
    return start, end


@dataclass(eq=False)
class ColumnRef:
    """One column reference and what it binds to.

    ``status`` is one of:
      resolved   bound to ``source``
      alias      a SELECT alias used in ORDER BY (or a UNION's output name)
      case       matches ``source`` only case-insensitively; ``expected`` is the catalog spelling
      unknown    no source has it; ``searched`` lists the sources looked at
      unbound    the qualifier names no table or alias in scope
      ambiguous  several sources have it (left to SQL Server; not our finding)
      opaque     a source whose columns are unknowable might have it
    ``qualifier_expected`` is set when the qualifier matched an alias only case-insensitively.
    """

    node: exp.Expression
    scope: QueryScope
    name: str
    name_span: tuple[int, int] | None
    qualifier: str | None
    qualifier_span: tuple[int, int] | None
    status: str
    source: Source | None = None
    expected: str | None = None
    qualifier_expected: str | None = None
    searched: tuple[Source, ...] = ()


def resolve_all(pending: list[Pending]) -> list[ColumnRef]:
    refs = []
    for item in pending:
        node = item.node
        if isinstance(node, exp.Identifier):  # INSERT (col, ...) lists
            name, name_id, qualifier, qualifier_id = node.name, node, None, None
        elif isinstance(node, exp.Column):
            name, name_id = node.name, node.this
            qualifier_id = node.args.get("table")
            qualifier = node.table or None
        else:
            continue
        ref = ColumnRef(node, item.scope, name, ident_span(name_id), qualifier, ident_span(qualifier_id), "opaque")
        if item.target is not None and not qualifier:
            _bind(ref, item.target)
        elif qualifier:
            _resolve_qualified(ref)
        else:
            _resolve_unqualified(ref, item.in_order_by)
        refs.append(ref)
    return refs


def _bind(ref: ColumnRef, source: Source) -> None:
    ref.source = source
    status = source.column_status(ref.name)
    if status is True:
        ref.status = "resolved"
    elif status == "case":
        ref.status = "case"
        ref.expected = source.entry.column_case(ref.name) if source.entry else None
    elif status is False:
        ref.status = "unknown"
        ref.searched = (source,)
    else:
        ref.status = "opaque"


def _resolve_qualified(ref: ColumnRef) -> None:
    qualifier = ref.qualifier or ""
    scope = ref.scope
    while scope is not None:
        if qualifier in scope.sources:
            _bind(ref, scope.sources[qualifier])
            return
        scope = scope.parent
    # Lenient fallbacks: an aliased table named by its table name (SQL Server rejects it, but
    # that is a different finding), then an alias written in another case.
    folded = qualifier.casefold()
    scope = ref.scope
    while scope is not None:
        for alias, source in scope.sources.items():
            if source.name == qualifier:
                _bind(ref, source)
                return
        for alias, source in scope.sources.items():
            if alias.casefold() == folded or (source.name or "").casefold() == folded:
                ref.qualifier_expected = alias
                _bind(ref, source)
                return
        scope = scope.parent
    ref.status = "unbound"


def _resolve_unqualified(ref: ColumnRef, in_order_by: bool) -> None:
    name = ref.name
    if in_order_by and name in ref.scope.select_aliases:
        ref.status = "alias"
        return
    first_searched: tuple[Source, ...] = ()
    scope = ref.scope
    while scope is not None:  # exact matches, innermost scope first
        statuses = [(source, source.column_status(name)) for source in scope.sources.values() if source.kind != "pseudo"]
        exact = [source for source, status in statuses if status is True]
        if len(exact) == 1:
            ref.status, ref.source = "resolved", exact[0]
            if exact[0].alias == "\0union":
                ref.status = "alias"
            return
        if len(exact) > 1:
            ref.status = "ambiguous"
            return
        if any(status is None for _, status in statuses):
            ref.status = "opaque"
            return
        if not first_searched:
            first_searched = tuple(source for source, _ in statuses)
        scope = scope.parent
    scope = ref.scope
    while scope is not None:  # then case-insensitive matches
        cased = [source for source in scope.sources.values() if source.kind != "pseudo" and source.column_status(name) == "case"]
        if len(cased) == 1:
            _bind(ref, cased[0])
            return
        if len(cased) > 1:
            ref.status = "ambiguous"
            return
        scope = scope.parent
    if first_searched:
        ref.status = "unknown"
        ref.searched = first_searched
    # No source anywhere (SELECT x without FROM): nothing to check against; stays opaque.
