"""The columns a source gives a query: column lists (``AS t(a, b)``), SELECT * over a source,
PIVOT/UNPIVOT. Kept apart from :mod:`vgptlint.sql.resolve`, which builds the scopes."""
from __future__ import annotations

from typing import TYPE_CHECKING

from vgptlint.sql.deferred import exp

if TYPE_CHECKING:
    from vgptlint.sql.resolve import Source


def alias_columns(node: exp.Expression) -> list[str] | None:
    alias = node.args.get("alias")
    if isinstance(alias, exp.TableAlias) and alias.columns:
        return [c.name for c in alias.columns]
    return None


def rename_outputs(outputs: dict[str, exp.Expression | None] | None, listed: list[str] | None) -> dict[str, exp.Expression | None] | None:
    """Apply a column list (``AS t(a, b)``, ``WITH x(a, b)``) to a query's outputs, by position."""
    if listed is None:
        return outputs
    values = list(outputs.values()) if outputs is not None else []
    return {name: values[i] if i < len(values) else None for i, name in enumerate(listed)}


def pivot_outputs(pivot: exp.Pivot, source: Source) -> dict[str, object] | None:
    """The columns ``source PIVOT (…)`` / ``UNPIVOT (…)`` gives: the source's columns that are
    neither aggregated/unpivoted nor the FOR column, then the IN list's names (PIVOT) or the value
    and name columns (UNPIVOT). None when the source's columns are unknowable."""
    columns = source_outputs(source)
    fields = pivot.args.get("fields") or []
    if columns is None or len(fields) != 1 or not isinstance(fields[0], exp.In):
        return None
    listed = [item.name for item in fields[0].expressions]
    for_column = fields[0].this.name
    if pivot.args.get("unpivot"):
        consumed, added = set(listed), [e.name for e in pivot.expressions] + [for_column]
    else:
        consumed = {c.name for e in pivot.expressions for c in e.find_all(exp.Column)} | {for_column}
        added = listed
    output: dict[str, object] = {name: source for name in columns if name not in consumed}
    output.update({name: None for name in added})
    return output


def source_outputs(source: Source) -> list[str] | None:
    if source.is_pivoted:
        return None
    if source.entry is not None:
        return list(source.entry.columns)
    if source.output is not None:
        return list(source.output)
    return None
