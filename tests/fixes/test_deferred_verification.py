"""Report-only runs (text, table, github, html: reporters whose ``needs_verified_fixes`` is False)
propose SQL fixes without re-parsing them; --fix, --diff, --show-fixes, JSON and SARIF always
verify, so no unverified edit is ever written, listed or handed to another tool."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from vgptlint.commands.cli import main
from vgptlint.fixes import verify as fix_verify


@pytest.fixture
def counted_verify(monkeypatch):
    calls = []
    real = fix_verify.verify

    def verify(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(fix_verify, "verify", verify)
    return calls


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sft.jsonl").write_text(json.dumps(
        {"instruction": "q", "input": "", "output": "SELECT APRef FROM APTH WHERE APCo = 1"}) + "\n")
    return tmp_path


@pytest.mark.parametrize("args, verified", [
    (["-f", "text"], False),
    (["-f", "github"], False),
    (["-f", "table"], False),
    (["-f", "html"], False),
    (["-f", "json"], True),
    (["-f", "sarif"], True),
    (["--diff"], True),
    (["--fix"], True),
    (["--show-fixes"], True),
])
def test_verification_runs_when_fixes_leave_the_report(data, counted_verify, args, verified):
    result = CliRunner().invoke(main, ["check", "--policy", "pretrain", "--select", "sql-nolock-missing", *args, "sft.jsonl"])
    assert result.exit_code in (0, 1), result.output
    assert bool(counted_verify) is verified


def test_text_report_counts_the_proposed_fix(data):
    result = CliRunner().invoke(main, ["check", "--policy", "pretrain", "--select", "sql-nolock-missing", "sft.jsonl"])
    assert result.stdout.splitlines()[-1].endswith("(1 fixable with --fix)")


@pytest.mark.parametrize("needs_verified_fixes", [False, True])
def test_the_cli_asks_the_reporter_not_its_name(data, counted_verify, needs_verified_fixes):
    from vgptlint.reports.base import REPORTERS, reporter

    @reporter("fix-titles", needs_verified_fixes=needs_verified_fixes)
    def fix_titles(result, opts):
        """Each finding's fix title."""
        return "".join(f"{f.fix.title if f.fix else '-'}\n" for f in result.findings)

    try:
        result = CliRunner().invoke(main, ["check", "--policy", "pretrain", "--select", "sql-nolock-missing", "-f",
                                           "fix-titles", "sft.jsonl"])
    finally:
        del REPORTERS["fix-titles"]
    assert result.stdout == "add WITH (NOLOCK) to APTH\n"
    assert bool(counted_verify) is needs_verified_fixes
