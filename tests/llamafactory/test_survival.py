"""Survival counts on a dataset_info plus files written here: sharegpt, openai-style tags, alpaca, ranking, KTO."""
from __future__ import annotations

import json
from pathlib import Path

from vgptlint.llamafactory.dataset_info import load_dataset_info
from vgptlint.llamafactory.survival import Survival, classify, survival

OPENAI_TAGS = {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant",
               "system_tag": "system"}
INFO = {
    "alpaca": {"file_name": "alpaca.json"},
    "chat": {"file_name": "chat.json", "formatting": "sharegpt"},
    "openai_style": {"file_name": "openai.jsonl", "formatting": "sharegpt", "columns": {"messages": "messages"},
                     "tags": OPENAI_TAGS},
    "pairs": {"file_name": "pairs.json", "ranking": True, "formatting": "sharegpt",
              "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"}},
    "alpaca_pairs": {"file_name": "alpaca_pairs.json", "ranking": True,
                     "columns": {"prompt": "instruction", "query": "input", "chosen": "chosen",
                                 "rejected": "rejected", "response": "output"}},
    "kto": {"file_name": "kto.json", "formatting": "sharegpt", "columns": {"messages": "messages", "kto_tag": "label"},
            "tags": OPENAI_TAGS},
    "kto_strings": {"file_name": "kto_strings.json", "columns": {"prompt": "instruction", "response": "output",
                                                                  "kto_tag": "label"}},
    "text": {"file_name": "text.jsonl", "columns": {"prompt": "text"}},
}


def msg(tag: str, role: str, text: str = "t") -> dict:
    return {"role": role, "content": text} if tag == "role" else {"from": role, "value": text}


FILES = {
    "alpaca.json": [
        {"instruction": "q", "input": "", "output": "a"},
        {"instruction": "q", "input": "", "output": ["a"]},              # not a string: unsupervised
        {"instruction": "q", "input": ""},                               # no output: null
    ],
    "chat.json": [
        {"conversations": [msg("from", "human"), msg("from", "gpt")]},
        {"conversations": [msg("from", "system"), msg("from", "human"), msg("from", "gpt")]},
        {"conversations": [msg("from", "human"), msg("from", "gpt"), msg("from", "human")]},   # odd count
        {"conversations": [msg("from", "gpt"), msg("from", "human")]},                        # order
        {"conversations": [{"role": "user", "content": "q"}]},                               # no "from": fatal
    ],
    "openai.jsonl": [
        {"messages": [msg("role", "system"), msg("role", "user"), msg("role", "assistant")]},
        {"messages": [msg("role", "user"), msg("role", "tool"), msg("role", "assistant")]},   # unknown tag
    ],
    "pairs.json": [
        {"conversations": [msg("from", "human")], "chosen": msg("from", "gpt"), "rejected": msg("from", "gpt")},
        {"conversations": [msg("from", "human")], "chosen": "a", "rejected": msg("from", "gpt")},
        {"conversations": [msg("from", "human")], "chosen": msg("from", "human"), "rejected": msg("from", "gpt")},
        {"conversations": [msg("from", "human"), msg("from", "gpt")], "chosen": msg("from", "gpt"),
         "rejected": msg("from", "gpt")},
    ],
    "alpaca_pairs.json": [
        {"instruction": "q", "input": "", "chosen": "a", "rejected": "b"},
        {"instruction": "q", "input": "", "chosen": ["a"], "rejected": "b", "output": "a"},   # read as SFT
        {"instruction": "q", "input": "", "chosen": ["a"], "rejected": "b"},
    ],
    "kto.json": [
        {"messages": [msg("role", "user"), msg("role", "assistant")], "label": True},
        {"messages": [msg("role", "user"), msg("role", "assistant")], "label": False},
        {"messages": [msg("role", "user"), msg("role", "assistant")], "label": "true"},
    ],
    "kto_strings.json": [{"instruction": "q", "output": "a", "label": word} for word in ("true", "false")],
    "text.jsonl": [{"text": "plain text"}, {"text": ""}],
}


def load(tmp_path: Path):
    for name, records in FILES.items():
        text = "\n".join(json.dumps(r) for r in records) if name.endswith(".jsonl") else json.dumps(records)
        (tmp_path / name).write_text(text)
    (tmp_path / "dataset_info.json").write_text(json.dumps(INFO, indent=2))
    return load_dataset_info(tmp_path / "dataset_info.json")


def counts(tmp_path: Path) -> dict[str, tuple]:
    info = load(tmp_path)
    assert info.problems == ()
    out = {}
    for spec in info.specs:
        (path,) = spec.paths
        result = survival(FILES[path.name], spec)
        out[spec.name] = (result.stage, result.train_count, result.skip_count, result.fatal_count)
    return out


def test_survival_counts_per_dataset(tmp_path):
    assert counts(tmp_path) == {
        "alpaca": ("sft", 1, 2, 0),
        "chat": ("sft", 2, 2, 1),
        "openai_style": ("sft", 1, 1, 0),
        "pairs": ("rm", 1, 3, 0),
        "alpaca_pairs": ("rm", 1, 2, 0),   # the pair read as SFT has one response: the pairwise processor drops it
        "kto": ("kto", 2, 1, 0),
        "kto_strings": ("kto", 0, 2, 0),   # string labels: feedback.py drops both, and the run stops
        "text": ("pt", 2, 0, 0),
    }


def test_reasons_and_no_valid_samples(tmp_path):
    info = load(tmp_path)
    strings = survival(FILES["kto_strings.json"], info.spec("kto_strings"))
    assert strings.has_no_valid_samples
    assert strings.reasons == (("label is not a JSON boolean: one response, the KTO processor drops it", 2),)
    chat = survival(FILES["chat.json"], info.spec("chat"))
    assert dict(chat.reasons) == {"message-count": 1, "sharegpt-roles": 2}
    assert classify("not an object", info.spec("chat")).outcome == "fatal"


def test_merge_is_the_sum_of_shards(tmp_path):
    spec = load(tmp_path).spec("chat")
    records = FILES["chat.json"]
    whole = survival(records, spec)
    parts = [survival(records[:2], spec), survival(records[2:4], spec), survival(records[4:], spec)]
    merged = parts[0].merge(parts[1]).merge(parts[2])
    assert merged == whole
    assert Survival("chat", "sft").merge(whole) == whole
