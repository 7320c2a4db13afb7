"""`vgptlint stats` reproduces the review-shaped generator's exact figures (bench/generate.py), via the CLI."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bench.generate import generate
from vgptlint.commands.cli import main

FILES = ("sft.json", "dpo.json", "kto.json", "validation.json")


def _stats(folder, fmt: str = "json") -> str:
    result = CliRunner().invoke(main, ["stats", *(str(folder / name) for name in FILES), "--format", fmt])
    assert result.exit_code == 0, result.output
    return result.output


def _check_figures(folder, figures: dict) -> None:
    files = {entry["path"].rsplit("/", 1)[-1]: entry for entry in json.loads(_stats(folder))["files"]}
    sft, dpo, kto, validation = (files[name] for name in FILES)
    assert (sft["kind"], dpo["kind"], kto["kind"], validation["kind"]) == ("sft", "dpo", "kto", "validation")

    assert sft["records"] == figures["sft.records"]
    assert sft["length_buckets"] == figures["sft.length_buckets"]
    assert sft["nolock"]["count"] == figures["sft.nolock"]
    assert sft["sql"]["count"] == figures["sft.sql"]
    assert sft["refusal"]["count"] == figures["sft.refusal"]
    assert sft["refusal_with_category"] == figures["sft.category_field"]
    assert sft["input_used"]["count"] == figures["sft.nonempty_input"]
    assert sft["exact_duplicates"] == figures["sft.exact_duplicates"]
    assert sft["near_duplicates"] == figures["sft.near_duplicates"]
    assert sft["truncated"] == figures["sft.truncated"]
    if figures["sft.truncated"] >= 10:
        assert list(sft["truncation_pileups"]) == [str(figures["sft.truncated_length"])] or \
            list(sft["truncation_pileups"]) == [figures["sft.truncated_length"]]
    # Grouped by source, so far fewer runs than a shuffled file (review §7).
    assert sft["ordering"]["mixing"] < 0.2

    assert dpo["records"] == figures["dpo.pairs"]
    assert dpo["features"]["NOLOCK present"] == {"chosen": figures["dpo.chosen_nolock"], "rejected": figures["dpo.rejected_nolock"]}
    assert dpo["identical"] == figures["dpo.identical"]
    assert dpo["trivial"] == figures["dpo.trivial"]
    assert dpo["chosen_mean_length"] == figures["dpo.chosen_mean_length"]
    assert dpo["rejected_mean_length"] == figures["dpo.rejected_mean_length"]

    assert kto["records"] == figures["kto.records"]
    assert kto["labels"] == {"true": figures["kto.true"], "false": figures["kto.false"]}
    assert kto["feature_accuracy"]["output of 50+ characters"]["correct"] == figures["kto.length_rule_correct"]

    assert validation["records"] == figures["validation.questions"]
    assert validation["categories"] == {k: v for k, v in figures["validation.per_category"].items() if v}


def test_stats_reproduces_the_generator_figures_small(tmp_path):
    figures = generate(tmp_path, scale=0.1, seed=3, formats=("json",))
    _check_figures(tmp_path, figures)


@pytest.mark.slow
def test_stats_reproduces_the_review_figures_at_scale_1(tmp_path):
    figures = generate(tmp_path, scale=1, seed=0, formats=("json",))
    assert figures["sft.records"] == 59021 and figures["sft.nolock"] == 882 and figures["sft.sql"] == 3360
    _check_figures(tmp_path, figures)


def test_stats_table_and_markdown_show_the_review_tables(tmp_path):
    generate(tmp_path, scale=0.05, seed=1, formats=("json",))
    table = _stats(tmp_path, "table")
    for heading in ("Records per file", "output length", "content mix", "SQL content", "chosen vs rejected",
                    "label balance", "questions per category"):
        assert heading in table
    assert "| file" in _stats(tmp_path, "markdown")
