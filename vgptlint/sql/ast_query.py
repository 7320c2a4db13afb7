"""Select sqlglot AST nodes by type and simple conditions, so SQL rules can be written in YAML.

Options of the ``sql_ast`` function:

``node``        sqlglot expression class name: ``Join``, ``Select``, ``Update``, ``Star``, ``Func``…
``args``        conditions on the node's arguments: ``true`` (present), ``false`` (absent), or a
                string compared case-insensitively with the argument's text
                (``{kind: CROSS}``, ``{where: false}``, ``{limit: true, order: false}``)
``function``    for function nodes: the function's T-SQL name (``GETDATE``, ``ISNULL``)
``inside``      the node must have an ancestor of this type (``Where``)
``not_inside``  … and none of this type (``Exists``)
``message``     the finding's sentence
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from vgptlint.model import Span
from vgptlint.sql.deferred import exp, is_expression_name
from vgptlint.sql.parse import ParsedStatement


def _expression_class(name: str | None) -> type | None:
    if name is None:
        return None
    cls = getattr(exp, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, exp.Expression) else None


@dataclass(frozen=True)
class SqlAstOptions:
    """See the module docstring of :mod:`vgptlint.sql.ast_query`."""

    node: str
    message: str
    args: Mapping[str, object] = field(default_factory=dict)
    function: str | None = None
    inside: str | None = None
    not_inside: str | None = None

    def validate(self) -> str | None:
        for key, name in (("node", self.node), ("inside", self.inside), ("not_inside", self.not_inside)):
            if name is not None and not is_expression_name(name):  # checked without importing sqlglot
                return f'option "{key}": "{name}" is not a sqlglot expression type; expected e.g. Join, Select, Where'
        for arg, expected in self.args.items():
            if not isinstance(expected, (bool, str)):
                return f'option "args": condition on "{arg}" must be true, false or a string'
        return None


def matching_nodes(parsed: ParsedStatement, opts: SqlAstOptions, dialect: str) -> Iterator[exp.Expression]:
    node_type = _expression_class(opts.node)
    inside = _expression_class(opts.inside)
    not_inside = _expression_class(opts.not_inside)
    for node in parsed.find_all(node_type):
        if opts.function and _function_name(node, dialect) != opts.function.upper():
            continue
        if not all(_arg_matches(node, arg, expected) for arg, expected in opts.args.items()):
            continue
        if inside is not None and node.find_ancestor(inside) is None:
            continue
        if not_inside is not None and node.find_ancestor(not_inside) is not None:
            continue
        yield node


def _arg_matches(node: exp.Expression, arg: str, expected: object) -> bool:
    value = node.args.get(arg)
    if arg == "from" and value is None:
        value = node.args.get("from_")  # sqlglot 30 spells it from_
    present = value not in (None, False, "", [])
    if isinstance(expected, bool):
        return present is expected
    if isinstance(value, exp.Expression):
        value = value.sql()
    return present and str(value).upper() == str(expected).upper()


def _function_name(node: exp.Expression, dialect: str) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).upper()
    if isinstance(node, exp.Func):
        # GETDATE() parses to CurrentTimestamp: compare the name the dialect writes.
        return node.sql(dialect).split("(")[0].strip().upper()
    return ""


def node_span(node: exp.Expression) -> Span | None:
    """Offsets (relative to the parsed text) of the first identifier in the node, if it has one."""
    for identifier in node.find_all(exp.Identifier):
        meta = getattr(identifier, "_meta", None) or {}
        if "start" in meta and "end" in meta:
            return Span(meta["start"], meta["end"] + 1)
    return None
