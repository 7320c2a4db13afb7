"""The shipped examples break every rule of the shipped pretrain policy, at the right place."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from vgptlint.commands.cli import main
from vgptlint.commands.docs import all_rules

ROOT = Path(__file__).resolve().parents[1]


def test_every_pretrain_rule_fires_on_the_examples(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["check", "--policy", "pretrain.yaml", "examples/", "-f", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    enabled = {r.id for r in all_rules("pretrain") if r.is_enabled}
    # the example files hold 1-28 records: too few for a share to be evidence (bench/generate.py's are not)
    shares = {"content-mix", "dpo-feature-skew", "dpo-trivial-share", "input-usage", "kto-balance", "kto-feature-skew",
              "nolock-coverage", "sql-share"}
    assert enabled - set(report["summary"]["by_rule"]) == shares
    # the examples configure a catalog and dataset_info: nothing is skipped, only the shares not judged
    assert [n.split(":")[0] for n in report["notes"]] == ["dataset-level checks (shares, balance, skew) not judged on files of fewer than 20 records"]


def test_example_findings_point_at_the_offending_text(monkeypatch):
    monkeypatch.chdir(ROOT)
    lines = CliRunner().invoke(main, ["check", "--policy", "pretrain.yaml", "examples/"]).stdout.splitlines()
    sft = (ROOT / "examples" / "sft.json").read_text().splitlines()
    for line in lines:
        if not line.startswith("examples/sft.json:") or ":1:1:" in line:
            continue
        _, number, column, rest = line.split(":", 3)
        rule, message = rest.split()[1], " ".join(rest.split()[2:])
        if rule in ("sql-nolock-missing", "sql-unknown-table", "sql-unknown-column", "sql-identifier-case",
                    "sql-base-table", "sql-company-filter-missing"):
            # SQL findings name a table or column that starts exactly at the reported column
            name = message.split()[0].split(".")[-1]
            text = sft[int(number) - 1]
            assert text[int(column) - 1:].startswith(name), line
