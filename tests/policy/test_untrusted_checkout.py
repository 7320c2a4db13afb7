"""A policy is data: nothing in a linted folder makes vgptlint import or run code unless the user asks."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from vgptlint.commands.cli import main

EVIL = 'from pathlib import Path\nPath("ran.txt").write_text("the checkout ran code")\n'


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A pull request's checkout: a vgptlint.yaml naming a functions module that sits beside it."""
    monkeypatch.chdir(tmp_path)
    Path("vgptlint.yaml").write_text("extends: [core]\nfunctions: [prcode]\n")
    Path("prcode.py").write_text(EVIL)
    Path("sft.jsonl").write_text(json.dumps({"instruction": "q", "input": "", "output": "a" * 60}) + "\n")
    yield tmp_path
    sys.modules.pop("prcode", None)


def test_auto_discovered_policy_does_not_run_its_functions_module(checkout):
    path_before = list(sys.path)
    result = CliRunner().invoke(main, ["check", "sft.jsonl"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:2] == [
        'vgptlint.yaml:2:13: error[functions-not-allowed]: the policy asks to import Python module "prcode"; '
        "vgptlint runs code only when asked",
        "    hint: pass --load-functions if you trust this policy's folder, or install the module as a "
        "vgptlint.functions entry point",
    ]
    assert not Path("ran.txt").exists()
    assert "prcode" not in sys.modules
    assert sys.path == path_before


def test_the_console_script_in_a_checkout_runs_nothing(checkout):
    """As a CI job runs it: the installed script, in the checkout, with the checkout's policy."""
    completed = subprocess.run(["vgptlint", "check", "sft.jsonl"], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert "error[functions-not-allowed]" in completed.stderr
    assert not Path("ran.txt").exists()


def test_load_functions_is_the_users_explicit_choice(checkout):
    result = CliRunner().invoke(main, ["check", "--load-functions", "sft.jsonl"])
    assert result.exit_code == 0, result.output
    assert Path("ran.txt").read_text() == "the checkout ran code"


def test_an_installed_module_needs_no_flag(checkout):
    """A module already imported (an installed vgptlint.functions entry point) is not code from the folder."""
    Path("vgptlint.yaml").write_text("extends: [core]\nfunctions: [json]\n")
    result = CliRunner().invoke(main, ["check", "sft.jsonl"])
    assert result.exit_code == 0, result.output


def test_rules_and_explain_take_the_flag_too(checkout):
    refused = CliRunner().invoke(main, ["rules", "--policy", "vgptlint.yaml"])
    assert refused.exit_code == 2 and "functions-not-allowed" in refused.stderr
    assert CliRunner().invoke(main, ["rules", "--load-functions", "--policy", "vgptlint.yaml"]).exit_code == 0
