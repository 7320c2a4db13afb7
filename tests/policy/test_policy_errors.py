"""Bad policies: each case file states, in `# expect:` lines, the exact errors it must produce (exit 2)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vgptlint.commands.cli import main

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))
ROOT = Path(__file__).resolve().parents[2]


def expected_lines(case: Path) -> list[str]:
    return [line[len("# expect: "):] for line in case.read_text().splitlines() if line.startswith("# expect: ")]


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_policy_is_reported_with_location(case, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    data = tmp_path / "sft.json"
    data.write_text(json.dumps([{"instruction": "q", "input": "", "output": "a" * 60}]))
    result = CliRunner().invoke(main, ["check", "--policy", str(case.relative_to(ROOT)), str(data)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    expected = expected_lines(case)
    assert len(lines[:-1]) == len(expected)
    for line, wanted in zip(lines, expected):
        # a trailing "…" marks a list that grows as functions are added (unknown-function's "known: ...")
        assert line.startswith(wanted[:-1]) if wanted.endswith("…") else line == wanted
    assert lines[-1].startswith("vgptlint: ") and "nothing was checked" in lines[-1]
    assert "Traceback" not in result.output


def test_missing_policy_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(main, ["check", "--policy", "no-such-policy", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(
        'no-such-policy:1:1: error[policy-not-found]: policy "no-such-policy" is neither a file nor a shipped policy; shipped: ')
