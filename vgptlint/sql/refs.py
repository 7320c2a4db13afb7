"""Every table reference of a parsed statement, with its role and exact spans in the field.

Roles (``TableRef.role``):

``read``            a table or view the statement reads: a table source of a query (FROM, JOIN,
                    APPLY, a parenthesized join, MERGE USING), at any depth (subqueries, CTE
                    bodies, the SELECT of INSERT … SELECT, UPDATE/DELETE … FROM, view bodies).
                    Decided by where the name stands in the grammar, never by elimination.
``write-target``    the target of INSERT/UPDATE/DELETE/MERGE/SELECT INTO/CREATE/TRUNCATE, including
                    the FROM entry an ``UPDATE h … FROM APTH h`` target names
``named``           a name the statement defines, alters, drops, grants, indexes, references or
                    switches to without reading it: DDL and DCL objects, ``USE``, index and
                    constraint names, ``REFERENCES`` targets, ``HISTORY_TABLE``, view and
                    procedure headers
``cte-ref``         a reference to a CTE of the statement
``derived``         a derived table ``(SELECT …) AS d`` (span: its alias)
``table-variable``  ``@t``;  ``temp``: ``#t``/``##t``;  ``tvf``: ``dbo.vf…(…)``
``pseudo``          ``inserted``/``deleted``;  ``system``: ``sys.*``, ``INFORMATION_SCHEMA.*``
``openquery``       OPENQUERY/OPENROWSET/OPENDATASOURCE/OPENXML;  ``openjson``: OPENJSON

Offsets come from sqlglot 30's identifier ``meta`` (token start/end); hint groups come from the
tokens, since the AST cannot tell ``(NOLOCK)`` from ``WITH (NOLOCK)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from vgptlint.model import Span
from vgptlint.sql.deferred import exp
from vgptlint.sql.extract import SqlStatement
from vgptlint.sql.hints import hint_group_after, hint_names
from vgptlint.sql.parse import statement_cached, ParsedStatement, ParseFailure, parse_statement

_OPENQUERY_NAMES = frozenset({"OPENQUERY", "OPENROWSET", "OPENDATASOURCE", "OPENXML"})
_SYSTEM_SCHEMAS = frozenset({"SYS", "INFORMATION_SCHEMA"})
_PSEUDO_TABLES = frozenset({"INSERTED", "DELETED"})


@cache
def _writers() -> tuple[type, ...]:  # a function: naming sqlglot's classes imports sqlglot (vgptlint.sql.deferred)
    return (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.TruncateTable, exp.Drop, exp.Into)


@dataclass(frozen=True, slots=True)
class TableRef:
    """One table reference. Spans are offsets in the field value (or in the statement, for
    :func:`statement_table_refs`).

    Attributes:
        parts: name parts as written, unquoted: ``("dbo", "APTH")`` for ``[dbo].[APTH]``.
        alias: the alias, if any.
        role: see the module docstring.
        name_span: the written name, brackets and dots included.
        alias_span: the alias identifier.
        ref_end: just past the name or alias: where ``WITH (…)`` goes.
        hints: upper-cased hint names from the AST (``NOLOCK``, ``INDEX``…), duplicates kept.
        hint_span: the written hint group (``WITH (…)`` or legacy ``(…)``).
        hint_close: offset of the hint group's ``)``.
        is_legacy_hint: the group is written without ``WITH``.
        statement_kind: the root statement's kind (``Select``, ``Update``, …).
        node_index: position of the node among the statement's ``exp.Table`` nodes (for
            re-finding it in a re-parse).
    """

    parts: tuple[str, ...]
    alias: str | None
    role: str
    name_span: Span
    alias_span: Span | None = None
    ref_end: int = 0
    hints: tuple[str, ...] = ()
    hint_span: Span | None = None
    hint_close: int | None = None
    is_legacy_hint: bool = False
    statement_kind: str = ""
    node_index: int = -1
    node: exp.Expression | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.parts[-1] if self.parts else ""

    @property
    def schema(self) -> str | None:
        return self.parts[-2] if len(self.parts) >= 2 else None

    @property
    def database(self) -> str | None:
        return self.parts[-3] if len(self.parts) >= 3 else None

    @property
    def server(self) -> str | None:
        return self.parts[-4] if len(self.parts) >= 4 else None


def table_refs(statement: SqlStatement, dialect: str = "tsql") -> tuple[TableRef, ...]:
    """The table references of an extracted statement, spans in field offsets.

    Returns () when the statement did not parse or is opaque (see ``sql-unverifiable``).
    """
    return _field_refs(statement.text, statement.start, dialect)


# The hint rules ask for the same statement's references one after another: shift them once.
@statement_cached
def _field_refs(text: str, start: int, dialect: str) -> tuple[TableRef, ...]:
    parsed = parse_statement(text, dialect)
    if isinstance(parsed, ParseFailure):
        return ()
    return shift_refs(statement_table_refs(parsed), start)


def shift_refs(refs: tuple[TableRef, ...], base: int) -> tuple[TableRef, ...]:
    if base == 0:
        return refs
    return tuple(_shift(ref, base) for ref in refs)


def _shift(ref: TableRef, base: int) -> TableRef:
    # Built field by field rather than with dataclasses.replace, which looks every field up by
    # name: a script's thousands of references are shifted once per field.
    def moved(span: Span | None) -> Span | None:
        return Span(span.start + base, span.end + base) if span else None

    return TableRef(ref.parts, ref.alias, ref.role, moved(ref.name_span), moved(ref.alias_span), ref.ref_end + base,
                    ref.hints, moved(ref.hint_span), None if ref.hint_close is None else ref.hint_close + base,
                    ref.is_legacy_hint, ref.statement_kind, ref.node_index, ref.node)


def statement_table_refs(parsed: ParsedStatement) -> tuple[TableRef, ...]:
    """Table references of a parsed statement, spans relative to ``parsed.text`` (cached)."""
    return _refs_cached(parsed.text, parsed.dialect)


@statement_cached
def _refs_cached(text: str, dialect: str) -> tuple[TableRef, ...]:
    parsed = parse_statement(text, dialect)
    if isinstance(parsed, ParseFailure) or parsed.is_opaque or parsed.isolation_level:
        return ()
    kind = type(parsed.expression).__name__
    roles = table_roles(parsed)
    refs: list[TableRef] = []
    for index, table in enumerate(parsed.find_all(exp.Table)):
        role = roles.get(id(table))
        ref = _table_ref(parsed.text, table, role[0], kind, index) if role else None
        if ref is not None:
            refs.append(ref)
    for subquery in parsed.find_all(exp.Subquery):
        if subquery.alias and isinstance(subquery.parent, (exp.From, exp.Join, exp.Lateral)):
            alias = subquery.args["alias"].this
            span = _span_of(alias)
            if span:
                refs.append(TableRef((), subquery.alias, "derived", span, span, span.end, statement_kind=kind))
    return tuple(sorted(refs, key=lambda r: r.name_span.start))


def table_roles(parsed: ParsedStatement) -> dict[int, tuple[str, str]]:
    """``(role, kind)`` of every ``exp.Table`` node of a parsed statement, by ``id(node)``: the one
    place that decides what a statement reads, for the hint rules and the catalog rules alike (see
    the module docstring and ``_role``). ``EXEC dbo.proc`` names a procedure, not a table: absent."""
    roles = parsed.derived.get("table_roles")
    if roles is None:
        roles = parsed.derived["table_roles"] = _table_roles(parsed)
    return roles  # type: ignore[return-value]


def _table_roles(parsed: ParsedStatement) -> dict[int, tuple[str, str]]:
    cte_names = {cte.alias_or_name.upper() for cte in parsed.find_all(exp.CTE)}
    targets = _target_names(parsed.expression)
    has_openjson = bool(parsed.find_all(exp.OpenJSON))
    has_execute = bool(parsed.find_all(exp.Execute))
    roles = {id(table): _role(table, cte_names, targets, has_openjson) for table in parsed.find_all(exp.Table)
             if not (has_execute and table.find_ancestor(exp.Execute) is not None)}
    for table in _alias_targets(parsed.expression):
        roles[id(table)] = ("write-target", "alias")
    return roles


def _alias_targets(root: exp.Expression) -> list[exp.Table]:
    """``UPDATE h`` / ``DELETE h`` naming an entry of the statement's own FROM (``FROM APTH h``):
    a name for that entry, not a table of its own."""
    if isinstance(root, exp.Update) and root.args.get("from_"):
        named = [root.this]
    elif isinstance(root, exp.Delete) and root.args.get("tables"):
        named = list(root.args["tables"])
    else:
        return []
    from_ = root.args.get("from_") if isinstance(root, exp.Update) else None
    entries = [from_.this if from_ else root.this] + [j.this for j in root.args.get("joins") or []]
    if isinstance(entries[0], exp.Table):
        entries += [j.this for j in entries[0].args.get("joins") or []]
    names = {n for e in entries if isinstance(e, exp.Table) for n in (e.alias_or_name, e.name)}
    return [t for t in named if isinstance(t, exp.Table) and not t.args.get("db") and t.name in names]


def _table_ref(text: str, table: exp.Table, role: str, kind: str, index: int) -> TableRef | None:
    parts = [p for p in table.parts if isinstance(p, exp.Identifier)]
    spans = [_span_of(p) for p in parts]
    if not parts or any(s is None for s in spans):
        return _function_like_ref(table, role, kind, index)
    name_span = Span(spans[0].start, spans[-1].end)
    alias_node = table.args.get("alias")
    alias_identifier = alias_node.this if isinstance(alias_node, exp.TableAlias) else None
    alias_span = _span_of(alias_identifier) if isinstance(alias_identifier, exp.Identifier) else None
    ref_end = alias_span.end if alias_span else name_span.end
    hints = hint_names(table)
    group = hint_group_after(text, ref_end) if hints else None
    if group is None and hints and alias_span:  # MERGE t WITH (HOLDLOCK) AS x: a MERGE target's hints precede its alias
        group = hint_group_after(text, name_span.end)
    return TableRef(
        parts=tuple(p.name for p in parts),
        alias=table.alias or None,
        role=role,
        name_span=name_span,
        alias_span=alias_span,
        ref_end=ref_end,
        hints=hints,
        hint_span=Span(group.start, group.end) if group else None,
        hint_close=group.close if group else None,
        is_legacy_hint=bool(group and group.is_legacy),
        statement_kind=kind,
        node_index=index,
        node=table,
    )


def _function_like_ref(table: exp.Table, role: str, kind: str, index: int) -> TableRef | None:
    """TVFs, OPENJSON, @table variables: no identifier spans to point at, so locate by any meta."""
    span = next((s for s in map(_span_of, table.find_all(exp.Identifier)) if s), None)
    if span is None:
        return None
    return TableRef((table.name,), table.alias or None, role, span, None, span.end, hint_names(table), statement_kind=kind, node_index=index, node=table)


def _span_of(identifier: exp.Expression | None) -> Span | None:
    meta = getattr(identifier, "_meta", None) or {}
    if "start" not in meta or "end" not in meta:
        return None
    return Span(meta["start"], meta["end"] + 1)  # sqlglot's token end is inclusive


def _target_names(root: exp.Expression) -> set[str]:
    """Upper-cased names/aliases an UPDATE or DELETE targets, to find them again in its FROM."""
    names: set[str] = set()
    if isinstance(root, exp.Update) and isinstance(root.this, exp.Table) and root.args.get("from_"):
        names.add(root.this.name.upper())
    if isinstance(root, exp.Delete):
        for table in root.args.get("tables") or ():
            names.add(table.name.upper())
    return names


_FUNCTION_KINDS = frozenset({"table-variable", "openjson", "tvf", "openquery"})


def _role(table: exp.Table, cte_names: set[str], targets: set[str], has_openjson: bool) -> tuple[str, str]:
    """(role, kind): where the name stands (see the module docstring) and what it names
    (``table``, ``temp``, ``cte-ref``, ``system``, ``pseudo`` or one of ``_FUNCTION_KINDS``)."""
    kind = _object_kind(table, cte_names, has_openjson)
    if kind in _FUNCTION_KINDS:
        return kind, kind
    if _is_write_target(table):
        return "write-target", kind
    if not is_table_source(table):
        return "named", kind
    if kind != "table":
        return kind, kind
    # UPDATE h … FROM APTH h / DELETE FROM X FROM X AS a: the FROM entry the target names
    if targets and (table.alias.upper() in targets or table.name.upper() in targets):
        return "write-target", kind
    return "read", kind


def _object_kind(table: exp.Table, cte_names: set[str], has_openjson: bool) -> str:
    this = table.this
    if isinstance(this, exp.Parameter) or table.name.startswith("@"):
        return "table-variable"
    if isinstance(this, exp.OpenJSON) or (has_openjson and isinstance(table.find(exp.OpenJSON), exp.OpenJSON)):
        return "openjson"
    if isinstance(this, (exp.Anonymous, exp.Func)) or (isinstance(this, exp.Dot) and isinstance(this.expression, exp.Func)):
        name = this.name.upper() if isinstance(this, exp.Anonymous) else ""
        return "openquery" if name in _OPENQUERY_NAMES else "tvf"
    identifier = this if isinstance(this, exp.Identifier) else None
    if identifier is not None and (identifier.args.get("temporary") or identifier.args.get("global_") or table.name.startswith("#")):
        return "temp"
    upper = table.name.upper()
    single = not table.args.get("db") and not table.args.get("catalog")
    if single and upper in cte_names:
        return "cte-ref"
    if (table.args.get("db") and table.db.upper() in _SYSTEM_SCHEMAS) or (single and upper.startswith("SYS") and upper in SYSTEM_VIEWS):
        return "system"
    if single and upper in _PSEUDO_TABLES:
        return "pseudo"
    return "table"


# Old unqualified catalog views (sysobjects, syscolumns, …) still common in admin scripts.
SYSTEM_VIEWS = frozenset({"SYSOBJECTS", "SYSCOLUMNS", "SYSINDEXES", "SYSUSERS", "SYSCOMMENTS", "SYSDATABASES", "SYSPROCESSES", "SYSTYPES"})


def is_table_source(table: exp.Table) -> bool:
    """The table stands where a query takes rows from: ``FROM t``, ``JOIN t``, ``MERGE … USING t``,
    or inside a parenthesized join ``FROM (t JOIN u ON …)`` (sqlglot keeps that as a Subquery
    whose ``this`` is the first table, the others joined to it).

    >>> from vgptlint.sql.parse import parse_statement
    >>> [is_table_source(t) for t in parse_statement("ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES u (a)").find_all(exp.Table)]
    [False, False]
    """
    node, parent = table, table.parent
    while isinstance(parent, (exp.Subquery, exp.Paren)) and node.arg_key == "this":
        node, parent = parent, parent.parent  # FROM (APTH h JOIN APTL l ON …), FROM ((t))
    if isinstance(parent, (exp.From, exp.Join)):
        return node.arg_key == "this"
    if isinstance(parent, exp.Delete):  # DELETE h FROM APTH h JOIN …: sqlglot's "this" is the FROM
        return node.arg_key == "this"
    return isinstance(parent, exp.Merge) and node.arg_key == "using"


def _is_write_target(table: exp.Table) -> bool:
    node: exp.Expression = table
    parent = table.parent
    if isinstance(parent, exp.Schema):  # INSERT INTO t (a, b): the table sits in a Schema
        node, parent = parent, parent.parent
    if isinstance(parent, exp.Delete) and node.arg_key == "tables":
        return True
    if isinstance(parent, exp.TruncateTable) or isinstance(parent, exp.Into):
        return True
    if isinstance(parent, _writers()) and node.arg_key == "this":
        if isinstance(parent, exp.Delete) and parent.args.get("tables"):
            return False  # DELETE h FROM APTH h …: "this" is the FROM source; matched by alias
        if isinstance(parent, exp.Update) and parent.args.get("from_"):
            return True
        return True
    return False
