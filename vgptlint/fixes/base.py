"""The fixer registry: a rule's ``fix:`` names a fixer that turns one hit into a :class:`Fix`.

A fixer is pure like a function: it gets the selected value, the hit, validated options and the
context, and returns a Fix (or None when it cannot fix this hit). It never re-renders a whole
value: edits are minimal spans, so every other byte stays as the author wrote it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vgptlint.functions.base import Context, Hit
from vgptlint.model import Applicability, Fix

FixFn = Callable[[object, Hit, object, Context], "Fix | None"]


@dataclass(frozen=True, slots=True)
class Fixer:
    name: str
    options: type
    compute: FixFn
    default_applicability: Applicability
    doc: str


FIXERS: dict[str, Fixer] = {}


def fixer(name: str, *, options: type, applicability: Applicability = Applicability.SAFE) -> Callable[[FixFn], FixFn]:
    def register(compute: FixFn) -> FixFn:
        FIXERS[name] = Fixer(name, options, compute, applicability, (compute.__doc__ or "").strip())
        return compute

    return register


DEFER_VERIFICATION = "defer_fix_verification"


def is_verification_deferred(ctx: Context) -> bool:
    """True in a report-only run (text, table, github): a proposed SQL fix is not re-parsed yet.

    Verification re-parses every edited statement (more than half of a run's SQL parsing), and only
    matters when a fix is applied (``--fix``), shown as a diff (``--diff``) or handed to tools
    (JSON, SARIF): those runs always verify, and no unverified fix is ever written.
    """
    return bool(ctx.settings.get(DEFER_VERIFICATION)) if ctx.settings else False
