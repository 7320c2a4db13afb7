"""dataset_info.json loading: positions, LLaMA-Factory's defaults, columns/tags semantics, problems."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from vgptlint.llamafactory.dataset_info import load_dataset_info, spec_for_file, spec_from_entry, specs_for_file
from vgptlint.llamafactory.jsonpos import locate
from vgptlint.llamafactory.spec import DEFAULT_COLUMNS, DEFAULT_TAGS, default_spec

INFO = """{
  "sft": {"file_name": "sft.json"},
  "chat": {
    "file_name": "chat.jsonl",
    "formatting": "sharegpt",
    "columns": {"messages": "messages", "images": "images"},
    "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"}
  },
  "pairs": {"file_name": "pairs", "ranking": true, "columns": {"prompt": "instruction", "chosen": "chosen", "rejected": "rejected"}},
  "kto": {"file_name": "sft.json", "columns": {"prompt": "instruction", "response": "output", "kto_tag": "label"}},
  "hub": {"hf_hub_url": "org/data", "formatting": "sharegpt"}
}
"""


def write_info(tmp_path: Path, text: str = INFO) -> Path:
    (tmp_path / "sft.json").write_text("[]")
    (tmp_path / "chat.jsonl").write_text("")
    (tmp_path / "pairs").mkdir()
    (tmp_path / "pairs" / "b.json").write_text("[]")
    (tmp_path / "pairs" / "a.json").write_text("[]")
    path = tmp_path / "dataset_info.json"
    path.write_text(text)
    return path


def test_local_entries_become_specs_with_positions(tmp_path):
    info = load_dataset_info(write_info(tmp_path), display="dataset_info.json")
    assert info.problems == ()
    assert [s.name for s in info.specs] == ["sft", "chat", "pairs", "kto"]
    assert info.skipped == ("hub",)
    assert [(s.line, s.column) for s in info.specs] == [(2, 3), (3, 3), (9, 3), (10, 3)]
    assert [s.kind for s in info.specs] == ["sft", "sft", "dpo", "kto"]


def test_defaults_hold_without_columns(tmp_path):
    sft = load_dataset_info(write_info(tmp_path)).spec("sft")
    assert dict(sft.columns) == DEFAULT_COLUMNS
    assert dict(sft.tags) == DEFAULT_TAGS
    assert sft.formatting == "alpaca" and sft.ranking is False and sft.explicit_columns == frozenset()


def test_columns_present_unsets_every_column_it_omits(tmp_path):
    pairs = load_dataset_info(write_info(tmp_path)).spec("pairs")
    assert pairs.columns.mapped() == {"prompt": "instruction", "chosen": "chosen", "rejected": "rejected"}
    assert pairs.columns["query"] is None and pairs.columns["response"] is None and pairs.columns["messages"] is None


def test_tags_present_unsets_every_tag_it_omits(tmp_path):
    chat = load_dataset_info(write_info(tmp_path)).spec("chat")
    assert chat.tags["user_tag"] == "user"
    assert chat.tags["system_tag"] is None and chat.tags["observation_tag"] is None
    assert chat.columns["images"] == "images"


def test_folder_file_name_means_its_files(tmp_path):
    info = load_dataset_info(write_info(tmp_path))
    assert [p.name for p in info.spec("pairs").paths] == ["a.json", "b.json"]
    assert spec_for_file(info, tmp_path / "pairs" / "b.json").name == "pairs"
    assert [s.name for s in specs_for_file(info, tmp_path / "sft.json")] == ["sft", "kto"]
    assert spec_for_file(info, tmp_path / "other.json") is None


def test_problems_are_located(tmp_path):
    text = """{
  "a": {"file_name": "missing.json", "colums": {}},
  "b": {
    "file_name": "sft.json",
    "formatting": "sharegtp",
    "ranking": "true",
    "columns": {"prompt": "q", "respones": "a", "query": 3},
    "tags": {"role": "from"}
  },
  "c": {"split": "train"},
  "d": ["not", "an", "object"],
  "e": {"file_name": "sft.json", "formatting": "sharegpt", "columns": {"system": "sys"}}
}
"""
    info = load_dataset_info(write_info(tmp_path, text), display="dataset_info.json")
    rendered = [f"{p.line}:{p.column} {p.message}" for p in info.problems]
    assert rendered == [
        '2:22 dataset "a": file_name "missing.json" does not exist next to dataset_info.json; '
        'a run that uses this dataset stops with "File missing.json not found"',
        '2:38 dataset "a": unknown key "colums"; LLaMA-Factory ignores it',
        '5:19 dataset "b": formatting "sharegtp" has no converter; LLaMA-Factory stops with "Dataset converter '
        'sharegtp not found"; expected one of alpaca, sharegpt, openai',
        '6:16 dataset "b": "ranking" must be a JSON boolean; got "true"',
        '7:32 dataset "b": unknown columns key "respones"; LLaMA-Factory ignores it; known: prompt, query, response, '
        'history, messages, system, tools, images, videos, audios, chosen, rejected, kto_tag',
        '7:58 dataset "b": columns.query must be a string; got 3',
        '8:14 dataset "b": unknown tags key "role"; LLaMA-Factory ignores it; known: role_tag, content_tag, user_tag, '
        'assistant_tag, observation_tag, function_tag, system_tag',
        '10:3 dataset "c" has no source; LLaMA-Factory stops with KeyError "file_name"',
        '11:8 dataset "d": the entry must be an object; got a list',
        '12:60 dataset "e": columns has no "messages"; LLaMA-Factory looks up example[None] for it and stops with KeyError',
    ]
    assert info.problems[1].render() == (
        'dataset_info.json:2:38: error[lf-dataset-info-invalid]: dataset "a": unknown key "colums"; '
        'LLaMA-Factory ignores it\n    hint: did you mean "columns"?')


def test_bad_files_never_raise(tmp_path):
    broken = tmp_path / "dataset_info.json"
    broken.write_text('{\n  "a": {"file_name": "x.json",}\n}')
    (problem,) = load_dataset_info(broken, display="d.json").problems
    # Python 3.13's json points at the trailing comma itself ("Illegal trailing comma"); 3.10-3.12 after it.
    expected_column = 30 if sys.version_info >= (3, 13) else 31
    assert (problem.line, problem.column) == (2, expected_column) and problem.message.startswith("not valid JSON: ")
    (problem,) = load_dataset_info(tmp_path / "absent.json", display="absent.json").problems
    assert problem.message.startswith("cannot read dataset_info")
    broken.write_bytes(b"\xef\xbb\xbf{}")
    (problem,) = load_dataset_info(broken).problems
    assert "byte order mark" in problem.message
    broken.write_text("[]")
    assert load_dataset_info(broken).problems[0].message.startswith("dataset_info must be a JSON object")


def test_folder_with_mixed_file_types(tmp_path):
    path = write_info(tmp_path, '{"mix": {"file_name": "pairs"}}')
    (tmp_path / "pairs" / "c.csv").write_text("a\n")
    (problem,) = load_dataset_info(path).problems
    assert 'mix file types; LLaMA-Factory stops with "File types should be identical"' in problem.message


def test_locate_handles_nesting_escapes_and_duplicates():
    positions = locate('{"a\\"b": [1, {"c": true}],\n\t"a\\"b": null}')
    assert positions.keys[('a"b',)] == (2, 2)  # the last duplicate wins, as in json
    assert positions.values[('a"b', 1, "c")] == (1, 20)
    assert positions.value(("nowhere", "deep")) == (1, 1)


def test_inline_entry_keeps_its_problems():
    spec = spec_from_entry("example", {"formatting": "sharegpt", "ranking": True, "columns": {"messages": "m"}})
    assert spec.kind == "dpo"
    assert spec.entry_problems == (
        'dataset "example": columns has no "chosen"; LLaMA-Factory looks up example[None] for it and stops with '
        'KeyError (add "chosen": "<field name>" to "columns")',
        'dataset "example": columns has no "rejected"; LLaMA-Factory looks up example[None] for it and stops with '
        'KeyError (add "rejected": "<field name>" to "columns")',
    )
    assert spec_from_entry("example", {}).entry_problems == ()


def test_default_spec_follows_the_record_shape():
    sharegpt = default_spec("dpo", {"conversations": [{"from": "human", "value": "q"}]})
    assert (sharegpt.formatting, sharegpt.kind, sharegpt.tags["user_tag"], sharegpt.is_inferred) == \
        ("sharegpt", "dpo", "human", True)
    openai_style = default_spec("kto", {"messages": [{"role": "user", "content": "q"}], "kto_tag": True})
    assert (openai_style.tags["role_tag"], openai_style.columns["kto_tag"]) == ("role", "kto_tag")
    assert default_spec("sft", {"instruction": "q"}).formatting == "alpaca"


def test_the_kind_prefers_kto_over_ranking():
    assert spec_from_entry("x", {"ranking": True, "columns": {"kto_tag": "label", "chosen": "c",
                                                              "rejected": "r"}}).kind == "kto"
    assert spec_from_entry("x", {"columns": {"prompt": "text"}}).is_pretraining
    json.dumps(dict(spec_from_entry("x", {}).columns))  # plain, serialisable values


def test_file_name_outside_the_registry_folder_is_reported_and_not_read(tmp_path):
    registry = tmp_path / "data"
    registry.mkdir()
    (tmp_path / "secret.json").write_text("[]")
    (registry / "link.json").symlink_to(tmp_path / "secret.json")
    (registry / "dataset_info.json").write_text(
        '{"up": {"file_name": "../../etc/passwd"},\n'
        ' "abs": {"file_name": "/etc/passwd"},\n'
        ' "link": {"file_name": "link.json"}}\n')
    info = load_dataset_info(registry / "dataset_info.json", display="dataset_info.json")
    assert [(p.line, p.column, p.message) for p in info.problems] == [
        (1, 22, 'dataset "up": file_name "../../etc/passwd" points outside the folder of dataset_info.json; it was not read'),
        (2, 23, 'dataset "abs": file_name "/etc/passwd" points outside the folder of dataset_info.json; it was not read'),
        (3, 24, 'dataset "link": file_name "link.json" points outside the folder of dataset_info.json; it was not read'),
    ]
    assert all(spec.paths == () for spec in info.specs)
