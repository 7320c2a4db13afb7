"""The run core: records → rules → findings (and accumulator states → metrics), one file at a time.

:func:`lint_source` is the one function every way of running calls: the local engine (:func:`run`,
through :func:`lint_file`), ``--jobs`` worker processes on chunks of a file
(:mod:`vgptlint.run.parallel`), Dask tasks on pieces of a file (:mod:`vgptlint.run.distributed_worker`)
and the fix session on a file's bytes (:mod:`vgptlint.run.fix_session`). It takes the run's
:class:`~vgptlint.run.setup.RunSetup`, a :class:`Source` (a file's records, all of them or a piece)
and a sink for the findings, and returns the accumulator states (:class:`Partial`). Pieces' states
merge (:func:`merge_partials`); :func:`finish_file` collapses file-wide problems (as the findings
went through a :class:`FileFindings` sink) and finalizes the accumulators. Findings reach the
run's :class:`~vgptlint.findings.spool.FindingSpool`, so a run holds a bounded number of them and
output never depends on processing order.
"""
from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol

from vgptlint import __version__
from vgptlint.aggregates.base import ABSORB_BATCH, AggregateOutcome, Observations, RecordRef
from vgptlint.findings.collapse import FileWide, collapse_key
from vgptlint.findings.encoding import decode, encode
from vgptlint.findings.fingerprint import fingerprint
from vgptlint.findings.result import FileSummary, RuleInfo, RunResult
from vgptlint.findings.counts import FindingCounts
from vgptlint.findings.spool import FindingSpool, SortedRun
from vgptlint.functions.base import Context
from vgptlint.globs import matches, matches_any
from vgptlint.inputs.read import read_source
from vgptlint.inputs.records import InputProblem, Record
from vgptlint.model import Finding, Location, Metric, Severity
from vgptlint.policy.model import CompiledRule, Policy
from vgptlint.review.suppress import split_suppression
from vgptlint.review.suppress import suppression_field as record_suppression_field
from vgptlint.run.decisions import RuleDecision, decide, min_records
from vgptlint.run.evaluate import RecordMemo, evaluate_record, rules_for_file, where_holds
from vgptlint.run.progress import counted
from vgptlint.run.setup import FileRun, FileTask, RunSetup, compiled

# Records per lint_source pass in one process: the findings of this many records are held before
# they go to the spool (about 10,000 findings at most).
RECORDS_PER_PASS = 16_384

INVALID_INPUT = RuleInfo(
    id="invalid-input",
    severity=Severity.ERROR,
    description="The dataset file cannot be read as records: invalid JSON or UTF-8, a record that is not an object, an empty or missing file.",
    rationale=("A record the linter cannot read is a record the trainer cannot read either (or reads differently): "
               "it is reported at the exact line and column, and the rest of the file is still checked."),
    kind="record",
    pack="builtin",
)


@dataclass(frozen=True, slots=True)
class FilePlan:
    record_rules: tuple[CompiledRule, ...]
    aggregate_rules: tuple[CompiledRule, ...]
    min_records: int = 20  # see MIN_RECORDS_TO_JUDGE


def infer_kind(data: object) -> str:
    """chosen+rejected → dpo; label/kto_tag → kto; a question without an answer field → eval
    (a validation suite); anything else → sft."""
    if isinstance(data, dict):
        if "chosen" in data and "rejected" in data:
            return "dpo"
        if "label" in data or "kto_tag" in data:
            return "kto"
        if "question" in data and not any(k in data for k in ("output", "conversations", "messages", "instruction")):
            return "eval"
    return "sft"


def infer_format(data: object) -> str:
    """LLaMA-Factory's formatting for a record without a dataset_info entry: conversations → sharegpt,
    role/content messages → openai, else alpaca."""
    if isinstance(data, dict):
        messages = data.get("conversations", data.get("messages"))
        if isinstance(messages, list):
            first = messages[0] if messages else None
            return "openai" if isinstance(first, dict) and "role" in first else "sharegpt"
    return "alpaca"


def kind_from_globs(policy: Policy, display: str) -> str | None:
    for pattern, kind in policy.datasets:
        if matches(display, pattern):
            return kind
    return None


def plan_for(policy: Policy, rules: dict[str, CompiledRule], display: str, kind: str, file_format: str = "alpaca") -> FilePlan:
    effective = dict(rules)
    for override in policy.overrides:
        if matches_any(display, override.globs):
            for rule_id, rule in override.rules.items():
                if rule_id in effective:
                    effective[rule_id] = rule
    active = [r for r in effective.values() if r.is_enabled and r.applies_to(kind, file_format)]
    return FilePlan(
        record_rules=tuple(r for r in active if r.kind != "aggregate"),
        aggregate_rules=tuple(r for r in active if r.kind == "aggregate"),
        min_records=min_records(policy),
    )


# ------------------------------------------------------------------------------- one file


@dataclass(frozen=True, slots=True)
class Source:
    """Records of one file to lint: all of them, or a piece (a chunk of records, a JSON Lines byte
    range, a Parquet row group). Pieces of a file are linted in any order and merged in file order."""

    run: FileRun
    records: Iterable[Record | InputProblem]


@dataclass
class Partial:
    """What linting a source leaves besides its findings: the accumulator states (in plan order) and
    the number of records. Partials of consecutive pieces merge (:func:`merge_partials`)."""

    states: list
    record_count: int


@dataclass
class FileOutcome:
    """A finished file: its summary, metrics, notes and dataset-level (accumulator) findings; its
    record findings went to the sink as they were found."""

    summary: FileSummary
    metrics: list[Metric]
    notes: list[str] = field(default_factory=list)
    dataset_findings: list[Finding] = field(default_factory=list)


class FindingList(list):
    """One file's findings in the order they were found: the fix session's sink target, where
    planning fixes goes record by record (a run's target is the sorted :class:`FindingSpool`)."""

    def add_data(self, data: tuple) -> None:
        """As :meth:`FindingSpool.add_data`: one encoded finding (planning fixes reads findings)."""
        self.append(decode(data))

    def add_all(self, datas: list[tuple]) -> None:
        self.extend(map(decode, datas))

    def forget(self, path: str, keys: set, removed: dict) -> None:
        """As :meth:`FindingSpool.forget`: drop the findings file-wide findings replace."""
        if keys:
            self[:] = [f for f in self if not (f.location.path == path and collapse_key(encode(f)) in keys)]


class FileFindings:
    """Where one file's findings go while it is linted: a target (the run's spool, or a
    :class:`FindingList`), with :class:`FileWide` beside it to find the problems every record has.
    :meth:`close` is the one place file-wide problems are collapsed."""

    __slots__ = ("target", "path", "wide")

    def __init__(self, target: FindingSpool | FindingList, path: str) -> None:
        self.target, self.path, self.wide = target, path, FileWide()

    def extend(self, findings: Iterable[Finding]) -> None:
        self.extend_data(map(encode, findings))

    def extend_data(self, encoded: Iterable[tuple]) -> None:
        """Findings as :func:`~vgptlint.findings.encoding.encode` encodes them (a record table's)."""
        encoded = encoded if isinstance(encoded, list) else list(encoded)  # (a piece's findings at most)
        see = self.wide.see
        for data in encoded:
            see(data)
        self.target.add_all(encoded)

    def add_collapsed(self, spool: FindingSpool) -> None:
        """Findings another sink of this file already collapsed, to the target without being followed."""
        add = self.target.add_data
        for data in spool.encoded():
            add(data)

    def adopt(self, run: SortedRun, counts: FindingCounts) -> None:
        """The file's record findings, already collapsed, encoded and sorted (the result cache's), with
        their counts: they go to the spool as they are, without being decoded or followed."""
        self.target.adopt(run, counts)

    def add_encoded(self, encoded: list[tuple], counts: FindingCounts) -> None:
        """The file's dataset-level findings, encoded (the result cache's), after its record findings."""
        self.target.add_encoded(encoded, counts)

    def collapse(self, record_count: int) -> None:
        """One finding for each problem all ``record_count`` records have, replacing theirs."""
        collapsed = self.wide.collapsed(record_count)
        self.target.forget(self.path, set(collapsed), {key: problem.severities for key, problem in collapsed.items()})
        self.target.extend(FileWide.replacement(problem, record_count) for problem in collapsed.values())
        self.wide = FileWide()

    def close(self, outcome: FileOutcome) -> FileOutcome:
        """The file's last findings: file-wide problems collapsed, then its dataset-level findings."""
        self.collapse(outcome.summary.record_count)
        self.target.extend(outcome.dataset_findings)
        return outcome


def file_plan(setup: RunSetup, run: FileRun) -> FilePlan:
    """The rules that apply to one file (policy, file overrides, kind and format), once per process."""
    state = compiled(setup)
    plan = state.plans.get(run.plan_key)
    if plan is None:
        plan = state.plans[run.plan_key] = plan_for(state.policy, state.rules, run.task.display, run.kind, run.format)
    return plan


def lint_source(setup: RunSetup, source: Source, sink: FileFindings | list, rows: RecordRows | None = None,
                absorb: bool = True) -> Partial:
    """Record rules and accumulators over a source's records; findings go to ``sink`` every
    RECORDS_PER_PASS records, so memory does not grow with a file's findings. The core: see the
    module docstring.

    ``rows``: when given (every accumulator of the plan observes), it is handed each record's findings
    and observations (what the result cache keeps per record: :class:`RecordRows`). ``absorb=False``
    (with ``rows``): observations only go to ``rows`` and the partial's states stay empty (a rerun
    absorbs every record's observation, cached and new, in file order afterwards).
    """
    plan = file_plan(setup, source.run)
    ctx = setup.file_context(source.run)
    states = empty_states(plan)
    absorbed_into = states if absorb else None
    record_count = 0
    for chunk in _slices(source.records, RECORDS_PER_PASS):
        findings, record_count = _lint_chunk(chunk, plan, ctx, absorbed_into, setup.use_suppressions, record_count, rows)
        sink.extend(findings)
    return Partial(states, record_count)


class RecordRows(Protocol):
    """What receives each record's share of a lint, a batch of consecutive records at a time."""

    def add(self, records: list[Record], findings: list[list[Finding]], columns: list[list]) -> None:
        """``findings``: each record's; ``columns``: per aggregate rule of the plan, each record's
        observation (None: the rule did not observe it)."""


def _lint_chunk(items: Iterable[Record | InputProblem], plan: FilePlan, ctx: Context, states: list | None,
                use_suppressions: bool, record_count: int, rows: RecordRows | None = None) -> tuple[list[Finding], int]:
    """One pass over some records; ``states`` (the accumulators') are updated in place (None: only
    ``rows`` is told the observations)."""
    findings: list[Finding] = []
    aggregates = plan.aggregate_rules
    record_rules = rules_for_file(plan.record_rules, ctx)
    suppression_field = record_suppression_field(ctx.policy_settings)
    accumulators = [(rule.accumulator, rule.accumulator_options) for rule in aggregates]
    # Per aggregate rule, what its step on each record reads, looked up once: its one selector's
    # expression (the key of the record's selections; None for several), observe and options.
    observers = [(position, rule, rule.selectors[0].expression if len(rule.selectors) == 1 else None,
                  rule.accumulator.observe, rule.accumulator_options) for position, rule in enumerate(aggregates)]
    observed = Observations(len(aggregates))
    observations, refs, numbers = observed.observations, observed.refs, observed.numbers
    batch_records: list[Record] = []  # with rows only: the batch's records and each one's findings
    batch_findings: list[list[Finding]] = []
    batched = 0
    for item in items:
        if isinstance(item, InputProblem):
            findings.append(input_finding(item))
            continue
        record_count += 1
        suppression = None
        original = item
        if suppression_field in item.data:  # metadata: stripped before any rule or accumulator sees it
            item, suppression = split_suppression(item, suppression_field, use_suppressions)
        ctx.record, ctx.record_index = item.data, item.index
        memo = RecordMemo()
        found = []
        if record_rules or suppression is not None:
            found = evaluate_record(item, record_rules, ctx, memo) if record_rules else []
            if suppression is not None:
                found = suppression.apply(found)
            findings.extend(found)
        if aggregates:
            ref = RecordRef(item.index, item.line, item.column)
            data, selected = item.data, memo.selected
            for position, rule, expression, observe, options in observers:
                if rule.where_facets and not where_holds(rule, data, ctx, memo.admitted):
                    continue
                targets = selected.get(expression) if expression is not None else None
                if targets is None:
                    targets = memo.targets(rule, data)
                if observe is None:
                    states[position] = rule.accumulator.add(states[position], targets, ctx, ref, options)
                    continue
                observation = observe(targets, ctx, options)
                if observation is not None:  # as Observations.add, inlined: 13 rules on every record
                    observations[position].append(observation)
                    refs[position].append(ref)
                    numbers[position].append(batched)
        if rows is not None:
            batch_records.append(original)
            batch_findings.append(found)
        batched += 1
        if batched == ABSORB_BATCH:
            _absorb(observed, accumulators, states, rows, batch_records, batch_findings)
            observed, batch_records, batch_findings, batched = Observations(len(aggregates)), [], [], 0
            observations, refs, numbers = observed.observations, observed.refs, observed.numbers
    if batched:
        _absorb(observed, accumulators, states, rows, batch_records, batch_findings)
    return findings, record_count


def _absorb(observed: Observations, accumulators: list, states: list | None, rows: RecordRows | None,
            records: list[Record], findings: list[list[Finding]]) -> None:
    if rows is None:
        observed.absorb(accumulators, states)
    else:
        rows.add(records, findings, observed.absorb(accumulators, states, len(records)))


def empty_states(plan: FilePlan) -> list:
    return [rule.accumulator.empty(rule.accumulator_options) for rule in plan.aggregate_rules]


def peek_file(task: FileTask, records: Iterator[Record | InputProblem]) -> Source:
    """The file's source, its kind and format known: from its dataset_info entry or the policy, else
    inferred from its first record (which is not lost)."""
    spec_format = getattr(task.spec, "formatting", None)
    if task.kind is not None and spec_format is not None:
        return Source(FileRun(task, task.kind, spec_format), records)
    pending: list = []
    first = None
    for item in records:
        pending.append(item)
        if isinstance(item, Record):
            first = item.data
            break
    kind = task.kind or (infer_kind(first) if first is not None else "sft")
    return Source(FileRun(task, kind, spec_format or infer_format(first)), _chain(pending, records))


def lint_file(setup: RunSetup, task: FileTask, sink: FileFindings, records: Iterator | None = None,
              progress: object = None) -> FileOutcome:
    """Lint one whole file (``records``: its records when already read, else it is read here)."""
    if records is None:
        records = counted(read_source(task.path, task.display), task.display, progress)
    source = peek_file(task, records)
    return finish_file(setup, source.run, lint_source(setup, source, sink), sink)


def merge_partials(setup: RunSetup, run: FileRun, partials: Iterable[Partial]) -> Partial:
    """Consecutive pieces' partials, in file order → one.

    States merge up a binary tree of neighbouring pieces (as a binary counter: a state is copied
    log2(pieces) times, not once per later piece; merging concatenates arrays, so merging in a line
    would copy a big file's state hundreds of times). Merge is associative, so any split and any
    tree agree.
    """
    plan = file_plan(setup, run)
    stack: list[tuple[int, Partial]] = []  # (pieces merged into it, partial), oldest first
    for partial in partials:
        size = 1
        while stack and stack[-1][0] == size:
            _, earlier = stack.pop()
            partial, size = merge_two(plan, earlier, partial), size * 2
        stack.append((size, partial))
    if not stack:
        return Partial(empty_states(plan), 0)
    merged = stack[-1][1]
    for _, earlier in reversed(stack[:-1]):
        merged = merge_two(plan, earlier, merged)
    return merged


def merge_two(plan: FilePlan, earlier: Partial, later: Partial) -> Partial:
    states = [rule.accumulator.merge(a, b, rule.accumulator_options)
              for rule, a, b in zip(plan.aggregate_rules, earlier.states, later.states)]
    return Partial(states, earlier.record_count + later.record_count)


def finalize(setup: RunSetup, run: FileRun, partial: Partial,
             finalized: list[AggregateOutcome] | None = None) -> FileOutcome:
    """Finalize a whole file's accumulators into metrics, notes and dataset-level findings.

    ``finalized``: the accumulators' outcomes when already known (from the result cache), in plan order.
    """
    plan = file_plan(setup, run)
    if finalized is None:
        finalized = [rule.accumulator.finalize(state, rule.accumulator_options)
                     for rule, state in zip(plan.aggregate_rules, partial.states)]
    decisions = [decide(rule, run.task.display, result, partial.record_count, plan.min_records)
                 for rule, result in zip(plan.aggregate_rules, finalized)]
    return file_outcome(run, partial.record_count, decisions)


def file_outcome(run: FileRun, record_count: int, decisions: Iterable[RuleDecision]) -> FileOutcome:
    """The file's outcome from its dataset rules' decisions, in plan order."""
    findings, metrics, notes = [], [], []
    for decision in decisions:
        metrics.extend(decision.metrics)
        if decision.too_small_note is not None and decision.too_small_note not in notes:
            notes.append(decision.too_small_note)  # one line per run: runs drop repeats
        findings.extend(decision.findings)
        notes.extend(decision.notes)
    return FileOutcome(FileSummary(run.task.display, run.kind, record_count), metrics, notes, findings)


def finish_file(setup: RunSetup, run: FileRun, partial: Partial, sink: FileFindings,
                finalized: list[AggregateOutcome] | None = None) -> FileOutcome:
    """Finalize a whole file and close its sink (file-wide problems collapsed, dataset-level findings added)."""
    return sink.close(finalize(setup, run, partial, finalized))


def _slices(items: Iterable, size: int) -> Iterator[Iterator]:
    """Consecutive slices of at most ``size`` items, each consumed before the next is made."""
    items = iter(items)
    for first in items:
        yield _chain([first], islice(items, size - 1))


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def input_finding(problem: InputProblem) -> Finding:
    location = Location(path=problem.source, line=problem.line, column=problem.column, record_index=problem.record_index)
    return Finding("invalid-input", Severity(problem.severity), problem.message, location,
                   fingerprint("invalid-input", problem.source, problem.code, problem.message))


# ------------------------------------------------------------------------------- the run's result


def run_result(setup: RunSetup, findings: FindingSpool, outcomes: Iterable[FileOutcome],
               notes: Iterable[str] = ()) -> RunResult:
    """The files' outcomes, in task order, and the spool their findings went to → the run's result.
    Every engine assembles it here, so their reports cannot differ."""
    files: list[FileSummary] = []
    metrics: list[Metric] = []
    notes = list(notes)
    for outcome in outcomes:
        files.append(outcome.summary)
        metrics.extend(outcome.metrics)
        notes.extend([n for n in outcome.notes if n not in notes])
    metrics.sort(key=lambda m: (m.rule, m.path))
    state = compiled(setup)
    infos = [INVALID_INPUT, *(rule_info(r) for r in state.rules.values() if r.is_enabled)]
    return RunResult(policy=state.policy.path, tool_version=__version__, findings=findings, files=files,
                     rules=infos, metrics=metrics, notes=notes)


# Young collections every 50,000 net allocations (CPython: 700) and full ones 10x rarer (see below).
COLLECTOR_THRESHOLDS = (50_000, 10, 100)


@contextmanager
def fewer_full_collections() -> Iterator[None]:
    """Run with young collections every 50,000 net allocations (CPython: 700) and full ones 10x rarer.

    Each cached SQL syntax tree is a few hundred objects with parent pointers, so only the cycle
    collector frees one, and every collection walks the young ones: with CPython's default
    thresholds that was about a fifth of the SQL rules' time (the SQL-only benchmark: 1,925 → 2,147
    statements/s at 50,000). mypy tunes its collector the same way. What waits for a collection is
    at most 50,000 small objects, a few MB; a full collection every 100 middle ones keeps memory flat
    on 590k-record runs (bench/README.md).
    """
    previous = gc.get_threshold()
    tune_collector()
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def tune_collector() -> None:
    """Keep :func:`fewer_full_collections`' thresholds for the rest of the process: for a process that
    lints and then exits (the CLI, the benchmarks). Restored to CPython's defaults after a run, the
    thresholds make the full collection the run deferred due at once: ~60 ms after a 3,600-statement
    script, walking trees the statement caches still hold, just before the process ends."""
    gc.set_threshold(*(max(old, new) for old, new in zip(gc.get_threshold(), COLLECTOR_THRESHOLDS)))


def rule_info(rule: CompiledRule) -> RuleInfo:
    return RuleInfo(rule.id, rule.severity, rule.description, rule.kind, rule.is_fixable, rule.rationale,
                    rule.help_uri, rule.origin.pack)
