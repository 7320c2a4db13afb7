"""YAML limits: aliases may not expand a small file into an endless one, nor nest past the walkers."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from ruamel.yaml.comments import CommentedSeq

from vgptlint.commands.cli import main
from vgptlint.errors import PolicyError
from vgptlint.policy.yamlio import MAX_ALIAS_EXPANSION, bounded, load_yaml


def laughs(levels: int, indent: str = "") -> str:
    """``levels`` lines, each a list of nine aliases of the line before."""
    lines = [f'{indent}a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"{indent}a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_a_few_aliases_are_fine():
    assert CliRunner().invoke(main, ["rules", "--policy", "core"]).exit_code == 0
    document = bounded({"a": [1, 2], "b": [3]}, "x.yaml")
    assert document == {"a": [1, 2], "b": [3]}


def test_a_catalog_alias_bomb_is_located(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "catalog.yaml").write_text("tables: {}\nnotes:\n" + laughs(9, "  "))
    (tmp_path / "sft.jsonl").write_text('{"instruction": "q", "input": "", "output": "SELECT 1"}\n')
    result = CliRunner().invoke(main, ["check", "--catalog", "catalog.yaml", "sft.jsonl"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"catalog.yaml:8:7: error[alias-expansion]: aliases here expand to over {MAX_ALIAS_EXPANSION:,} values "
        "(an alias bomb?); write the values out, or alias less")


def test_a_long_string_aliased_many_times_counts_as_its_copies():
    long_text = "x" * 10_000
    bounded([long_text] * 50, "x.yaml")  # 50 copies of 10,000 characters: fine
    with pytest.raises(PolicyError, match="alias-expansion"):
        bounded([[long_text] * 1_000] * 2, "x.yaml")


def test_a_node_that_contains_itself_is_refused():
    """ruamel does not build these from YAML today; the walk must not loop if it ever does."""
    endless = CommentedSeq([1])
    endless.append(endless)
    with pytest.raises(PolicyError) as caught:
        bounded({"a": endless}, "x.yaml")
    assert caught.value.problems[0].code == "alias-cycle"


@pytest.mark.parametrize("depth", [150, 5_000])
def test_deep_nesting_is_a_located_error_not_a_recursion(tmp_path, depth):
    policy = tmp_path / "deep.yaml"
    policy.write_text("description: " + "[" * depth + "]" * depth + "\n")
    result = CliRunner().invoke(main, ["rules", "--policy", str(policy)])
    assert result.exit_code == 2
    assert "error[too-deep]" in result.stderr and "internal error" not in result.stderr


def test_a_bomb_is_refused_every_time_though_documents_are_cached(tmp_path):
    """The bounds are checked before a document is cached, so a refused one is never stored."""
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("description: x\nnotes:\n" + laughs(9, "  "))
    for _ in range(2):
        with pytest.raises(PolicyError) as caught:
            load_yaml(bomb, "bomb.yaml")
        assert caught.value.problems[0].code == "alias-expansion"


def test_a_mapping_used_as_a_key_is_a_policy_error_not_a_crash(tmp_path):
    """YAML allows a complex key ("?"); ruamel's constructor cannot hash one that is a mapping."""
    policy = tmp_path / "keys.yaml"
    policy.write_text("?\n- :\n")
    result = CliRunner().invoke(main, ["rules", "--policy", str(policy)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"{policy}:1:1: error[invalid-yaml]: a key is a mapping; keys of a policy are plain values")


# ruamel's reader checks its comment bookkeeping with asserts; this text (found by fuzzing) fails one.
FAILS_RUAMELS_CHECK = " #|\n|2 #`\n- \t{\\\n\\&a >\xa0\t{\n  "


def test_text_ruamel_fails_on_is_a_policy_error_not_a_crash(tmp_path):
    policy = tmp_path / "odd.yaml"
    policy.write_text(FAILS_RUAMELS_CHECK, encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "--policy", str(policy)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"{policy}:1:1: error[invalid-yaml]: ruamel.yaml could not read it (an internal check of its reader failed)")


@pytest.mark.parametrize("text, reason", [
    ("?\n- :\n", "a key is a mapping; keys of a catalog are plain values"),
    (FAILS_RUAMELS_CHECK, "ruamel.yaml could not read it (an internal check of its reader failed)"),
])
def test_a_catalog_ruamel_cannot_build_is_located_not_a_crash(tmp_path, monkeypatch, text, reason):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "catalog.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "sft.jsonl").write_text('{"instruction": "q", "input": "", "output": "SELECT 1"}\n')
    result = CliRunner().invoke(main, ["check", "--no-cache", "--catalog", "catalog.yaml", "sft.jsonl"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"catalog.yaml:1:1: error[catalog-syntax]: the catalog is not valid YAML or JSON: {reason}")
