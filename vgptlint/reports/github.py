"""``--format github``: GitHub Actions workflow commands, shown inline on a pull request's diff.

``::error file=data/sft.json,line=12,col=17,title=output-too-short::output is 4 characters long``.
Severities map to commands: error → ``error``, warning → ``warning``, info → ``notice``. The
escaping is GitHub's (actions/toolkit ``command.ts``): in the message ``%``, CR and LF are
percent-encoded; in properties also ``:`` and ``,``, which would otherwise end a property.
"""
from __future__ import annotations

from collections.abc import Iterator

from vgptlint.model import Finding, Severity
from vgptlint.reports.base import ReportOptions, display_path, reporter
from vgptlint.reports.text import summary_line
from vgptlint.findings.result import RunResult

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.OFF: "notice"}


def github_lines(result: RunResult, opts: ReportOptions) -> Iterator[str]:
    """The github report, line by line (each with its newline)."""
    for finding in result.findings:
        yield annotation(finding, opts) + "\n"
    for note in result.notes:
        yield workflow_command("notice", {"title": "vgptlint"}, note) + "\n"
    yield summary_line(result, opts.show_fixes) + "\n"


@reporter("github", stream=github_lines, shows_fix_regions=False, needs_verified_fixes=False)
def render_github(result: RunResult, opts: ReportOptions) -> str:
    """One workflow command per finding, a ``notice`` per run note, then the plain summary line."""
    return "".join(github_lines(result, opts))


def annotation(finding: Finding, opts: ReportOptions) -> str:
    loc = finding.location
    properties: dict[str, object] = {"file": display_path(loc.path, opts.cwd), "line": loc.line, "col": loc.column}
    if loc.end_line is not None:
        properties["endLine"] = loc.end_line
    if loc.end_column is not None:
        properties["endColumn"] = loc.end_column
    properties["title"] = finding.rule
    message = finding.message if not finding.note else f"{finding.message}\nnote: {finding.note}"
    return workflow_command(COMMANDS[finding.severity], properties, message)


def workflow_command(command: str, properties: dict[str, object], message: str) -> str:
    """``::command key=value,...::message`` with GitHub's escaping.

    >>> workflow_command("error", {"file": "a,b.json", "title": "x:y"}, "50% done\\nok")
    '::error file=a%2Cb.json,title=x%3Ay::50%25 done%0Aok'
    """
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
