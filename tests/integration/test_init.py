"""`vgptlint init`: a starter policy that loads and runs, from dataset_info.json or from the files."""
from __future__ import annotations

import json

from tests.integration.helpers import LONG, record, run_cli, write_jsonl

DATASET_INFO = {
    "team_sft": {"file_name": "sft.jsonl"},
    "team_kto": {"file_name": "kto.jsonl", "columns": {"prompt": "instruction", "response": "output", "kto_tag": "label"}},
}


def make_data(root):
    root.mkdir()
    write_jsonl(root / "sft.jsonl", [record("Yes"), record(LONG)])
    write_jsonl(root / "kto.jsonl", [record(LONG, label=True), record("SELECT 1", label=False)])
    (root / "dataset_info.json").write_text(json.dumps(DATASET_INFO), encoding="utf-8")


def test_init_from_dataset_info_writes_a_policy_that_loads_and_runs(workdir):
    make_data(workdir / "data")
    result = run_cli("init", "--dataset-info", "data/dataset_info.json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "wrote vgptlint.yaml: 2 datasets (kinds: kto, sft)\n"
    text = (workdir / "vgptlint.yaml").read_text()
    assert "#   data/sft.jsonl                           sft  (team_sft, alpaca)" in text
    assert "#   data/kto.jsonl                           kto  (team_kto, alpaca)" in text
    assert 'dataset_info: "data/dataset_info.json"' in text
    assert "trainer: llamafactory" in text
    assert "      min: 50                 # review §3" in text
    assert "#   llamafactory   what LLaMA-Factory's loader would drop or misread\n" in text and "\nextends: [pretrain]\n" in text
    # vgptlint.yaml is the default policy: the check loads it, and the dataset rules run.
    checked = run_cli("check", "data/", "--format", "json")
    assert checked.exit_code in (0, 1), checked.stderr
    report = json.loads(checked.stdout)
    assert report["policy"] == "vgptlint.yaml"
    assert {f["rule"] for f in report["findings"]} >= {"output-too-short"}


def test_init_infers_kinds_without_dataset_info(workdir):
    make_data(workdir / "data")
    (workdir / "data" / "dataset_info.json").unlink()
    write_jsonl(workdir / "data" / "pairs.jsonl", [{"instruction": "q", "chosen": LONG, "rejected": "SELECT 1"}])
    result = run_cli("init", "-o", "team.yaml")  # paths default to data/
    assert result.exit_code == 0, result.stderr
    text = (workdir / "team.yaml").read_text()
    assert 'datasets:\n  "data/kto.jsonl": kto\n  "data/pairs.jsonl": dpo\n  "data/sft.jsonl": sft\n' in text
    assert "trainer:" not in text
    assert "#   llamafactory   what LLaMA-Factory's loader would drop or misread (skipped here: needs dataset_info.json)" in text
    checked = run_cli("check", "--policy", "team.yaml", "data/")
    assert checked.exit_code in (0, 1), checked.stderr


def test_init_never_overwrites(workdir):
    (workdir / "vgptlint.yaml").write_text("# mine\n")
    result = run_cli("init")
    assert result.exit_code == 2
    assert result.stderr == ('vgptlint: error: "vgptlint.yaml" already exists; vgptlint init never overwrites '
                             "a file (remove it or choose -o)\n")
    assert (workdir / "vgptlint.yaml").read_text() == "# mine\n"


def test_init_with_a_missing_dataset_info_is_one_line(workdir):
    result = run_cli("init", "--dataset-info", "nope.json")
    assert result.exit_code == 2
    assert result.stderr == 'vgptlint: error: --dataset-info "nope.json": no such file\n'


def test_init_in_an_empty_folder_writes_the_datasets_key_it_mentions_and_extends_pretrain(workdir):
    (workdir / "policy.yaml").unlink()
    result = run_cli("init")
    assert (result.exit_code, result.stderr) == (0, "wrote vgptlint.yaml: 0 datasets (kinds: none)\n")
    text = (workdir / "vgptlint.yaml").read_text()
    assert "# No datasets found; add them under `datasets:` below." in text
    assert text.index("extends: [pretrain]") < text.index("\ndatasets: {}\n")
    # Added data later: one file of 200 records with empty inputs is one input-usage finding, not 200.
    write_jsonl(workdir / "sft.jsonl", [record(LONG, input_text="") for _ in range(200)])
    checked = run_cli("check", "sft.jsonl", "--format", "json", "--fail-on", "never")
    assert checked.exit_code == 0, checked.stderr
    rules = [f["rule"] for f in json.loads(checked.stdout)["findings"]]
    assert "input-empty" not in rules and rules.count("input-usage") == 1
