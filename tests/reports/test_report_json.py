"""The JSON report: schema version 1 as docs/report-formats.md documents it."""
from __future__ import annotations

import json

from vgptlint.model import Applicability, Finding, Fix, Location, SetValue, Severity
from vgptlint.reports import render
from vgptlint.reports.json import SCHEMA_VERSION

FINDING_KEYS = ["rule", "severity", "message", "path", "line", "column", "end_line", "end_column", "record",
                "pointer", "span", "fixable", "fingerprint", "fix", "note"]


def report(result, opts) -> dict:
    return json.loads(render("json", result, opts))


def test_top_level_layout(result, opts):
    doc = report(result, opts)
    assert list(doc) == ["version", "tool", "policy", "summary", "files", "findings", "metrics", "notes"]
    assert doc["version"] == SCHEMA_VERSION == 1
    assert doc["tool"] == {"name": "vgptlint", "version": "0.1.0"}
    assert doc["summary"] == {
        "files": 4, "records": 62_467, "findings": 10, "fixable": 4,
        "by_severity": {"error": 4, "warning": 4, "info": 2},
        "by_rule": {"field-missing": 2, "input-empty": 2, "invalid-input": 1, "kto-balance": 1,
                    "kto-label-format": 1, "output-too-short": 1, "sql-nolock-missing": 2},
    }


def test_every_finding_has_the_documented_keys(result, opts):
    for entry in report(result, opts)["findings"]:
        assert list(entry) == FINDING_KEYS


def test_file_level_finding_has_no_record(result, opts):
    balance = next(f for f in report(result, opts)["findings"] if f["rule"] == "kto-balance")
    assert (balance["record"], balance["pointer"], balance["line"], balance["column"]) == (None, "", 1, 1)


def test_fix_objects(result, opts):
    by_fp = {f["fingerprint"]: f for f in report(result, opts)["findings"]}
    assert by_fp["fp-nolock-2"]["fix"] == {
        "title": "Add WITH (NOLOCK)", "applicability": "safe",
        "edits": [{"start": 22, "end": 22, "replacement": " WITH (NOLOCK)"}], "changes": [],
        "replacements": [{"start_line": 20, "start_column": 47, "end_line": 20, "end_column": 47,
                          "inserted_content": " WITH (NOLOCK)"}],
    }
    assert by_fp["fp-kto-label-1"]["fix"]["changes"] == [{"type": "set", "pointer": "/label", "value": True}]
    assert by_fp["fp-short-1"]["fix"]["changes"] == [{"type": "drop", "reason": "output-too-short"}]
    assert by_fp["fp-short-1"]["fixable"] is True and by_fp["fp-input-4"]["fix"] is None
    assert by_fp["fp-nolock-2"]["span"] == {"start": 15, "end": 22}


def test_fix_hidden_when_not_wanted(result, make_opts):
    assert all(f["fix"] is None for f in report(result, make_opts(show_fixes=False))["findings"])


def test_unicode_is_kept_readable(result, opts):
    text = render("json", result, opts)
    assert "«Résumé» 日本語 ✓" in text


def test_metrics(result, opts):
    kto, nolock = report(result, opts)["metrics"]
    assert kto == {"rule": "kto-balance", "path": "examples/kto.jsonl", "value": 934 / 2018, "numerator": 934,
                   "denominator": 2018, "bounds": {"max": 0.7, "min": 0.6}, "passed": False,
                   "details": {"false": 1084, "true": 934}}
    assert nolock["value"] is None


def test_set_values_that_are_not_plain_json_still_serialize(make_result, opts):
    fix = Fix("set", Applicability.SAFE, changes=(SetValue("/meta", {"b": (1, 2), "a": float("inf"), 3: {1}}),))
    finding = Finding("r-x", Severity.ERROR, "m", Location("a.json", record_index=0), "fp", fix)
    (entry,) = report(make_result(findings=[finding]), opts)["findings"]
    assert entry["fix"]["changes"][0]["value"] == {"3": "{1}", "a": None, "b": [1, 2]}


def test_deterministic_and_one_finding_per_line(result, opts):
    text = render("json", result, opts)
    assert text == render("json", result, opts)
    document = json.loads(text)
    lines = text.splitlines()
    start = lines.index('  "findings": [') + 1
    finding_lines = lines[start:start + len(document["findings"])]
    assert [json.loads(line.rstrip(",")) for line in finding_lines] == document["findings"]
