"""The engine: files → records → rules → findings (and accumulator states → metrics).

``run`` is the one entry point. Per file it decides the dataset kind, picks the rules that apply
(policy + file overrides), streams the records through every record rule and feeds every
aggregate rule's accumulator, then finalizes the accumulators into metrics and findings.
Findings are sorted so output never depends on processing order.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from vgptlint import __version__
from vgptlint.aggregates.base import AggregateHit, AggregateOutcome, RecordRef
from vgptlint.functions.base import MISSING, Context, Hit
from vgptlint.inputs.locate import locate, locate_span
from vgptlint.inputs.read import read_source
from vgptlint.inputs.records import InputProblem, Record
from vgptlint.fixes.base import FIXERS
from vgptlint.model import Applicability, Finding, Fix, Location, Metric, SetValue, Severity
from vgptlint.policy.model import CompiledRule, Policy
from vgptlint.result import FileSummary, RuleInfo, RunResult
from vgptlint.select.jsonpath import Target, to_json_path, to_pointer

INVALID_INPUT = RuleInfo(
    id="invalid-input",
    severity=Severity.ERROR,
    description="The dataset file cannot be read as records: invalid JSON or UTF-8, a record that is not an object, an empty or missing file.",
    kind="record",
    pack="builtin",
)


@dataclass(frozen=True, slots=True)
class FileTask:
    """One dataset file to lint and what is known about it before reading."""

    path: str  # as the user gave it (or found under a directory)
    display: str
    kind: str | None = None
    spec: object = None  # a LLaMA-Factory DatasetSpec when dataset_info maps this file


@dataclass
class Services:
    """Run-wide shared objects handed to functions through ``Context.services``."""

    values: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FilePlan:
    record_rules: tuple[CompiledRule, ...]
    aggregate_rules: tuple[CompiledRule, ...]


def infer_kind(data: object) -> str:
    """chosen+rejected → dpo; label/kto_tag → kto; anything else → sft."""
    if isinstance(data, dict):
        if "chosen" in data and "rejected" in data:
            return "dpo"
        if "label" in data or "kto_tag" in data:
            return "kto"
    return "sft"


def kind_from_globs(policy: Policy, display: str) -> str | None:
    for pattern, kind in policy.datasets:
        if fnmatch.fnmatch(display, pattern) or fnmatch.fnmatch(Path(display).name, pattern):
            return kind
    return None


def plan_for(policy: Policy, rules: dict[str, CompiledRule], display: str, kind: str) -> FilePlan:
    effective = dict(rules)
    for override in policy.overrides:
        if any(fnmatch.fnmatch(display, g) or fnmatch.fnmatch(Path(display).name, g) for g in override.globs):
            for rule_id, rule in override.rules.items():
                if rule_id in effective:
                    effective[rule_id] = rule
    active = [r for r in effective.values() if r.is_enabled and r.applies_to(kind)]
    return FilePlan(
        record_rules=tuple(r for r in active if r.kind != "aggregate"),
        aggregate_rules=tuple(r for r in active if r.kind == "aggregate"),
    )


# ------------------------------------------------------------------------------- one record


def evaluate_record(record: Record, rules: Iterable[CompiledRule], ctx: Context) -> list[Finding]:
    """Every finding of every record rule on one record."""
    findings: list[Finding] = []
    data = record.data
    for rule in rules:
        if rule.where_facets and not _where_holds(rule, data, ctx):
            continue
        for selector in rule.selectors:
            for target in selector.find(data):
                for check in rule.checks:
                    value, parts = target.value, target.parts
                    if check.field is not None:
                        value, parts = _sub_value(value, check.field), (*parts, *check.field)
                    elif value is MISSING:
                        continue
                    accepts = check.function.accepts
                    if accepts is not None and not isinstance(value, accepts):
                        continue
                    for hit in check.function.check(value, check.options, ctx):
                        findings.append(make_finding(rule, record, parts, value, hit, ctx))
    return findings


def _sub_value(value: object, field_parts: tuple) -> object:
    for part in field_parts:
        if isinstance(part, int) and isinstance(value, list) and part < len(value):
            value = value[part]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return MISSING
    return value


def _where_holds(rule: CompiledRule, data: object, ctx: Context) -> bool:
    facets = ctx.settings.get("facets") or {}
    for key, condition in rule.where_facets:
        if key == "absent":
            if condition.find(data):
                return False
        elif key == "present":
            if not condition.find(data):
                return False
        else:
            value = facets.get(key)
            if value is None and callable(ctx.settings.get("facet_fn")):
                value = ctx.settings["facet_fn"](key, data, ctx)
            if value not in condition:
                return False
    return True


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
    fix = hit.fix if hit.fix is not None or rule.fix is None else compute_fix(rule, value, hit, ctx)
    return Finding(rule.id, hit.severity or rule.severity, message, location, fingerprint, fix)


_SAFETY = {Applicability.SAFE: 0, Applicability.UNSAFE: 1, Applicability.DISPLAY_ONLY: 2}


def compute_fix(rule: CompiledRule, value: object, hit: Hit, ctx: Context) -> Fix | None:
    """The rule's declared fix for this hit; the less safe of the rule's and the fixer's applicability wins."""
    spec = rule.fix
    if spec.fixer is None:
        changes = tuple(SetValue(to_pointer((name,)), field_value) for name, field_value in spec.set_fields)
        title = spec.title or "set " + ", ".join(f"{n}: {v}" for n, v in spec.set_fields)
        return Fix(title, spec.applicability, changes=changes)
    proposal = FIXERS[spec.fixer].compute(value, hit, spec.options, ctx)
    if proposal is None:
        return None
    applicability = max(proposal.applicability, spec.applicability, key=_SAFETY.__getitem__)
    return replace(proposal, applicability=applicability, title=proposal.title or spec.title)


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


def fingerprint_of(rule_id: str, source: str, parts: tuple, value: object, hit: Hit) -> str:
    """Content-based: rule, file, field path and the value (never positions), so baselines survive
    moving and reordering records but not editing them."""
    if isinstance(value, str):
        basis = " ".join(value.split())
    else:
        basis = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    span = value[hit.span.start:hit.span.end] if hit.span and isinstance(value, str) else ""
    digest = hashlib.blake2b(digest_size=16)
    for piece in (rule_id, source, to_json_path(parts), basis, hit.message, span):
        digest.update(piece.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


# ------------------------------------------------------------------------------- one file


@dataclass
class FileOutcome:
    summary: FileSummary
    findings: list[Finding]
    metrics: list[Metric]


def lint_file(task: FileTask, policy: Policy, rules: dict[str, CompiledRule], services: dict, settings: dict) -> FileOutcome:
    return lint_items(read_source(task.path, task.display), task, policy, rules, services, settings)


def lint_items(records: Iterator[Record | InputProblem], task: FileTask, policy: Policy, rules: dict[str, CompiledRule],
               services: dict, settings: dict) -> FileOutcome:
    """Lint one file's records (any iterator of records and input problems, e.g. from a reader)."""
    findings: list[Finding] = []
    kind = task.kind
    pending: list = []
    if kind is None:  # peek at the first record to infer the kind
        for item in records:
            pending.append(item)
            if isinstance(item, Record):
                kind = infer_kind(item.data)
                break
        kind = kind or "sft"
    plan = plan_for(policy, rules, task.display, kind)
    file_settings = {**settings, "dataset_spec": task.spec, "kind": kind, "path": task.display}
    ctx = Context(record=None, kind=kind, path=task.display, dialect=policy.dialect, settings=file_settings, services=services)
    states = [(rule, rule.accumulator.empty(rule.accumulator_options)) for rule in plan.aggregate_rules]
    record_count = 0
    for item in _chain(pending, records):
        if isinstance(item, InputProblem):
            findings.append(input_finding(item))
            continue
        record_count += 1
        ctx.record, ctx.record_index = item.data, item.index
        if plan.record_rules:
            findings.extend(evaluate_record(item, plan.record_rules, ctx))
        if states:
            ref = RecordRef(item.index, item.line, item.column)
            states = [(rule, rule.accumulator.add(state, _targets(rule, item.data), ctx, ref, rule.accumulator_options))
                      for rule, state in states]
    metrics = []
    for rule, state in states:
        outcome = rule.accumulator.finalize(state, rule.accumulator_options)
        metrics.extend(_metric(rule, task.display, outcome))
        findings.extend(aggregate_finding(rule, task.display, hit, outcome) for hit in outcome.hits)
    return FileOutcome(FileSummary(task.display, kind, record_count), findings, metrics)


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def _targets(rule: CompiledRule, data: object) -> list[Target]:
    if len(rule.selectors) == 1:
        return rule.selectors[0].find(data)
    return [t for s in rule.selectors for t in s.find(data)]


def _metric(rule: CompiledRule, path: str, outcome: AggregateOutcome) -> list[Metric]:
    if not outcome.has_metric:
        return []
    return [Metric(rule.id, path, outcome.value, outcome.numerator, outcome.denominator, dict(outcome.bounds),
                   outcome.passed, dict(outcome.details))]


def aggregate_finding(rule: CompiledRule, path: str, hit: AggregateHit, outcome: AggregateOutcome) -> Finding:
    location = Location(path=path, line=hit.line, column=hit.column, record_index=hit.record_index, pointer=hit.pointer)
    digest = hashlib.blake2b(f"{rule.id}\0{path}\0{hit.fingerprint_basis or hit.message}".encode(), digest_size=16)
    return Finding(rule.id, rule.severity, hit.message, location, digest.hexdigest())


def input_finding(problem: InputProblem) -> Finding:
    location = Location(path=problem.source, line=problem.line, column=problem.column, record_index=problem.record_index)
    digest = hashlib.blake2b(f"invalid-input\0{problem.source}\0{problem.code}\0{problem.message}".encode(), digest_size=16)
    return Finding("invalid-input", Severity(problem.severity), problem.message, location, digest.hexdigest())


# ------------------------------------------------------------------------------- the run


def run(policy: Policy, tasks: list[FileTask], rules: dict[str, CompiledRule] | None = None,
        services: dict | None = None, settings: dict | None = None, notes: list[str] | None = None) -> RunResult:
    """Lint every file; returns sorted findings, per-file summaries and metrics."""
    rules = policy.rules if rules is None else rules
    services = services if services is not None else {}
    settings = {"trainer": policy.trainer, **(settings or {})}
    findings: list[Finding] = []
    files: list[FileSummary] = []
    metrics: list[Metric] = []
    for task in tasks:
        outcome = lint_file(task, policy, rules, services, settings)
        findings.extend(outcome.findings)
        files.append(outcome.summary)
        metrics.extend(outcome.metrics)
    findings.sort(key=Finding.sort_key)
    metrics.sort(key=lambda m: (m.rule, m.path))
    infos = [INVALID_INPUT, *(rule_info(r) for r in rules.values() if r.is_enabled)]
    return RunResult(policy=policy.path, tool_version=__version__, findings=findings, files=files,
                     rules=infos, metrics=metrics, notes=list(notes or []))


def rule_info(rule: CompiledRule) -> RuleInfo:
    return RuleInfo(rule.id, rule.severity, rule.description, rule.kind, rule.is_fixable, rule.rationale,
                    rule.help_uri, rule.origin.pack)
