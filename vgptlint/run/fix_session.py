"""``--fix`` and ``--diff`` over the files of a run: read, lint, fix, reassemble, verify, write.

Per file: the bytes are read once (a :class:`~vgptlint.fixes.write.Snapshot`), linted, and each
record with applicable fixes goes through the fix loop (:mod:`vgptlint.fixes.apply`). Unsafe
dataset-level fixes then drop records (to the rejects file) or shuffle the dataset with a seed.
The new text is reassembled around the untouched bytes (:mod:`vgptlint.fixes.layout`), read back
and checked to hold exactly the fixed records, linted again (the findings that remain), and only
then written (rejects first, so a record is never only in memory).

A file is not rewritten when it cannot be rewritten exactly: invalid UTF-8, invalid JSON, a
record that is not an object; stdin has no file to write.
"""
from __future__ import annotations

import json
import random
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from vgptlint.findings.result import RunResult
from vgptlint.findings.spool import FindingSpool
from vgptlint.fixes.apply import (MAX_ROUNDS, RecordFix, drops_record, fix_record, is_applied, is_record_level,
                                  reorder_seed)
from vgptlint.fixes.base import rule_fix
from vgptlint.fixes.layout import LayoutError, assemble, base_indent
from vgptlint.fixes.negatives import label_name, without_negative_fixes
from vgptlint.fixes.regions import fix_regions
from vgptlint.fixes.splice import rewrite_record_text, same_json
from vgptlint.fixes.write import Rejected, Snapshot, WriteRefused, append_rejects, take_snapshot, write_atomically
from vgptlint.functions.base import Hit
from vgptlint.inputs.read import STDIN_NAME, read_bytes
from vgptlint.inputs.records import FileInfo, InputProblem, Record
from vgptlint.inputs.style import describe_bytes
from vgptlint.inputs.text import UTF8_BOM
from vgptlint.model import Applicability, Finding
from vgptlint.reports.base import plural
from vgptlint.run.engine import (FileFindings, FileOutcome, FindingList, file_plan, finish_file, lint_file, lint_source, peek_file,
                                 run_result)
from vgptlint.run.evaluate import evaluate_record
from vgptlint.run.setup import FileRun, FileTask, RunSetup, compiled

MAX_FILE_PASSES = 3


@dataclass(frozen=True, slots=True)
class FixOptions:
    """``allow_unsafe``: --unsafe-fixes; ``seed``: --seed (shuffles); ``write``: False for --diff."""

    allow_unsafe: bool = False
    seed: int | None = None
    write: bool = True
    max_rounds: int = MAX_ROUNDS


@dataclass
class FileFix:
    """What fixing one file did (or would do, with ``write=False``)."""

    path: str
    findings: list[Finding]  # after fixing: what remains
    metrics: list
    summary: object
    regions: dict = field(default_factory=dict)
    fixed_count: int = 0
    fixed_by_rule: Counter = field(default_factory=Counter)  # what --show-fixes lists
    changed_record_count: int = 0
    dropped_count: int = 0
    shuffle_seed: int | None = None
    old_text: str = ""
    new_text: str = ""
    is_written: bool = False
    messages: list[str] = field(default_factory=list)

    @property
    def is_changed(self) -> bool:
        return self.old_text != self.new_text


@dataclass
class Linted:
    """One lint pass over a file's bytes: the outcome and findings plus what the fixer needs to rewrite it."""

    run: FileRun
    outcome: FileOutcome
    findings: list[Finding]  # in the order they were found, file-wide problems collapsed
    records: list[Record]
    problems: list[InputProblem]


def lint_bytes(data: bytes, task: FileTask, setup: RunSetup) -> Linted:
    """The run core over a file's bytes, keeping its records for rewriting."""
    records: list[Record] = []
    problems: list[InputProblem] = []

    def collect(items: Iterable[Record | InputProblem]) -> Iterator[Record | InputProblem]:
        for item in items:
            (records if isinstance(item, Record) else problems).append(item)
            yield item

    suffix = Path(task.path).suffix.lower() if task.path != "-" else ""
    source = peek_file(task, collect(read_bytes(data, task.display, suffix)))
    sink = FileFindings(FindingList(), task.display)
    outcome = finish_file(setup, source.run, lint_source(setup, source, sink), sink)
    return Linted(source.run, outcome, sink.target, records, problems)


def lint_whole(setup: RunSetup, task: FileTask) -> tuple[FileOutcome, list[Finding]]:
    """A file read as any run reads it (nothing to rewrite): its outcome and findings."""
    sink = FileFindings(FindingList(), task.display)
    return lint_file(setup, task, sink), sink.target


def fix_task(setup: RunSetup, task: FileTask, options: FixOptions) -> FileFix:
    """Fix one file; see the module docstring."""
    if task.path == "-":
        linted = lint_bytes(sys.stdin.buffer.read(), replace(task, display=task.display or STDIN_NAME), setup)
        return _unchanged(task.display, linted, None, [f"{task.display}: stdin cannot be fixed (there is no file to "
                                                      "write); save the data to a file and fix that"])
    if Path(task.path).suffix.lower() == ".parquet":  # columnar and binary: linted, never rewritten
        outcome, findings = lint_whole(setup, task)
        note = [f"{task.display}: not fixed: Parquet files are linted but not rewritten; fix the JSON/JSONL source"]
        return FileFix(task.display, findings, outcome.metrics, outcome.summary, messages=note)
    try:
        snapshot = take_snapshot(task.path)
    except OSError:  # missing, a directory, unreadable: the engine reports it as a finding
        outcome, findings = lint_whole(setup, task)
        return FileFix(task.display, findings, outcome.metrics, outcome.summary)
    suffix = Path(task.path).suffix.lower()
    info = describe_bytes(snapshot.data[: 1 << 20], suffix=suffix, last_byte=snapshot.data[-1:])
    linted = lint_bytes(snapshot.data, task, setup)
    findings = attach_dataset_fixes(linted.findings, setup, linted.run)
    blocker = _blocker(linted.problems)
    if blocker is not None:
        wanted = any(is_applied(f.fix, options.allow_unsafe) for f in findings)
        note = [f"{task.display}: not fixed: {blocker}"] if wanted else []
        return _unchanged(task.display, linted, info, note, findings)
    try:
        text = snapshot.data.decode("utf-8")
    except UnicodeDecodeError:
        return _unchanged(task.display, linted, info, [f"{task.display}: not fixed: it is not valid UTF-8"], findings)
    if info.has_bom:
        text = text[1:]
    kind, label = linted.run.kind, label_name(task.spec)
    relint = _relinter(setup, linted.run)
    progress = Progress(list(linted.records))
    current_text, current, current_findings = text, linted, findings
    # A fix can reveal another (two records become duplicates once fixed): a few passes over the file.
    for _ in range(MAX_FILE_PASSES):
        plan = _plan_changes(current.records, current_findings, relint, options, kind, label)
        progress.note_reverted(plan)
        if not plan.changes_anything:
            break
        try:
            new_text, after, order = _apply_plan(setup, task, info, current_text, current, plan)
        except LayoutError as err:
            return _unchanged(task.display, linted, info, [*progress.messages(), f"{task.display}: not fixed: {err}"],
                              findings)
        progress.advance(plan, order, current.records)
        current_text, current = new_text, after
        current_findings = attach_dataset_fixes(after.findings, setup, after.run)
    if current_text == text:
        return _unchanged(task.display, linted, info, progress.messages(), findings)
    result = _finish(task, info, text, current_text, current, current_findings, progress)
    if options.write:
        try:
            _write(task, snapshot, current_text, info, progress, result)
        except WriteRefused as err:
            return _unchanged(task.display, linted, info, [*progress.messages(), f"{task.display}: not fixed: {err}"],
                              findings)
    return result


def _unchanged(path: str, linted: Linted, info: FileInfo | None, messages: list[str],
               findings: list[Finding] | None = None) -> FileFix:
    findings = linted.findings if findings is None else findings
    by_index = {r.index: r for r in linted.records}
    regions = fix_regions(findings, by_index, info) if info is not None else {}
    return FileFix(path, findings, linted.outcome.metrics, linted.outcome.summary, regions, messages=messages)


def _blocker(problems: list[InputProblem]) -> str | None:
    """Why a file with these input problems cannot be rewritten exactly, or None."""
    for problem in problems:
        if problem.severity == "error":
            return f"line {problem.line}: {problem.message}"
    return None


def attach_dataset_fixes(findings: list[Finding], setup: RunSetup, run: FileRun) -> list[Finding]:
    """Aggregate findings carry no fix from the engine: compute the rule's declared fix for them.

    The fixer gets ``None`` as the value and a hit with the finding's message; dataset-level
    fixers (``drop_record``, ``shuffle_records``) need nothing else.
    """
    rules = compiled(setup).rules
    out = []
    for finding in findings:
        rule = rules.get(finding.rule)
        if finding.fix is None and rule is not None and rule.kind == "aggregate" and rule.fix is not None:
            fix = rule_fix(rule.fix, None, Hit(finding.message), setup.file_context(run))
            finding = replace(finding, fix=fix) if fix is not None else finding
        out.append(finding)
    return out


def _relinter(setup: RunSetup, run: FileRun):
    """A record's findings after a fix (what the fix loop checks a fix against): the file's record rules."""
    plan = file_plan(setup, run)
    ctx = setup.file_context(run)

    def relint(data: object, record: Record) -> list[Finding]:
        ctx.record, ctx.record_index = data, record.index
        probe = Record(record.source, record.index, record.line, record.column, data, json.dumps(data), record.offset)
        return evaluate_record(probe, plan.record_rules, ctx)

    return relint


# ------------------------------------------------------------------------------- planning


@dataclass
class ChangePlan:
    """One pass's changes, by position in the file's current records."""

    fixes: dict[int, RecordFix]
    dropped: dict[int, list[Finding]]
    seed: int | None
    reorder_findings: list[Finding]

    @property
    def changes_anything(self) -> bool:
        return any(f.is_changed for f in self.fixes.values()) or bool(self.dropped) or self.seed is not None


def _plan_changes(records: list[Record], findings: list[Finding], relint, options: FixOptions, kind: str,
                  label: str) -> ChangePlan:
    by_index: dict[int, list[Finding]] = {}
    reorder_findings: list[Finding] = []
    seed = None
    for finding in findings:
        if finding.location.record_index is not None:
            by_index.setdefault(finding.location.record_index, []).append(finding)
        if is_applied(finding.fix, options.allow_unsafe) and reorder_seed(finding.fix) is not None:
            reorder_findings.append(finding)
            seed = options.seed if options.seed is not None else reorder_seed(finding.fix)
    dropped: dict[int, list[Finding]] = {}
    fixes: dict[int, RecordFix] = {}
    for position, record in enumerate(records):
        # Undesirable examples (KTO label false, DPO rejected) keep their findings but lose their fixes.
        own = without_negative_fixes(by_index.get(record.index, []), record.data, kind, label)
        drops = [f for f in own if is_applied(f.fix, options.allow_unsafe) and drops_record(f.fix)]
        if drops:
            dropped[position] = drops
        elif any(is_applied(f.fix, options.allow_unsafe) and is_record_level(f.fix) for f in own):
            def guarded(data, r=record):
                return without_negative_fixes(relint(data, r), data, kind, label)

            fixes[position] = fix_record(record.data, own, guarded, options.allow_unsafe, options.max_rounds)
    return ChangePlan(fixes, dropped, seed, reorder_findings)


@dataclass
class Progress:
    """What the passes over one file did, each record named by the original record it comes from."""

    origins: list[Record]  # the original record of each current record
    fixed_by_rule: Counter = field(default_factory=Counter)
    rejected: list[Rejected] = field(default_factory=list)
    reverted: dict[int, tuple[Record, str]] = field(default_factory=dict)  # by original index
    shuffles: list[tuple[int, int]] = field(default_factory=list)  # (seed, record count)

    @property
    def fixed_count(self) -> int:
        return sum(self.fixed_by_rule.values())

    def note_reverted(self, plan: ChangePlan) -> None:
        for position, fix in plan.fixes.items():
            if fix.reverted:
                origin = self.origins[position]
                self.reverted.setdefault(origin.index, (origin, fix.reverted))

    def advance(self, plan: ChangePlan, order: list[int], records: list[Record]) -> None:
        is_reordered = order != sorted(order)
        self.fixed_by_rule.update(f.rule for fix in plan.fixes.values() if fix.is_changed for f in fix.applied)
        self.fixed_by_rule.update(f.rule for drops in plan.dropped.values() for f in drops)
        for position, drops in sorted(plan.dropped.items()):
            origin = self.origins[position]
            self.rejected.append(Rejected(origin.source, origin.index, origin.line, tuple(sorted({f.rule for f in drops})),
                                          tuple(f.message for f in drops), records[position].data))
        if is_reordered:
            self.fixed_by_rule.update(f.rule for f in plan.reorder_findings)
            self.shuffles.append((plan.seed, len(order)))
        self.origins = [self.origins[p] for p in order]

    def messages(self) -> list[str]:
        return [f"{r.source}:{r.line}:{r.column}: record {r.index}: {why}" for r, why in self.reverted.values()]


# ------------------------------------------------------------------------------- rewriting


def _apply_plan(setup: RunSetup, task: FileTask, info: FileInfo, text: str, linted: Linted,
                plan: ChangePlan) -> tuple[str, Linted, list[int]]:
    """The file's new text after one pass, read back, checked and linted."""
    records = linted.records
    new_texts = {
        position: rewrite_record_text(records[position].text, records[position].data, fix.data, info,
                                      base_indent(text, records[position].offset))
        for position, fix in plan.fixes.items() if fix.is_changed
    }
    order = [p for p in range(len(records)) if p not in plan.dropped]
    if plan.seed is not None:
        random.Random(plan.seed).shuffle(order)
    new_text = assemble(text, info, records, new_texts, order)
    expected = [plan.fixes[p].data if p in plan.fixes and plan.fixes[p].is_changed else records[p].data for p in order]
    after = lint_bytes(_encode(new_text, info), task, setup)
    is_exact = len(after.records) == len(expected) and all(same_json(r.data, e) for r, e in zip(after.records, expected))
    if not is_exact or any(p.severity == "error" for p in after.problems):
        raise LayoutError("the rewritten text did not read back as the fixed records (a bug; please report it)")
    return new_text, after, order


def _encode(text: str, info: FileInfo) -> bytes:
    return (UTF8_BOM if info.has_bom else b"") + text.encode("utf-8")


def _finish(task: FileTask, info: FileInfo, old_text: str, new_text: str, linted: Linted, findings: list[Finding],
            progress: Progress) -> FileFix:
    reverted = {k: progress.reverted[o.index][1] for k, o in enumerate(progress.origins) if o.index in progress.reverted}
    findings = [replace(f, note=reverted[f.location.record_index])
                if f.location.record_index in reverted and f.is_fixable and f.note is None else f for f in findings]
    new_bytes = _encode(new_text, info)
    new_info = describe_bytes(new_bytes[: 1 << 20], suffix=Path(task.path).suffix.lower(), last_byte=new_bytes[-1:])
    regions = fix_regions(findings, {r.index: r for r in linted.records}, new_info)
    changed = sum(1 for record, origin in zip(linted.records, progress.origins) if record.text != origin.text)
    messages = progress.messages()
    messages.extend(f"{task.display}: shuffled {plural(count, 'record')} with seed {seed} (--seed {seed} repeats it)"
                    for seed, count in progress.shuffles)
    return FileFix(task.display, findings, linted.outcome.metrics, linted.outcome.summary, regions,
                   fixed_count=progress.fixed_count, fixed_by_rule=progress.fixed_by_rule, changed_record_count=changed,
                   dropped_count=len(progress.rejected), shuffle_seed=progress.shuffles[-1][0] if progress.shuffles else None,
                   old_text=old_text, new_text=new_text, messages=messages)


def _write(task: FileTask, snapshot: Snapshot, new_text: str, info: FileInfo, progress: Progress, result: FileFix) -> None:
    """Rejects first: if the dataset write then fails, a record is in both files, never in neither."""
    if progress.rejected:
        target = append_rejects(task.path, progress.rejected)
        result.messages.append(f"{task.display}: moved {plural(len(progress.rejected), 'record')} to {target}")
    write_atomically(task.path, _encode(new_text, info), snapshot)
    result.is_written = True


# ------------------------------------------------------------------------------- the run


@dataclass
class FixRun:
    """Every file's fix, and the run's findings after fixing (what remains)."""

    result: RunResult
    files: list[FileFix]

    @property
    def fixed_count(self) -> int:
        return sum(f.fixed_count for f in self.files if f.is_changed)

    @property
    def changed_files(self) -> list[FileFix]:
        return [f for f in self.files if f.is_changed]

    @property
    def messages(self) -> list[str]:
        return [m for f in self.files for m in f.messages]

    def unsafe_fixable_count(self) -> int:
        """Remaining findings an unsafe fix would handle (mentioned when --unsafe-fixes was not given)."""
        return sum(1 for f in self.result.findings if f.fix is not None and f.fix.applicability is Applicability.UNSAFE)


def fix_files(setup: RunSetup, tasks: list[FileTask], notes: list[str], options: FixOptions) -> FixRun:
    """Fix every file (or, with ``write=False``, compute what would change); see the module docstring."""
    files = [fix_task(setup, task, options) for task in tasks]
    findings = FindingSpool()
    for file in files:
        findings.extend(file.findings)
    # Per-file notes (files too small to judge) are not repeated after fixing: the run's own notes only.
    result = run_result(setup, findings, (FileOutcome(file.summary, file.metrics) for file in files), notes)
    for file in files:
        result.fix_regions.update(file.regions)
    return FixRun(result, files)
