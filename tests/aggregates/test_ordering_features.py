"""`unshuffled` through the CLI: files written in source blocks are flagged whatever the content_type
facet says, and shuffled copies of the same records are not.

Three differently written datasets, all written for these tests: the hand-labelled refusals and
answers of tests/judgments (a refusal block after an answer block), an English block followed by a
block in another script, and SQL-only answers grouped by database (short lookups, then long reports).
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from vgptlint.commands.cli import main

LABELLED = [json.loads(line) for line in (Path(__file__).parents[1] / "judgments" / "labelled.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]


def refusals_after_answers() -> list[dict]:
    rows = [{"instruction": r["instruction"], "input": r["input"], "output": r["output"]} for r in LABELLED]
    return [r for r, src in zip(rows, LABELLED) if not src["refusal"]] + [r for r, src in zip(rows, LABELLED) if src["refusal"]]


GREEK = ["Ποιος πίνακας κρατά τους προμηθευτές;", "Τι περιέχει ο πίνακας APTH;", "Πώς συνδέονται οι APTH και APTL;",
         "Ποια στήλη ορίζει την εταιρεία;", "Τι σημαίνει το πεδίο Mth;", "Πού βρίσκονται οι πληρωμές;"]
ENGLISH = ["Which table holds vendors?", "What does APTH contain?", "How do APTH and APTL join?",
           "Which column scopes the company?", "What does the Mth column mean?", "Where are payments kept?"]


def english_then_greek() -> list[dict]:
    rows = []
    for language, questions in (("en", ENGLISH), ("el", GREEK)):
        for number in range(8):
            for question in questions:
                answer = (f"APVM, vendor group {number}." if language == "en" else f"Ο πίνακας APVM, ομάδα {number}.")
                rows.append({"instruction": question, "input": "", "output": answer})
    return rows


def sql_by_database() -> list[dict]:
    short = [f"SELECT Name FROM APVM WITH (NOLOCK) WHERE Vendor = {n}" for n in range(40)]
    long = [f"SELECT h.APCo, h.Mth, h.APTrans, h.Vendor, h.InvDate, h.InvTotal, l.APLine, l.GrossAmt, d.Status\n"
            f"FROM APTH h WITH (NOLOCK)\nJOIN APTL l WITH (NOLOCK) ON l.APCo = h.APCo AND l.Mth = h.Mth AND l.APTrans = h.APTrans\n"
            f"JOIN APTD d WITH (NOLOCK) ON d.APCo = l.APCo AND d.Mth = l.Mth AND d.APTrans = l.APTrans AND d.APLine = l.APLine\n"
            f"WHERE h.APCo = {n} AND d.Status < 3" for n in range(40)]
    return [{"instruction": f"Query {n}", "input": "", "output": sql} for n, sql in enumerate(short + long)]


DATASETS = {"refusals after answers": refusals_after_answers, "English then Greek": english_then_greek,
            "SQL by database": sql_by_database}


def unshuffled(tmp_path: Path, rows: list[dict]) -> dict:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--policy", "pretrain", "--select", "unshuffled", "--format", "json",
                                       "--fail-on", "never", str(path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    metric = next(m for m in report["metrics"] if m["rule"] == "unshuffled")
    return {"findings": [f["message"] for f in report["findings"]], "grouped_by": metric["details"]["grouped_by"]}


@pytest.mark.parametrize("name", DATASETS)
def test_blocked_file_flagged_and_shuffled_copy_not(tmp_path, name):
    rows = DATASETS[name]()
    blocked = unshuffled(tmp_path, rows)
    assert len(blocked["findings"]) == 1 and blocked["findings"][0].startswith("records are grouped by ")
    for seed in range(3):
        copy = rows[:]
        random.Random(seed).shuffle(copy)
        assert unshuffled(tmp_path, copy) == {"findings": [], "grouped_by": []}, (name, seed)


def test_the_features_that_see_each_grouping(tmp_path):
    # The content_type facet sees the refusal block (its negative label) but neither of the others.
    assert set(unshuffled(tmp_path, refusals_after_answers())["grouped_by"]) >= {"refusal", "content_type"}
    greek = unshuffled(tmp_path, english_then_greek())
    assert greek["grouped_by"] == ["answer_shape"]
    assert "2 runs where a shuffled file would have about 49" in greek["findings"][0]
    sql = unshuffled(tmp_path, sql_by_database())
    assert sql["grouped_by"][0] == "length_band" and "content_type" not in sql["grouped_by"]


def test_a_handful_of_records_is_not_evidence(tmp_path):
    rows = sql_by_database()[::10]  # 4 short then 4 long: grouped, but chance could do it
    assert unshuffled(tmp_path, rows) == {"findings": [], "grouped_by": []}


def test_length_bands_are_the_first_edge_above_the_length():
    from vgptlint.aggregates.ordering import record_features
    from vgptlint.builtins import load_builtins
    from vgptlint.functions.base import Context

    load_builtins()
    plain = ((50, "<50"), (200, "50-199"), (500, "200-499"), (1000, "500-999"))  # the band table, read in order
    for length in [*range(0, 1100), 5000]:
        band = record_features({"output": "x" * length}, Context(record=None, kind="sft"))["length_band"]
        assert band == next((name for edge, name in plain if length < edge), ">=1000"), length
