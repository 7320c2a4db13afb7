"""End to end through the CLI: check --fix, --diff, fix, --unsafe-fixes, --seed, stdin, SARIF fixes."""
from __future__ import annotations

import json

from click.testing import CliRunner

from vgptlint.commands.cli import main

CONTENT = '{"output": "a colour", "n": 2}\n{"output": "ab", "n": 1}\n{"output": "fine", "n": 0}\n'


def invoke(args: list[str], stdin: str | None = None):
    return CliRunner().invoke(main, args, input=stdin)


def test_check_fix_reports_counts_then_what_remains(in_tmp, policy_path):
    (in_tmp / "sft.jsonl").write_text(CONTENT)
    result = invoke(["check", "sft.jsonl", "-p", str(policy_path), "--fix"])
    assert result.stderr == "Fixed 1 finding in 1 file (1 remaining) (1 more fixable with --unsafe-fixes)\n"
    assert result.stdout == (
        "sft.jsonl:2:12: warning t-short output is 2 characters long; the minimum is 4\n"
        "0 errors, 1 warning, 0 info in 1 file (3 records) (1 fixable with --fix --unsafe-fixes)\n"
    )
    assert result.exit_code == 0
    assert (in_tmp / "sft.jsonl").read_text() == CONTENT.replace("colour", "color")
    again = invoke(["fix", "sft.jsonl", "-p", str(policy_path)])
    assert again.stderr == "Fixed 0 findings in 0 files (1 remaining) (1 more fixable with --unsafe-fixes)\n"


def test_fix_with_unsafe_fixes_moves_records_to_the_rejects_file(in_tmp, policy_path):
    (in_tmp / "sft.jsonl").write_text(CONTENT)
    result = invoke(["fix", "sft.jsonl", "-p", str(policy_path), "--unsafe-fixes", "--fail-on", "info"])
    assert result.stderr == (
        "sft.jsonl: moved 1 record to sft.rejected.jsonl\n"
        "Fixed 2 findings in 1 file (0 remaining)\n"
    )
    assert result.stdout == "No findings in 1 file (2 records)\n" and result.exit_code == 0
    assert (in_tmp / "sft.jsonl").read_text() == '{"output": "a color", "n": 2}\n{"output": "fine", "n": 0}\n'
    assert json.loads((in_tmp / "sft.rejected.jsonl").read_text())["record"] == {"output": "ab", "n": 1}


def test_diff_prints_a_unified_diff_and_writes_nothing(in_tmp, policy_path):
    (in_tmp / "sft.jsonl").write_text(CONTENT)
    result = invoke(["check", "sft.jsonl", "-p", str(policy_path), "--diff"])
    assert result.stdout == (
        "--- a/sft.jsonl\n"
        "+++ b/sft.jsonl\n"
        "@@ -1,3 +1,3 @@\n"
        '-{"output": "a colour", "n": 2}\n'
        '+{"output": "a color", "n": 2}\n'
        ' {"output": "ab", "n": 1}\n'
        ' {"output": "fine", "n": 0}\n'
    )
    assert result.stderr == "Would fix 1 finding in 1 file (1 remaining) (1 more fixable with --unsafe-fixes)\n"
    assert result.exit_code == 1 and (in_tmp / "sft.jsonl").read_text() == CONTENT
    clean = invoke(["check", "sft.jsonl", "-p", str(policy_path), "--diff", "--select", "t-sorry"])
    assert clean.stdout == "" and clean.exit_code == 0


def test_diff_marks_a_missing_final_newline(in_tmp, policy_path):
    (in_tmp / "sft.jsonl").write_text('{"output": "colour", "n": 1}')
    result = invoke(["check", "sft.jsonl", "-p", str(policy_path), "--diff"])
    assert result.stdout.endswith('-{"output": "colour", "n": 1}\n\\ No newline at end of file\n'
                                  '+{"output": "color", "n": 1}\n\\ No newline at end of file\n')


def test_seed_is_recorded_in_the_output(in_tmp, policy_path):
    records = "".join(json.dumps({"output": f"record {n}", "n": n}) + "\n" for n in range(6))
    (in_tmp / "sft.jsonl").write_text(records)
    result = invoke(["fix", "sft.jsonl", "-p", str(policy_path), "--unsafe-fixes", "--seed", "3"])
    assert result.stderr == "sft.jsonl: shuffled 6 records with seed 3 (--seed 3 repeats it)\nFixed 1 finding in 1 file (0 remaining)\n"


def test_stdin_cannot_be_fixed(in_tmp, policy_path):
    result = invoke(["check", "-", "-p", str(policy_path), "--fix"], stdin=CONTENT)
    assert result.stderr.splitlines()[0] == ("<stdin>: stdin cannot be fixed (there is no file to write); save the data to a "
                                             "file and fix that")
    assert "t-colour" in result.stdout


def test_sarif_carries_fixes_in_file_coordinates(in_tmp, policy_path):
    (in_tmp / "sft.json").write_text('[\n  {"n": 1, "output": "\\u00e9\\n colour"}\n]\n')
    result = invoke(["check", "sft.json", "-p", str(policy_path), "-f", "sarif"])
    results = json.loads(result.stdout)["runs"][0]["results"]
    fixes = [r["fixes"] for r in results if r["ruleId"] == "t-colour"][0]
    replacement = fixes[0]["artifactChanges"][0]["replacements"][0]
    # "colour" starts at decoded offset 3 but raw column 32 (after \u00e9 and \n escapes)
    assert replacement["deletedRegion"] == {"startLine": 2, "startColumn": 32, "endLine": 2, "endColumn": 38}
    assert replacement["insertedContent"] == {"text": "color"}
