"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

The log validates against the OASIS schema and follows GitHub's ingestion rules
(docs/report-formats.md lists every property emitted):

* artifact URIs are relative to the working directory, POSIX, percent-encoded, with
  ``uriBaseId: "%SRCROOT%"`` (GitHub ignores results whose file it cannot place in the repository);
* ``partialFingerprints["vgptlint/v1"]`` is the finding's content-based fingerprint, so an alert
  survives edits elsewhere in the file and records moving around;
* columns count Unicode code points (``columnKind``), like the engine's columns;
* GitHub rejects a run with more than 25,000 results, so beyond ``sarif_result_limit`` the most
  severe results are kept and the invocation says how many were left out.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePath
from urllib.parse import quote

from vgptlint.model import Finding, Severity
from vgptlint.reports.base import FileReplacement, ReportOptions, display_path, reporter
from vgptlint.reports.serialize import Items, dump_pieces, metric_dict, summary_dict
from vgptlint.findings.result import RuleInfo, RunResult
from vgptlint.findings.counts import FindingCounts

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "vgptlint/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.OFF: "none"}
_SEMVER = re.compile(r"^\d+\.\d+\.\d+([-+].*)?$")


def sarif_pieces(result: RunResult, opts: ReportOptions) -> Iterator[str]:
    """The SARIF log in pieces; results are read from ``result`` as they are written."""
    rules = rule_descriptors(result)
    rule_index = {rule.id: index for index, rule in enumerate(rules)}
    artifacts = artifact_paths(result)
    artifact_index = {path: index for index, path in enumerate(artifacts)}
    counts = result.counts()
    findings, left_out = keep_most_severe(result.findings, counts, opts.sarif_result_limit)
    results = (sarif_result(f, rule_index[f.rule], artifact_index[f.location.path], result, opts) for f in findings)
    run = {
        "tool": {"driver": driver(result, rules, opts)},
        "invocations": [invocation(result, left_out)],
        "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(opts.cwd)}},
        "artifacts": [artifact(path, result, opts) for path in artifacts],
        "results": Items(results, counts.total - left_out),
        "columnKind": "unicodeCodePoints",
        "properties": {
            "policy": result.policy,
            "summary": summary_dict(result),
            "metrics": [metric_dict(m, opts) for m in result.metrics],
        },
    }
    return dump_pieces({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]})


@reporter("sarif", stream=sarif_pieces)
def render_sarif(result: RunResult, opts: ReportOptions) -> str:
    """A SARIF 2.1.0 log with one run: rules, results, artifacts, metrics."""
    return "".join(sarif_pieces(result, opts))


def rule_descriptors(result: RunResult) -> list[RuleInfo]:
    """The run's rules by id, plus any rule a finding names that the run did not list (a built-in
    such as ``invalid-input``), so every result has a ``ruleIndex``."""
    rules = {rule.id: rule for rule in result.rules}
    counts = result.counts()
    for rule_id, (_, severity) in counts.first_of_rule.items():
        if rule_id not in rules and counts.by_rule.get(rule_id, 0) > 0:
            rules[rule_id] = RuleInfo(id=rule_id, severity=severity, description=rule_id)
    return [rules[rule_id] for rule_id in sorted(rules)]


def driver(result: RunResult, rules: list[RuleInfo], opts: ReportOptions) -> dict[str, object]:
    tool: dict[str, object] = {"name": "vgptlint", "version": result.tool_version}
    if _SEMVER.match(result.tool_version):
        tool["semanticVersion"] = result.tool_version
    if opts.information_uri:
        tool["informationUri"] = opts.information_uri
    tool["rules"] = [rule_descriptor(rule, opts) for rule in rules]
    return tool


def rule_descriptor(rule: RuleInfo, opts: ReportOptions) -> dict[str, object]:
    help_uri = rule.help_uri or (f"{opts.rules_doc_uri}#{rule.id}" if opts.rules_doc_uri else "")
    description = rule.description.strip() or rule.id
    markdown = f"**{rule.id}**: {description}"
    text = description
    if rule.rationale.strip():
        markdown += f"\n\n{rule.rationale.strip()}"
        text += f"\n\n{rule.rationale.strip()}"
    if help_uri:
        markdown += f"\n\n[Rule reference]({help_uri})"
    descriptor: dict[str, object] = {
        "id": rule.id,
        "name": pascal_case(rule.id),
        "shortDescription": {"text": first_sentence(description)},
        "fullDescription": {"text": description},
        "help": {"text": text, "markdown": markdown},
    }
    if help_uri:
        descriptor["helpUri"] = help_uri
    descriptor["defaultConfiguration"] = {"level": LEVELS[rule.severity]}
    properties: dict[str, object] = {"kind": rule.kind, "fixable": rule.is_fixable}
    if rule.pack:
        properties["tags"] = [rule.pack]
    descriptor["properties"] = properties
    return descriptor


def sarif_result(
    finding: Finding, rule_index: int, artifact_index: int, result: RunResult, opts: ReportOptions
) -> dict[str, object]:
    loc = finding.location
    artifact_location = _artifact_location(loc.path, opts.cwd, artifact_index)
    region: dict[str, int] = {"startLine": loc.line, "startColumn": loc.column}
    if loc.end_line is not None:
        region["endLine"] = loc.end_line
    if loc.end_column is not None:
        region["endColumn"] = loc.end_column
    properties: dict[str, object] = {"record": loc.record_index, "pointer": loc.pointer}
    if finding.note:
        properties["note"] = finding.note
    entry: dict[str, object] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location, "region": region}}],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": properties,
    }
    replacements = result.file_replacements(finding) if opts.show_fixes and finding.fix else ()
    if replacements:
        entry["fixes"] = [
            {
                "description": {"text": finding.fix.title},
                "artifactChanges": [
                    {
                        "artifactLocation": _artifact_location(loc.path, opts.cwd, artifact_index),
                        "replacements": [_replacement(r) for r in replacements],
                    }
                ],
                "properties": {"applicability": finding.fix.applicability.value},
            }
        ]
    return entry


def _replacement(replacement: FileReplacement) -> dict[str, object]:
    return {
        "deletedRegion": {
            "startLine": replacement.start_line,
            "startColumn": replacement.start_column,
            "endLine": replacement.end_line,
            "endColumn": replacement.end_column,
        },
        "insertedContent": {"text": replacement.inserted_content},
    }


def invocation(result: RunResult, left_out: int) -> dict[str, object]:
    """Findings do not make a run unsuccessful: the run is the linting, and it completed."""
    notes = list(result.notes)
    if left_out:
        notes.append(
            f"{left_out:,} less severe results were left out: GitHub code scanning rejects runs over its result limit"
        )
    entry: dict[str, object] = {"executionSuccessful": True}
    if notes:
        entry["toolExecutionNotifications"] = [{"message": {"text": note}, "level": "note"} for note in notes]
    return entry


def artifact_paths(result: RunResult) -> list[str]:
    """The run's files in run order, then paths that only findings mention (unreadable files)."""
    paths = [f.path for f in result.files]
    seen = set(paths)
    extra = sorted({path for path, count in result.counts().paths.items() if count > 0} - seen)
    return paths + extra


def artifact(path: str, result: RunResult, opts: ReportOptions) -> dict[str, object]:
    location = _artifact_location(path, opts.cwd, None)
    entry: dict[str, object] = {"location": location}
    for summary in result.files:
        if summary.path == path:
            entry["properties"] = {"kind": summary.kind, "records": summary.record_count}
            break
    return entry


def keep_most_severe(findings: Iterable[Finding], counts: FindingCounts,
                     limit: int | None) -> tuple[Iterator[Finding], int]:
    """At most ``limit`` findings, the most severe first chosen, in their original order, and how many
    were left out. Streams: the counts say how many of each severity fit, then the first that many
    of each are kept as they pass.

    >>> from vgptlint.model import Location
    >>> found = [Finding("r", s, "m", Location("a.json", n), "fp") for n, s in
    ...          enumerate([Severity.INFO, Severity.ERROR, Severity.WARNING, Severity.ERROR, Severity.WARNING])]
    >>> kept, left_out = keep_most_severe(found, FindingCounts.of(found), 3)
    >>> [f.location.line for f in kept], left_out
    ([1, 2, 3], 2)
    """
    if limit is None or counts.total <= limit:
        return iter(findings), 0
    quota: dict[Severity, int] = {}
    room = limit
    for severity in sorted(Severity, key=lambda s: -s.rank):
        quota[severity] = min(room, max(0, counts.by_severity.get(severity.value, 0)))
        room -= quota[severity]

    def kept() -> Iterator[Finding]:
        for finding in findings:
            if quota[finding.severity]:
                quota[finding.severity] -= 1
                yield finding

    return kept(), counts.total - limit


def artifact_uri(path: str, cwd: Path) -> tuple[str, bool]:
    """``(uri, is_relative)``: relative to ``cwd`` (percent-encoded POSIX) when the file is under
    it or given relative, else an absolute ``file:`` URI.

    >>> artifact_uri("/repo/data/my set #1.json", Path("/repo"))
    ('data/my%20set%20%231.json', True)
    >>> artifact_uri("/tmp/x.jsonl", Path("/repo"))
    ('file:///tmp/x.jsonl', False)
    """
    shown = display_path(path, cwd)
    pure = PurePath(shown)
    if pure.is_absolute():
        return Path(shown).as_uri(), False
    # RFC 3986 lets sub-delimiters stand in a path; ":" is encoded so a first segment never reads as a scheme
    return quote(pure.as_posix(), safe="/!$&'()*+,;=@"), True


def _artifact_location(path: str, cwd: Path, index: int | None) -> dict[str, object]:
    uri, is_relative = artifact_uri(path, cwd)
    location: dict[str, object] = {"uri": uri}
    if is_relative:
        location["uriBaseId"] = SRCROOT
    if index is not None:
        location["index"] = index
    return location


def _directory_uri(cwd: Path) -> str:
    uri = cwd.as_uri() if cwd.is_absolute() else cwd.resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def pascal_case(rule_id: str) -> str:
    """SARIF's ``name`` for a rule: ``output-too-short`` → ``OutputTooShort``.

    >>> pascal_case("sql-nolock-missing")
    'SqlNolockMissing'
    """
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_\s]+", rule_id) if part)


def first_sentence(text: str) -> str:
    """The first sentence (GitHub shows ``shortDescription`` as a one-line title).

    >>> first_sentence("Outputs must be long. Short ones teach terseness.")
    'Outputs must be long.'
    """
    line = text.strip().splitlines()[0] if text.strip() else text
    # a sentence ends at punctuation after a real word ("e.g." does not end one) before a capital
    match = re.match(r"(.*?[^.\s]{2}[.!?])(?=\s+[A-Z]|\s*$)", line)
    return match.group(1) if match else line
