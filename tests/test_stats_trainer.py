"""`vgptlint stats` says what LLaMA-Factory would do with each registered dataset's records."""
from __future__ import annotations

import json

from click.testing import CliRunner

from vgptlint.commands.cli import main


def test_stats_counts_what_llamafactory_trains(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    records = [{"instruction": "Open AP invoices?", "input": "", "output": "SELECT APRef FROM APTH WITH (NOLOCK)", "label": label}
               for label in ("true", "false", True)]
    (tmp_path / "kto.json").write_text(json.dumps(records))
    (tmp_path / "chat.json").write_text(json.dumps([
        {"conversations": [{"from": "human", "value": "Which view holds AP headers?"}, {"from": "gpt", "value": "APTH."}]},
        {"conversations": [{"from": "gpt", "value": "Hello"}, {"from": "human", "value": "Which view?"}]},
    ]))
    (tmp_path / "dataset_info.json").write_text(json.dumps({
        "kto": {"file_name": "kto.json", "columns": {"prompt": "instruction", "query": "input", "response": "output",
                                                     "kto_tag": "label"}},
        "chat": {"file_name": "chat.json", "formatting": "sharegpt", "columns": {"messages": "conversations"}},
    }))
    result = CliRunner().invoke(main, ["stats", "--policy", "pretrain", "-f", "json", "."])
    assert result.exit_code == 0, result.output
    files = {f["path"]: f for f in json.loads(result.stdout)["files"]}
    kto = files["kto.json"]["llamafactory"]
    # string labels: one response each, so the KTO processor drops them (they would be SFT only in an SFT run)
    assert (kto["stage"], kto["records"], kto["train"], kto["skip"], kto["stops"]) == ("kto", 3, 1, 2, None)
    assert kto["reasons"] == {"label is not a JSON boolean: one response, the KTO processor drops it": 2}
    chat = files["chat.json"]
    assert chat["format"] == "sharegpt"
    assert (chat["llamafactory"]["train"], chat["llamafactory"]["skip"]) == (1, 1)
    table = CliRunner().invoke(main, ["stats", "--policy", "pretrain", "."]).stdout
    assert "kto.json: LLaMA-Factory, dataset kto (stage kto)" in table
    assert "chat.json: sharegpt conversations, not measured" in table


def test_stats_says_the_run_stops_when_no_kto_record_survives(tmp_path, monkeypatch):
    # The owner's KTO file in miniature: every label a string, so feedback.py drops every record and
    # the loader stops ("Cannot find valid samples"); check's kto-label-format says the same per record.
    monkeypatch.chdir(tmp_path)
    records = [{"instruction": "Open AP invoices?", "input": "", "output": "SELECT APRef FROM APTH WITH (NOLOCK)", "label": label}
               for label in ("true", "false")]
    (tmp_path / "kto.json").write_text(json.dumps(records))
    (tmp_path / "dataset_info.json").write_text(json.dumps({
        "kto": {"file_name": "kto.json", "columns": {"prompt": "instruction", "query": "input", "response": "output",
                                                     "kto_tag": "label"}}}))
    table = CliRunner().invoke(main, ["stats", "--policy", "pretrain", "."]).stdout
    rows = [line.split() for line in table.splitlines()]
    assert ["train", "as", "written", "0", "0.0%"] in rows
    assert ["skipped", "(dropped)", "2", "100.0%"] in rows
    assert ["records", "that", "stop", "the", "run", "0", "0.0%"] in rows
    assert 'the run stops: no record survives: "Cannot find valid samples"' in table
    assert "different kind" not in table
    check = CliRunner().invoke(main, ["check", "--policy", "pretrain", "--select", "kto-label-format", "kto.json"]).stdout
    assert check.count("drops this record in a KTO run") == 2


def test_stats_on_a_question_suite_without_categories(tmp_path, monkeypatch):
    # Spider/BIRD-style evaluation files: a question and gold SQL, no answer field and no category.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dev.json").write_text(json.dumps([{"question": "How many heads?", "query": "SELECT count(*) FROM head"}] * 3))
    result = CliRunner().invoke(main, ["stats", "--policy", "pretrain", "."])
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["dev.json", "validation", "3"] in lines
    assert ["(no", "category)", "3"] in lines
