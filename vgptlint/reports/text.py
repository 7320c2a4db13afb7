"""``--format text`` (the default): one finding per line, then a one-line summary.

``path:line:col: severity rule-id message`` is the shape editors, terminals and problem matchers
recognise as a clickable location. A fix that could not be applied explains itself on an
indented ``note:`` line under its finding; the run's own notes come before the summary.
"""
from __future__ import annotations

from vgptlint.model import Applicability, Finding, Severity
from vgptlint.reports.base import ReportOptions, display_path, plural, reporter
from vgptlint.result import RunResult

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


@reporter("text")
def render_text(result: RunResult, opts: ReportOptions) -> str:
    """One ``path:line:col: severity rule-id message`` line per finding, then a summary line."""
    lines = []
    for finding in result.findings:
        lines.append(finding_line(finding, opts))
        if finding.note:
            lines.append("    " + _paint("note", f"note: {one_line(finding.note)}", opts.color))
    lines.extend(_paint("note", f"note: {one_line(note)}", opts.color) for note in result.notes)
    lines.append(_paint("summary", summary_line(result, opts.show_fixes), opts.color))
    return "\n".join(lines) + "\n"


def finding_line(finding: Finding, opts: ReportOptions) -> str:
    loc = finding.location
    where = _paint("path", f"{display_path(loc.path, opts.cwd)}:{loc.line}:{loc.column}:", opts.color)
    severity = _paint(finding.severity, finding.severity.value, opts.color)
    rule = _paint("rule", finding.rule, opts.color)
    return f"{where} {severity} {rule} {one_line(finding.message)}"


def summary_line(result: RunResult, show_fixes: bool = True) -> str:
    """``3 errors, 5 warnings, 1 info in 4 files (120 records)``, plus what ``--fix`` would fix.

    With no finding: ``No findings in 4 files (120 records)``.
    """
    scope = f"in {plural(len(result.files), 'file')} ({plural(result.record_count, 'record')})"
    if not result.findings:
        return f"No findings {scope}"
    counts = result.count_by_severity()
    line = (
        f"{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, "
        f"{plural(counts['info'], 'info', 'info')} {scope}"
    )
    return line + (fixable_suffix(result.findings) if show_fixes else "")


def fixable_suffix(findings: list[Finding]) -> str:
    """`` (2 fixable with --fix)``; unsafe fixes (ruff's term) are counted apart because
    ``--fix`` alone leaves them."""
    fixable = [f for f in findings if f.is_fixable]
    unsafe_count = sum(1 for f in fixable if f.fix.applicability is Applicability.UNSAFE)
    safe_count = len(fixable) - unsafe_count
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
