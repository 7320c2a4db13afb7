"""The pre-commit hook and the composite GitHub Action, run the way their hosts run them.

pre-commit: the hook's ``entry`` + ``args`` + the staged files its ``files``/``exclude`` select.
GitHub Actions: each ``run`` step of action.yml under ``bash -eo pipefail`` (as the runner starts it) with the ``env`` the runner would give it
(``${{ inputs.* }}``, ``${{ github.action_path }}``, ``${{ steps.*.outputs.* }}`` evaluated, and
``$GITHUB_OUTPUT``); ``uses`` steps (setup-python, upload-sarif) and the install step are GitHub's.
"""
from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
ACTION = YAML(typ="safe", pure=True).load((ROOT / "action.yml").read_text())
HOOK = YAML(typ="safe", pure=True).load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "data")
    (tmp_path / ".vgptlint-baseline.json").write_text('{"version": 1, "tool": "vgptlint", "entries": []}\n')
    (tmp_path / "vgptlint.yaml").write_text("extends: [pretrain]\ndataset_info: data/dataset_info.json\n")
    return tmp_path


# ------------------------------------------------------------------------------- pre-commit


def test_hook_definition():
    assert HOOK["id"] == "vgptlint"
    assert HOOK["language"] == "python"
    assert HOOK["files"] == r"\.(json|jsonl)$"
    assert HOOK["entry"] == "vgptlint check"


def test_hook_selects_dataset_files_only():
    staged = ["data/sft.json", "data/kto.jsonl", "data/dataset_info.json", ".vgptlint-baseline.json",
              "README.md", "vgptlint.yaml", "report.sarif.json"]
    selected = [p for p in staged if re.search(HOOK["files"], p) and not re.search(HOOK["exclude"], p)]
    assert selected == ["data/sft.json", "data/kto.jsonl"]


def test_hook_runs_like_pre_commit(repo):
    command = [*shlex.split(HOOK["entry"]), "--policy", "vgptlint.yaml", "data/sft.json", "data/kto.jsonl"]
    completed = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 1, completed.stderr  # the examples break rules on purpose
    assert "data/kto.jsonl:1:179: error kto-label-format" in completed.stdout
    assert "invalid-input" not in completed.stdout


# ------------------------------------------------------------------------------- the Action


def evaluate(text: str, inputs: dict, outputs: dict) -> str:
    def value(match: re.Match) -> str:
        expression = match.group(1)
        if expression.startswith("inputs."):
            return str(inputs[expression[len("inputs."):]])
        if expression == "github.action_path":
            return str(ROOT)
        step_output = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if step_output:
            return outputs.get(step_output.group(1), {}).get(step_output.group(2), "")
        raise AssertionError(f"unexpected expression {expression}")

    return EXPRESSION.sub(value, text)


def run_action(repo: Path, tmp_path: Path, **given: str) -> list[tuple[str, int, str]]:
    """Run the action's shell steps in order, as the runner would; stop at the first failing one."""
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    inputs.update({k.replace("_", "-"): v for k, v in given.items()})
    outputs: dict[str, dict[str, str]] = {}
    ran = []
    for number, step in enumerate(ACTION["runs"]["steps"]):
        if "uses" in step or step.get("name") == "Install vgptlint":
            continue
        output_file = tmp_path / f"output-{number}"
        output_file.write_text("")
        env = {"PATH": str(Path(shutil.which("vgptlint")).parent) + ":/usr/bin:/bin", "GITHUB_OUTPUT": str(output_file)}
        env.update({k: evaluate(str(v), inputs, outputs) for k, v in (step.get("env") or {}).items()})
        completed = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=repo, env=env, capture_output=True,
                                   text=True, timeout=300)
        outputs[step.get("id", str(number))] = dict(line.split("=", 1) for line in output_file.read_text().splitlines())
        ran.append((step.get("name", ""), completed.returncode, completed.stdout + completed.stderr))
        if completed.returncode != 0:
            break
    return ran


def test_action_inputs_and_steps():
    assert ACTION["runs"]["using"] == "composite"
    assert {"policy", "paths", "fail-on", "sarif-file", "upload-sarif"} <= set(ACTION["inputs"])
    uses = [step["uses"] for step in ACTION["runs"]["steps"] if "uses" in step]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    upload = next(s for s in ACTION["runs"]["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert "always()" in upload["if"] and upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"


def test_action_writes_sarif_annotates_and_fails_on_errors(repo, tmp_path):
    ran = run_action(repo, tmp_path, policy="vgptlint.yaml", paths="data/")
    names = [name for name, _, _ in ran]
    assert names == ["vgptlint (SARIF)", "vgptlint (annotations)", "Fail on findings"]
    assert [code for _, code, _ in ran] == [0, 0, 1]
    sarif = json.loads((repo / "vgptlint.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    annotations = ran[1][2]
    assert "::error file=data/kto.jsonl,line=1,col=179" in annotations
    assert "findings at or above 'error' (exit 1)" in ran[2][2]


def test_action_passes_with_fail_on_never_and_a_baseline(repo, tmp_path):
    assert run_cli_in(repo, "check", "--policy", "vgptlint.yaml", "data/", "--write-baseline", ".vgptlint-baseline.json") == 0
    ran = run_action(repo, tmp_path, policy="vgptlint.yaml", paths="data/", baseline=".vgptlint-baseline.json",
                     fail_on="warning")
    assert [code for _, code, _ in ran] == [0, 0, 0]
    ran = run_action(repo, tmp_path, policy="vgptlint.yaml", paths="data/*.json data/*.jsonl", fail_on="never")
    assert [code for _, code, _ in ran] == [0, 0, 0]


def test_action_stops_on_a_policy_error(repo, tmp_path):
    (repo / "bad.yaml").write_text("extends: [pretrain]\nfail-on: sometimes\n")
    ran = run_action(repo, tmp_path, policy="bad.yaml", paths="data/")
    assert ran[0][1] == 2 and len(ran) == 1
    assert "bad.yaml:2:10: error[invalid-value]" in ran[0][2]


def run_cli_in(cwd: Path, *args: str) -> int:
    return subprocess.run(["vgptlint", *args], cwd=cwd, capture_output=True, timeout=300).returncode
