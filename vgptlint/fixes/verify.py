"""Verifying a proposed fix before it is offered: the fix loop re-parses, fixers only say what to expect.

A fixer returns a :class:`~vgptlint.model.Fix` whose ``verify`` is a :class:`Reparse`: the statement
its edits are in and the change they are meant to make (an :class:`Expectation`). :func:`settle`
applies the edits (:func:`vgptlint.fixes.edits.apply_edits`), re-parses the statement and checks
that the edited tree, with the intended change taken out, equals the original's. A fix that fails,
or whose verification does not finish within the parser's bounds (:func:`vgptlint.sql.parse.unparseable_reason`)
or the budget below, becomes ``display-only`` with a title saying why ("not fixed: …"): ``--fix``
never applies it.

Only the fix stage decides whether to verify (a report that shows fixes only as a count does not
need it: ``Reporter.needs_verified_fixes``); a fixer never knows.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from vgptlint.fixes.edits import apply_edits
from vgptlint.model import Applicability, Edit, Fix, Span
from vgptlint.sql.deferred import exp
from vgptlint.sql.parse import ParsedStatement, parse_fresh, parse_statement, statement_cached

# A statement's fixes are verified together, by one re-parse (the fix loop applies them together
# too); only when that fails is each verified alone, which re-parses the statement once per fix,
# so that is done only while it costs at most this many characters (about 2 s of parsing).
ALONE_VERIFICATION_BUDGET = 500_000


class Expectation(Protocol):
    """The change a fix's edits are meant to make to a statement's tree."""

    def take_out(self, original: ParsedStatement, edited: exp.Expression) -> bool:
        """Remove the change from ``edited`` (a fresh tree, ours to edit); whether it was there.
        Raises IndexError when ``original`` has no place for the change."""


class StatementFixes(Expectation, Protocol):
    """Every fix of one statement at once (hashable: its verification is cached per statement)."""

    count: int

    def edits(self, statement: str, base: int) -> tuple[Edit, ...]:
        """All the fixes' edits; ``statement`` starts at offset ``base`` of the value."""


@dataclass(frozen=True, slots=True)
class Reparse:
    """What to verify: the edited ``statement`` (a span of the value) parses to the original's tree
    plus ``expect``'s change; with ``expect`` None it need only parse. ``together``: the statement's
    fixes at once, tried first when there are several (one re-parse verifies them all)."""

    statement: Span
    expect: Expectation | None = None
    together: StatementFixes | None = None


def settle(fix: Fix, value: object, dialect: str) -> Fix:
    """``fix`` verified: as proposed when its check passes (or it has none), else display-only."""
    check = fix.verify
    if check is None:
        return fix
    fix = replace(fix, verify=None)
    if not isinstance(value, str):
        return fix
    problem = _problem(check, value, fix, dialect)
    return fix if problem is None else Fix(f"not fixed: {problem}", Applicability.DISPLAY_ONLY, fix.edits)


def unverified(fix: Fix) -> Fix:
    """``fix`` as proposed, its check dropped (a report that shows fixes only as a count)."""
    return fix if fix.verify is None else replace(fix, verify=None)


def _problem(check: Reparse, value: str, fix: Fix, dialect: str) -> str | None:
    if check.expect is None:
        return None if _still_parses(value, check.statement, fix.edits, dialect) else f"{fix.title} would not parse"
    start, end = check.statement.start, check.statement.end
    together = check.together
    if together is not None and together.count > 1:
        if _verified_together(value[start:end], start, together, dialect) is None:
            return None
        length = end - start
        if length * together.count > ALONE_VERIFICATION_BUDGET:
            return (f"not verified: the statement's {together.count} fixes did not verify together, and verifying "
                    f"each alone would re-parse {length * together.count:,} characters (the budget is "
                    f"{ALONE_VERIFICATION_BUDGET:,})")
    return verify(value, check.statement, fix.edits, check.expect, dialect)


@statement_cached
def _verified_together(statement: str, base: int, together: StatementFixes, dialect: str) -> str | None:
    """:func:`verify` for every fix of one statement at once."""
    return verify(statement, Span(base, base + len(statement)), together.edits(statement, base), together, dialect, base)


def verify(value: str, statement: Span, edits: tuple[Edit, ...], expect: Expectation, dialect: str,
           base: int = 0) -> str | None:
    """None when the edited statement parses to the original tree plus the intended change; else why not.

    ``value`` starts at offset ``base`` of the field. Taking the change out of the edited tree,
    rather than adding it to a copy of the original, spares a deep copy of the original per fix;
    the two checks agree, because the change adds no table and trees compare structurally.
    """
    start, end = statement.start, statement.end
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
        is_taken_out = expect.take_out(original, edited.expression)
    except (IndexError, ValueError):
        return "the table could not be found again in the statement"
    if not is_taken_out or edited.expression != original.expression:
        return "the edited statement would differ by more than the hint"
    return None


def _still_parses(value: str, statement: Span, edits: tuple[Edit, ...], dialect: str) -> bool:
    """The edited statement parses and is analyzed (an edit that changes no structure, e.g. letter case)."""
    if any(e.start < statement.start or e.end > statement.end for e in edits):
        return False
    parsed = parse_statement(apply_edits(value[statement.start : statement.end], edits, statement.start), dialect)
    return isinstance(parsed, ParsedStatement) and not parsed.not_analyzed
