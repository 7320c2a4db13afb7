"""SQL fixers: add a table hint, rewrite a legacy hint. Every fix is verified before it is returned.

``inject_table_hint`` inserts `` WITH (NOLOCK)`` right after the table reference (after its alias
when there is one), or merges ``NOLOCK`` into an existing hint list
(``WITH (INDEX(IX_APTH))`` → ``WITH (INDEX(IX_APTH), NOLOCK)``).
``rewrite_legacy_hint`` turns ``(NOLOCK)`` into ``WITH (NOLOCK)``.
``remove_table_hint`` takes NOLOCK off the target of a write (``UPDATE APTH WITH (NOLOCK) SET`` →
``UPDATE APTH SET``; ``WITH (TABLOCK, NOLOCK)`` → ``WITH (TABLOCK)``): SQL Server rejects it there
(error 1065) or ignores it (an UPDATE/DELETE target named in FROM), so the statement does what
it did, or what it was written to do, without it. Verified like the others: the edited tree with
the hint put back must equal the original's.

Safety: edits are insertions at token boundaries; every other byte of the field stays as written.
Each fix says what verifies it (:mod:`vgptlint.fixes.verify`): the edited statement, re-parsed,
must equal the original's AST with only the intended hint added (``HintAdded``; all of a
statement's hints at once first: ``HintsAdded``), or, for the legacy rewrite, equal it exactly
(``NO_CHANGE``: sqlglot cannot see the difference). When that check fails, or a conflicting lock
hint is present (NOLOCK is never injected next to HOLDLOCK/UPDLOCK/…), the fix is ``display-only``
with a title that starts with "not fixed:" and says why; ``--fix`` never applies display-only fixes.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from vgptlint.fixes.base import fixer
from vgptlint.fixes.verify import Reparse
from vgptlint.functions.base import Context, NoOptions
from vgptlint.functions.sites import HintPlacement, LegacyHintSite, TableHintSite, WrittenHintsSite
from vgptlint.model import Applicability, Edit, Fix
from vgptlint.sql.deferred import exp
from vgptlint.sql.hints import NOLOCK_EQUIVALENTS, hint_name
from vgptlint.sql.parse import ParsedStatement


@dataclass(frozen=True, slots=True)
class InjectTableHintOptions:
    """``hint``: the hint to add (default NOLOCK)."""

    hint: str = "NOLOCK"

    def validate(self) -> str | None:
        if not self.hint.isalpha():
            return f'option "hint": "{self.hint}" is not a table hint name; expected e.g. NOLOCK'
        object.__setattr__(self, "hint", self.hint.upper())
        return None


@fixer("inject_table_hint", options=InjectTableHintOptions, site=TableHintSite)
def inject_table_hint(value: object, site: TableHintSite, opts: InjectTableHintOptions, ctx: Context) -> Fix | None:
    """Add ``WITH (<hint>)`` to the table the hit names (merging into an existing hint list)."""
    if not isinstance(value, str):
        return None
    edits = _hint_edits(value, site.placement, opts.hint)
    if site.blocked:
        return Fix(site.blocked, Applicability.DISPLAY_ONLY, edits)
    together = HintsAdded(site.statement_placements, opts.hint)
    return Fix(f"add WITH ({opts.hint}) to {site.table}", Applicability.SAFE, edits,
               verify=Reparse(site.statement, HintAdded(site.placement.node_index, opts.hint), together))


@dataclass(frozen=True, slots=True)
class HintAdded:
    """The expected change of one ``inject_table_hint`` fix: ``hint`` added to table ``node_index``."""

    node_index: int
    hint: str

    def take_out(self, original: ParsedStatement, edited: exp.Expression) -> bool:
        return _take_out_hint(original, edited, self.node_index, self.hint)


@dataclass(frozen=True, slots=True)
class HintsAdded:
    """Every ``inject_table_hint`` fix of one statement (verified together, by one re-parse)."""

    placements: tuple[HintPlacement, ...]
    hint: str

    @property
    def count(self) -> int:
        return len(self.placements)

    def edits(self, statement: str, base: int) -> tuple[Edit, ...]:
        return tuple(edit for placement in self.placements for edit in _hint_edits(statement, placement, self.hint, base))

    def take_out(self, original: ParsedStatement, edited: exp.Expression) -> bool:
        tables = list(edited.find_all(exp.Table))  # once, not once per fix: a statement may have thousands
        return all(_take_out_hint(original, edited, p.node_index, self.hint, tables) for p in self.placements)


def _hint_edits(value: str, placement: HintPlacement, hint: str, base: int = 0) -> tuple[Edit, ...]:
    """The edits adding ``hint``; ``value`` starts at offset ``base`` of the field."""
    if placement.hint_close is None:
        return (Edit(placement.insert_at, placement.insert_at, f" WITH ({hint})"),)
    merge = Edit(placement.hint_close, placement.hint_close, f", {hint}")
    if placement.is_legacy_hint:
        return (_with_keyword_edit(value, placement.hint_start, base), merge)
    return (merge,)


def _with_keyword_edit(value: str, paren: int, base: int = 0) -> Edit:
    """Insert ``WITH`` before a legacy ``(`` — with a leading space when the ``(`` is glued to the alias."""
    needs_space = paren > base and not value[paren - base - 1].isspace()
    return Edit(paren, paren, " WITH " if needs_space else "WITH ")


@fixer("rewrite_legacy_hint", options=NoOptions, site=LegacyHintSite)
def rewrite_legacy_hint(value: object, site: LegacyHintSite, opts: NoOptions, ctx: Context) -> Fix | None:
    """``(NOLOCK)`` → ``WITH (NOLOCK)``; the AST must not change at all."""
    if not isinstance(value, str):
        return None
    return Fix(f"write WITH before the hint of {site.table}", Applicability.SAFE,
               (_with_keyword_edit(value, site.hint_start),), verify=Reparse(site.statement, NO_CHANGE))


@dataclass(frozen=True, slots=True)
class NoChange:
    """The expected change of a respelling sqlglot cannot see: none at all."""

    def take_out(self, original: ParsedStatement, edited: exp.Expression) -> bool:
        return True


NO_CHANGE = NoChange()


@dataclass(frozen=True, slots=True)
class RemoveTableHintOptions:
    """``hints``: the hints to take off (default NOLOCK and its synonym READUNCOMMITTED)."""

    hints: tuple[str, ...] = tuple(sorted(NOLOCK_EQUIVALENTS))

    def validate(self) -> str | None:
        if not self.hints or not all(isinstance(h, str) and h.isalpha() for h in self.hints):
            return 'option "hints" needs table hint names, e.g. [NOLOCK]'
        object.__setattr__(self, "hints", tuple(h.upper() for h in self.hints))
        return None


@fixer("remove_table_hint", options=RemoveTableHintOptions, site=WrittenHintsSite)
def remove_table_hint(value: object, site: WrittenHintsSite, opts: RemoveTableHintOptions, ctx: Context) -> Fix | None:
    """Take ``hints`` out of the table's hint group; the whole group (and the blanks before it)
    when nothing else is left in it."""
    if not isinstance(value, str) or not site.items:
        return None
    kept = [(start, end) for name, start, end in site.items if name not in opts.hints]
    removed = list(dict.fromkeys(name for name, _, _ in site.items if name in opts.hints))
    if not removed:
        return None
    if kept:  # WITH (TABLOCK, NOLOCK) -> WITH (TABLOCK): the list rewritten, the rest as written
        edit = Edit(site.items[0][1], site.items[-1][2], ", ".join(value[start:end] for start, end in kept))
    else:
        start = site.group.start
        while start > site.statement.start and value[start - 1] in " \t":
            start -= 1
        edit = Edit(start, site.group.end, "")
    return Fix(f"remove {', '.join(removed)} from {site.table}", Applicability.SAFE, (edit,),
               verify=Reparse(site.statement, HintsRemoved(site.node_index, opts.hints)))


@dataclass(frozen=True, slots=True)
class HintsRemoved:
    """The expected change of a ``remove_table_hint`` fix: ``hints`` gone from table ``node_index``."""

    node_index: int
    hints: tuple[str, ...]

    def take_out(self, original: ParsedStatement, edited: exp.Expression) -> bool:
        """Put the removed hints back into ``edited`` (whose table must have exactly the others)."""
        before = _hints(original.find_all(exp.Table)[self.node_index])
        table = _table_at(edited, self.node_index)
        if table is None or _hints(table) != _without(before, self.hints):
            return False
        table.set("hints", [hint.copy() for hint in before])
        return True


def _without(hints: list[exp.Expression], names: tuple[str, ...]) -> list[exp.Expression]:
    kept = []
    for hint in hints:
        if not isinstance(hint, exp.WithTableHint):
            kept.append(hint)
            continue
        items = [item for item in hint.expressions if hint_name(item) not in names]
        if items:
            kept.append(exp.WithTableHint(expressions=[item.copy() for item in items]))
    return kept


# ----------------------------------------------------------------------------- the hint in a tree


def _take_out_hint(original: ParsedStatement, edited: exp.Expression, node_index: int, hint: str,
                   edited_tables: list[exp.Expression] | None = None) -> bool:
    """Remove from ``edited`` the hint that adding ``hint`` to table ``node_index`` of ``original``
    would add: appended to its first ``WITH (…)`` group, or as a new group after its hints.
    ``edited_tables``: ``edited``'s tables in ``find_all`` order, when the caller has them."""
    had_group = any(isinstance(h, exp.WithTableHint) for h in _hints(original.find_all(exp.Table)[node_index]))
    if edited_tables is None:
        table = _table_at(edited, node_index)
    else:
        table = edited_tables[node_index] if -len(edited_tables) <= node_index < len(edited_tables) else None
    if table is None:
        return False
    hints = _hints(table)
    if had_group:
        group = next((h for h in hints if isinstance(h, exp.WithTableHint)), None)
        if group is None or not group.expressions or group.expressions[-1] != exp.Var(this=hint):
            return False
        group.set("expressions", group.expressions[:-1])
        return True
    if not hints or hints[-1] != exp.WithTableHint(expressions=[exp.Var(this=hint)]):
        return False
    table.set("hints", hints[:-1])  # an empty list compares like no hints at all
    return True


def _table_at(root: exp.Expression, node_index: int) -> exp.Expression | None:
    """``list(root.find_all(exp.Table))[node_index]`` (None when out of range), walking no further than needed."""
    if node_index < 0:
        tables = list(root.find_all(exp.Table))
        return tables[node_index] if node_index >= -len(tables) else None
    return next(itertools.islice(root.find_all(exp.Table), node_index, None), None)


def _hints(table: exp.Expression) -> list[exp.Expression]:
    return table.args.get("hints") or []
