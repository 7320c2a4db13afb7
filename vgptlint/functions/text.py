"""Text functions: checks on string values.

``pattern``, ``contains``, ``not_contains``, ``length`` and ``refusal`` yield a hit
when the value breaks the expectation; spans point at the offending characters.
"""
from __future__ import annotations

from collections.abc import Iterator, Sized
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vgptlint.deferred import DeferredModule
from vgptlint.functions.base import Context, Hit, NoOptions, function
from vgptlint.model import Span
from vgptlint.user_regex import compile_user_regex

if TYPE_CHECKING:
    from vgptlint import refusal as classifier
else:  # imported at the first verdict asked for: a rerun served from the result cache asks for none
    classifier = DeferredModule("vgptlint.refusal")


@dataclass(frozen=True)
class PatternOptions:
    """``match``: the value must match; ``not_match``: it must not. ``flags``: any of i, m, s, x."""

    match: str | None = None
    not_match: str | None = None
    flags: str = ""
    compiled_match: object = field(default=None, init=False, repr=False, compare=False)
    compiled_not_match: object = field(default=None, init=False, repr=False, compare=False)

    def validate(self) -> str | None:
        if self.match is None and self.not_match is None:
            return 'needs at least one of "match", "not_match"'
        try:
            if self.match is not None:
                object.__setattr__(self, "compiled_match", compile_user_regex(self.match, self.flags))
            if self.not_match is not None:
                object.__setattr__(self, "compiled_not_match", compile_user_regex(self.not_match, self.flags))
        except ValueError as exc:
            return str(exc)
        return None


@function("pattern", options=PatternOptions, accepts=(str,), is_pure=True)
def pattern(value: str, opts: PatternOptions, ctx: Context) -> Iterator[Hit]:
    """The value matches ``match`` (anywhere; anchor with ^/$) and does not match ``not_match``.

    Example: ``{function: pattern, options: {match: "WITH \\\\(NOLOCK\\\\)", flags: i}}``
    """
    if opts.compiled_match is not None and opts.compiled_match.search(value) is None:
        yield Hit(f"does not match /{opts.match}/", data={"pattern": opts.match})
    if opts.compiled_not_match is not None:
        found = opts.compiled_not_match.search(value)
        if found is not None:
            yield Hit(f'contains "{found.group(0)}", which matches /{opts.not_match}/',
                      span=Span(found.start(), found.end()), data={"pattern": opts.not_match, "match": found.group(0)})


def _pattern_has_hit(value: str, opts: PatternOptions, ctx: Context, check: object = None) -> bool:
    """Whether :func:`pattern` yields a hit, without making it (predicates ask only that)."""
    return ((opts.compiled_match is not None and opts.compiled_match.search(value) is None)
            or (opts.compiled_not_match is not None and opts.compiled_not_match.search(value) is not None))


pattern.has_hit = _pattern_has_hit


@dataclass(frozen=True)
class ContainsOptions:
    """``values``: substrings; ``all``: every one must appear (default: at least one);
    ``case_sensitive``: default true."""

    values: tuple[str, ...] = ()
    all: bool = False
    case_sensitive: bool = True
    folded_values: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def validate(self) -> str | None:
        if not self.values:
            return 'needs "values": a non-empty list of strings'
        object.__setattr__(self, "folded_values",
                           self.values if self.case_sensitive else tuple(v.casefold() for v in self.values))
        return None


def _folded(value: str, opts: ContainsOptions) -> tuple[str, tuple[str, ...]]:
    return (value if opts.case_sensitive else value.casefold()), opts.folded_values


@function("contains", options=ContainsOptions, accepts=(str,), is_pure=True)
def contains(value: str, opts: ContainsOptions, ctx: Context) -> Iterator[Hit]:
    """The value contains one of ``values`` (or all of them with ``all: true``)."""
    text, needles = _folded(value, opts)
    present = [needle in text for needle in needles]
    if opts.all and not all(present):
        missing = [v for v, p in zip(opts.values, present) if not p]
        yield Hit("does not contain " + ", ".join(f'"{m}"' for m in missing), data={"missing": missing})
    elif not opts.all and not any(present):
        yield Hit("contains none of " + ", ".join(f'"{v}"' for v in opts.values))


def _contains_has_hit(value: str, opts: ContainsOptions, ctx: Context, check: object = None) -> bool:
    """Whether :func:`contains` yields a hit, without making it."""
    text, needles = _folded(value, opts)
    if opts.all:
        return not all(needle in text for needle in needles)
    return not any(needle in text for needle in needles)


contains.has_hit = _contains_has_hit


@function("not_contains", options=ContainsOptions, accepts=(str,), is_pure=True)
def not_contains(value: str, opts: ContainsOptions, ctx: Context) -> Iterator[Hit]:
    """The value contains none of ``values``; each occurrence found is a hit at its span."""
    text, needles = _folded(value, opts)
    for original, needle in zip(opts.values, needles):
        start = text.find(needle)
        if start >= 0:
            yield Hit(f'contains "{original}"', span=Span(start, start + len(needle)), data={"match": original})


@dataclass(frozen=True, slots=True)
class LengthOptions:
    """``min``/``max`` are inclusive; at least one is required. Strings count characters.
    ``ignore_empty``: say nothing about empty values (leave them to an emptiness rule)."""

    min: int | None = None
    max: int | None = None
    ignore_empty: bool = False

    def validate(self) -> str | None:
        if self.min is None and self.max is None:
            return 'needs at least one of "min", "max"'
        if self.min is not None and self.max is not None and self.min > self.max:
            return f'"min" ({self.min}) is greater than "max" ({self.max})'
        return None


@function("length", options=LengthOptions, accepts=(str, list, dict), is_pure=True)
def length(value: Sized, opts: LengthOptions, ctx: Context) -> Iterator[Hit]:
    """Length of a string (characters), array (items) or object (keys) within bounds.

    Example: ``{function: length, options: {min: 50}}`` fails on ``"APCo"`` (4 characters).
    """
    size = len(value)
    too_short, too_long = _out_of_bounds(size, opts)
    if not (too_short or too_long):
        return  # most values: no hit's data to build
    unit = "character" if isinstance(value, str) else "item" if isinstance(value, list) else "key"
    unit = unit if size == 1 else unit + "s"
    data = {"length": size, "min": opts.min, "max": opts.max, "unit": unit}
    if too_short:
        yield Hit(f"is {size:,} {unit} long; the minimum is {opts.min:,}", data=data)
    if too_long:
        yield Hit(f"is {size:,} {unit} long; the maximum is {opts.max:,}", data=data)


def _out_of_bounds(size: int, opts: LengthOptions) -> tuple[bool, bool]:
    """(too short, too long) for a value of ``size`` (an empty one counts neither with ``ignore_empty``)."""
    if size == 0 and opts.ignore_empty:
        return False, False
    return opts.min is not None and size < opts.min, opts.max is not None and size > opts.max


length.has_hit = lambda value, opts, ctx, check=None: any(_out_of_bounds(len(value), opts))


# Not is_pure: the verdict also weighs the record's instruction and input (ctx.record), so one
# answer can be a refusal of one question and a fair answer to another.
@function("refusal", options=NoOptions, accepts=(str,))
def refusal(value: str, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
    """A hit when the value reads as a refusal: "There is no table named ...", "I do not have details on
    X", "Sorry, I can't find ...", weighed from several signals (see ``vgptlint/refusal.py``).

    One classifier for every rule, facet and table that asks; tune it for the whole policy under
    ``settings: {refusal: {...}}`` (cues, weights, ``min_score``), never per rule.
    """
    found = _refusal_in(value, ctx)
    if found is not None:
        yield Hit(f'reads as a refusal ("{found.cue}")', span=Span(found.start, found.end),
                  data={"phrase": found.cue, "score": found.score, "signals": list(found.signals)})


def _refusal_in(value: str, ctx: Context):
    """The refusal classifier's verdict on ``value``, answering the record's instruction and input."""
    cues = classifier.refusal_cues(ctx.policy_settings)
    if not classifier.has_cue(value, cues):  # most answers (asked by the facet and the rule in turn): no prompt to build
        return None
    record = ctx.record if isinstance(ctx.record, dict) else {}
    prompt = "\n".join(v for v in (record.get("instruction"), record.get("input")) if isinstance(v, str))
    return classifier.refusal(value, prompt, cues)


refusal.has_hit = lambda value, opts, ctx, check=None: _refusal_in(value, ctx) is not None
