"""discover() expands arguments into dataset files; names that match nothing are problems."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from vgptlint.inputs import discover


@pytest.fixture()
def tree(tmp_path, monkeypatch):
    for name in ["b.json", "a.jsonl", "notes.txt", "dataset_info.json", "sub/c.json", ".hidden/d.json", "sub/.e.json"]:
        path = tmp_path / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("[]")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_directory_is_walked_sorted_skipping_hidden_and_dataset_info(tree):
    found = discover(["data"])
    expected = [("data", "a.jsonl"), ("data", "b.json"), ("data", "sub", "c.json")]
    assert found.paths == tuple(os.path.join(*parts) for parts in expected)
    assert found.problems == ()


def test_trailing_slash_keeps_the_users_spelling(tree):
    assert discover(["data/"]).paths[0] == "data/a.jsonl"


def test_explicit_files_are_always_read(tree):
    assert discover(["data/notes.txt", "data/dataset_info.json"]).paths == ("data/notes.txt", "data/dataset_info.json")


def test_globs_and_dedup_in_argument_order(tree):
    found = discover(["data/b.json", "data/**/*.json", "-"])
    assert found.paths == ("data/b.json", "data/sub/c.json", "-")


def test_custom_predicate(tree):
    found = discover(["data"], include=lambda path: path.suffix == ".txt")
    assert found.paths == ("data/notes.txt",)


def test_missing_paths_and_empty_globs_are_problems(tree):
    found = discover(["nope.json", "data/*.parquet", "data/b.json"])
    assert found.paths == ("data/b.json",)
    assert [(p.source, p.code, p.message) for p in found.problems] == [
        ("nope.json", "missing", "no such file or directory"),
        ("data/*.parquet", "no-match", "matches no dataset file"),
    ]


def test_directory_without_datasets_is_a_problem(tree):
    Path("empty").mkdir()
    [problem] = discover(["empty"]).problems
    assert problem.code == "no-match"
