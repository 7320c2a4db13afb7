"""A policy's facets at run time: each record's facet values, computed once per record.

The compiled form of ``facets:`` (see :mod:`vgptlint.facets`, which compiles it): predicates
(:mod:`vgptlint.aggregates.predicate`) read facet values through :func:`facet_value`, and facets are
made of predicates, so the two meet here, below both.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from vgptlint.errors import UsageError
from vgptlint.functions.base import Context, did_you_mean
from vgptlint.select.jsonpath import Selector

if TYPE_CHECKING:  # a facet's cases are predicates; predicates read facet values from here
    from vgptlint.aggregates.predicate import Predicate


@dataclass(frozen=True, slots=True)
class Facet:
    name: str
    description: str
    cases: tuple[tuple[str, Predicate], ...]
    default: str
    selector: Selector | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label the facet can give, in declaration order (field facets: just the default)."""
        seen = dict.fromkeys(label for label, _ in self.cases)
        seen[self.default] = None
        return tuple(seen)

    def evaluate(self, data: object, ctx: Context) -> str:
        if self.selector is not None:
            found = self.selector.find(data)
            if not found or found[0].value in (None, ""):
                return self.default
            value = found[0].value
            return str(value).lower() if isinstance(value, bool) else str(value)
        for label, predicate in self.cases:
            if predicate.test(None, ctx):
                return label
        return self.default


@dataclass
class FacetSet:
    """The policy's facets plus a one-record memo (records are processed one at a time)."""

    facets: dict[str, Facet] = field(default_factory=dict)
    _record: object = field(default=None, repr=False)
    _values: dict[str, str] = field(default_factory=dict, repr=False)

    def value(self, name: str, data: object, ctx: Context) -> str:
        if data is not self._record:
            self._record, self._values = data, {}
        found = self._values.get(name)
        if found is None:
            facet = self.facets.get(name)
            if facet is None:
                raise UsageError(unknown_facet_message(name, self.facets))
            # A facet's predicates read ctx.record: make sure it is the record asked about.
            if ctx.record is not data:
                ctx = replace(ctx, record=data)
            found = self._values[name] = facet.evaluate(data, ctx)
        return found

    def __getstate__(self) -> dict:  # the memo holds a record; never ship it to another process
        return {"facets": self.facets}

    def __setstate__(self, state: dict) -> None:
        self.facets, self._record, self._values = state["facets"], None, {}


def unknown_facet_message(name: str, known: Mapping) -> str:
    hint = did_you_mean(name, known)
    listed = ", ".join(sorted(known)) or "none"
    return (f'facet "{name}" is not declared; declare it under "facets:" in the policy (declared: {listed})'
            + (f"; {hint}" if hint else ""))


def facet_set(ctx: Context) -> FacetSet | None:
    found = ctx.policy_settings.get("facets")
    return found if isinstance(found, FacetSet) else None


def facet_value(name: str, data: object, ctx: Context) -> str:
    """The value of facet ``name`` for ``data``.

    Raises:
        UsageError: the policy declares no such facet.
    """
    facets = facet_set(ctx)
    if facets is None:
        raise UsageError(unknown_facet_message(name, {}))
    return facets.value(name, data, ctx)
