"""Suppressions: findings a team has decided to accept, written down next to the data or in the policy.

Two places, one report rule:

* **In a record** — a field (``vgptlint`` unless the policy sets ``settings: {suppression_field: …}``)::

      {"instruction": "…", "output": "Yes", "vgptlint": {"ignore": ["output-too-short"], "reason": "a yes/no drill"}}

  ``ignore`` lists rule ids (or globs such as ``sql-*``) whose findings on *this record* are not reported.
  The field is metadata: it is removed from the record before any rule or accumulator sees it, so it is
  never linted and never counted in metrics. Record suppressions cover record rules; dataset-level
  (aggregate) findings are suppressed in the policy.
* **In the policy** — ``ignore:`` entries, each either a finding's ``fingerprint`` or ``files`` globs plus
  ``rules``::

      ignore:
        - fingerprint: 0b036c1828f6a351abce5458aaea369f
          reason: reviewed 2025-01-10
        - files: ["data/legacy/*.json"]
          rules: [output-too-short, input-empty]

A suppression that suppresses nothing is reported as an ``info`` finding of rule ``unused-suppression``,
so stale ones get cleaned up. ``--no-suppressions`` ignores both kinds (the field is still not linted).
"""
from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from vgptlint.errors import PolicyError, Problem
from vgptlint.findings.fingerprint import fingerprint
from vgptlint.findings.result import RuleInfo
from vgptlint.globs import matches_any
from vgptlint.inputs.locate import locate
from vgptlint.inputs.records import Record
from vgptlint.model import Finding, Location, Severity
from vgptlint.policy.load import resolve_reference
from vgptlint.policy.yamlio import key_position, load_yaml

DEFAULT_FIELD = "vgptlint"
UNUSED_SUPPRESSION = RuleInfo(
    id="unused-suppression",
    severity=Severity.INFO,
    description="A suppression (a record's ignore list or a policy ignore entry) that suppressed no finding.",
    kind="record",
    pack="builtin",
    rationale="Suppressions outlive the problems they hid; an unused one should be deleted so it cannot hide a new problem later.",
)
IGNORE_KEYS = ("fingerprint", "files", "rules", "reason")


# ------------------------------------------------------------------------------- settings


def suppression_field(policy_settings: dict) -> str:
    """The record field that carries suppressions: ``settings: {suppression_field: …}`` or ``vgptlint``."""
    tool_settings = policy_settings.get("settings")
    if isinstance(tool_settings, dict) and tool_settings.get("suppression_field"):
        return str(tool_settings["suppression_field"])
    return DEFAULT_FIELD


# ------------------------------------------------------------------------------- in a record


@dataclass(frozen=True, slots=True)
class RecordSuppression:
    """One record's suppression field, read before its rules run.

    ``record`` is the original record (its text still holds the field, for locating entries);
    ``patterns`` are the ignore entries with their index in the list.
    """

    record: Record
    field: str
    patterns: tuple[tuple[int, str], ...]
    problem: str | None
    is_enabled: bool

    def apply(self, findings: list[Finding]) -> list[Finding]:
        """``findings`` of this record minus the suppressed ones, plus one finding per unused entry."""
        if not self.is_enabled:
            return findings
        kept, used = [], set()
        for finding in findings:
            matched = [i for i, pattern in self.patterns if _rule_matches(finding.rule, pattern)]
            if matched:
                used.update(matched)
            else:
                kept.append(finding)
        if self.problem is not None:
            kept.append(self._finding((self.field,), self.problem, ""))
        for index, pattern in self.patterns:
            if index not in used:
                message = f'suppression of "{pattern}" is unused: the record has no such finding; remove it'
                kept.append(self._finding((self.field, "ignore", index), message, pattern))
        return kept

    def _finding(self, parts: tuple, message: str, pattern: str) -> Finding:
        line, column = locate(self.record, parts) or (self.record.line, self.record.column)
        pointer = "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)
        location = Location(path=self.record.source, line=line, column=column, record_index=self.record.index,
                            pointer=pointer)
        # Content-based like every fingerprint: the record's content, not its position in the file.
        basis = json.dumps(self.record.data, sort_keys=True, ensure_ascii=False, default=str)
        return Finding(UNUSED_SUPPRESSION.id, Severity.INFO, message, location,
                       fingerprint(UNUSED_SUPPRESSION.id, self.record.source, pointer, pattern, basis, ""))


def split_suppression(record: Record, field: str, is_enabled: bool) -> tuple[Record, RecordSuppression]:
    """The record without its suppression field (what rules see), and the suppression it carried
    (``is_enabled`` False: --no-suppressions, its findings are reported, not suppressed)."""
    data = record.data
    stripped = replace(record, data={key: value for key, value in data.items() if key != field})
    patterns, problem = _read_field(data[field], field)
    return stripped, RecordSuppression(record, field, patterns, problem, is_enabled)


def _read_field(value: object, field: str) -> tuple[tuple[tuple[int, str], ...], str | None]:
    shape = f'"{field}" must be an object such as {{"ignore": ["rule-id"], "reason": "why"}}'
    if not isinstance(value, dict):
        return (), f"{shape}; got {type(value).__name__}"
    ignore = value.get("ignore", [])
    if isinstance(ignore, str):
        ignore = [ignore]
    if not isinstance(ignore, list) or not all(isinstance(item, str) for item in ignore):
        return (), f'"{field}.ignore" must be a list of rule ids'
    unknown = sorted(set(value) - {"ignore", "reason"})
    problem = f'"{field}" has unknown key "{unknown[0]}"; known: ignore, reason' if unknown else None
    return tuple(enumerate(ignore)), problem


def _rule_matches(rule_id: str, pattern: str) -> bool:
    return pattern == rule_id or pattern == "ALL" or fnmatch.fnmatchcase(rule_id, pattern)


# ------------------------------------------------------------------------------- in the policy


@dataclass(frozen=True, slots=True)
class PolicyIgnore:
    """One policy ``ignore:`` entry and where it is written (for its unused-suppression finding)."""

    fingerprint: str | None
    files: tuple[str, ...]
    rules: tuple[str, ...]
    reason: str
    source: str
    line: int
    column: int

    def matches(self, finding: Finding) -> bool:
        if self.fingerprint is not None:
            return finding.fingerprint == self.fingerprint
        path = finding.location.path
        files_match = not self.files or matches_any(path, self.files)
        return files_match and any(_rule_matches(finding.rule, r) for r in self.rules)

    def describe(self) -> str:
        if self.fingerprint is not None:
            return f"fingerprint {self.fingerprint}"
        where = f" in {', '.join(self.files)}" if self.files else ""
        return f"{', '.join(self.rules)}{where}"


def policy_ignores(policy: object) -> list[PolicyIgnore]:
    """The policy's ``ignore:`` entries, validated; positions come from the policy file when it holds them.

    Raises:
        PolicyError: an entry with neither ``fingerprint`` nor ``rules``, or an unknown key.
    """
    value = getattr(policy, "settings", {}).get("ignore")
    if value is None:
        return []
    source, nodes = _ignore_nodes(policy)
    entries = value if isinstance(value, list) else [value]
    problems: list[Problem] = []
    ignores: list[PolicyIgnore] = []
    for index, entry in enumerate(entries):
        line, column = _entry_position(nodes, index)
        ignore = _ignore_entry(entry, source, line, column, problems)
        if ignore is not None:
            ignores.append(ignore)
    if problems:
        raise PolicyError(problems)
    return ignores


def _ignore_entry(entry: object, source: str, line: int, column: int, problems: list[Problem]) -> PolicyIgnore | None:
    def fail(message: str) -> None:
        problems.append(Problem(source, line, column, "invalid-ignore", message))

    if not isinstance(entry, dict):
        fail('an ignore entry must be a mapping: {fingerprint: …} or {files: [globs], rules: [ids]}')
        return None
    unknown = [key for key in entry if key not in IGNORE_KEYS]
    if unknown:
        fail(f'ignore entry: unknown key "{unknown[0]}"; known: {", ".join(IGNORE_KEYS)}')
        return None
    fingerprint = entry.get("fingerprint")
    rules = _words(entry.get("rules"))
    if (fingerprint is None) == (not rules):
        fail('an ignore entry needs either "fingerprint" or "rules" (optionally with "files"), not both or neither')
        return None
    return PolicyIgnore(None if fingerprint is None else str(fingerprint), _words(entry.get("files")), rules,
                        str(entry.get("reason") or ""), source, line, column)


def _words(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def _ignore_nodes(policy: object) -> tuple[str, object]:
    """The policy file's display path and its ``ignore`` node (None when ``ignore`` comes from a parent)."""
    display = getattr(policy, "path", "policy")
    path = resolve_reference(getattr(policy, "name", display), Path.cwd())
    try:
        document = load_yaml(path, display) if path is not None else None
    except PolicyError:
        document = None
    nodes = document.get("ignore") if isinstance(document, dict) else None
    return display, nodes


def _entry_position(nodes: object, index: int) -> tuple[int, int]:
    if isinstance(nodes, list) and index < len(nodes):
        return key_position(nodes, index)
    return 1, 1


class PolicyIgnoreFilter:
    """The policy's ``ignore:`` entries over a stream of findings (:meth:`apply`): drops the findings an
    entry matches, then adds an ``unused-suppression`` finding per entry that matched none.

    Holds only which entries were used, so it runs over a spooled run of any size.
    """

    def __init__(self, ignores: list[PolicyIgnore]) -> None:
        self.ignores = list(ignores)
        self.used: set[int] = set()
        self.suppressed_count = 0

    def apply(self, findings: Iterable[Finding]) -> Iterator[Finding]:
        """The findings no entry matches, in their order, then the unused entries' findings."""
        ignores = self.ignores
        for finding in findings:
            matched = [i for i, ignore in enumerate(ignores) if ignore.matches(finding)] if ignores else ()
            if matched and finding.rule != UNUSED_SUPPRESSION.id:
                self.used.update(matched)
                self.suppressed_count += 1
            else:
                yield finding
        for index, ignore in enumerate(ignores):
            if index not in self.used:
                location = Location(path=ignore.source, line=ignore.line, column=ignore.column)
                message = f"policy ignore entry ({ignore.describe()}) matched no finding; remove it"
                yield Finding(UNUSED_SUPPRESSION.id, Severity.INFO, message, location,
                              fingerprint(UNUSED_SUPPRESSION.id, ignore.source, ignore.describe(), ""))

