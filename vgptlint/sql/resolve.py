"""Name resolution for one parsed statement against a catalog: which table each alias stands
for and which source each column comes from.

We build our own small scope tree rather than use ``sqlglot.optimizer.scope`` because the rules
need T-SQL specifics it does not model: ``UPDATE h … FROM APTH h`` targets, ``inserted``/
``deleted``, temp tables and table variables, PIVOT outputs, and case-insensitive fallbacks that
say *how* a name is misspelt. Resolution is lenient by design: whenever a source's columns are
unknowable (an unknown table, a function, a temp table, ``SELECT *`` over one of those) a column
that might come from it is "opaque", never "unknown", because a linter must not flag valid SQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from vgptlint.sql.catalog import Catalog, TableInfo
from vgptlint.sql.deferred import exp
from vgptlint.sql.parse import ParsedStatement
from vgptlint.sql.refs import table_roles
from vgptlint.sql.resolve_columns import ColumnRef, ident_span, resolve_all
from vgptlint.sql.resolve_outputs import alias_columns, pivot_outputs, rename_outputs, source_outputs

PSEUDO_TABLES = frozenset({"inserted", "deleted"})


@cache
def ddl_types() -> tuple[type, ...]:
    """Statements where base tables are legitimate and no query is "asked": definitions and admin.
    (A function: naming sqlglot's classes imports sqlglot, vgptlint.sql.deferred.)"""
    return tuple(getattr(exp, n) for n in ("Create", "Drop", "Alter", "TruncateTable", "Command", "Grant", "Revoke") if hasattr(exp, n))


@dataclass(eq=False)
class Source:
    """Something a FROM clause names: a catalog table, a CTE, a derived table, a temp table, ...

    ``kind`` is one of table, cte, derived, values, temp, variable, function, pseudo, system,
    external, other (a name no query reads). Which names are tables read or written, and what
    each names, is :func:`vgptlint.sql.refs.table_roles`' decision; only ``table`` sources are
    checked against the catalog. ``output`` maps output column names to their defining expressions (None when the
    columns are unknowable). ``expected`` is the catalog spelling when ``name`` matched only
    case-insensitively.
    """

    alias: str
    kind: str
    node: exp.Expression
    name: str | None = None
    name_span: tuple[int, int] | None = None
    entry: TableInfo | None = None
    expected: str | None = None
    inner: QueryScope | None = None
    # name -> defining expression; a Source when SELECT * passes that source's column through
    output: dict[str, object] | None = None
    is_target: bool = False
    is_pivoted: bool = False

    def column_status(self, column: str) -> bool | str | None:
        """True: it has the column; "case": only case-insensitively; False: it has not;
        None: cannot tell."""
        if self.is_pivoted:
            return None
        if self.entry is not None:
            if self.entry.has_column(column):
                return True
            return "case" if self.entry.column_case(column) else False
        if self.output is not None:
            if column in self.output:
                return True
            folded = column.casefold()
            return True if any(name.casefold() == folded for name in self.output) else False
        return None


@dataclass(eq=False)
class QueryScope:
    """One SELECT (or UPDATE/DELETE/MERGE) level: its sources and the predicates that join and
    filter them. ``parent`` is the enclosing scope for correlated references."""

    node: exp.Expression
    parent: QueryScope | None = None
    sources: dict[str, Source] = field(default_factory=dict)
    select_aliases: frozenset[str] = frozenset()
    predicates: list[exp.Expression] = field(default_factory=list)
    group_by: list[exp.Expression] = field(default_factory=list)
    outputs: dict[str, exp.Expression | None] | None = None


@dataclass(eq=False)
class Analysis:
    """Everything the catalog rules need about one statement."""

    statement: exp.Expression
    tables: list[Source]
    columns: list[ColumnRef]
    scopes: list[QueryScope]
    column_at: dict[int, ColumnRef]
    is_ddl: bool


@dataclass(eq=False)
class Pending:
    """A column waiting for resolution until every scope is complete."""

    node: exp.Expression
    scope: QueryScope
    in_order_by: bool = False
    target: Source | None = None  # SET / INSERT column lists belong to the target only


class _Builder:
    def __init__(self, catalog: Catalog, roles: dict[int, tuple[str, str]]):
        self.catalog = catalog
        self.roles = roles
        self.tables: list[Source] = []
        self.scopes: list[QueryScope] = []
        self.pending: list[Pending] = []

    # ------------------------------------------------------------------ statements

    def statement(self, node: exp.Expression) -> None:
        if isinstance(node, (exp.Query, exp.Subquery)):
            self.query(node, None, {})
        elif isinstance(node, exp.Insert):
            self.insert(node)
        elif isinstance(node, (exp.Update, exp.Delete, exp.Merge)):
            self.dml(node)
        else:  # CREATE/ALTER VIEW … AS SELECT, DECLARE @x = (SELECT …), SET @x = (SELECT …), IF …
            self.walk(node, self.new_scope(node, None), {})

    def insert(self, node: exp.Insert) -> None:
        ctes = self.ctes(node, {})
        target_node = node.this
        columns: list[exp.Expression] = []
        if isinstance(target_node, exp.Schema):
            columns = list(target_node.expressions)
            target_node = target_node.this
        scope = self.new_scope(node, None)
        target = self.source(target_node, scope, ctes) if isinstance(target_node, exp.Table) else None
        if target is not None:
            self.pseudo_sources(scope, target)
            for column in columns:
                self.pending.append(Pending(column, scope, target=target))
        body = node.expression
        if isinstance(body, (exp.Query, exp.Subquery)):
            self.query(body, None, ctes)
        elif body is not None:
            self.walk(body, scope, ctes)
        if node.args.get("returning"):
            self.walk(node.args["returning"], scope, ctes)

    def dml(self, node: exp.Expression) -> None:
        ctes = self.ctes(node, {})
        scope = self.new_scope(node, None)
        relations = [node.this]
        from_ = node.args.get("from_")
        if isinstance(from_, exp.From):
            relations.append(from_.this)
        using = node.args.get("using")
        if isinstance(using, exp.Expression):
            relations.append(using)
        relations += [j.this for j in node.args.get("joins") or []]
        target_alias = self.target_alias(node)
        made: list[Source] = []
        for relation in relations:
            if not isinstance(relation, exp.Expression):
                continue
            if self.roles.get(id(relation), ("", ""))[1] == "alias":
                continue  # UPDATE h … FROM APTH h: the target is the FROM source
            made.append(self.source(relation, scope, ctes))
        target = scope.sources.get(target_alias) if target_alias else (made[0] if made else None)
        if target is None and made:
            target = made[0]
        if target is not None:
            self.pseudo_sources(scope, target)
        for key in ("where", "on"):
            if node.args.get(key) is not None:
                predicate = node.args[key]
                scope.predicates.append(predicate.this if isinstance(predicate, exp.Where) else predicate)
                self.walk(node.args[key], scope, ctes)
        for assignment in node.expressions if isinstance(node, exp.Update) else []:
            self.assignment(assignment, scope, ctes, target)
        whens = node.args.get("whens")
        for when in whens.expressions if whens else []:
            self.merge_action(when, scope, ctes, target)
        if node.args.get("returning"):
            self.walk(node.args["returning"], scope, ctes)

    def target_alias(self, node: exp.Expression) -> str | None:
        if isinstance(node, exp.Delete) and node.args.get("tables"):
            first = node.args["tables"][0]
            return first.name if isinstance(first, exp.Table) else None
        if isinstance(node, exp.Update) and isinstance(node.this, exp.Table) and node.args.get("from_"):
            return node.this.alias_or_name
        return None

    def assignment(self, assignment: exp.Expression, scope: QueryScope, ctes: dict, target: Source | None) -> None:
        if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
            column = assignment.this
            if not column.table and target is not None:
                self.pending.append(Pending(column, scope, target=target))
            else:
                self.pending.append(Pending(column, scope))
            self.walk(assignment.expression, scope, ctes)
        else:
            self.walk(assignment, scope, ctes)

    def merge_action(self, when: exp.Expression, scope: QueryScope, ctes: dict, target: Source | None) -> None:
        then = when.args.get("then")
        if when.args.get("condition") is not None:
            self.walk(when.args["condition"], scope, ctes)
        if isinstance(then, exp.Update):
            for assignment in then.expressions:
                self.assignment(assignment, scope, ctes, target)
        elif isinstance(then, exp.Insert):
            names = then.this
            for column in names.expressions if isinstance(names, exp.Tuple) else []:
                self.pending.append(Pending(column, scope, target=target) if target else Pending(column, scope))
            if then.expression is not None:
                self.walk(then.expression, scope, ctes)

    def pseudo_sources(self, scope: QueryScope, target: Source) -> None:
        for name in PSEUDO_TABLES:
            if name not in scope.sources:
                scope.sources[name] = Source(name, "pseudo", target.node, entry=target.entry, output=target.output)

    # ------------------------------------------------------------------ queries

    def new_scope(self, node: exp.Expression, parent: QueryScope | None) -> QueryScope:
        scope = QueryScope(node, parent)
        self.scopes.append(scope)
        return scope

    def ctes(self, node: exp.Expression, visible: dict[str, Source]) -> dict[str, Source]:
        with_ = node.args.get("with_") or node.args.get("with")
        if not with_:
            return visible
        visible = dict(visible)
        for cte in with_.expressions:
            name = cte.alias
            placeholder = Source(name, "cte", cte, name=name)  # recursive references see an opaque CTE
            visible[name] = placeholder
            inner = self.query(cte.this, None, visible)
            listed = [c.name for c in cte.args["alias"].columns] if cte.args.get("alias") and cte.args["alias"].columns else None
            placeholder.inner = inner
            placeholder.output = rename_outputs(inner.outputs, listed)
        return visible

    def query(self, node: exp.Expression, parent: QueryScope | None, ctes: dict[str, Source]) -> QueryScope:
        """Build the scope(s) of a query; returns the scope whose outputs name its columns."""
        ctes = self.ctes(node, ctes)
        if isinstance(node, exp.Subquery):
            return self.query(node.this, parent, ctes)
        if isinstance(node, exp.SetOperation):
            left = self.query(node.left, parent, ctes)
            self.query(node.right, parent, ctes)
            # ORDER BY of a UNION names the first branch's output columns.
            # Parent is the first branch so qualified names in the ORDER BY still bind (leniently).
            union_scope = self.new_scope(node, left)
            union_scope.outputs = left.outputs
            union_scope.sources["\0union"] = Source("\0union", "derived", node, output=left.outputs)
            if node.args.get("order"):
                self.walk(node.args["order"], union_scope, ctes, in_order_by=True)
            return left
        if not isinstance(node, exp.Select):
            scope = self.new_scope(node, parent)
            self.walk(node, scope, ctes)
            return scope
        scope = self.new_scope(node, parent)
        from_ = node.args.get("from_")
        if isinstance(from_, exp.From):
            self.source(from_.this, scope, ctes)
        for join in node.args.get("joins") or []:
            self.join(join, scope, ctes)
        scope.select_aliases = frozenset(e.alias for e in node.expressions if isinstance(e, exp.Alias))
        for key in ("expressions", "where", "group", "having", "qualify", "windows", "top"):
            value = node.args.get(key)
            if value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                self.walk(item, scope, ctes)
        for key in ("where", "having"):
            if node.args.get(key) is not None:
                scope.predicates.append(node.args[key].this)
        if node.args.get("group") is not None:
            scope.group_by = list(node.args["group"].expressions)
        if node.args.get("order") is not None:
            self.walk(node.args["order"], scope, ctes, in_order_by=True)
        scope.outputs = self.outputs(node, scope)
        return scope

    def join(self, join: exp.Join, scope: QueryScope, ctes: dict[str, Source]) -> None:
        self.source(join.this, scope, ctes)
        on = join.args.get("on")
        if on is not None:
            scope.predicates.append(on)
            self.walk(on, scope, ctes)

    def outputs(self, node: exp.Select, scope: QueryScope) -> dict[str, exp.Expression | None] | None:
        names: dict[str, exp.Expression | None] = {}
        for item in node.expressions:
            if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
                qualifier = item.table if isinstance(item, exp.Column) else ""
                chosen = [s for a, s in scope.sources.items() if a not in PSEUDO_TABLES and (not qualifier or a == qualifier)]
                for source in chosen:
                    expanded = source_outputs(source)
                    if expanded is None:
                        return None
                    names.update({k: source for k in expanded if k not in names})
            elif isinstance(item, exp.Alias):
                names[item.alias] = item.this
            elif isinstance(item, exp.Column):
                names[item.name] = item
        return names

    # ------------------------------------------------------------------ sources

    def source(self, node: exp.Expression, scope: QueryScope, ctes: dict[str, Source]) -> Source:
        made = self.make_source(node, scope, ctes)
        scope.sources[made.alias] = made
        for join in node.args.get("joins") or [] if isinstance(node, exp.Table) else []:
            self.join(join, scope, ctes)
        pivots = node.args.get("pivots") if isinstance(node, (exp.Table, exp.Subquery)) else None
        if pivots:
            # FROM s PIVOT (…) AS p: the rows come out of p, with p's columns (T-SQL hides s's
            # name then; we keep it, leniently, but stop checking columns against it)
            output = pivot_outputs(pivots[0], made)
            made.is_pivoted = True
            if pivots[0].alias:
                scope.sources[pivots[0].alias] = Source(pivots[0].alias, "derived", pivots[0], output=output)
        return made

    def make_source(self, node: exp.Expression, scope: QueryScope, ctes: dict[str, Source]) -> Source:
        alias = node.alias if isinstance(node, exp.Expression) else ""
        if isinstance(node, exp.Table):
            return self.table_source(node, scope, ctes)
        if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Table) and not alias:
            # FROM (APTH h JOIN APTL l ON …): a parenthesized join, not a derived table; its
            # tables and aliases belong to this scope (issue 13: 116 false unknown columns)
            return self.source(node.this, scope, ctes)
        if isinstance(node, exp.Subquery):
            # a derived table sees the enclosing queries, not its siblings in this FROM (APPLY does)
            inner = self.query(node.this, scope.parent, ctes)
            return Source(alias, "derived", node, inner=inner, output=rename_outputs(inner.outputs, alias_columns(node)))
        if isinstance(node, exp.Lateral):
            body = node.this
            if isinstance(body, (exp.Subquery, exp.Query)):
                inner = self.query(body, scope, ctes)
                return Source(alias, "derived", node, inner=inner, output=rename_outputs(inner.outputs, alias_columns(node)))
            self.walk(body, scope, ctes)
            return Source(alias, "function", node)
        if isinstance(node, exp.Values):
            listed = alias_columns(node)
            self.walk(node, scope, ctes)
            return Source(alias, "values", node, output={c: None for c in listed} if listed else None)
        self.walk(node, scope, ctes)
        return Source(alias or "\0anonymous", "function", node)

    def table_source(self, node: exp.Table, scope: QueryScope, ctes: dict[str, Source]) -> Source:
        # What the name is and whether it is read or written is refs' decision (one place).
        role, kind = self.roles.get(id(node), ("named", "table"))
        this = node.this
        alias = node.alias
        if kind == "table-variable":
            return Source(alias or this.sql(), "variable", node)
        if kind in ("tvf", "openquery", "openjson") or not isinstance(this, exp.Identifier):
            self.walk(this, scope, ctes)  # dbo.vfFunction(...) as a table: its arguments are columns
            return Source(alias or node.name, "function", node, name=node.name)
        name = this.name
        span = ident_span(this)
        is_target = role == "write-target"
        if kind == "cte-ref" and name in ctes:
            cte = ctes[name]
            return Source(alias or name, "cte", node, name=name, name_span=span, inner=cte.inner, output=cte.output, is_target=is_target)
        if kind in ("temp", "system", "pseudo", "cte-ref") or role == "named":
            # a CTE name spelt in another case, or a name no query reads: nothing to check
            return Source(alias or name, "other" if kind == "cte-ref" or role == "named" else kind, node, name=name, name_span=span, is_target=is_target)
        kind = "external" if node.args.get("catalog") is not None else "table"
        source = Source(alias or name, kind, node, name=name, name_span=span, is_target=is_target)
        if kind == "table":
            source.entry = self.catalog.table(name)
            if source.entry is None:
                source.expected = self.catalog.table_case(name)
                source.entry = self.catalog.table(source.expected) if source.expected else None
            self.tables.append(source)
        return source

    # ------------------------------------------------------------------ expressions

    def walk(self, node: exp.Expression, scope: QueryScope, ctes: dict[str, Source], in_order_by: bool = False) -> None:
        """Queue every column of ``node`` in ``scope``; nested queries get scopes of their own."""
        column, star, nested, skipped = exp.Column, exp.Star, (exp.Query, exp.Subquery), (exp.Pivot, exp.DataType)
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, column):
                if not isinstance(current.this, star):
                    self.pending.append(Pending(current, scope, in_order_by))
                continue
            if current is not node and isinstance(current, nested):
                self.query(current, scope, ctes)
                continue
            if isinstance(current, skipped):
                continue
            # children last to first, so they are popped (and their columns queued) first to last
            stack.extend(current.iter_expressions(reverse=True))


def analyze(parsed: ParsedStatement, catalog: Catalog) -> Analysis:
    """Resolve every table and column of one parsed statement against ``catalog``."""
    statement = parsed.expression
    builder = _Builder(catalog, table_roles(parsed))
    builder.statement(statement)
    columns = resolve_all(builder.pending)
    is_ddl = isinstance(statement, ddl_types())
    return Analysis(statement, builder.tables, columns, builder.scopes, {id(c.node): c for c in columns}, is_ddl)
