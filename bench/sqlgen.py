"""Random but valid T-SQL reads over the bench Vista catalog.

A query is first drawn as a `SqlSpec`, then rendered to a template in which every table reference is
followed by `HINT`; `render(template, nolock)` turns the marker into ` WITH (NOLOCK)` or nothing. Pairs that
differ only by the hint therefore come from one template, and pairs that differ by a join key or a
company filter come from two specs that share everything else.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from bench.vista import CHAINS, COLUMNS, LINK_BY_PAIR, PREDICATES, TABLES

HINT = "\x00"  # never appears in generated text
NOLOCK = " WITH (NOLOCK)"

_ALIAS_STYLES = ("as", "bare", "name")
_MONEY_TYPES = ("bDollar",)


@dataclass(frozen=True, slots=True)
class SqlSpec:
    tables: tuple[str, ...]
    alias_style: str  # "none" (single table, unqualified) | "as" | "bare" | "name"
    columns: tuple[tuple[int, str], ...]  # (index into tables, column)
    dropped: tuple[tuple[int, str], ...] = ()  # (join index, child column) left out of an ON clause
    company: int | None = None  # literal for the root table's scope column
    predicates: tuple[tuple[int, str, str, str], ...] = ()  # (table index, column, operator, literal)
    top: int | None = None
    order: bool = False
    total: tuple[int, str] | None = None  # SUM() of this money column, grouped by the other columns
    left_join: bool = False


def _alias(spec: SqlSpec, index: int) -> str:
    """The table name minus its module prefix (APTH -> th); the whole name when that is taken (JCCM, ARCM)."""
    short = spec.tables[index][2:].lower()
    earlier = {t[2:].lower() for t in spec.tables[:index]}
    return spec.tables[index].lower() if short in earlier else short


def _qualifier(spec: SqlSpec, index: int) -> str:
    if spec.alias_style == "none":
        return ""
    return spec.tables[index] if spec.alias_style == "name" else _alias(spec, index)


def _ref(spec: SqlSpec, index: int, column: str) -> str:
    qualifier = _qualifier(spec, index)
    return f"{qualifier}.{column}" if qualifier else column


def _table_ref(spec: SqlSpec, index: int) -> str:
    name = spec.tables[index]
    if spec.alias_style == "as":
        return f"{name} AS {_alias(spec, index)}{HINT}"
    if spec.alias_style == "bare":
        return f"{name} {_alias(spec, index)}{HINT}"
    return f"{name}{HINT}"


def template(spec: SqlSpec, multiline: bool = True) -> str:
    """The query text with `HINT` after every table reference."""
    select_cols = [_ref(spec, i, c) for i, c in spec.columns if (i, c) != spec.total]
    if spec.total is not None:
        i, c = spec.total
        select_cols.append(f"SUM({_ref(spec, i, c)}) AS Total{c}")
    top = f"TOP {spec.top} " if spec.top else ""
    lines = [f"SELECT {top}{', '.join(select_cols)}", f"FROM {_table_ref(spec, 0)}"]
    for j in range(1, len(spec.tables)):
        link = LINK_BY_PAIR[(spec.tables[j - 1], spec.tables[j])]
        on = [f"{_ref(spec, j, c)} = {_ref(spec, j - 1, p)}" for p, c in link.on if (j, c) not in spec.dropped]
        kind = "LEFT JOIN" if spec.left_join and j == len(spec.tables) - 1 else "INNER JOIN"
        sep = "\n    ON " if multiline else " ON "
        lines.append(f"{kind} {_table_ref(spec, j)}{sep}{' AND '.join(on)}")
    where = []
    if spec.company is not None:
        root = TABLES[spec.tables[0]]
        where.append(f"{_ref(spec, 0, root.scope)} = {spec.company}")
    where += [f"{_ref(spec, i, c)} {op} {lit}" for i, c, op, lit in spec.predicates]
    if where:
        lines.append("WHERE " + " AND ".join(where))
    if spec.total is not None and select_cols[:-1]:
        lines.append("GROUP BY " + ", ".join(select_cols[:-1]))
    if spec.order:
        first = spec.columns[0]
        if spec.total is None or first != spec.total:
            lines.append(f"ORDER BY {_ref(spec, *first)}")
    return ("\n" if multiline else " ").join(lines)


def render(tpl: str, nolock: bool) -> str:
    return tpl.replace(HINT, NOLOCK if nolock else "")


def random_spec(rng: random.Random, tables: tuple[int, int], columns: tuple[int, int], *,
                company_share: float = 0.7, extras: bool = True) -> SqlSpec:
    """Draw a query over `tables` (min, max) joined tables with `columns` (min, max) selected columns."""
    size = rng.randint(*tables)
    if size == 1:
        chain = (rng.choice(sorted(TABLES)),)
    else:
        candidates = [c for c in CHAINS if len(c) >= size]
        chain = rng.choice(candidates)[:size]
    pool = [(i, c) for i, t in enumerate(chain) for c in TABLES[t].columns]
    wanted = min(len(pool), rng.randint(*columns))
    picked = sorted(rng.sample(range(len(pool)), wanted))
    cols = tuple(pool[k] for k in picked)
    style = "none" if size == 1 and rng.random() < 0.6 else rng.choice(_ALIAS_STYLES)
    company = rng.randint(1, 9) if rng.random() < company_share else None
    preds: list[tuple[int, str, str, str]] = []
    top = None
    order = False
    total = None
    if extras:
        for i, t in enumerate(chain):
            if t in PREDICATES and rng.random() < 0.35:
                preds.append((i, *rng.choice(PREDICATES[t])))
        top = rng.choice((None, None, None, 10, 50, 100))
        order = rng.random() < 0.3
        money = [(i, c) for i, c in cols if COLUMNS[c][0] in _MONEY_TYPES]
        if money and len(cols) > 1 and rng.random() < 0.2:
            total = money[-1]
    return SqlSpec(chain, style, cols, company=company, predicates=tuple(preds), top=top, order=order,
                   total=total, left_join=size > 1 and rng.random() < 0.15)


def drop_join_key(rng: random.Random, spec: SqlSpec) -> SqlSpec | None:
    """The same query with one part of a composite join key left out (None when no join has two parts)."""
    options = []
    for j in range(1, len(spec.tables)):
        on = LINK_BY_PAIR[(spec.tables[j - 1], spec.tables[j])].on
        if len(on) > 1:
            options += [(j, c) for _, c in on]
    if not options:
        return None
    # Mth and the group columns are the classic omissions (DOMAIN.md §5); prefer them.
    classic = [o for o in options if o[1] in ("Mth", "PhaseGroup", "VendorGroup", "CustGroup")]
    return dataclasses.replace(spec, dropped=(rng.choice(classic or options),))


def has_join_key_to_drop(spec: SqlSpec) -> bool:
    return any(len(LINK_BY_PAIR[(a, b)].on) > 1 for a, b in zip(spec.tables, spec.tables[1:]))
