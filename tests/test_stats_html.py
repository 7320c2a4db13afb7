"""`vgptlint stats --format html`: one self-contained page of charts and findings."""
from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from vgptlint.commands.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_stats_html_is_self_contained_with_charts(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["stats", "--policy", "pretrain", "--format", "html", "-o", str(out), "examples/"])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") >= 4
    for title in ("Output length histogram", "Content mix", "NOLOCK coverage", "DPO feature skew", "KTO label balance"):
        assert title in page
    assert not re.search(r"""(src|href)=["']https?:""", page)  # nothing fetched from the network
