"""Plain-data forms of findings, fixes and metrics, shared by the JSON and SARIF reporters.

The shapes here are the documented schema (docs/report-formats.md): change them only together
with the schema ``version``.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from vgptlint.model import DropRecord, Edit, Finding, Fix, Metric, ReorderDataset, SetValue
from vgptlint.reports.base import FileReplacement, ReportOptions, display_path
from vgptlint.findings.result import RunResult


_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
# Lists that can hold thousands of objects: one object per line (easy to grep and diff, and encoded
# by the C encoder, which json's indent mode cannot use: about 10x faster on 50k findings).
ONE_PER_LINE = frozenset({"findings", "metrics", "files", "results", "rules", "artifacts"})


@dataclass(frozen=True, slots=True)
class Items:
    """A list written one item at a time (from a spool) without being held: ``count`` items of ``items``.

    In a document given to :func:`dump_pieces` it is written exactly as the list of the same items.
    """

    items: Iterable[object]
    count: int


def dumps(document: object) -> str:
    """Stable JSON text, UTF-8 characters kept, a final newline: indented by 2 like
    ``json.dumps(indent=2)``, except that the objects of the long lists (``ONE_PER_LINE``) sit one per line.

    >>> print(dumps({"a": [1, 2], "findings": [{"x": 1}, {"y": [2, 3]}], "empty": []}), end="")
    {
      "a": [
        1,
        2
      ],
      "findings": [
        {"x": 1},
        {"y": [2, 3]}
      ],
      "empty": []
    }
    """
    return "".join(dump_pieces(document))


def dump_pieces(document: object) -> Iterator[str]:
    """:func:`dumps` in pieces, for writing as it is made; :class:`Items` values are read as they are written."""
    yield from _render(document, 0, None)
    yield "\n"


def _render(value: object, depth: int, key: str | None):
    pad = "  " * depth
    if isinstance(value, Items):
        if not value.count:
            yield "[]"
            return
        yield "[\n"
        written = 0
        for item in value.items:
            written += 1
            yield pad + "  "
            yield from ([_COMPACT.encode(item)] if key in ONE_PER_LINE else _render(item, depth + 1, None))
            yield ",\n" if written < value.count else "\n"
        if written != value.count:  # the commas written so far would be wrong
            raise RuntimeError(f"{key}: {written} items written where {value.count} were announced")
        yield pad + "]"
        return
    if isinstance(value, dict) and value:
        yield "{\n"
        for position, (name, item) in enumerate(value.items()):
            yield f"{pad}  {_COMPACT.encode(str(name))}: "
            yield from _render(item, depth + 1, str(name))
            yield ",\n" if position < len(value) - 1 else "\n"
        yield pad + "}"
    elif isinstance(value, list) and value:
        yield "[\n"
        for position, item in enumerate(value):
            yield pad + "  "
            if key in ONE_PER_LINE:
                yield _COMPACT.encode(item)
            else:
                yield from _render(item, depth + 1, None)
            yield ",\n" if position < len(value) - 1 else "\n"
        yield pad + "]"
    else:
        yield _COMPACT.encode(value)


def json_safe(value: object) -> object:
    """``value`` as JSON can hold it: tuples become lists, mapping keys strings (sorted, so the
    output does not depend on insertion order), NaN/infinity null, anything else its ``str()``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return str(value)


def summary_dict(result: RunResult) -> dict[str, object]:
    counts = result.counts()
    return {
        "files": len(result.files),
        "records": result.record_count,
        "findings": counts.total,
        "fixable": counts.fixable_count,
        "by_severity": counts.severity_counts(),
        "by_rule": counts.rule_counts(),
    }


def finding_dict(finding: Finding, result: RunResult, opts: ReportOptions) -> dict[str, object]:
    loc = finding.location
    show_fix = opts.show_fixes and finding.fix is not None
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": display_path(loc.path, opts.cwd),
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "record": loc.record_index,
        "pointer": loc.pointer,
        "span": None if loc.span is None else {"start": loc.span.start, "end": loc.span.end},
        "fixable": finding.is_fixable,
        "fingerprint": finding.fingerprint,
        "fix": fix_dict(finding.fix, result.file_replacements(finding)) if show_fix else None,
        "note": finding.note,
    }


def fix_dict(fix: Fix, replacements: tuple[FileReplacement, ...]) -> dict[str, object]:
    return {
        "title": fix.title,
        "applicability": fix.applicability.value,
        "edits": [edit_dict(e) for e in fix.edits],
        "changes": [change_dict(c) for c in fix.changes],
        "replacements": [replacement_dict(r) for r in replacements],
    }


def edit_dict(edit: Edit) -> dict[str, object]:
    return {"start": edit.start, "end": edit.end, "replacement": edit.replacement}


def change_dict(change: SetValue | DropRecord | ReorderDataset) -> dict[str, object]:
    if isinstance(change, SetValue):
        return {"type": "set", "pointer": change.pointer, "value": json_safe(change.value)}
    if isinstance(change, DropRecord):
        return {"type": "drop", "reason": change.reason}
    return {"type": "reorder", "seed": change.seed}


def replacement_dict(replacement: FileReplacement) -> dict[str, object]:
    return {
        "start_line": replacement.start_line,
        "start_column": replacement.start_column,
        "end_line": replacement.end_line,
        "end_column": replacement.end_column,
        "inserted_content": replacement.inserted_content,
    }


def metric_dict(metric: Metric, opts: ReportOptions) -> dict[str, object]:
    return {
        "rule": metric.rule,
        "path": display_path(metric.path, opts.cwd),
        "value": json_safe(metric.value),
        "numerator": metric.numerator,
        "denominator": metric.denominator,
        "bounds": json_safe(metric.bounds),
        "passed": metric.passed,
        "details": json_safe(metric.details),
    }
