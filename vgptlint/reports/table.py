"""``--format table``: counts by rule, then by file, for a reader who wants the shape of a run.

Rules are listed by id with the highest severity they were reported at, how many of their
findings are fixable, and where the first one is. Files are listed in run order; a path that
only appears in findings (a file that could not be read) is listed after them.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from vgptlint.model import Finding
from vgptlint.reports.base import ReportOptions, display_path, reporter
from vgptlint.reports.text import one_line, summary_line
from vgptlint.findings.result import RunResult

_TABLE_FORMAT = "simple"


@reporter("table", shows_fix_regions=False, needs_verified_fixes=False)
def render_table(result: RunResult, opts: ReportOptions) -> str:
    """A table of findings by rule, a table of files, then the summary line."""
    by_rule, by_path = tally(result.findings)
    parts = []
    if by_rule:
        parts.append(rules_table(by_rule, opts))
    parts.append(files_table(result, by_path, opts))
    tail = [f"note: {one_line(note)}" for note in result.notes]
    tail.append(summary_line(result, opts.show_fixes))
    parts.append("\n".join(tail))
    return "\n\n".join(parts) + "\n"


class RuleTally:
    """One rule's row: how many findings, how many fixable, the worst severity, the first location."""

    __slots__ = ("count", "fixable_count", "worst", "first")

    def __init__(self, finding: Finding) -> None:
        self.count, self.fixable_count, self.worst, self.first = 0, 0, finding.severity, finding.location


def tally(findings: Iterable[Finding]) -> tuple[dict[str, RuleTally], dict[str, Counter[str]]]:
    """One pass over the (sorted) findings: a tally per rule, and severity counts per path.

    Memory is bounded by rules and files, not findings.
    """
    by_rule: dict[str, RuleTally] = {}
    by_path: dict[str, Counter[str]] = {}
    for finding in findings:  # already sorted by location, so the first is the first location
        row = by_rule.get(finding.rule)
        if row is None:
            row = by_rule[finding.rule] = RuleTally(finding)
        row.count += 1
        row.fixable_count += finding.is_fixable
        if finding.severity.rank > row.worst.rank:
            row.worst = finding.severity
        by_path.setdefault(finding.location.path, Counter())[finding.severity.value] += 1
    return by_rule, by_path


def rules_table(by_rule: dict[str, RuleTally], opts: ReportOptions) -> str:
    rows = []
    for rule_id in sorted(by_rule):
        row = by_rule[rule_id]
        first = row.first
        rows.append([
            rule_id,
            row.worst.value,
            f"{row.count:,}",
            f"{row.fixable_count:,}",
            f"{display_path(first.path, opts.cwd)}:{first.line}:{first.column}",
        ])
    headers = ["rule", "severity", "count", "fixable", "first location"]
    return _table(rows, headers, colalign=("left", "left", "right", "right", "left"))


def files_table(result: RunResult, counts: dict[str, Counter[str]], opts: ReportOptions) -> str:
    rows = []
    listed = set()
    for summary in result.files:
        listed.add(summary.path)
        rows.append(_file_row(display_path(summary.path, opts.cwd), summary.kind, f"{summary.record_count:,}",
                              counts.get(summary.path, Counter())))
    for path in sorted(set(counts) - listed):
        rows.append(_file_row(display_path(path, opts.cwd), "-", "-", counts[path]))
    headers = ["path", "kind", "records", "errors", "warnings", "info"]
    return _table(rows, headers, colalign=("left", "left", "right", "right", "right", "right"))


def _table(rows: list[list[str]], headers: list[str], colalign: tuple[str, ...]) -> str:
    # tabulate is imported here, not at the top: every check imports this module (all reporters
    # register at start-up) and only --format table uses it (~5 ms of a text report's start-up).
    from tabulate import tabulate
    return tabulate(rows, headers, tablefmt=_TABLE_FORMAT, disable_numparse=True, colalign=colalign)


def _file_row(path: str, kind: str, records: str, counts: Counter[str]) -> list[str]:
    return [path, kind, records, f"{counts['error']:,}", f"{counts['warning']:,}", f"{counts['info']:,}"]
