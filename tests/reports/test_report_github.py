"""GitHub Actions workflow commands and their escaping."""
from __future__ import annotations

import dataclasses

from vgptlint.model import Finding, Location, Severity
from vgptlint.reports import render
from vgptlint.reports.github import escape_data, escape_property, workflow_command


def test_escaping_data():
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"


def test_escaping_properties():
    assert escape_property("a,b:c%d\ne") == "a%2Cb%3Ac%25d%0Ae"


def test_percent_is_escaped_first():
    assert escape_data("%0A") == "%250A"  # a literal "%0A" must not become a line break


def test_command_shape():
    assert workflow_command("warning", {"file": "x.json", "line": 2}, "m") == "::warning file=x.json,line=2::m"
    assert workflow_command("notice", {}, "m") == "::notice::m"


def test_severity_to_command(make_result, opts):
    findings = [Finding("r-x", severity, "m", Location("a.json", 2, 3), "fp")
                for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)]
    lines = render("github", make_result(findings=findings), opts).splitlines()
    assert [line.split(" ", 1)[0] for line in lines[:3]] == ["::error", "::warning", "::notice"]
    assert lines[0] == "::error file=a.json,line=2,col=3,title=r-x::m"


def test_paths_and_messages_are_escaped(make_result, opts):
    loc = Location("/work/project/data/a,b:c.json", 4, 1, end_line=4, end_column=9)
    finding = Finding("r-x", Severity.ERROR, "100% wrong\nsecond line", loc, "fp")
    (line, *_rest) = render("github", make_result(findings=[finding]), opts).splitlines()
    assert line == "::error file=data/a%2Cb%3Ac.json,line=4,col=1,endLine=4,endColumn=9,title=r-x::100%25 wrong%0Asecond line"


def test_every_finding_is_one_line(result, opts):
    lines = render("github", result, opts).splitlines()
    commands = [line for line in lines if line.startswith("::") and "title=vgptlint" not in line]
    assert len(commands) == len(result.findings)


def test_finding_note_travels_with_the_message(make_result, opts):
    finding = Finding("r-x", Severity.WARNING, "m", Location("a.json"), "fp", note="fix not applied")
    line = render("github", make_result(findings=[dataclasses.replace(finding)]), opts).splitlines()[0]
    assert line.endswith("::m%0Anote: fix not applied")
