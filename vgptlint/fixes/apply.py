"""Apply fixes to one record: a guarded loop, as in ruff's and sqlfluff's fix loops.

Each round takes the record's applicable fixes, drops those that overlap a fix already taken
this round (they are retried next round, against the re-linted record), applies the rest, and
re-lints the record. The loop ends when no applicable fix is left. A record is reverted to its
original data when a fix did not remove its own finding, or when the loop has not settled after
``MAX_ROUNDS`` rounds; its findings stay, with a note saying why.

Dataset-level changes (``DropRecord``, ``ReorderDataset``) are not applied here: they need the
whole file (see :mod:`vgptlint.run.fix_session`).
"""
from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from vgptlint.fixes.edits import apply_edits, edits_overlap
from vgptlint.inputs.locate import parse_pointer
from vgptlint.model import Applicability, DropRecord, Edit, Finding, Fix, ReorderDataset, SetValue

MAX_ROUNDS = 10
Relint = Callable[[object], list[Finding]]


def is_applied(fix: Fix | None, allow_unsafe: bool) -> bool:
    """Whether ``--fix`` (with ``--unsafe-fixes`` when ``allow_unsafe``) applies this fix."""
    if fix is None:
        return False
    return fix.applicability is Applicability.SAFE or (allow_unsafe and fix.applicability is Applicability.UNSAFE)


def is_record_level(fix: Fix) -> bool:
    """Text edits or SetValue changes: what this module applies."""
    return bool(fix.edits) or any(isinstance(c, SetValue) for c in fix.changes)


def drops_record(fix: Fix) -> bool:
    return any(isinstance(c, DropRecord) for c in fix.changes)


def reorder_seed(fix: Fix) -> int | None:
    return next((c.seed for c in fix.changes if isinstance(c, ReorderDataset)), None)


# ------------------------------------------------------------------------------- conflicts


def pointers_related(p: str, q: str) -> bool:
    """One pointer is the other or inside it (changing one changes the other).

    >>> pointers_related("/a", "/a/0"), pointers_related("/a", "/ab")
    (True, False)
    """
    return p == q or p.startswith(q + "/") or q.startswith(p + "/")


# ------------------------------------------------------------------------------- one round


def finding_order(finding: Finding) -> tuple:
    """Deterministic order in which a round considers fixes: by field, then by first edit."""
    fix = finding.fix
    first = min(((e.start, e.end) for e in fix.edits), default=(-1, -1)) if fix else (-1, -1)
    return (finding.location.pointer, first, finding.rule, finding.message)


def choose_fixes(findings: Sequence[Finding], allow_unsafe: bool) -> tuple[list[Finding], int]:
    """The applicable record-level fixes that can be applied together this round, and how many
    were held back because they conflict with one taken before them."""
    chosen: list[Finding] = []
    taken_edits: dict[str, list[Edit]] = {}
    taken_sets: list[str] = []
    held_count = 0
    for finding in sorted(findings, key=finding_order):
        fix = finding.fix
        if not is_applied(fix, allow_unsafe) or not is_record_level(fix):
            continue
        pointer = finding.location.pointer
        sets = [c.pointer for c in fix.changes if isinstance(c, SetValue)]
        edited = [pointer] if fix.edits else []
        conflicts = (
            any(edits_overlap(e, t) for e in fix.edits for t in taken_edits.get(pointer, ()))
            or any(pointers_related(s, t) for s in sets for t in (*taken_sets, *taken_edits))
            or any(pointers_related(p, t) for p in edited for t in taken_sets)
        )
        if conflicts:
            held_count += 1
            continue
        chosen.append(finding)
        if fix.edits:
            taken_edits.setdefault(pointer, []).extend(fix.edits)
        taken_sets.extend(sets)
    return chosen, held_count


def apply_fixes(data: object, findings: Iterable[Finding]) -> object:
    """A copy of ``data`` with the fixes of ``findings`` applied (they must not conflict).

    Raises:
        ValueError: an edit on a value that is not a string, or outside it; a pointer that does not exist.
    """
    result = copy.deepcopy(data)
    edits_by_pointer: dict[str, list[Edit]] = {}
    for finding in findings:
        if finding.fix.edits:
            edits_by_pointer.setdefault(finding.location.pointer, []).extend(finding.fix.edits)
        for change in finding.fix.changes:
            if isinstance(change, SetValue):
                result = set_at(result, change.pointer, copy.deepcopy(change.value))
    for pointer, edits in edits_by_pointer.items():
        value = get_at(result, pointer)
        if not isinstance(value, str):
            raise ValueError(f"{pointer or 'the record'} is not a string; text edits need one")
        result = set_at(result, pointer, apply_edits(value, edits))
    return result


def get_at(data: object, pointer: str) -> object:
    return _walk(data, parse_pointer(pointer))


def _walk(data: object, parts: Sequence[str]) -> object:
    for part in parts:
        data = _child(data, part)
    return data


def set_at(data: object, pointer: str, value: object) -> object:
    """Set (or create, in an object) the value at ``pointer``; returns the (possibly new) root."""
    parts = parse_pointer(pointer)
    if not parts:
        return value
    parent = _walk(data, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        parent[int(last)] = value
    else:
        raise ValueError(f"cannot set {pointer}: its parent is not an object or the index is out of range")
    return data


def _child(data: object, part: str) -> object:
    if isinstance(data, dict) and part in data:
        return data[part]
    if isinstance(data, list) and part.isdigit() and int(part) < len(data):
        return data[int(part)]
    raise ValueError(f'"{part}" does not exist in the record')


# ------------------------------------------------------------------------------- the loop


@dataclass(frozen=True, slots=True)
class RecordFix:
    """What the loop did to one record.

    Args:
        data: the record after its fixes (the original data when nothing applied or reverted).
        applied: the findings whose fixes were applied, over all rounds.
        findings: the record's findings after the loop (record rules only, re-linted).
        reverted: why the record's fixes were undone, or None.
    """

    data: object
    applied: tuple[Finding, ...]
    findings: tuple[Finding, ...]
    reverted: str | None = None

    @property
    def is_changed(self) -> bool:
        return bool(self.applied) and self.reverted is None


def finding_key(finding: Finding) -> tuple[str, str, str]:
    return (finding.rule, finding.location.pointer, finding.message)


def fix_record(data: object, findings: Sequence[Finding], relint: Relint, allow_unsafe: bool,
               max_rounds: int = MAX_ROUNDS) -> RecordFix:
    """Run the fix loop on one record.

    Args:
        data: the record as read.
        findings: its findings as linted (their fixes refer to ``data``).
        relint: lints a record's data with the record rules; returns its findings.
        allow_unsafe: apply ``unsafe`` fixes too.
        max_rounds: rounds before the loop is declared not to converge.

    Returns:
        The fixed record, or the original with ``reverted`` set.
    """
    current, current_findings = data, list(findings)
    applied: list[Finding] = []
    for _ in range(max_rounds):
        chosen, _held = choose_fixes(current_findings, allow_unsafe)
        if not chosen:
            return RecordFix(current, tuple(applied), tuple(current_findings))
        try:
            candidate = apply_fixes(current, chosen)
        except ValueError as err:
            return _revert(data, findings, f"a fix could not be applied: {err}")
        after = relint(candidate)
        before_counts, after_counts = Counter(map(finding_key, current_findings)), Counter(map(finding_key, after))
        stuck = [f for f in chosen if after_counts[finding_key(f)] >= before_counts[finding_key(f)]]
        if stuck:
            first = stuck[0]
            return _revert(data, findings, f"fix reverted: after \"{first.fix.title}\" the finding was still there")
        applied.extend(chosen)
        current, current_findings = candidate, after
    if choose_fixes(current_findings, allow_unsafe)[0]:
        return _revert(data, findings, f"fix reverted: the record's fixes did not settle after {max_rounds} rounds")
    return RecordFix(current, tuple(applied), tuple(current_findings))


def _revert(data: object, findings: Sequence[Finding], reason: str) -> RecordFix:
    return RecordFix(data, (), tuple(findings), reason)
