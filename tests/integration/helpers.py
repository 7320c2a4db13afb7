"""Shared fixtures for the integration tests: a tiny dataset and policy in a temporary working directory."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vgptlint.commands.cli import main

LONG = "APCo is the AP company column; every AP table is keyed by it, so filter on it first."

# Only shipped sft rules, so these tests do not move when other packs grow.
POLICY = """\
extends: [sft]
fail-on: warning
"""


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def record(output: str, instruction: str = "q", input_text: str = "ctx", **extra) -> dict:
    return {"instruction": instruction, "input": input_text, "output": output, **extra}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    return tmp_path


def run_cli(*args: str):
    """``vgptlint ARGS`` in-process; returns click's Result (exit_code, stdout, stderr)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)
