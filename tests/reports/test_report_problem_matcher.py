"""The shipped GitHub problem matcher recognises the text report's finding lines."""
from __future__ import annotations

import importlib.resources
import json
import re

from vgptlint.reports import render


def matcher_pattern() -> dict:
    text = importlib.resources.files("vgptlint.reports").joinpath("problem-matcher.json").read_text("utf-8")
    (matcher,) = json.loads(text)["problemMatcher"]
    assert matcher["owner"] == "vgptlint"
    (pattern,) = matcher["pattern"]
    return pattern


def test_matches_error_and_warning_lines(result, opts):
    pattern = matcher_pattern()
    regexp = re.compile(pattern["regexp"])
    text = render("text", result, opts)
    matched = [regexp.match(line) for line in text.splitlines()]
    hits = [m for m in matched if m]
    expected = [f for f in result.findings if f.severity.value in ("error", "warning")]
    assert len(hits) == len(expected)
    for match, finding in zip(hits, expected):
        assert match.group(pattern["line"]) == str(finding.location.line)
        assert match.group(pattern["column"]) == str(finding.location.column)
        assert match.group(pattern["severity"]) == finding.severity.value
        assert match.group(pattern["code"]) == finding.rule
        assert match.group(pattern["message"]) == finding.message


def test_paths_with_colons_and_spaces(opts):
    regexp = re.compile(matcher_pattern()["regexp"])
    match = regexp.match("data/a b:c.json:12:17: warning output-too-short output is 4 characters: short")
    assert match.groups() == ("data/a b:c.json", "12", "17", "warning", "output-too-short",
                              "output is 4 characters: short")
