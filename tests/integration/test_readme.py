"""README's tour: the files it shows are written out and the commands it shows are run."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.integration.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.S)


def files_shown() -> dict[str, str]:
    """Code blocks that start with ``# file: NAME``."""
    found = {}
    for _, body in BLOCKS:
        first = body.splitlines()[0]
        if first.startswith("# file: "):
            found[first[len("# file: "):].strip()] = body
    return found


def commands_shown() -> set[str]:
    return {line.strip() for _, body in BLOCKS for line in body.splitlines()
            if line.strip().startswith("vgptlint ")}


def yaml_block(containing: str) -> dict:
    body = next(body for lang, body in BLOCKS if lang == "yaml" and containing in body)
    return YAML(typ="safe", pure=True).load(body)


@pytest.fixture
def tour(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for name, body in files_shown().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def shown(command: str) -> list[str]:
    assert command in commands_shown(), f"README no longer shows: {command}"
    return command.split()[1:]


def test_the_tour_shows_these_files():
    assert set(files_shown()) == {"team.yaml", "short.yaml", "sqlrules.yaml", "mypkg/rules.py", "custom.yaml"}


def test_annotated_policy_runs(tour):
    result = run_cli(*shown("vgptlint check --policy team.yaml examples/"))
    assert result.exit_code == 1, result.stderr  # fail-on: warning, and the examples break rules on purpose
    assert "input-empty" not in result.stdout  # turned off
    assert "nolock-coverage" in run_cli("rules", "--policy", "team.yaml").stdout


def test_tuning_a_threshold(tour):
    assert run_cli(*shown("vgptlint explain output-too-short")).exit_code == 0
    result = run_cli(*shown("vgptlint check --policy short.yaml examples/sft.json"))
    assert result.exit_code in (0, 1), result.stderr
    assert "the minimum is 30" in result.stdout
    (tour / "short.yaml").write_text((tour / "short.yaml").read_text().replace("min: 30", "minimum: 30"))
    broken = run_cli("check", "--policy", "short.yaml", "examples/sft.json")
    assert broken.exit_code == 2
    shown_error = next(line for lang, body in BLOCKS for line in body.splitlines() if "error[invalid-option]" in line)
    assert broken.stderr.splitlines()[0] == shown_error


def test_yaml_only_sql_rule(tour):
    result = run_cli(*shown("vgptlint check --policy sqlrules.yaml --select team-top-without-order-by examples/"))
    assert result.exit_code == 0, result.stderr
    assert "warning team-top-without-order-by TOP without ORDER BY returns an arbitrary set of rows" in result.stdout


def test_custom_python_function(tour):
    command = shown("vgptlint check --load-functions --policy custom.yaml --select sql-company-mentioned examples/sft.json")
    vgptlint = [sys.executable, "-m", "vgptlint"]
    completed = subprocess.run([*vgptlint, *command], cwd=tour, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "warning sql-company-mentioned output reads Vista tables without mentioning APCo" in completed.stdout


def test_baseline_commands(tour):
    write = shown("vgptlint check --policy pretrain examples/ --write-baseline .vgptlint-baseline.json")
    assert run_cli(*write).exit_code == 0
    result = run_cli(*shown("vgptlint check --policy pretrain examples/ --baseline .vgptlint-baseline.json"))
    assert result.exit_code == 0
    assert "known findings not shown" in result.stdout


def test_policy_ignore_example_loads(tour):
    block = next(body for lang, body in BLOCKS if lang == "yaml" and body.startswith("ignore:"))
    (tour / "ignoring.yaml").write_text("extends: [pretrain]\n" + block)
    result = run_cli("check", "--policy", "ignoring.yaml", "examples/")
    assert result.exit_code in (0, 1), result.stderr
    assert "unused-suppression" in result.stdout  # neither entry matches anything in examples/


def test_report_commands(tour):
    assert run_cli(*shown("vgptlint check --policy pretrain examples/ --format sarif -o vgptlint.sarif")).exit_code == 1
    assert json.loads((tour / "vgptlint.sarif").read_text())["version"] == "2.1.0"
    assert run_cli(*shown("vgptlint stats --policy team.yaml examples/ --format html -o report.html")).exit_code == 0
    assert (tour / "report.html").read_text().count("<svg") >= 4
    assert run_cli(*shown("vgptlint rules --format markdown -o docs/rules.md")[:-2]).exit_code == 0


def test_fixing_commands(tour):
    before = {p.name: p.read_bytes() for p in (tour / "examples").iterdir()}
    diff = run_cli(*shown("vgptlint check --policy pretrain examples/ --diff"))
    assert diff.exit_code == 1
    assert "+    \"output\": \"```sql\\nSELECT APTH.APRef, APTL.APLine, APTL.GrossAmt\\nFROM APTH WITH (NOLOCK)" in diff.stdout
    assert {p.name: p.read_bytes() for p in (tour / "examples").iterdir()} == before  # --diff writes nothing
    fixed = run_cli(*shown("vgptlint fix --policy pretrain examples/"))
    assert fixed.exit_code == 1, fixed.stderr  # errors remain (unknown tables, LLaMA-Factory problems)
    assert "Fixed " in fixed.stderr
    assert run_cli("fix", "--policy", "pretrain", "examples/").stderr.splitlines()[0].startswith("Fixed 0 findings")
    unsafe = run_cli(*shown("vgptlint fix --policy pretrain --unsafe-fixes --seed 7 examples/"))
    assert unsafe.exit_code == 1, unsafe.stderr
    assert (tour / "examples" / "sft.rejected.jsonl").is_file()


def test_every_vgptlint_command_shown_is_tested():
    tested = {
        "vgptlint check --policy pretrain.yaml examples/",  # the quick start; .ci/run and test_cli run it
        "vgptlint check --policy team.yaml examples/",
        "vgptlint explain output-too-short",
        "vgptlint check --policy short.yaml examples/sft.json",
        "vgptlint check --policy sqlrules.yaml --select team-top-without-order-by examples/",
        "vgptlint check --load-functions --policy custom.yaml --select sql-company-mentioned examples/sft.json",
        "vgptlint check --policy pretrain examples/ --write-baseline .vgptlint-baseline.json",
        "vgptlint check --policy pretrain examples/ --baseline .vgptlint-baseline.json",
        "vgptlint check --policy pretrain examples/ --format sarif -o vgptlint.sarif",
        "vgptlint check --policy pretrain examples/ --diff",
        "vgptlint fix --policy pretrain examples/",
        "vgptlint fix --policy pretrain --unsafe-fixes --seed 7 examples/",
        "vgptlint stats --policy team.yaml examples/ --format html -o report.html",
        "vgptlint rules --format markdown -o docs/rules.md",
    }
    assert commands_shown() - {c for c in commands_shown() if c.startswith("pip ")} <= tested


def test_workflow_uses_only_inputs_the_action_has():
    workflow = yaml_block("runs-on: ubuntu-latest")
    action = YAML(typ="safe", pure=True).load((ROOT / "action.yml").read_text())
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["lint-datasets"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[1]["uses"].startswith("vgptlint/vgptlint@")
    assert set(steps[1]["with"]) <= set(action["inputs"])


def test_pre_commit_config_names_the_shipped_hook():
    config = yaml_block("hooks:")
    hooks = YAML(typ="safe", pure=True).load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert config["repos"][0]["hooks"][0]["id"] == hooks[0]["id"] == "vgptlint"
