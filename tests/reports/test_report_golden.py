"""Exact output of every reporter for a fixed run. Review golden diffs like code."""
from __future__ import annotations

import pytest

from vgptlint.reports import render
from vgptlint.findings.result import RunResult

SUFFIX = {"text": "txt", "table": "txt", "json": "json", "sarif": "sarif", "github": "txt"}


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_sample_run(fmt, result, opts, golden):
    golden(f"sample.{fmt}.{SUFFIX[fmt]}", render(fmt, result, opts))


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_run_without_findings(fmt, make_result, opts, golden):
    result = make_result(findings=[])
    result.metrics.clear()
    result.notes.clear()
    golden(f"clean.{fmt}.{SUFFIX[fmt]}", render(fmt, result, opts))


def test_text_in_color(result, make_opts, golden):
    golden("sample.text-color.txt", render("text", result, make_opts(color=True)))


def test_no_fixes_shown(result, make_opts, golden):
    golden("sample.no-fixes.sarif", render("sarif", result, make_opts(show_fixes=False)))


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_rendering_is_deterministic(fmt, make_result, opts):
    assert render(fmt, make_result(), opts) == render(fmt, make_result(), opts)


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_output_ends_with_one_newline(fmt, result, opts):
    text = render(fmt, result, opts)
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_empty_run_without_files(opts):
    result = RunResult(policy="p.yaml", tool_version="0.1.0", findings=[], files=[], rules=[])
    assert render("text", result, opts) == "No findings in 0 files (0 records)\n"
