"""A dataset rule's options that cannot work are a located policy error (exit 2), never a crash at run time."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from vgptlint.commands.cli import main


@pytest.mark.parametrize("rule, function, options, message", [
    ("near-duplicate-records", "near_duplicates", "{fields: []}", 'option "fields" needs at least one field name'),
    ("duplicate-records", "duplicates", "{fields: []}", 'option "fields" needs at least one field name'),
    ("near-duplicate-records", "near_duplicates", "{threshold: 2}",
     'option "threshold" is a similarity between 0 and 1; got 2'),
])
def test_unworkable_options_are_refused_where_they_are_written(tmp_path, monkeypatch, rule, function, options, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.yaml").write_text(f"extends: [pretrain]\nrules:\n  {rule}:\n    options: {options}\n")
    (tmp_path / "sft.jsonl").write_text('{"instruction": "q", "input": "", "output": "a"}\n' * 2)
    result = CliRunner().invoke(main, ["check", "--policy", "policy.yaml", "--no-cache", "sft.jsonl"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f'policy.yaml:4:14: error[invalid-option]: rule "{rule}": function "{function}": {message}')
