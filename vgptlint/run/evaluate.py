"""Evaluating one record: rules → selectors → functions → hits → findings.

Pure with respect to files and output: given a record and compiled rules it returns findings with
exact locations, rendered messages, content fingerprints and (when the rule declares one) fixes.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from vgptlint.aggregates.facet_set import facet_value
from vgptlint.fixes.base import rule_fix
from vgptlint.findings.fingerprint import fingerprint
from vgptlint.fixes.negatives import label_name, touches_negative
from vgptlint.functions.base import Context, Hit, MISSING
from vgptlint.identity_memo import IdentityMemo
from vgptlint.inputs.locate import locate, locate_span
from vgptlint.inputs.records import Record
from vgptlint.model import Finding, Location, Span
from vgptlint.policy.compile import typed_value
from vgptlint.policy.model import Check, CompiledRule
from vgptlint.select.jsonpath import Selector, Target, to_json_path, to_pointer


class RecordMemo:
    """Work rules share on one record, done once: selecting a path (most rules read ``$.output``), a
    ``where`` condition, a function's ``only_if`` on a value. Record rules and accumulators use one."""

    __slots__ = ("selected", "admitted")

    def __init__(self) -> None:
        self.selected: dict[str, list[Target]] = {}
        self.admitted: dict[object, bool] = {}  # where ids (ints), (only_if, id(value))

    def select(self, selector: Selector, data: object) -> list[Target]:
        targets = self.selected.get(selector.expression)
        if targets is None:
            targets = self.selected[selector.expression] = selector.find(data)
        return targets

    def targets(self, rule: CompiledRule, data: object) -> list[Target]:
        """What the rule's ``given`` selects, all selectors in order."""
        if len(rule.selectors) == 1:
            return self.select(rule.selectors[0], data)
        return [target for selector in rule.selectors for target in self.select(selector, data)]


def rules_for_file(rules: Iterable[CompiledRule], ctx: Context) -> tuple[CompiledRule, ...]:
    """The rules that can report on the file ``ctx`` describes: a rule none of whose functions
    ``applies`` to it (a sharegpt role check on an alpaca file) would find nothing on any record,
    so it is left out once per file rather than skipped on every record."""
    return tuple(rule for rule in rules if not rule.checks or any(
        check.function.applies is None or check.function.applies(ctx) for check in rule.checks))


def evaluate_record(record: Record, rules: tuple[CompiledRule, ...], ctx: Context,
                    memo: RecordMemo | None = None) -> list[Finding]:
    """Every finding of every record rule on one record (``memo``: see :class:`RecordMemo`).

    Which calls a rule makes on a record depends only on its :class:`CallPlan` (its ``given`` and
    each check's field, ``accepts`` and ``only_if``), which rules share (the 17 SQL rules, 3 plans):
    each plan's calls are worked out once, and only the rules whose plan makes calls are visited
    (on the 90% of answers without SQL, none of the SQL rules). Whether a rule that makes calls
    reports depends on its guard (those and its ``where``): when a rule's where rules a record
    out, rules with the same guard are skipped at once.
    """
    findings: list[Finding] = []
    data = record.data
    memo = memo if memo is not None else RecordMemo()
    admitted = memo.admitted
    arrangement = _arrangement(rules)
    calls_by_plan = [_calls(plan, memo, data) for plan in arrangement.plans]
    live = arrangement.live_rules(calls_by_plan)
    idle: set[int] = set()  # guard ids of rules whose where ruled this record out
    for rule, plan_index in live:
        guard = rule.guard_id
        if guard in idle:
            continue
        if rule.where_lookups and not conditions_hold(rule.where_lookups, data, ctx, admitted):
            idle.add(guard)
            continue
        found = _rule_findings(rule, record, calls_by_plan[plan_index], ctx, admitted)
        if found is None:
            idle.add(guard)
        else:
            findings.extend(found)
    return findings


def _rule_findings(rule: CompiledRule, record: Record, calls: list[tuple[int, object, tuple]], ctx: Context,
                   admitted: dict) -> list[Finding] | None:
    """The rule's findings from its calls, or None when a where facet rules the record out.

    A where facet reads more of the record than the rule may (the SQL rules' facets run patterns
    over every instruction, though most answers have nothing to report): it is decided at the rule's
    first hit. Functions are pure, so the findings are the same.
    """
    undecided = rule.where_facet_values
    found: list[Finding] = []
    for index, value, parts in calls:
        for hit in check_hits(rule.checks[index], value, ctx):
            if undecided:
                if not conditions_hold(undecided, record.data, ctx, admitted):
                    return None
                undecided = ()
            found.append(make_finding(rule, record, parts, value, hit, ctx))
    return found


def check_hits(check: Check, value: object, ctx: Context) -> Iterable[Hit]:
    """The hits of one check on one value: a pure function's on a string it has seen in this file
    are the ones it gave then (a file repeats answers; see :class:`vgptlint.functions.base.HitMemo`)."""
    function = check.function
    if function.is_pure and type(value) is str:  # str exactly: a subclass may compare otherwise
        return ctx.hit_memo.hits(check, value, ctx)
    return function.check(value, check.options, ctx)


@dataclass(frozen=True, slots=True)
class CallPlan:
    """What decides the calls a rule makes on any record (see :func:`_calls`): its selectors
    (expression, finder) and each check's (index, field, accepts, only_if). Rules whose plans are
    equal (the SQL rules, which differ in ``where``) share one, and so their calls."""

    selectors: tuple[tuple[str, Callable[[object], list[Target]]], ...]
    checks: tuple[tuple[int, tuple | None, tuple | None, Callable[[object], bool] | None], ...]


def _call_plan(rule: CompiledRule) -> CallPlan:
    return CallPlan(tuple((s.expression, s.find) for s in rule.selectors),
                    tuple((index, check.field, check.function.accepts, check.function.only_if)
                          for index, check in enumerate(rule.checks)))


class Arrangement:
    """A tuple of record rules as :func:`evaluate_record` visits them, worked out once per tuple
    (a file's, see :func:`rules_for_file`): their distinct call plans, each rule's plan, and for each
    set of plans that make calls on a record, the rules to visit, in order."""

    __slots__ = ("plans", "_rule_plans", "_live")

    def __init__(self, rules: tuple[CompiledRule, ...]) -> None:
        numbers: dict[tuple, int] = {}  # a plan's key (its finders are each rule's own closures) -> its index
        plans: list[CallPlan] = []
        rule_plans = []
        for rule in rules:
            plan = _call_plan(rule)
            key = (tuple(expression for expression, _ in plan.selectors), plan.checks)
            if key not in numbers:
                numbers[key] = len(plans)
                plans.append(plan)
            rule_plans.append((rule, numbers[key]))
        self.plans: tuple[CallPlan, ...] = tuple(plans)
        self._rule_plans = tuple(rule_plans)
        self._live: dict[tuple[bool, ...], tuple[tuple[CompiledRule, int], ...]] = {}

    def live_rules(self, calls_by_plan: list[list]) -> tuple[tuple[CompiledRule, int], ...]:
        """(rule, plan index) of the rules whose plan makes calls, given each plan's calls."""
        key = tuple(map(bool, calls_by_plan))
        live = self._live.get(key)
        if live is None:
            live = self._live[key] = tuple(step for step in self._rule_plans if key[step[1]])
        return live


# The arrangements of the last few tuples of rules: a run evaluates one file's rules record after record.
_arrangement = IdentityMemo(Arrangement, max_entries=16)


def _calls(plan: CallPlan, memo: RecordMemo, data: object) -> list[tuple[int, object, tuple]]:
    """(check index, value, path) for each function call the plan's ``given`` and checks ask for on
    this record, its rules' ``where`` aside."""
    admitted, selected = memo.admitted, memo.selected
    calls = []
    for expression, find in plan.selectors:
        targets = selected.get(expression)  # RecordMemo.select, inlined: 7 plans on every record
        if targets is None:
            targets = selected[expression] = find(data)
        for target in targets:
            for index, field, accepts, only_if in plan.checks:
                if field is None:
                    value = target.value
                    if value is MISSING:
                        continue
                    parts = target.parts
                else:
                    value, parts = _sub_value(target.value, field), (*target.parts, *field)
                if accepts is not None and not isinstance(value, accepts):
                    continue
                if only_if is not None:
                    key = (only_if, id(value))
                    holds = admitted.get(key)
                    if holds is None:
                        holds = admitted[key] = only_if(value)
                    if not holds:
                        continue
                calls.append((index, value, parts))
    return calls


def _sub_value(value: object, field_parts: tuple) -> object:
    for part in field_parts:
        if isinstance(part, int) and isinstance(value, list) and part < len(value):
            value = value[part]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return MISSING
    return value


def where_holds(rule: CompiledRule, data: object, ctx: Context, memo: dict | None = None) -> bool:
    """Whether the rule's ``where`` conditions hold for this record; ``memo`` shares answers
    between rules with the same conditions (the SQL rules all carry the same ``unless``)."""
    if memo is None:
        return all(_condition_holds(key, condition, data, ctx) for key, condition in rule.where_facets)
    holds = memo.get(rule.where_id)
    if holds is None:
        holds = memo[rule.where_id] = (conditions_hold(rule.where_lookups, data, ctx, memo)
                                       and conditions_hold(rule.where_facet_values, data, ctx, memo))
    return holds


def conditions_hold(conditions: tuple, data: object, ctx: Context, memo: dict) -> bool:
    """Whether each ``(memo key, key, condition)`` of a rule's where holds, each decided once per record."""
    for memo_key, key, condition in conditions:
        holds = memo.get(memo_key)
        if holds is None:
            holds = memo[memo_key] = _condition_holds(key, condition, data, ctx)
        if not holds:
            return False
    return True


def _condition_holds(key: str, condition: object, data: object, ctx: Context) -> bool:
    if key == "absent":
        return not condition.find(data)
    if key == "present":
        return bool(condition.find(data))
    if key == "unless":
        selector, forbidden = condition
        return not any(typed_value(target.value) in forbidden for target in selector.find(data))
    return facet_value(key, data, ctx) in condition


def make_finding(rule: CompiledRule, record: Record, parts: tuple, value: object, hit: Hit, ctx: Context) -> Finding:
    full = (*parts, *hit.path)
    line, column, end_line, end_column = _position(record, full, hit)
    message = render_message(rule, hit, value, full)
    location = Location(
        path=record.source,
        line=line,
        column=column,
        record_index=record.index,
        pointer=to_pointer(full),
        span=hit.span,
        end_line=end_line,
        end_column=end_column,
    )
    fingerprint = fingerprint_of(rule.id, record.source, full, value, hit)
    if not ctx.is_rewritable:
        fix = None  # a fix that can never be applied is not offered, nor counted as fixable
    else:
        fix = None if rule.fix is None else rule_fix(rule.fix, value, hit, ctx, verify=ctx.verify_fixes)
    if fix is not None and touches_negative(fix, location.pointer, ctx.record, ctx.kind,
                                            label_name(ctx.spec)):
        fix = None  # an undesirable example is training signal: never offered as fixable
    return Finding(rule.id, hit.severity or rule.severity, message, location, fingerprint, fix)


def _position(record: Record, parts: tuple, hit: Hit) -> tuple[int, int, int | None, int | None]:
    if hit.span is not None:
        span = locate_span(record, parts, hit.span.start, hit.span.end)
        if span is not None:
            (line, column), (end_line, end_column) = span
            return line, column, end_line, end_column
    found = locate(record, parts)
    if found is None:
        return record.line, record.column, None, None
    return found[0], found[1], None, None


def render_message(rule: CompiledRule, hit: Hit, value: object, parts: tuple) -> str:
    if rule.message is None:
        return f"{to_json_path(parts)[2:] or 'record'} {hit.message}"
    values = _TemplateValues(hit.data)
    values.update(message=hit.message, path=to_json_path(parts), field=to_json_path(parts)[2:] or "record",
                  value=_short(value), rule=rule.id)
    try:
        return rule.message.format_map(values)
    except (ValueError, IndexError, AttributeError):
        return f"{rule.message} ({hit.message})"


class _TemplateValues(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _short(value: object, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Fingerprints of findings in longer strings hash the text around the finding, not the whole value:
# hashing a 487 KB statement once per finding took 108 s for its 10,000 findings (issue 14).
# Values up to this long hash whole, exactly as before, so existing baselines keep matching.
FINGERPRINT_WINDOW = 4096


def fingerprint_basis(value: str, span: Span | None) -> str:
    """What a string value contributes to a fingerprint: the value with its whitespace runs made
    single spaces, or for longer values the window of ``FINGERPRINT_WINDOW`` characters around
    the span (the start when there is none) and the value's length.

    >>> fingerprint_basis("SELECT  a\\n FROM t", None)
    'SELECT a FROM t'
    >>> len(fingerprint_basis("x" * 10_000, Span(9_000, 9_001)))
    4115
    """
    if len(value) <= FINGERPRINT_WINDOW:
        return " ".join(value.split())
    middle = span.start if span is not None else 0
    start = max(0, min(middle - FINGERPRINT_WINDOW // 2, len(value) - FINGERPRINT_WINDOW))
    return " ".join(value[start : start + FINGERPRINT_WINDOW].split()) + f" ({len(value)} characters)"


def fingerprint_of(rule_id: str, source: str, parts: tuple, value: object, hit: Hit) -> str:
    """A record finding's: rule, file, field path and the value (never positions), so baselines survive
    moving and reordering records but not editing them (in strings longer than
    ``FINGERPRINT_WINDOW``, editing near the finding)."""
    if isinstance(value, str):
        basis = fingerprint_basis(value, hit.span)
    else:
        basis = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    span = value[hit.span.start:hit.span.end] if hit.span and isinstance(value, str) else ""
    return fingerprint(rule_id, source, to_json_path(parts), basis, hit.message, span, "")
