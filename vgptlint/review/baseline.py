"""Baselines: adopt vgptlint on a dataset that already has findings, and fail only on new ones.

``vgptlint check --write-baseline .vgptlint-baseline.json`` records every current finding by its
content-based fingerprint (rule, file, JSON path, normalized value — never a line number), so moving
or re-ordering records keeps an entry matching, while editing the record's content does not.
``--baseline FILE`` (or ``baseline:`` in the policy) then reports only findings not in the file and
says how many were baselined and how many entries are stale (no longer occur).

The file is sorted and carries no timestamp, so re-writing an unchanged baseline changes no byte::

    {
      "version": 1,
      "tool": "vgptlint",
      "entries": [
        {"fingerprint": "0b03…", "rule": "kto-label-format", "path": "data/kto.jsonl",
         "message": "label is the string \\"false\\"; …", "count": 1}
      ]
    }

``count`` keeps identical findings apart: two equal findings need an entry of count 2, and a third
copy appearing later is reported as new.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from vgptlint.errors import UsageError
from vgptlint.fixes.write import output_file
from vgptlint.model import Finding
from vgptlint.reports.base import display_path

BASELINE_VERSION = 1


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    fingerprint: str
    rule: str
    path: str
    message: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class Baseline:
    source: str
    entries: tuple[BaselineEntry, ...]

    def counts(self) -> Counter:
        counts: Counter = Counter()
        for entry in self.entries:
            counts[entry.fingerprint] += entry.count
        return counts


class BaselineFilter:
    """A baseline over a stream of findings (:meth:`apply`): drops the findings it knows, one per counted
    occurrence; what is left of its counts afterwards are stale entries.

    Findings are visited in their (sorted) report order, so which copy of a duplicated finding is
    reported as new does not depend on processing order. Holds only the baseline's counts.
    """

    def __init__(self, baseline: Baseline) -> None:
        self.baseline = baseline
        self.remaining = baseline.counts()
        self.baselined_count = 0

    def apply(self, findings: Iterable[Finding]) -> Iterator[Finding]:
        remaining = self.remaining
        for finding in findings:
            if remaining.get(finding.fingerprint, 0) > 0:
                remaining[finding.fingerprint] -= 1
                self.baselined_count += 1
            else:
                yield finding

    @property
    def stale_count(self) -> int:
        return sum(1 for entry_count in self.remaining.values() if entry_count > 0)

    def note(self) -> str:
        note = (f"baseline {self.baseline.source}: {self.baselined_count:,} known "
                f"finding{'s' if self.baselined_count != 1 else ''} not shown")
        if self.stale_count:
            entries = "entries no longer occur" if self.stale_count != 1 else "entry no longer occurs"
            note += (f"; {self.stale_count:,} {entries} "
                     "(stale; rewrite the baseline with --write-baseline to drop them)")
        return note


def baseline_entries(findings: Iterable[Finding], cwd: Path | None = None) -> list[BaselineEntry]:
    """One entry per distinct fingerprint (from its first finding), counting duplicates; sorted by
    path, rule, fingerprint. One pass: holds one entry per distinct finding, not the findings."""
    cwd = cwd or Path.cwd()
    entries: dict[str, BaselineEntry] = {}
    for finding in findings:
        entry = entries.get(finding.fingerprint)
        if entry is None:
            entries[finding.fingerprint] = BaselineEntry(finding.fingerprint, finding.rule,
                                                         display_path(finding.location.path, cwd), finding.message)
        else:
            entries[finding.fingerprint] = replace(entry, count=entry.count + 1)
    return sorted(entries.values(), key=lambda e: (e.path, e.rule, e.fingerprint))


def render_baseline(entries: list[BaselineEntry]) -> str:
    document = {
        "version": BASELINE_VERSION,
        "tool": "vgptlint",
        "entries": [{"fingerprint": e.fingerprint, "rule": e.rule, "path": e.path, "message": e.message,
                     "count": e.count} for e in entries],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_baseline(findings: Iterable[Finding], path: str | Path) -> int:
    """Write the baseline of ``findings`` to ``path``; returns the number of findings recorded."""
    entries = baseline_entries(findings)
    with output_file(str(path)) as stream:  # replaced whole or not at all
        stream.write(render_baseline(entries))
    return sum(e.count for e in entries)


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline file.

    Raises:
        UsageError: the file is missing, is not JSON (with ``file:line:col``) or not a baseline.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f'baseline "{source}": no such file; create it with '
                         f'`vgptlint check --write-baseline {source}`') from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f'baseline "{source}": cannot read it: {exc}') from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source}:{exc.lineno}:{exc.colno}: baseline is not valid JSON: {exc.msg}") from None
    entries = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list) or document.get("version") != BASELINE_VERSION:
        raise UsageError(f'{source}:1:1: not a vgptlint baseline (expected {{"version": 1, "entries": [...]}}); '
                         "rewrite it with --write-baseline")
    parsed = []
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise UsageError(f'{source}: entry {number} has no "fingerprint"; rewrite the baseline with --write-baseline')
        count = entry.get("count", 1)
        parsed.append(BaselineEntry(entry["fingerprint"], str(entry.get("rule", "")), str(entry.get("path", "")),
                                    str(entry.get("message", "")), count if isinstance(count, int) and count > 0 else 1))
    return Baseline(source, tuple(parsed))
