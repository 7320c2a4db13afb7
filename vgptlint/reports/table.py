"""``--format table``: counts by rule, then by file, for a reader who wants the shape of a run.

Rules are listed by id with the highest severity they were reported at, how many of their
findings are fixable, and where the first one is. Files are listed in run order; a path that
only appears in findings (a file that could not be read) is listed after them.
"""
from __future__ import annotations

from collections import Counter

from tabulate import tabulate

from vgptlint.model import Finding
from vgptlint.reports.base import ReportOptions, display_path, reporter
from vgptlint.reports.text import one_line, summary_line
from vgptlint.result import RunResult

_TABLE_FORMAT = "simple"


@reporter("table")
def render_table(result: RunResult, opts: ReportOptions) -> str:
    """A table of findings by rule, a table of files, then the summary line."""
    parts = []
    if result.findings:
        parts.append(rules_table(result.findings, opts))
    parts.append(files_table(result, opts))
    tail = [f"note: {one_line(note)}" for note in result.notes]
    tail.append(summary_line(result, opts.show_fixes))
    parts.append("\n".join(tail))
    return "\n\n".join(parts) + "\n"


def rules_table(findings: list[Finding], opts: ReportOptions) -> str:
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:  # already sorted by location, so the first is the first location
        by_rule.setdefault(finding.rule, []).append(finding)
    rows = []
    for rule_id in sorted(by_rule):
        group = by_rule[rule_id]
        worst = max((f.severity for f in group), key=lambda s: s.rank)
        first = group[0].location
        rows.append([
            rule_id,
            worst.value,
            f"{len(group):,}",
            f"{sum(1 for f in group if f.is_fixable):,}",
            f"{display_path(first.path, opts.cwd)}:{first.line}:{first.column}",
        ])
    headers = ["rule", "severity", "count", "fixable", "first location"]
    return tabulate(rows, headers, tablefmt=_TABLE_FORMAT, disable_numparse=True,
                    colalign=("left", "left", "right", "right", "left"))


def files_table(result: RunResult, opts: ReportOptions) -> str:
    counts: dict[str, Counter[str]] = {}
    for finding in result.findings:
        counts.setdefault(finding.location.path, Counter())[finding.severity.value] += 1
    rows = []
    listed = set()
    for summary in result.files:
        listed.add(summary.path)
        rows.append(_file_row(display_path(summary.path, opts.cwd), summary.kind, f"{summary.record_count:,}",
                              counts.get(summary.path, Counter())))
    for path in sorted(set(counts) - listed):
        rows.append(_file_row(display_path(path, opts.cwd), "-", "-", counts[path]))
    headers = ["path", "kind", "records", "errors", "warnings", "info"]
    return tabulate(rows, headers, tablefmt=_TABLE_FORMAT, disable_numparse=True,
                    colalign=("left", "left", "right", "right", "right", "right"))


def _file_row(path: str, kind: str, records: str, counts: Counter[str]) -> list[str]:
    return [path, kind, records, f"{counts['error']:,}", f"{counts['warning']:,}", f"{counts['info']:,}"]
