"""File-wide findings: one finding for a problem every record of a file has.

A column missing from all 59,021 records is one mistake, not 59,021: the engine replaces the
per-record findings of such a problem with one finding at the first of them, whose message ends
"(in all 59,021 records of this file)". Findings with a fix stay per record so --fix can apply
them; input problems (``invalid-input``) are never collapsed.

:class:`FileWide` decides this while a file's findings stream past, without holding them: a problem
(rule, pointer, message) can only be in every record if it is in the first record that has a
finding at all, so only that record's problems are followed, each with the number of distinct
records it has been seen in. That relies on a file's record findings arriving in record order,
which the engine guarantees (records are linted in file order, chunks merged in file order).
Findings are followed encoded (:mod:`vgptlint.findings.encoding`), as the spool holds them.
"""
from __future__ import annotations

from collections import Counter

from vgptlint.findings.encoding import SORT_FIELDS, decode
from vgptlint.model import Finding

INVALID_INPUT_RULE = "invalid-input"
Key = tuple[str, str, str]  # rule, pointer, message


def collapse_key(data: tuple) -> Key | None:
    """The problem an encoded finding can be collapsed under, or None (it has a fix, no record, or is an
    input problem)."""
    if data[12] is not None or data[8] is None or data[3] == INVALID_INPUT_RULE:
        return None
    return data[3], data[4], data[5]


class _Problem:
    __slots__ = ("last_index", "record_count", "first", "first_key", "severities")

    def __init__(self, data: tuple) -> None:
        self.last_index = data[8]
        self.record_count = 1
        self.first, self.first_key = data, SORT_FIELDS(data)
        self.severities: Counter = Counter()


class FileWide:
    """Follows one file's record findings, in record order, to find the problems every record has."""

    __slots__ = ("first_index", "problems")

    def __init__(self) -> None:
        self.first_index: int | None = None  # the first record with a finding that can collapse
        self.problems: dict[Key, _Problem] = {}

    def see(self, data: tuple) -> None:
        """Follow one encoded finding."""
        key = collapse_key(data)
        if key is None:
            return
        index = data[8]
        if self.first_index is None:
            self.first_index = index
        problem = self.problems.get(key)
        if problem is None:
            if index != self.first_index:  # not in the first record, so not in every record
                return
            problem = self.problems[key] = _Problem(data)
        elif index != problem.last_index:
            problem.last_index = index
            problem.record_count += 1
        key = SORT_FIELDS(data)
        if key < problem.first_key:
            problem.first, problem.first_key = data, key
        problem.severities[data[6]] += 1

    def collapsed(self, record_count: int) -> dict[Key, _Problem]:
        """The problems every one of ``record_count`` records has, by key, sorted (none below 2 records)."""
        if record_count < 2:
            return {}
        return {key: self.problems[key] for key in sorted(self.problems)
                if self.problems[key].record_count == record_count}

    @staticmethod
    def replacement(problem: _Problem, record_count: int) -> Finding:
        first = decode(problem.first)
        message = f"{first.message} (in all {record_count:,} records of this file)"
        return Finding(first.rule, first.severity, message, first.location, first.fingerprint + "-all")
