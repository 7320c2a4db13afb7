"""``--format json``: the versioned, documented machine-readable report (docs/report-formats.md).

The layout only changes together with ``version``; new keys may be added within a version.
"""
from __future__ import annotations

from collections.abc import Iterator

from vgptlint.reports.base import ReportOptions, display_path, reporter
from vgptlint.reports.serialize import Items, dump_pieces, finding_dict, metric_dict, summary_dict
from vgptlint.findings.result import RunResult

SCHEMA_VERSION = 1


def json_pieces(result: RunResult, opts: ReportOptions) -> Iterator[str]:
    """The JSON report in pieces; findings are read from ``result`` as they are written."""
    findings = Items((finding_dict(f, result, opts) for f in result.findings), len(result.findings))
    document = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "vgptlint", "version": result.tool_version},
        "policy": result.policy,
        "summary": summary_dict(result),
        "files": [
            {"path": display_path(f.path, opts.cwd), "kind": f.kind, "records": f.record_count}
            for f in result.files
        ],
        "findings": findings,
        "metrics": [metric_dict(m, opts) for m in result.metrics],
        "notes": list(result.notes),
    }
    return dump_pieces(document)


@reporter("json", stream=json_pieces)
def render_json(result: RunResult, opts: ReportOptions) -> str:
    """Every finding and metric as JSON (schema version 1)."""
    return "".join(json_pieces(result, opts))
