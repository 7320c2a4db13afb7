"""Release hygiene: the README's pinned snippets resolve to this version's tag; licence metadata."""
from __future__ import annotations

import re
from pathlib import Path

import vgptlint

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
TAG = f"v{vgptlint.__version__}"


def test_snippets_pin_the_tag_of_this_version():
    pre_commit = re.findall(r"^\s*rev: (\S+)$", README, re.M)
    action = re.findall(r"uses: vgptlint/vgptlint@(\S+)", README)
    hook_comment = re.findall(r"rev: (\S+)", (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert pre_commit and action and hook_comment
    assert set(pre_commit + action + hook_comment) == {TAG}


def test_the_version_has_one_source():
    assert re.search(r'^dynamic = \["version"\]', PYPROJECT, re.M)
    assert 'version = { attr = "vgptlint.__version__" }' in PYPROJECT
    assert not re.search(r"^version = \"", PYPROJECT, re.M)  # no static version in [project]
    assert re.fullmatch(r"\d+\.\d+\.\d+", vgptlint.__version__)


def test_licence_is_an_spdx_expression_with_its_text_shipped():
    assert re.search(r'^license = "Apache-2.0"$', PYPROJECT, re.M)
    assert re.search(r'^license-files = \["LICENSE"\]$', PYPROJECT, re.M)
    assert "License ::" not in PYPROJECT  # PEP 639: no licence classifiers beside an expression
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_action_pins_current_majors():
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert "actions/setup-python@v7" in action and "github/codeql-action/upload-sarif@v4" in action
    assert "actions: read" in README  # private repositories need it for the SARIF upload
