"""The content-addressed parse cache: same answer warm or cold, and never an error of its own."""
from __future__ import annotations

import os
import pickle

import pytest

from vgptlint import cache
from vgptlint.errors import PolicyError
from vgptlint.policy.yamlio import key_position, load_yaml

POLICY = "rules:\n  short:\n    severity: warning\n    given: $.output\n"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("VGPTLINT_CACHE_DIR", str(folder))
    monkeypatch.delenv("VGPTLINT_NO_CACHE", raising=False)
    return folder


def entries(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_warm_load_equals_a_cold_one_positions_included(tmp_path, cache_dir):
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    cold = load_yaml(policy, "p.yaml")
    assert len(entries(cache_dir)) == 1
    warm = load_yaml(policy, "p.yaml")
    assert warm == cold and warm is not cold
    assert key_position(warm["rules"]["short"], "given") == (4, 5) == key_position(cold["rules"]["short"], "given")


def test_an_edited_file_misses(tmp_path, cache_dir):
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    load_yaml(policy, "p.yaml")
    policy.write_text(POLICY.replace("warning", "error"))
    assert load_yaml(policy, "p.yaml")["rules"]["short"]["severity"] == "error"
    assert len(entries(cache_dir)) == 2


def test_invalid_yaml_is_reported_and_never_cached(tmp_path, cache_dir):
    policy = tmp_path / "p.yaml"
    policy.write_text("rules: [\n")
    for _ in range(2):
        with pytest.raises(PolicyError) as error:
            load_yaml(policy, "p.yaml")
        assert error.value.problems[0].code == "invalid-yaml"
    assert entries(cache_dir) == []


def test_a_corrupt_entry_is_rebuilt(tmp_path, cache_dir):
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    load_yaml(policy, "p.yaml")
    (entry,) = cache_dir.iterdir()
    entry.write_bytes(b"\x80\x05 truncated")
    assert load_yaml(policy, "p.yaml")["rules"]["short"]["given"] == "$.output"
    assert pickle.loads(entry.read_bytes())["rules"]["short"]["given"] == "$.output"


def test_an_unwritable_cache_dir_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("VGPTLINT_CACHE_DIR", str(blocker / "cache"))
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    assert load_yaml(policy, "p.yaml")["rules"]["short"]["severity"] == "warning"


def test_no_cache_turns_it_off(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setenv("VGPTLINT_NO_CACHE", "1")
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    load_yaml(policy, "p.yaml")
    assert entries(cache_dir) == []


def test_old_entries_are_pruned(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    for number in range(5):
        cache.cached("test", str(number).encode(), lambda: number)
        os.utime(cache_dir / cache.entry_key("test", str(number).encode()), (number, number))
    assert len(entries(cache_dir)) == 3
    assert cache.cached("test", b"4", lambda: "rebuilt") == 4
