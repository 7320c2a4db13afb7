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
