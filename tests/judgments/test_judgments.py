"""The refusal classifier and the content_type facet on a labelled set written for the project.

`labelled.jsonl`: refusals in styles the generator never used ("I do not have details on a table named
X.", "There's no such table in Vista", "That column doesn't exist in PREH", apologies, polite
multi-sentence refusals, refusals followed by a suggestion, general-assistant refusals) and hard
negatives (real answers that say "not", "no rows" or "does not exist", SQL with NOT EXISTS or
IS NOT NULL), each labelled by hand with its content type. Driven through the CLI: the refusals
`negative-missing-category` reports, and `stats`' refusal count, are the classifier's answers.
bench/judgments.py measures the same classifiers on third-party data.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vgptlint.builtins import load_builtins
from vgptlint.commands.cli import main
from vgptlint.functions.base import Context
from vgptlint.policy.load import load_policy

LABELLED = [json.loads(line) for line in (Path(__file__).parent / "labelled.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]


def precision_recall(truth: list[bool], guess: list[bool]) -> tuple[float, float]:
    hits = sum(t and g for t, g in zip(truth, guess))
    return hits / max(sum(guess), 1), hits / max(sum(truth), 1)


@pytest.fixture
def labelled_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    records = [{"instruction": r["instruction"], "input": r["input"], "output": r["output"]} for r in LABELLED]
    Path("labelled.json").write_text(json.dumps(records, indent=1), encoding="utf-8")
    return Path("labelled.json")


def test_the_set_is_a_few_hundred_records_of_both_kinds():
    refusals = sum(r["refusal"] for r in LABELLED)
    assert len(LABELLED) >= 180 and refusals >= 80 and len(LABELLED) - refusals >= 100


def test_refusals_found_by_negative_missing_category(labelled_file):
    result = CliRunner().invoke(main, ["check", "--policy", "pretrain", "--select", "negative-missing-category",
                                       "--format", "json", "--fail-on", "never", str(labelled_file)])
    assert result.exit_code == 0, result.output
    flagged = {f["record"] for f in json.loads(result.stdout)["findings"]}
    truth = [r["refusal"] for r in LABELLED]
    precision, recall = precision_recall(truth, [i in flagged for i in range(len(LABELLED))])
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)


def test_stats_counts_the_same_refusals(labelled_file):
    # One classifier: stats' refusal count is what the rule reports, not a second phrase list.
    check = CliRunner().invoke(main, ["check", "--policy", "pretrain", "--select", "negative-missing-category",
                                      "--format", "json", "--fail-on", "never", str(labelled_file)])
    stats = CliRunner().invoke(main, ["stats", "--policy", "pretrain", "-f", "json", str(labelled_file)])
    (sft,) = json.loads(stats.stdout)["files"]
    assert sft["refusal"]["count"] == len(json.loads(check.stdout)["findings"])
    assert sft["content_mix"]["negative"] == sft["refusal"]["count"]


def test_content_types():
    load_builtins()
    facets = load_policy("pretrain").facets
    guesses = []
    for row in LABELLED:
        record = {"instruction": row["instruction"], "input": row["input"], "output": row["output"]}
        guesses.append(facets.value("content_type", record, Context(record=record, kind="sft", policy_settings={"facets": facets})))
    truth = [r["content_type"] for r in LABELLED]
    accuracy = sum(t == g for t, g in zip(truth, guesses)) / len(truth)
    assert accuracy >= 0.9, accuracy
    # the classes the review's mix figures rest on; business/schema/other are measured in bench/README.md
    for label in ("negative", "sql_generation", "error_correction"):
        precision, recall = precision_recall([t == label for t in truth], [g == label for g in guesses])
        assert precision >= 0.95 and recall >= 0.95, (label, precision, recall)


def test_a_team_tunes_the_classifier_once_in_the_policy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("team.yaml").write_text("extends: [pretrain]\nsettings:\n  refusal:\n    extra_absence: ['\\bnot on file\\b']\n")
    Path("sft.json").write_text(json.dumps([{"instruction": "Show vendor 9001.", "input": "", "output": "Vendor 9001 is not on file."}]))
    default = CliRunner().invoke(main, ["check", "--policy", "pretrain", "--select", "negative-missing-category", "sft.json"])
    tuned = CliRunner().invoke(main, ["check", "--policy", "team.yaml", "--select", "negative-missing-category", "sft.json"])
    assert "negative-missing-category" not in default.stdout
    assert 'output reads as a refusal ("not on file")' in tuned.stdout
    stats = CliRunner().invoke(main, ["stats", "--policy", "team.yaml", "-f", "json", "sft.json"])
    assert json.loads(stats.stdout)["files"][0]["refusal"]["count"] == 1


@pytest.mark.parametrize(("settings", "message"), [
    ("{min_scor: 2}", 'settings "refusal": unknown option "min_scor"'),
    ("{extra_absence: ['\\bNot on file']}", "write them in lower case"),
    ("{extra_inability: ['(unclosed']}", "not a valid regular expression"),
])
def test_bad_refusal_settings_are_located(tmp_path, monkeypatch, settings, message):
    monkeypatch.chdir(tmp_path)
    Path("team.yaml").write_text(f"extends: [pretrain]\nsettings:\n  refusal: {settings}\n")
    Path("sft.json").write_text("[]")
    result = CliRunner().invoke(main, ["check", "--policy", "team.yaml", "sft.json"])
    assert result.exit_code == 2
    assert "team.yaml:3:12: error[invalid-option]" in result.output and message in result.output
