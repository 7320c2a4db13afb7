"""Through the CLI: duplicates that differ only in punctuation, spacing or case are found and the
finding says what differs; near-duplicates need the answers to match too; a share is a finding
only beyond sampling error (the message gives n and the interval); a file too small to judge gets
no dataset-level finding, only one note line."""
from __future__ import annotations

import json
import random

from click.testing import CliRunner

from vgptlint.commands.cli import main

POLICY = "extends: [core, sft, dataset]\n"
PROSE = "APTH is the AP transaction header view, keyed by APCo, Mth and APTrans."


def _check(folder, records, *args):
    (folder / "vgptlint.yaml").write_text(POLICY, encoding="utf-8")
    (folder / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "-p", str(folder / "vgptlint.yaml"), *args, str(folder / "sft.jsonl")])
    assert result.exit_code in (0, 1), result.output
    return result.stdout.splitlines()


def _record(instruction, output=PROSE):
    return {"instruction": instruction, "input": "", "output": output}


def _fields(lines, rule):
    return [line.split(f" {rule} ", 1)[1] for line in lines if f" {rule} " in line]


def test_punctuation_only_duplicates_say_what_differs(tmp_path):
    answer = "DateRetd is the date the submittal came back from the architect, a date column of PMSM."
    records = [_record("Explain the DateRetd column in PMSM.", answer), _record("Explain the DateRetd column in PMSM", answer),
               _record("What is APTH?"), _record("what is  APTH?", PROSE + " "),
               *(_record(f"Describe table number {n} of the AP module in detail", f"Answer {n}: " + PROSE * (n % 3 + 1))
                 for n in range(30))]
    found = _fields(_check(tmp_path, records, "--select", "duplicate-records,near-duplicate-records"), "duplicate-records")
    assert found[1:] == [
        "record 1 is a duplicate of record 0 (line 1) on instruction + input + output; instruction differs only in "
        "punctuation at the ends",
        "record 3 is a duplicate of record 2 (line 3) on instruction + input + output; instruction and output differ "
        "only in spacing and letter case"]
    assert found[0] == "duplicate records 5.9% (2/34) is above the maximum 1.0% (95% interval 1.6%-19.1%)"


def test_near_duplicates_need_similar_answers(tmp_path):
    names = [a + b for a in "ABCDEFGH" for b in "KLMNP"]  # 40 tables (letters: digits are masked)
    schema = " ".join(f"CREATE TABLE T{n} ({n}Co tinyint, {n}Mth smalldatetime, {n}Trans int);" for n in names)
    records = [
        # a long shared prompt (a schema in every instruction) and different answers: not copies
        _record(f"{schema}\nQuestion: What is the schema for Jobs?", "The table 'Jobs' does not exist; use JCJM (JC Job Master)."),
        _record(f"{schema}\nQuestion: What is the schema for Vendors?", "The table 'Vendors' does not exist; use APVM (AP Vendor Master)."),
        # a reworded question with the same answer: a copy
        _record(f"{schema}\nQuestion: List jobs over budget", "Join JCJM with JCCP on JCCo and Job; compare ActualCost with OrigEstCost."),
        _record(f"{schema}\nQuestion: Show jobs exceeding budget", "Join JCJM with JCCP on JCCo and Job; compare ActualCost with OrigEstCost."),
    ]
    found = _fields(_check(tmp_path, records, "--select", "near-duplicate-records"), "near-duplicate-records")
    assert [f for f in found if f.startswith("record")] == [
        "record 3 is a near-duplicate (100% similar) of record 2 (line 3): instruction differs, output is the same"]


def test_a_one_record_file_gets_no_dataset_level_finding_and_one_note(tmp_path):
    lines = _check(tmp_path, [_record("Which column scopes APTH?", "APCo")])
    assert [line.split(" ", 3)[2] for line in lines if line.startswith(str(tmp_path))] == ["input-empty", "output-too-short"]
    notes = [line for line in lines if line.startswith("note: dataset-level")]
    assert notes == ["note: dataset-level checks (shares, balance, skew) not judged on files of fewer than 20 records: "
                     "a share of a few records is not evidence (settings: {min_records: N})"]


def test_a_share_within_sampling_error_is_not_a_finding(tmp_path):
    # 3 of 40 outputs short (7.5%) is above 5%, but 40 records cannot tell 7.5% from 5%
    records = [_record(f"q{n}", "APCo" if n < 3 else PROSE + f" ({n})") for n in range(40)]
    assert not _fields(_check(tmp_path, records, "--select", "short-output-share"), "short-output-share")
    records = [_record(f"q{n}", "APCo" if n < 12 else PROSE + f" ({n})") for n in range(40)]
    assert _fields(_check(tmp_path, records, "--select", "short-output-share"), "short-output-share") == [
        "outputs under 50 characters 30.0% (12/40) is above the maximum 5.0% (95% interval 18.1%-45.4%)"]


def _words(count, seed):
    """``count`` distinct-looking words of letters (digits would be masked), the same for a seed."""
    pick = random.Random(seed).choice
    return " ".join("".join(pick("abcdefghijklmnopqrstuvwxyz") for _ in range(5)) for _ in range(count))


def test_duplicates_read_a_bounded_head_of_a_huge_field_but_compare_the_whole(tmp_path):
    # Two answers share their first 1,000,000 characters (the bound past which no field is read
    # word by word) and differ after it: not exact copies, but near copies by what was read.
    head = _words(170_000, seed=0)
    assert len(head) > 1_000_000
    records = [_record("Export AP headers", head + " first"), _record("Export AP headers", head + " second"),
               *(_record(_words(8, seed=n), _words(20, seed=100 + n)) for n in range(1, 27))]
    lines = _check(tmp_path, records, "--select", "duplicate-records,near-duplicate-records", "--full")
    assert not _fields(lines, "duplicate-records")
    assert [f for f in _fields(lines, "near-duplicate-records") if f.startswith("record")] == [
        "record 1 is a near-duplicate (100% similar) of record 0 (line 1): output differs, instruction is the same"]
