"""``--format text`` (the default): one finding per line, then a one-line summary.

``path:line:col: severity rule-id message`` is the shape editors, terminals and problem matchers
recognise as a clickable location. A fix that could not be applied explains itself on an
indented ``note:`` line under its finding; the run's own notes come before the summary.

A problem that spans many records (a string label in 1,420 records, 645 near-duplicates) is read
once: after ``lines_per_rule`` findings of one rule in one file, one line at the next finding says
how many more there are (``--full`` shows every line; JSON and SARIF always list each finding).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

from vgptlint.model import Finding, Severity
from vgptlint.reports.base import ReportOptions, display_path, plural, reporter
from vgptlint.findings.result import RunResult
from vgptlint.findings.counts import FindingCounts

_RESET = "\x1b[0m"
_STYLE = {
    "path": "\x1b[1m",
    "rule": "\x1b[2m",
    "note": "\x1b[36m",
    "summary": "\x1b[1m",
    Severity.ERROR: "\x1b[1;31m",
    Severity.WARNING: "\x1b[33m",
    Severity.INFO: "\x1b[34m",
    Severity.OFF: "",
}


def text_lines(result: RunResult, opts: ReportOptions) -> Iterator[str]:
    """The text report, line by line (each with its newline)."""
    per_file_rule, shown = result.counts().by_path_rule, Counter()
    limit = opts.lines_per_rule
    # Past the line that stands for the rest, a rule's findings in a file are not shown: not even decoded.
    for finding in result.findings.first_of_each(limit + 1) if limit else result.findings:
        key = finding.location.path, finding.rule
        total = per_file_rule[key]
        if limit and total > limit + 1:  # one line for the rest only when it stands for two or more
            shown[key] += 1
            if shown[key] > limit + 1:
                continue
            if shown[key] == limit + 1:
                yield more_line(finding, total - limit, opts) + "\n"
                continue
        yield finding_line(finding, opts) + "\n"
        if finding.note:
            yield "    " + _paint("note", f"note: {one_line(finding.note)}", opts.color) + "\n"
    for note in result.notes:
        yield _paint("note", f"note: {one_line(note)}", opts.color) + "\n"
    yield _paint("summary", summary_line(result, opts.show_fixes), opts.color) + "\n"


@reporter("text", stream=text_lines, shows_fix_regions=False, needs_verified_fixes=False)
def render_text(result: RunResult, opts: ReportOptions) -> str:
    """One ``path:line:col: severity rule-id message`` line per finding, then a summary line."""
    return "".join(text_lines(result, opts))


def finding_line(finding: Finding, opts: ReportOptions) -> str:
    loc = finding.location
    where = _paint("path", f"{display_path(loc.path, opts.cwd)}:{loc.line}:{loc.column}:", opts.color)
    severity = _paint(finding.severity, finding.severity.value, opts.color)
    rule = _paint("rule", finding.rule, opts.color)
    return f"{where} {severity} {rule} {one_line(finding.message)}"


def more_line(finding: Finding, count: int, opts: ReportOptions) -> str:
    """The line that stands for a rule's remaining findings in a file, at the first of them."""
    return finding_line(replace(finding, message=f"... and {count:,} more {finding.rule} findings in this file, "
                                                 "the first here (--full shows each; --format json lists them)"), opts)


def summary_line(result: RunResult, show_fixes: bool = True) -> str:
    """``3 errors, 5 warnings, 1 info in 4 files (120 records)``, plus what ``--fix`` would fix.

    With no finding: ``No findings in 4 files (120 records)``.
    """
    scope = f"in {plural(len(result.files), 'file')} ({plural(result.record_count, 'record')})"
    counts = result.counts()
    if not counts.total:
        return f"No findings {scope}"
    by_severity = counts.severity_counts()
    line = (
        f"{plural(by_severity['error'], 'error')}, {plural(by_severity['warning'], 'warning')}, "
        f"{plural(by_severity['info'], 'info', 'info')} {scope}"
    )
    return line + (fixable_suffix(counts) if show_fixes else "")


def fixable_suffix(counts: FindingCounts) -> str:
    """`` (2 fixable with --fix)``; unsafe fixes (ruff's term) are counted apart because
    ``--fix`` alone leaves them."""
    unsafe_count = counts.unsafe_fixable_count
    safe_count = counts.safe_fixable_count
    if safe_count and unsafe_count:
        return f" ({safe_count:,} fixable with --fix, {unsafe_count:,} more with --unsafe-fixes)"
    if safe_count:
        return f" ({safe_count:,} fixable with --fix)"
    if unsafe_count:
        return f" ({unsafe_count:,} fixable with --fix --unsafe-fixes)"
    return ""


def one_line(text: str) -> str:
    r"""Keep a finding on its line: line breaks and tabs are shown escaped.

    >>> one_line("a\nb\tc")
    'a\\nb\\tc'
    """
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def _paint(style: object, text: str, enabled: bool) -> str:
    code = _STYLE.get(style, "") if enabled else ""
    return f"{code}{text}{_RESET}" if code else text
