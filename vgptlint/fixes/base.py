"""The fixer registry: a rule's ``fix:`` names a fixer that turns one hit into a :class:`Fix`.

A fixer is pure like a function: it gets the selected value, the hit's typed fix site (the class it
registers with ``site=``, from :mod:`vgptlint.functions.sites`; ``Hit`` itself for fixers that need
only the hit's span or message), validated options and the context, and returns a Fix (or None
when it cannot fix this hit). It never re-renders a whole value: edits are minimal spans, so every
other byte stays as the author wrote it. It never verifies its edits either: it says what to verify
(``Fix.verify``) and the fix stage decides whether and does it (:mod:`vgptlint.fixes.verify`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from vgptlint.fixes.verify import settle, unverified
from vgptlint.functions.base import Context, Hit
from vgptlint.model import Applicability, Fix, SetValue
from vgptlint.select.jsonpath import to_pointer

FixFn = Callable[[object, object, object, Context], "Fix | None"]


@dataclass(frozen=True, slots=True)
class Fixer:
    name: str
    options: type
    compute: FixFn
    default_applicability: Applicability
    doc: str
    site: type = Hit

    def propose(self, value: object, hit: Hit, opts: object, ctx: Context, verify: bool = True) -> Fix | None:
        """This fixer's fix for ``hit`` (None when the hit carries no site of its kind), verified
        unless ``verify`` is False (it is then as proposed)."""
        site = hit if self.site is Hit else hit.site
        if not isinstance(site, self.site):
            return None
        fix = self.compute(value, site, opts, ctx)
        if fix is None:
            return None
        return settle(fix, value, ctx.dialect or "tsql") if verify else unverified(fix)


FIXERS: dict[str, Fixer] = {}


def fixer(name: str, *, options: type, site: type = Hit,
          applicability: Applicability = Applicability.SAFE) -> Callable[[FixFn], FixFn]:
    """Register ``compute(value, site, options, ctx) -> Fix | None`` as fixer ``name``; it is called
    only for hits whose ``site`` is an instance of ``site`` (``Hit``: every hit, given whole)."""

    def register(compute: FixFn) -> FixFn:
        FIXERS[name] = Fixer(name, options, compute, applicability, (compute.__doc__ or "").strip(), site)
        return compute

    return register


@dataclass(frozen=True, slots=True)
class FixSpec:
    """A rule's declared fix: a registered fixer, or a record-level ``set`` of fields."""

    fixer: str | None
    options: object
    applicability: Applicability
    set_fields: tuple[tuple[str, object], ...] = ()
    title: str = ""


_SAFETY = {Applicability.SAFE: 0, Applicability.UNSAFE: 1, Applicability.DISPLAY_ONLY: 2}


def rule_fix(spec: FixSpec, value: object, hit: Hit, ctx: Context, verify: bool = True) -> Fix | None:
    """A rule's declared fix (``fix:``) for one hit: its fixer's (verified unless ``verify`` is
    False), or the fields it sets; the less safe of the rule's and the fixer's applicability wins."""
    if spec.fixer is None:
        changes = tuple(SetValue(to_pointer((name,)), field_value) for name, field_value in spec.set_fields)
        title = spec.title or "set " + ", ".join(f"{n}: {v}" for n, v in spec.set_fields)
        return Fix(title, spec.applicability, changes=changes)
    proposal = FIXERS[spec.fixer].propose(value, hit, spec.options, ctx, verify)
    if proposal is None:
        return None
    applicability = max(proposal.applicability, spec.applicability, key=_SAFETY.__getitem__)
    if applicability is proposal.applicability and (proposal.title or not spec.title):
        return proposal  # as proposed (most fixes): no copy
    return replace(proposal, applicability=applicability, title=proposal.title or spec.title)
