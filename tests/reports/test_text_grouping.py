"""The default text report reads a problem that spans many records once: a rule's findings in a
file beyond three become one line; --full and JSON keep every finding."""
from __future__ import annotations

import json

from click.testing import CliRunner

from vgptlint.commands.cli import main

POLICY = "extends: [core, sft]\nrules:\n  input-empty: off\n"


def _run(folder, *args):
    result = CliRunner().invoke(main, ["check", "-p", str(folder / "p.yaml"), *args, "sft.jsonl"])
    assert result.exit_code in (0, 1), result.output
    return result.stdout.splitlines()


def test_a_rule_with_many_findings_in_a_file_is_one_line_after_three(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(POLICY, encoding="utf-8")
    rows = [{"instruction": f"q{n}", "input": "", "output": "APCo"} for n in range(10)]
    rows.insert(5, {"instruction": "q", "input": "", "output": ""})
    (tmp_path / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert _run(tmp_path)[:6] == [
        "sft.jsonl:1:46: warning output-too-short output is 4 characters long; the minimum is 50",
        "sft.jsonl:2:46: warning output-too-short output is 4 characters long; the minimum is 50",
        "sft.jsonl:3:46: warning output-too-short output is 4 characters long; the minimum is 50",
        "sft.jsonl:4:46: warning output-too-short ... and 7 more output-too-short findings in this file, the first here "
        "(--full shows each; --format json lists them)",
        "sft.jsonl:6:45: error output-empty output is empty",
        "1 error, 10 warnings, 0 info in 1 file (11 records) "
        "(10 fixable with --fix --unsafe-fixes)",
    ]
    full = _run(tmp_path, "--full")
    assert sum(" output-too-short output is 4" in line for line in full) == 10
    report = json.loads("\n".join(_run(tmp_path, "-f", "json")))
    assert sum(f["rule"] == "output-too-short" for f in report["findings"]) == 10


def test_four_findings_are_all_shown(tmp_path, monkeypatch):
    # one line standing for a single finding would save nothing
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(POLICY, encoding="utf-8")
    rows = [{"instruction": f"q{n}", "input": "", "output": "APCo"} for n in range(4)]
    (tmp_path / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert sum(" output-too-short output is 4" in line for line in _run(tmp_path)) == 4
