"""What reports summarize of a run's findings, counted as they arrive (so a report can print its
summary before its findings): totals by severity, rule, path and (path, rule), fixable counts, and
each rule's first finding in report order. Counts take findings as :mod:`vgptlint.findings.encoding`
encodes them, one at a time or a batch at once."""
from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from operator import itemgetter

from vgptlint.findings.encoding import SEVERITIES, SORT_FIELDS, encode
from vgptlint.model import Applicability, Finding, Severity

_DISPLAY_ONLY, _UNSAFE = Applicability.DISPLAY_ONLY.value, Applicability.UNSAFE.value  # as encoded
_PATH, _RULE, _SEVERITY, _FIX, _PATH_RULE = itemgetter(0), itemgetter(3), itemgetter(6), itemgetter(12), itemgetter(0, 3)


@dataclasses.dataclass
class FindingCounts:
    """What reports summarize, kept as findings arrive: totals by severity and rule, fixable counts,
    the paths findings name, and the severity of each rule's first finding in report order."""

    total: int = 0
    by_severity: Counter = dataclasses.field(default_factory=Counter)
    by_rule: Counter = dataclasses.field(default_factory=Counter)
    paths: Counter = dataclasses.field(default_factory=Counter)
    safe_fixable_count: int = 0
    unsafe_fixable_count: int = 0
    first_of_rule: dict = dataclasses.field(default_factory=dict)  # rule -> (sort key, severity)
    by_path_rule: Counter = dataclasses.field(default_factory=Counter)  # (path, rule) -> findings

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> FindingCounts:
        counts = cls()
        for finding in findings:
            counts.add(finding)
        return counts

    def add(self, finding: Finding) -> None:
        self.add_data(encode(finding))

    def add_data(self, data: tuple) -> None:
        """Count one encoded finding (:func:`~vgptlint.findings.encoding.encode`)."""
        path, rule, severity, fix = data[0], data[3], data[6], data[12]
        self.total += 1
        self.by_severity[severity] += 1
        self.by_rule[rule] += 1
        self.paths[path] += 1
        self.by_path_rule[path, rule] += 1
        if fix is not None and fix[1] != _DISPLAY_ONLY:
            if fix[1] == _UNSAFE:
                self.unsafe_fixable_count += 1
            else:
                self.safe_fixable_count += 1
        key = SORT_FIELDS(data)
        first = self.first_of_rule.get(rule)
        if first is None or key < first[0]:
            self.first_of_rule[rule] = (key, SEVERITIES[severity])

    def add_all(self, datas: list[tuple]) -> None:
        """Count encoded findings as :meth:`add_data` one by one would: a rerun hands over tens of
        thousands, so each tally is one C-level pass over them, and only fixes and each rule's first
        are looked at in Python."""
        self.total += len(datas)
        rules = list(map(_RULE, datas))
        self.by_severity.update(map(_SEVERITY, datas))
        self.by_rule.update(rules)
        self.paths.update(map(_PATH, datas))
        self.by_path_rule.update(map(_PATH_RULE, datas))
        for fix in filter(None, map(_FIX, datas)):  # (an encoded fix is a non-empty tuple)
            if fix[1] != _DISPLAY_ONLY:
                if fix[1] == _UNSAFE:
                    self.unsafe_fixable_count += 1
                else:
                    self.safe_fixable_count += 1
        first_of_rule = self.first_of_rule
        for rule, data in zip(rules, datas):
            key = SORT_FIELDS(data)
            first = first_of_rule.get(rule)
            if first is None or key < first[0]:
                first_of_rule[rule] = (key, SEVERITIES[data[6]])

    def remove(self, rule: str, path: str, by_severity: Counter) -> None:
        """Forget findings without a fix (``by_severity``: how many of each) of one rule and path.

        The rule's first finding is kept: what replaces forgotten findings (a file-wide finding)
        sits at the first of them, with their severity.
        """
        count = sum(by_severity.values())
        self.total -= count
        self.by_severity.subtract(by_severity)
        self.by_rule[rule] -= count
        self.paths[path] -= count
        self.by_path_rule[path, rule] -= count
        for counter, key in ((self.by_rule, rule), (self.paths, path), (self.by_path_rule, (path, rule))):
            if counter[key] <= 0:
                del counter[key]

    def merge(self, other: FindingCounts) -> None:
        """Add another set of findings' counts (a cached file's, :meth:`FindingSpool.adopt`)."""
        self.total += other.total
        self.by_severity.update(other.by_severity)
        self.by_rule.update(other.by_rule)
        self.paths.update(other.paths)
        self.by_path_rule.update(other.by_path_rule)
        self.safe_fixable_count += other.safe_fixable_count
        self.unsafe_fixable_count += other.unsafe_fixable_count
        for rule, first in other.first_of_rule.items():
            mine = self.first_of_rule.get(rule)
            if mine is None or first[0] < mine[0]:
                self.first_of_rule[rule] = first

    @property
    def fixable_count(self) -> int:
        return self.safe_fixable_count + self.unsafe_fixable_count

    def severity_counts(self) -> dict[str, int]:
        """``{"error": n, "warning": n, "info": n}``."""
        return {s.value: max(0, self.by_severity.get(s.value, 0))
                for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}

    def rule_counts(self) -> dict[str, int]:
        """Findings per rule, sorted by rule id."""
        return dict(sorted((rule, count) for rule, count in self.by_rule.items() if count > 0))
