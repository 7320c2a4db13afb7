"""Translate a fix's text edits (offsets in a decoded string value) into file regions for SARIF.

In the file the value is a JSON string literal: ``\\n``, ``\\"`` and ``\\u00e9`` take more than
one character, so each edit's decoded span is mapped through the literal's raw text, and the
inserted text is JSON-escaped in the file's own style.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from vgptlint.fixes.splice import escape_text
from vgptlint.inputs.locate import parse_pointer, raw_span, record_position
from vgptlint.inputs.records import FileInfo, Record
from vgptlint.model import Finding
from vgptlint.reports.base import FileReplacement
from vgptlint.findings.result import FixRegionKey, fix_region_key


def file_replacements(finding: Finding, record: Record, info: FileInfo) -> tuple[FileReplacement, ...]:
    """The finding's edits in file coordinates; () when one of them cannot be mapped."""
    parts = parse_pointer(finding.location.pointer)
    out = []
    for edit in sorted(finding.fix.edits, key=lambda e: (e.start, e.end)):
        found = raw_span(record, parts, edit.start, edit.end)
        if found is None:
            return ()
        start_line, start_column = record_position(record, found[0])
        end_line, end_column = record_position(record, found[1])
        out.append(FileReplacement(start_line, start_column, end_line, end_column, escape_text(edit.replacement, info)))
    return tuple(out)


def fix_regions(findings: Iterable[Finding], records: Mapping[int, Record], info: FileInfo) -> dict[FixRegionKey, tuple[FileReplacement, ...]]:
    """``RunResult.fix_regions`` entries for the findings (of one file) whose fixes have text edits."""
    regions = {}
    for finding in findings:
        if finding.fix is None or not finding.fix.edits:
            continue
        record = records.get(finding.location.record_index)
        if record is None:
            continue
        found = file_replacements(finding, record, info)
        if found:
            regions[fix_region_key(finding)] = found
    return regions
