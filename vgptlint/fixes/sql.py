"""SQL fixers: add a table hint, rewrite a legacy hint. Every fix is verified before it is returned.

``inject_table_hint`` inserts `` WITH (NOLOCK)`` right after the table reference (after its alias
when there is one), or merges ``NOLOCK`` into an existing hint list
(``WITH (INDEX(IX_APTH))`` → ``WITH (INDEX(IX_APTH), NOLOCK)``).
``rewrite_legacy_hint`` turns ``(NOLOCK)`` into ``WITH (NOLOCK)``.

Safety: edits are insertions at token boundaries; every other byte of the field stays as written.
Before a fix is returned, the edited statement is re-parsed and its AST must equal the original's
with only the intended hint added (or, for the legacy rewrite, equal the original exactly, since
sqlglot cannot see the difference). When that check fails, or a conflicting lock hint is present
(NOLOCK is never injected next to HOLDLOCK/UPDLOCK/…), the fixer returns a ``display-only`` Fix
whose title starts with "not fixed:" and says why; ``--fix`` never applies display-only fixes.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from vgptlint.fixes.base import fixer, is_verification_deferred
from vgptlint.functions.base import Context, Hit, NoOptions
from vgptlint.functions.sql import FIX_PLACEMENT_KEYS
from vgptlint.model import Applicability, Edit, Fix
from vgptlint.sql.parse import statement_cached, ParsedStatement, parse_fresh, parse_statement


@dataclass(frozen=True, slots=True)
class InjectTableHintOptions:
    """``hint``: the hint to add (default NOLOCK)."""

    hint: str = "NOLOCK"

    def validate(self) -> str | None:
        if not self.hint.isalpha():
            return f'option "hint": "{self.hint}" is not a table hint name; expected e.g. NOLOCK'
        object.__setattr__(self, "hint", self.hint.upper())
        return None


@fixer("inject_table_hint", options=InjectTableHintOptions)
def inject_table_hint(value: object, hit: Hit, opts: InjectTableHintOptions, ctx: Context) -> Fix | None:
    """Add ``WITH (<hint>)`` to the table the hit names (merging into an existing hint list)."""
    data = hit.data
    if not isinstance(value, str) or "insert_at" not in data:
        return None
    title = f"add WITH ({opts.hint}) to {data.get('table')}"
    edits = _hint_edits(value, data, opts.hint)
    if data.get("fix_note"):
        return Fix(str(data["fix_note"]), Applicability.DISPLAY_ONLY, edits)
    if is_verification_deferred(ctx):
        return Fix(title, Applicability.SAFE, edits)
    dialect = ctx.dialect or "tsql"
    group = data.get("statement_fixes") or ()
    if len(group) > 1 and _hints_verified_together(value[int(data["statement_start"]) : int(data["statement_end"])], int(data["statement_start"]), group, opts.hint, dialect) is None:
        return Fix(title, Applicability.SAFE, edits)
    problem = _over_budget(data, len(group)) or verify(value, data, edits, lambda original, edited: _take_out_hint(original, edited, int(data["node_index"]), opts.hint), dialect)
    if problem:
        return Fix(f"not fixed: {problem}", Applicability.DISPLAY_ONLY, edits)
    return Fix(title, Applicability.SAFE, edits)


# A statement's fixes are verified together, by one re-parse (the fix loop applies them together
# too); only when that fails is each verified alone, which re-parses the statement once per fix,
# so that is done only while it costs at most this many characters (about 2 s of parsing).
ALONE_VERIFICATION_BUDGET = 500_000


def _over_budget(data: dict, fix_count: int) -> str | None:
    length = int(data["statement_end"]) - int(data["statement_start"])
    if fix_count > 1 and length * fix_count > ALONE_VERIFICATION_BUDGET:
        return (f"not verified: the statement's {fix_count} fixes did not verify together, and verifying each alone "
                f"would re-parse {length * fix_count:,} characters (the budget is {ALONE_VERIFICATION_BUDGET:,})")
    return None


@statement_cached
def _hints_verified_together(statement: str, base: int, group: tuple[tuple, ...], hint: str, dialect: str) -> str | None:
    """:func:`verify` for every fix of one statement at once (``group``: see ``statement_fixes``)."""
    members = [dict(zip(FIX_PLACEMENT_KEYS, member)) for member in group]
    edits = tuple(edit for member in members for edit in _hint_edits(statement, member, hint, base))

    def take_out_all(original: ParsedStatement, edited: exp.Expression) -> bool:
        tables = list(edited.find_all(exp.Table))  # once, not once per fix: a statement may have thousands
        return all(_take_out_hint(original, edited, int(member["node_index"]), hint, tables) for member in members)

    return verify(statement, {"statement_start": base, "statement_end": base + len(statement)}, edits, take_out_all, dialect, base)



def _hint_edits(value: str, data: dict, hint: str, base: int = 0) -> tuple[Edit, ...]:
    """The edits adding ``hint``; ``value`` starts at offset ``base`` of the field."""
    close = data.get("hint_close")
    if close is None:
        return (Edit(int(data["insert_at"]), int(data["insert_at"]), f" WITH ({hint})"),)
    merge = Edit(int(close), int(close), f", {hint}")
    if data.get("is_legacy_hint"):
        return (_with_keyword_edit(value, int(data["hint_start"]), base), merge)
    return (merge,)


def _with_keyword_edit(value: str, paren: int, base: int = 0) -> Edit:
    """Insert ``WITH`` before a legacy ``(`` — with a leading space when the ``(`` is glued to the alias."""
    needs_space = paren > base and not value[paren - base - 1].isspace()
    return Edit(paren, paren, " WITH " if needs_space else "WITH ")


@fixer("rewrite_legacy_hint", options=NoOptions)
def rewrite_legacy_hint(value: object, hit: Hit, opts: NoOptions, ctx: Context) -> Fix | None:
    """``(NOLOCK)`` → ``WITH (NOLOCK)``; the AST must not change at all."""
    data = hit.data
    if not isinstance(value, str) or data.get("hint_start") is None:
        return None
    edits = (_with_keyword_edit(value, int(data["hint_start"])),)
    title = f"write WITH before the hint of {data.get('table')}"
    if is_verification_deferred(ctx):
        return Fix(title, Applicability.SAFE, edits)
    problem = verify(value, data, edits, lambda original, edited: True, ctx.dialect or "tsql")
    if problem:
        return Fix(f"not fixed: {problem}", Applicability.DISPLAY_ONLY, edits)
    return Fix(title, Applicability.SAFE, edits)


# ----------------------------------------------------------------------------- verification


def apply_edits(text: str, edits: tuple[Edit, ...], base: int = 0) -> str:
    """Apply non-overlapping edits (offsets relative to ``text`` + ``base``), last first."""
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        text = text[: edit.start - base] + edit.replacement + text[edit.end - base :]
    return text


def verify(value: str, data: dict, edits: tuple[Edit, ...], take_out: Callable[[ParsedStatement, exp.Expression], bool], dialect: str, base: int = 0) -> str | None:
    """None when the edited statement parses to the original AST plus the intended change; else why not.

    ``take_out(original, edited)`` removes the intended change from ``edited`` (a fresh tree, ours
    to edit) and says whether it was there; it raises IndexError when ``original`` has no place
    for the change. Taking the change out of the edited tree, rather than adding it to a copy of
    the original, spares a deep copy of the original per fix; the two checks agree, because
    the change adds no table and trees compare structurally.
    """
    start, end = int(data["statement_start"]), int(data["statement_end"])
    if any(e.start < start or e.end > end for e in edits):
        return "the edit falls outside its statement"
    original = parse_statement(value[start - base : end - base], dialect)
    if not isinstance(original, ParsedStatement) or original.is_opaque:
        return "the original statement does not parse"
    # Parsing text we produced is bounded like any parse (parse.unparseable_reason): a construct
    # that would send sqlglot into a loop, or a statement grown past the limit, is not verified.
    edited = parse_fresh(apply_edits(value[start - base : end - base], edits, start), dialect)
    if isinstance(edited, ParsedStatement) and edited.not_analyzed:
        return f"not verified: {edited.not_analyzed}"
    if not isinstance(edited, ParsedStatement) or edited.is_opaque:
        return "the edited statement would not parse"
    try:
        is_taken_out = take_out(original, edited.expression)
    except (IndexError, ValueError):
        return "the table could not be found again in the statement"
    if not is_taken_out or edited.expression != original.expression:
        return "the edited statement would differ by more than the hint"
    return None


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
