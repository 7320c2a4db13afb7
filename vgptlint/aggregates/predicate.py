"""Predicates: "does this record have property X?", written in YAML, compiled once.

Aggregate rules (``ratio``, ``count``, ``among:``), facets and feature tables all ask yes/no questions
about a record. A predicate is any record function with its options, and *holds* when the function
yields **no** hit on the selected value, so ``{function: pattern, options: {match: "WITH \\(NOLOCK\\)"}}``
holds on records that carry the hint. Forms:

- ``{function: NAME, options: {...}, given: $.path, negate: false}``: ``given`` defaults to the rule's
  own ``given`` (or ``$`` in a facet); ``negate: true`` holds when the function *does* yield a hit
  (``{function: refusal, negate: true}`` = "reads as a refusal"). A record where ``given``
  selects nothing (or a value of a type the function does not accept) never holds, negated or not.
- ``{facet: content_type, values: [sql_generation, join_pattern]}`` (or ``value: x``): the record's
  facet value is one of ``values``.
- ``{all: [p, ...]}``, ``{any: [p, ...]}``, ``{not: p}``.

Compiling raises :class:`PredicateError` with a message that names the offending key; option classes
call :func:`compile_predicate` from ``validate()`` so a bad predicate is a located policy error.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from vgptlint.aggregates.facet_set import facet_value
from vgptlint.functions.base import Context, OptionError, REGISTRY, build_options, did_you_mean
from vgptlint.select.jsonpath import SelectorError, Target, compile_selector
from vgptlint.text_memo import text_memo

PREDICATE_KEYS = ("function", "options", "given", "negate", "facet", "value", "values", "all", "any", "not", "name")


class PredicateError(ValueError):
    """A predicate mapping that cannot be compiled; the message says which key and why."""


@dataclass(frozen=True, slots=True)
class Predicate:
    """A compiled predicate. ``test(targets, ctx)`` answers for the current record (``ctx.record``).

    ``targets`` are the values the enclosing rule selected; a predicate with its own ``given``
    ignores them and selects from ``ctx.record``.
    """

    describe: str
    test: Callable[[list[Target] | None, Context], bool]


def compile_predicate(raw: object, where: str = "predicate") -> Predicate:
    """Compile a predicate mapping (see the module docstring).

    Raises:
        PredicateError: unknown key or function, bad options or JSONPath.

    >>> import vgptlint.functions.text  # registers "length"
    >>> compile_predicate({"function": "length", "options": {"min": 3}}).describe
    'length(min=3)'
    """
    if isinstance(raw, str):
        raw = {"function": raw}
    if not isinstance(raw, Mapping):
        raise PredicateError(f"{where} must be a mapping such as {{function: pattern, options: {{match: x}}}}")
    unknown = [k for k in raw if k not in PREDICATE_KEYS]
    if unknown:
        hint = did_you_mean(str(unknown[0]), PREDICATE_KEYS)
        raise PredicateError(f'{where}: unknown key "{unknown[0]}"; known: {", ".join(PREDICATE_KEYS)}'
                             + (f" ({hint})" if hint else ""))
    if "all" in raw or "any" in raw:
        word = "all" if "all" in raw else "any"
        parts = raw[word]
        if not isinstance(parts, Sequence) or isinstance(parts, str) or not parts:
            raise PredicateError(f'{where}: "{word}" must be a non-empty list of predicates')
        compiled = [compile_predicate(p, f"{where}.{word}[{i}]") for i, p in enumerate(parts)]
        return _combine(word, compiled)
    if "not" in raw:
        inner = compile_predicate(raw["not"], f"{where}.not")
        return Predicate(f"not {inner.describe}", lambda targets, ctx: not inner.test(targets, ctx))
    if "facet" in raw:
        return _facet_predicate(raw, where)
    if "function" in raw:
        return _function_predicate(raw, where)
    raise PredicateError(f'{where} needs "function", "facet", "all", "any" or "not"')


def _combine(word: str, parts: list[Predicate]) -> Predicate:
    describe = f" {'and' if word == 'all' else 'or'} ".join(p.describe for p in parts)
    tests = tuple(p.test for p in parts)
    # A loop over bound tests, not all()/any() of a generator: a facet's cases are tested on every record.
    if word == "all":
        def test(targets: list[Target] | None, ctx: Context) -> bool:
            for part in tests:
                if not part(targets, ctx):
                    return False
            return True
    else:
        def test(targets: list[Target] | None, ctx: Context) -> bool:
            for part in tests:
                if part(targets, ctx):
                    return True
            return False
    return Predicate(describe, test)


def _facet_predicate(raw: Mapping, where: str) -> Predicate:
    name = str(raw["facet"])
    values = raw.get("values", raw.get("value"))
    if values is None:
        raise PredicateError(f'{where}: facet "{name}" needs "values" (the facet values that count)')
    wanted = frozenset(str(v) for v in (values if isinstance(values, (list, tuple)) else [values]))
    return Predicate(f"{name} in {{{', '.join(sorted(wanted))}}}",
                     lambda targets, ctx: facet_value(name, ctx.record, ctx) in wanted)


def _function_predicate(raw: Mapping, where: str) -> Predicate:
    name = str(raw["function"])
    function = REGISTRY.get(name)
    if function is None:
        hint = did_you_mean(name, REGISTRY)
        raise PredicateError(f'{where}: "{name}" is not a function; known: {", ".join(sorted(REGISTRY))}'
                             + (f" ({hint})" if hint else ""))
    try:
        options = build_options(function.options, raw.get("options") or {})
    except OptionError as exc:
        raise PredicateError(f'{where}: function "{name}": {exc}') from None
    selector = None
    if raw.get("given") is not None:
        try:
            selector = compile_selector(str(raw["given"]))
        except SelectorError as exc:
            raise PredicateError(f'{where}: "given" is not valid JSONPath ("{raw["given"]}"): {exc}') from None
    negate = bool(raw.get("negate", False))
    accepts, check = function.accepts, function.check
    # A function may say whether it has a hit without making one (the message, the data): a facet's
    # pattern misses on most records, and only the yes/no matters here.
    has_hit = getattr(check, "has_hit", None) or _yields_hit
    remembered = _verdicts(has_hit, options, check) if _is_value_only(function) else None
    shown = ", ".join(f"{k}={v}" for k, v in (raw.get("options") or {}).items())
    describe = ("not " if negate else "") + f"{name}({shown})"

    def holds_on(value: object, ctx: Context) -> bool:
        if accepts is not None and not isinstance(value, accepts):
            return False
        if remembered is not None and type(value) is str:
            hit = remembered(ctx.dialect)(value)
        else:
            hit = has_hit(value, options, ctx, check)
        return hit == negate  # holds: no hit (a hit, negated)

    if selector is not None and selector.key is not None:
        key = selector.key

        # A given of one plain key (a facet's $.instruction) read directly, not selected as a Target
        # through the record's selections: 387k of the bench data's 649k tests.
        def test(targets: list[Target] | None, ctx: Context) -> bool:
            record = ctx.record
            return isinstance(record, dict) and key in record and holds_on(record[key], ctx)

        return Predicate(describe, test)

    def test(targets: list[Target] | None, ctx: Context) -> bool:
        selected = _selected(selector, ctx.record) if selector is not None else targets
        if selected is None:
            selected = [Target((), ctx.record)]
        if not selected:
            return False
        for target in selected:
            if not holds_on(target.value, ctx):
                return False
        return True

    return Predicate(describe, test)


def _yields_hit(value: object, options: object, ctx: Context, check) -> bool:
    return next(iter(check(value, options, ctx)), None) is not None


# Pure functions (``is_pure``) whose verdict costs more than a lookup (they read the string's SQL,
# and the dialect is all they read of the context): a predicate remembers their verdicts per distinct
# text, as data repeats values (the owner's DPO file: 595 distinct chosen answers in 2,584 pairs). A
# pattern's verdict costs about what a lookup does (measured on the bench data: remembering every
# pure function's cost 0.2 s more than it saved).
VALUE_ONLY = frozenset({"sql_has_company_filter", "sql_joins_complete"})


def _is_value_only(function) -> bool:
    return function.is_pure and function.name in VALUE_ONLY


def _verdicts(has_hit: Callable, options: object, check) -> Callable[[str], Callable[[str], bool]]:
    """Per dialect, a bounded memo of whether the function has a hit on a text (see VALUE_ONLY)."""
    memos: dict[str, Callable[[str], bool]] = {}

    def memo_of(dialect: str) -> Callable[[str], bool]:
        found = memos.get(dialect)
        if found is None:
            ctx = Context(record=None, kind="", dialect=dialect)  # the dialect is all these functions read
            found = memos[dialect] = text_memo(lambda text: has_hit(text, options, ctx, check))
        return found

    return memo_of


class _Selections(threading.local):
    """What each predicate's own ``given`` selects on the record being tested, selected once: a
    facet's cases read ``$.instruction`` a dozen times (per thread; the record is held until the next)."""

    record: object = None
    found: dict[str, list[Target]] = {}


_SELECTIONS = _Selections()


def _selected(selector, record: object) -> list[Target]:
    memo = _SELECTIONS
    if record is not memo.record:
        memo.record, memo.found = record, {}
    found = memo.found.get(selector.expression)
    if found is None:
        found = memo.found[selector.expression] = selector.find(record)
    return found


def optional_predicate(raw: object, key: str) -> Predicate | None:
    """For options ``validate()``: compile ``raw`` when given; errors name the option ``key``."""
    if raw is None:
        return None
    return compile_predicate(raw, f'option "{key}"')
