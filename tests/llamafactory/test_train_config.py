"""`check`/`stats --train-config`: a LLaMA-Factory training run followed through its loader.

Every fixture is written here: a dataset folder laid out the way LLaMA-Factory's ``dataset_dir``
expects (``data/dataset_info.json`` beside the files, relative to the working directory), a config,
and a tiny BPE tokenizer trained in the test with the ``tokenizers`` library.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

tokenizers = pytest.importorskip("tokenizers")

from vgptlint.llamafactory.templates import TEMPLATES  # noqa: E402
from vgptlint.llamafactory.tokens import infer_seqlen  # noqa: E402

CATEGORIES = ("schema", "sql", "negative")


def lf_infer_seqlen(source_len: int, target_len: int, cutoff_len: int) -> tuple[int, int]:
    """Re-stated from LLaMA-Factory's processor/processor_utils.py (JonOlsenCa/LLaMA-Factory @d899830f), line by line."""
    if target_len * 2 < cutoff_len:  # L78
        max_target_len = cutoff_len  # L79
    elif source_len * 2 < cutoff_len:  # L80
        max_target_len = cutoff_len - source_len  # L81
    else:  # L82
        max_target_len = int(cutoff_len * (target_len / (source_len + target_len)))  # L83
    new_target_len = min(max_target_len, target_len)  # L85
    max_source_len = max(cutoff_len - new_target_len, 0)  # L86
    new_source_len = min(max_source_len, source_len)  # L87
    return new_source_len, new_target_len  # L88


def train_tokenizer(path: Path) -> Path:
    """A word-level BPE over a small vocabulary, with qwen's chat markers as special tokens."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=200, special_tokens=["[UNK]", *TEMPLATES["qwen"].special_tokens])
    corpus = ["select vendor from apvm where co = 1", "what columns are in apth", "the table holds ap invoices",
              "system user assistant you are qwen created by alibaba cloud a helpful"] * 20
    tokenizer.train_from_iterator(corpus, trainer)
    target = path / "tokenizer.json"
    tokenizer.save(str(target))
    return target


def record(category: str, index: int, answer_words: int = 3) -> dict:
    return {"instruction": f"what columns are in apth {index}", "input": "",
            "output": " ".join(["select vendor from apvm"] * answer_words), "category": category}


def write_run(root: Path, records: list[dict], config: dict, info: dict | None = None) -> Path:
    data = root / "data"
    data.mkdir(exist_ok=True)
    (data / "sft.json").write_text(json.dumps(records, indent=1), encoding="utf-8")
    (data / "kto.json").write_text(json.dumps([{**records[0], "label": "true"}, {**records[1], "label": "false"}]),
                                   encoding="utf-8")
    registry = info or {"sft_data": {"file_name": "sft.json"},
                        "kto_data": {"file_name": "kto.json", "columns": {"prompt": "instruction", "query": "input",
                                                                          "response": "output", "kto_tag": "label"}}}
    (data / "dataset_info.json").write_text(json.dumps(registry, indent=2), encoding="utf-8")
    path = root / "run.yaml"
    path.write_text("".join(f"{key}: {value}\n" for key, value in config.items()), encoding="utf-8")
    return path


def vgptlint(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vgptlint", *args], cwd=root, capture_output=True, text=True)


def lines_of(output: str, rule: str) -> list[str]:
    return [line for line in output.splitlines() if f" {rule} " in line]


BASE = {"stage": "sft", "dataset": "sft_data", "template": "qwen", "cutoff_len": 4096}


def blocked(count: int = 30) -> list[dict]:
    """Ten records of each category, one block after the other (review §7)."""
    return [record(CATEGORIES[i * len(CATEGORIES) // count], i) for i in range(count)]


def test_max_samples_below_a_blocked_file_names_the_categories_never_trained(tmp_path):
    config = write_run(tmp_path, blocked(), {**BASE, "max_samples": 12})
    out = vgptlint(tmp_path, "check", "--train-config", config.name, "--select", "lf-*")
    found = lines_of(out.stdout, "lf-run-max-samples")
    assert found == [
        'run.yaml:5:14: warning lf-run-max-samples max_samples 12 keeps the first 12 of the 30 records of "sft_data" '
        "(18 never trained: LLaMA-Factory takes them in file order, before any shuffle); never trained at all: "
        "category negative (10); shuffle the file, or set \"num_samples\" in dataset_info.json to sample at random"]


def test_the_same_file_shuffled_loses_no_category(tmp_path):
    records = blocked()
    random.Random(3).shuffle(records)
    config = write_run(tmp_path, records, {**BASE, "max_samples": 12})
    out = vgptlint(tmp_path, "check", "--train-config", config.name, "--select", "lf-*")
    found = lines_of(out.stdout, "lf-run-max-samples")
    assert len(found) == 1 and found[0].startswith("run.yaml:5:14: info lf-run-max-samples")
    assert "never trained at all" not in found[0]


def test_answer_past_the_budget_is_reported_with_infer_seqlen_counts(tmp_path):
    from tokenizers import Tokenizer

    tokenizer_path = train_tokenizer(tmp_path)
    records = [record("sql", 0, answer_words=40), record("sql", 1)]
    config = write_run(tmp_path, records, {**BASE, "cutoff_len": 64})
    out = vgptlint(tmp_path, "check", "--train-config", config.name, "--tokenizer", str(tokenizer_path),
                   "--select", "lf-*")
    # What LLaMA-Factory's SupervisedDatasetProcessor counts: template._encode on the qwen template
    tok = Tokenizer.from_file(str(tokenizer_path))

    def count(text: str) -> int:
        return len(tok.encode(text, add_special_tokens=False).ids)

    qwen = TEMPLATES["qwen"]
    prompt = (count(qwen.system.replace("{content}", qwen.default_system))
              + count(qwen.user.replace("{content}", records[0]["instruction"])))
    answer = count(qwen.assistant.replace("{content}", records[0]["output"]))
    kept_prompt, kept_answer = lf_infer_seqlen(prompt, answer, 64)
    assert kept_answer < answer  # the fixture does cut the answer
    record_lines = [line for line in lines_of(out.stdout, "lf-run-truncated") if line.startswith("data/sft.json")]
    assert record_lines == [
        f"data/sft.json:2:2: warning lf-run-truncated cutoff_len 64 cuts this record's answer: prompt {prompt:,} + "
        f"answer {answer:,} tokens; training keeps {kept_prompt:,} + {kept_answer:,} (tokens, qwen template)"]
    assert lines_of(out.stdout, "lf-run-tokens")[0].endswith(f"tokens counted with {tokenizer_path}")


@pytest.mark.parametrize("source,target,cutoff", [(10, 10, 64), (100, 10, 64), (10, 100, 64), (100, 100, 64),
                                                 (0, 0, 1), (31, 33, 64), (3000, 2500, 4096), (5, 70, 0)])
def test_infer_seqlen_matches_llamafactory(source, target, cutoff):
    assert infer_seqlen(source, target, cutoff) == lf_infer_seqlen(source, target, cutoff)


def test_unregistered_dataset_is_located_in_the_config(tmp_path):
    config = write_run(tmp_path, blocked(6), {**BASE, "dataset": "sft_data, nope_data"})
    out = vgptlint(tmp_path, "check", "--train-config", config.name, "--select", "lf-*")
    assert out.returncode == 1
    assert lines_of(out.stdout, "lf-run-dataset") == [
        'run.yaml:2:20: error lf-run-dataset dataset "nope_data" is not registered in data/dataset_info.json; '
        'LLaMA-Factory stops: "Undefined dataset nope_data in dataset_info.json"']


def test_string_kto_labels_under_kto_drop_everything_and_stop(tmp_path):
    config = write_run(tmp_path, blocked(6), {**BASE, "stage": "kto", "dataset": "kto_data"})
    out = vgptlint(tmp_path, "check", "--train-config", config.name, "--select", "lf-*")
    assert [line.split(" lf-")[0] for line in lines_of(out.stdout, "lf-run-stage")] == ["run.yaml:2:10: error"]
    assert "2 of the 2 records" in lines_of(out.stdout, "lf-run-stage")[0]
    assert 'Cannot find valid samples' in lines_of(out.stdout, "lf-run-no-valid-samples")[0]


def test_a_ranking_dataset_under_sft_stops(tmp_path):
    info = {"sft_data": {"file_name": "sft.json", "ranking": True,
                         "columns": {"prompt": "instruction", "chosen": "output", "rejected": "output"}}}
    config = write_run(tmp_path, blocked(6), BASE, info)
    out = vgptlint(tmp_path, "check", "--train-config", config.name, "--select", "lf-*")
    assert "The dataset is not applicable in the current training stage" in lines_of(out.stdout, "lf-run-stage")[0]


def test_val_size_says_what_it_takes(tmp_path):
    config = write_run(tmp_path, blocked(30), {**BASE, "val_size": 0.1})
    out = vgptlint(tmp_path, "check", "--train-config", config.name, "--select", "lf-*")
    assert lines_of(out.stdout, "lf-run-validation-split") == [
        "run.yaml:5:11: info lf-run-validation-split val_size 0.1 takes 3 of the 30 records read, at random (seed 42), "
        "for evaluation: they are never trained"]


@pytest.mark.parametrize("text,expected", [
    ("stage: sft\ndataset: [unclosed\n", "run.yaml:3:1: error[invalid-yaml]"),
    ("stage: sft\ncutoff_len: long\n", "run.yaml:2:13: error[lf-train-config-invalid]: \"cutoff_len\" must be an integer"),
    ("stage: sfft\n", "run.yaml:1:8: error[lf-train-config-invalid]: \"stage\" must be one of"),
    ("- a list\n", "run.yaml:1:1: error[lf-train-config-invalid]"),
])
def test_a_bad_config_is_a_located_error_and_exit_2(tmp_path, text, expected):
    (tmp_path / "run.yaml").write_text(text, encoding="utf-8")
    out = vgptlint(tmp_path, "check", "--train-config", "run.yaml")
    assert out.returncode == 2
    assert out.stderr.startswith(expected), out.stderr
    assert "Traceback" not in out.stderr and "in the training config; nothing was checked" in out.stderr


def test_without_a_tokenizer_counts_are_a_labelled_estimate(tmp_path):
    config = write_run(tmp_path, blocked(3), {**BASE, "model_name_or_path": "Org/Model"})
    out = subprocess.run([sys.executable, "-m", "vgptlint", "check", "--train-config", config.name, "--select", "lf-*"],
                         cwd=tmp_path, capture_output=True, text=True, env={"HF_HOME": str(tmp_path / "hf"),
                                                                             "PATH": "/usr/bin:/bin"})
    assert lines_of(out.stdout, "lf-run-tokens") == [
        'run.yaml:5:21: info lf-run-tokens token counts are an ESTIMATE (~4 characters a token): the local Hugging Face '
        'cache has no tokenizer for "Org/Model"; pass --tokenizer PATH (a tokenizer.json or the model\'s folder) for '
        "exact counts"]


def test_the_tokenizer_is_found_in_the_hugging_face_cache(tmp_path):
    snapshot = tmp_path / "hf" / "hub" / "models--Org--Model" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    train_tokenizer(snapshot)
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("abc123", encoding="utf-8")
    config = write_run(tmp_path, blocked(3), {**BASE, "model_name_or_path": "Org/Model"})
    out = subprocess.run([sys.executable, "-m", "vgptlint", "check", "--train-config", config.name, "--select", "lf-*"],
                         cwd=tmp_path, capture_output=True, text=True, env={"HF_HOME": str(tmp_path / "hf"),
                                                                             "PATH": "/usr/bin:/bin"})
    assert lines_of(out.stdout, "lf-run-tokens")[0].endswith(f"tokens counted with {snapshot / 'tokenizer.json'}")


@pytest.mark.parametrize("fmt", ["table", "markdown", "json", "html"])
def test_stats_shows_what_the_run_trains_on_in_every_format(tmp_path, fmt):
    config = write_run(tmp_path, blocked(30), {**BASE, "max_samples": 12, "val_size": 0.25})
    out = vgptlint(tmp_path, "stats", "--train-config", config.name, "--format", fmt)
    assert out.returncode == 0, out.stderr
    if fmt == "json":
        run = json.loads(out.stdout)["run"]
        assert run["datasets"] == [{"dataset": "sft_data", "split": "train", "file": "data/sft.json", "records": 30,
                                    "after_max_samples": 12, "dropped": 0, "kept": 12, "truncated": 0,
                                    "answer_truncated": 0, "validation": 3}]
        return
    assert "What this run trains on (run.yaml: stage sft, cutoff_len 4,096, max_samples 12, val_size 0.25)" in out.stdout
    cells = ["sft_data", "train", "30", "12", "0", "12", "0", "0", "3"]
    if fmt == "html":
        assert "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>" in out.stdout
    else:
        row = next(line for line in out.stdout.splitlines() if line.strip("| ").startswith("sft_data"))
        assert row.replace("|", " ").split() == cells


def test_policy_train_config_key(tmp_path):
    config = write_run(tmp_path, blocked(6), {**BASE, "dataset": "nope"})
    (tmp_path / "team.yaml").write_text(f"extends: [pretrain]\ntrain_config: {config.name}\n", encoding="utf-8")
    out = vgptlint(tmp_path, "check", "--policy", "team.yaml", "--select", "lf-*")
    assert lines_of(out.stdout, "lf-run-dataset")[0].startswith("run.yaml:2:10: error lf-run-dataset")


def test_packing_truncates_and_drops_nothing(tmp_path):
    tokenizer_path = train_tokenizer(tmp_path)
    config = write_run(tmp_path, [record("sql", 0, answer_words=40), record("sql", 1)],
                       {**BASE, "cutoff_len": 64, "packing": "true"})
    out = vgptlint(tmp_path, "stats", "--train-config", config.name, "--tokenizer", str(tokenizer_path), "-f", "json")
    row = json.loads(out.stdout)["run"]["datasets"][0]
    assert (row["kept"], row["dropped"], row["truncated"]) == (2, 0, 1)
    assert json.loads(out.stdout)["run"]["cutoff_len"] == 63  # data_args.py L182-183


def test_select_and_ignore_reach_the_run_rules(tmp_path):
    config = write_run(tmp_path, blocked(30), {**BASE, "max_samples": 12, "val_size": 0.1})
    ignored = vgptlint(tmp_path, "check", "--train-config", config.name, "--select", "lf-*",
                       "--ignore", "lf-run-max-samples")
    assert ignored.returncode == 0, ignored.stderr
    assert lines_of(ignored.stdout, "lf-run-max-samples") == [] and lines_of(ignored.stdout, "lf-run-validation-split")
    only = vgptlint(tmp_path, "check", "--train-config", config.name, "--select", "lf-run-validation-split")
    assert [line.split(" ")[2] for line in only.stdout.splitlines() if line.startswith(("run.yaml", "data/"))] == [
        "lf-run-validation-split"]


def test_boolean_kto_records_under_sft_are_the_wrong_kind(tmp_path):
    config = write_run(tmp_path, blocked(6), {**BASE, "dataset": "kto_data"})
    kto = [{**record("sql", 0), "label": True}, {**record("sql", 1), "label": "false"}]
    (tmp_path / "data" / "kto.json").write_text(json.dumps(kto), encoding="utf-8")
    out = vgptlint(tmp_path, "check", "--train-config", config.name, "--select", "lf-run-*")
    assert lines_of(out.stdout, "lf-run-stage") == [
        'run.yaml:2:10: warning lf-run-stage stage sft: 1 of the 2 records of "kto_data" read are dropped (a KTO '
        "example (JSON boolean label), not an SFT one, which stage sft does not train)"]


def test_datasets_without_a_record_are_no_valid_samples_at_the_first_name(tmp_path):
    """Found by the hostile fuzz: every named dataset empty was an internal error (no record to point at)."""
    config = write_run(tmp_path, blocked(3), {"stage": "sft", "dataset": "sft_data"})
    (tmp_path / "data" / "sft.json").write_text("[]", encoding="utf-8")
    out = vgptlint(tmp_path, "check", "--train-config", config.name, "--select", "lf-run-*")
    assert out.returncode == 1, out.stderr
    assert [line for line in out.stdout.splitlines() if line.startswith("run.yaml")] == [
        "run.yaml:1:1: info lf-run-tokens the default template (none is named) is not one vgptlint models (qwen, llama3): "
        "cutoff_len is not checked",
        'run.yaml:2:10: error lf-run-no-valid-samples stage sft: no valid record left: LLaMA-Factory stops with "Cannot '
        'find valid samples, check `data/README.md` for the data format."']
