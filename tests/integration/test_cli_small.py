"""The small things a user trips on (issue 17): help texts, gitignore-style globs, Parquet under fix."""
from __future__ import annotations

import pytest

from tests.integration.helpers import record, run_cli, workdir, write_jsonl  # noqa: F401  (fixture)
from vgptlint.builtins import load_builtins
from vgptlint.reports.base import reporter_names

SHORT = "Too short."


def test_check_help_names_every_format():
    load_builtins()
    help_text = " ".join(run_cli("check", "--help").stdout.split())
    assert reporter_names() and all(name in help_text for name in reporter_names())
    assert "text, table, json, sarif, github or html" in help_text


def test_override_globs_follow_gitignore_rules(workdir):
    (workdir / "data" / "sub").mkdir(parents=True)
    write_jsonl(workdir / "data" / "a.jsonl", [record(SHORT)])
    write_jsonl(workdir / "data" / "sub" / "b.jsonl", [record(SHORT)])
    (workdir / "policy.yaml").write_text("extends: [sft]\noverrides:\n  - files: [\"data/*.jsonl\"]\n"
                                         "    rules: {output-too-short: off}\n", encoding="utf-8")
    result = run_cli("check", "-p", "policy.yaml", "--select", "output-too-short", "data/")
    assert result.stdout.splitlines()[:-1] == [
        "data/sub/b.jsonl:1:48: warning output-too-short output is 10 characters long; the minimum is 50"]
    (workdir / "policy.yaml").write_text("extends: [sft]\noverrides:\n  - files: [\"data/**/*.jsonl\"]\n"
                                         "    rules: {output-too-short: off}\n", encoding="utf-8")
    assert run_cli("check", "-p", "policy.yaml", "--select", "output-too-short", "data/").stdout == "No findings in 2 files (2 records)\n"


def test_fix_on_parquet_counts_nothing_fixable(workdir):
    parquet = pytest.importorskip("pyarrow.parquet")
    import pyarrow

    rows = [record("SELECT Vendor FROM APVM WHERE VendorGroup = 1 ORDER BY Vendor, Name"),
            record("SELECT APRef FROM APTH (NOLOCK) WHERE APCo = 1 ORDER BY APRef, InvDate")]
    parquet.write_table(pyarrow.Table.from_pylist(rows), workdir / "sft.parquet")
    before = (workdir / "sft.parquet").read_bytes()
    result = run_cli("fix", "-p", "pretrain", "--select", "sql-nolock-missing,sql-nolock-legacy", "sft.parquet")
    assert result.exit_code == 0
    assert [line for line in result.stderr.splitlines() if not line.startswith("note:")] == [
        "sft.parquet: not fixed: Parquet files are linted but not rewritten; fix the JSON/JSONL source",
        "Fixed 0 findings in 0 files (2 remaining)"]
    assert result.stdout.splitlines()[-1] == "0 errors, 2 warnings, 0 info in 1 file (2 records)"
    assert (workdir / "sft.parquet").read_bytes() == before


def test_colour_follows_force_color_clicolor_force_and_no_color(workdir):
    from click.testing import CliRunner

    from vgptlint.commands.cli import main

    write_jsonl(workdir / "a.jsonl", [record(SHORT)])
    args = ["check", "-p", "policy.yaml", "--select", "output-too-short", "a.jsonl"]

    def first_line(**env: str) -> str:
        base = {"NO_COLOR": "", "FORCE_COLOR": "", "CLICOLOR_FORCE": ""}
        return CliRunner().invoke(main, args, env={**base, **env}).stdout.splitlines()[0]

    painted = "\x1b[1ma.jsonl:1:48:\x1b[0m \x1b[33mwarning\x1b[0m \x1b[2moutput-too-short\x1b[0m output is 10 characters long"
    plain = "a.jsonl:1:48: warning output-too-short output is 10 characters long; the minimum is 50"
    assert first_line().startswith(plain)  # not a terminal
    assert first_line(FORCE_COLOR="1").startswith(painted)
    assert first_line(CLICOLOR_FORCE="1").startswith(painted)
    assert first_line(CLICOLOR_FORCE="0") == plain
    assert first_line(FORCE_COLOR="1", NO_COLOR="1") == plain  # NO_COLOR wins
    forced_to_file = CliRunner().invoke(main, [*args, "-o", "report.txt"], env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert forced_to_file.exit_code == 1 and "\x1b[" not in (workdir / "report.txt").read_text(encoding="utf-8")


def test_exit_zero_is_fail_on_never(workdir):
    write_jsonl(workdir / "a.jsonl", [record(SHORT)])
    assert run_cli("check", "-p", "policy.yaml", "a.jsonl").exit_code == 1
    assert run_cli("check", "-p", "policy.yaml", "a.jsonl", "--exit-zero").exit_code == 0
    assert run_cli("check", "-p", "policy.yaml", "a.jsonl", "--exit-zero", "--fail-on", "info").exit_code == 0
    assert run_cli("check", "-p", "missing.yaml", "a.jsonl", "--exit-zero").exit_code == 2


NOLOCK_RECORDS = [record("SELECT Vendor, Name FROM APVM WHERE VendorGroup = 1 ORDER BY Name"),
                  record("SELECT APRef FROM APTH (NOLOCK) WHERE APCo = 1 ORDER BY APRef, InvDate"),
                  record("I cannot answer that: there is no Vendors table in Viewpoint; vendors live in APVM.")]


def test_show_fixes_lists_what_fix_would_apply_then_what_it_did(workdir):
    write_jsonl(workdir / "a.jsonl", NOLOCK_RECORDS)
    args = ["-p", "pretrain", "--select", "sql-nolock-missing,sql-nolock-legacy,negative-missing-category,output-too-short",
            "a.jsonl", "--show-fixes"]
    shown = run_cli("check", *args)
    assert [line for line in shown.stderr.splitlines() if not line.startswith("note:")] == [
        "3 fixes `vgptlint fix` would apply:",
        "  a.jsonl:1:74: sql-nolock-missing: add WITH (NOLOCK) to APVM (safe)",
        "  a.jsonl:2:72: sql-nolock-legacy: write WITH before the hint of APTH (safe)",
        "  a.jsonl:3:49: negative-missing-category: add category: negative_example (safe)"]
    fixed = run_cli("fix", *args)
    assert [line for line in fixed.stderr.splitlines() if not line.startswith("note:")] == [
        "Fixed 3 findings in 1 file (0 remaining)",
        "- a.jsonl:",
        "    1 × negative-missing-category",
        "    1 × sql-nolock-legacy",
        "    1 × sql-nolock-missing"]
    assert run_cli("check", *args).stderr.splitlines()[-1] == "0 fixes `vgptlint fix` would apply"


def test_exclude_skips_files_for_check_fix_and_stats(workdir):
    (workdir / "data" / "old").mkdir(parents=True)
    write_jsonl(workdir / "data" / "a.jsonl", [record(SHORT)])
    write_jsonl(workdir / "data" / "old" / "b.jsonl", NOLOCK_RECORDS[:1])
    checked = run_cli("check", "-p", "policy.yaml", "data/", "--exclude", "old/")
    assert checked.stdout.splitlines()[-1] == "0 errors, 1 warning, 0 info in 1 file (1 record) (1 fixable with --fix --unsafe-fixes)"
    named = run_cli("check", "-p", "policy.yaml", "data/a.jsonl", "data/old/b.jsonl", "--exclude", "data/*.jsonl,b.jsonl")
    assert named.stdout == "No findings in 0 files (0 records)\n"
    before = (workdir / "data" / "old" / "b.jsonl").read_text(encoding="utf-8")
    assert run_cli("fix", "-p", "pretrain", "data/", "--exclude", "data/old/**").exit_code in (0, 1)
    assert (workdir / "data" / "old" / "b.jsonl").read_text(encoding="utf-8") == before
    stats = run_cli("stats", "-p", "policy.yaml", "data/", "--exclude", "a.jsonl", "--format", "json")
    assert [f["path"] for f in __import__("json").loads(stats.stdout)["files"]] == ["data/old/b.jsonl"]


def test_stats_on_a_missing_file_is_a_located_error(workdir):
    result = run_cli("stats", "nonexistent.json")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == ("nonexistent.json:1:1: error[missing]: no such file or directory\n"
                             "vgptlint: error: 1 of the paths named nothing to read; nothing was measured\n")
