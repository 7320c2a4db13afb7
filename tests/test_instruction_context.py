"""Through the CLI: a rule stays quiet when the instruction asks for what it would flag
(SELECT * when every column is requested, LIMIT for MySQL, no NOLOCK when asked for none)."""
from __future__ import annotations

import json

from click.testing import CliRunner

from vgptlint.commands.cli import main

RECORDS = [
    ("SELECT * FROM Departments", "Departments does not exist; JCDP holds departments:\nSELECT * FROM JCDP WITH (NOLOCK)"),
    ("Get all data from CustomerMaster", "Use ARCM:\nSELECT * FROM ARCM WITH (NOLOCK) WHERE CustGroup = 1"),
    ("Which jobs are open?", "SELECT * FROM JCJM WITH (NOLOCK) WHERE JCCo = 1 AND JobStatus = 1"),
    ("The same vendor list for our MySQL reporting copy", "SELECT Vendor FROM APVM ORDER BY Vendor LIMIT 10"),
    ("List vendors", "SELECT Vendor FROM APVM WITH (NOLOCK) ORDER BY Vendor LIMIT 10"),
    ("Read APTH without NOLOCK: no uncommitted rows", "SELECT APRef FROM APTH WHERE APCo = 1"),
    ("Read APTH", "SELECT APRef FROM APTH WHERE APCo = 1"),
]


def test_rules_stay_quiet_when_the_instruction_asks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = [{"instruction": i, "input": "", "output": o} for i, o in RECORDS]
    (tmp_path / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "-p", "pretrain", "-f", "json", "--select",
                                       "sql-select-star,sql-limit-not-tsql,sql-nolock-missing", "sft.jsonl"])
    found = sorted((f["record"], f["rule"]) for f in json.loads(result.stdout)["findings"])
    assert found == [(2, "sql-select-star"), (3, "sql-nolock-missing"), (4, "sql-limit-not-tsql"),
                     (6, "sql-nolock-missing")]
