"""The HTML report: self-contained, every chart drawn, and it renders in a real headless browser."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.helpers import LONG, record, run_cli, write_jsonl
from tests.integration.png import colour_counts
from vgptlint.reports.html import FindingRow, ReportView, render_view

SQL = "```sql\nSELECT APRef, InvTotal FROM APTH WITH (NOLOCK) WHERE APCo = 1\n```"
BARE_SQL = "```sql\nSELECT APRef, InvTotal FROM APTH WHERE APCo = 1\n```"
POLICY = """\
extends: [sft, dataset, preference]
datasets: {"*sft.jsonl": sft, "*dpo.jsonl": dpo, "*kto.jsonl": kto}
"""
NEUTRAL_BLUE = bytes.fromhex("1565c0")


@pytest.fixture
def dataset(workdir: Path) -> Path:
    (workdir / "policy.yaml").write_text(POLICY)
    write_jsonl(workdir / "sft.jsonl", [record(SQL), record("Yes"), record(LONG), record(BARE_SQL),
                                        record("<script>alert(1)</script>")])
    write_jsonl(workdir / "dpo.jsonl", [{"instruction": "q", "input": "", "chosen": SQL, "rejected": BARE_SQL},
                                        {"instruction": "r", "input": "", "chosen": LONG, "rejected": "No"}])
    write_jsonl(workdir / "kto.jsonl", [record(SQL, label=True), record(BARE_SQL, label=False), record(LONG, label=True)])
    return workdir


def html_report(workdir: Path) -> str:
    result = run_cli("check", "-p", "policy.yaml", ".", "--format", "html", "-o", "report.html")
    assert result.exit_code in (0, 1), result.stderr
    return (workdir / "report.html").read_text(encoding="utf-8")


def test_every_chart_is_drawn_inline(dataset):
    page = html_report(dataset)
    assert page.startswith("<!DOCTYPE html>")
    for title in ("Output length histogram", "Content mix (content_type)", "Shares against the policy&#x27;s thresholds",
                  "NOLOCK coverage (sft.jsonl)", "DPO feature skew: chosen vs rejected", "KTO label balance",
                  "Findings by rule"):
        assert title in page, title
    assert page.count("<svg") >= 5


def test_nothing_is_loaded_from_anywhere(dataset):
    page = html_report(dataset).lower()
    for reference in ("<script", "<link", "src=", "href=", "@import", "url("):
        assert reference not in page, reference
    # The one URL is SVG's XML namespace, an identifier that is never fetched.
    assert page.replace('xmlns="http://www.w3.org/2000/svg"', "").count("http") == 0


def test_text_from_the_data_is_escaped():
    row = FindingRow("warning", "r<1>", 'a.jsonl:1:2', 'output is "<script>alert(1)</script>"')
    page = render_view(ReportView("t & t", (("policy", "<p>"),), (), (row,), 1, (("r<1>", "warning", 1),)))
    assert "<script" not in page and "<p>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<title>t &amp; t</title>" in page


def browser() -> str | None:
    return next((path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None)


def test_renders_in_headless_chromium(dataset, tmp_path):
    executable = browser()
    if executable is None:
        pytest.skip("no chromium on this machine (.ci/run installs Debian's chromium with apt-get)")
    html_report(dataset)
    screenshot = tmp_path / "report.png"
    command = [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
               f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,1600", f"--screenshot={screenshot}",
               (dataset / "report.html").as_uri()]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert screenshot.is_file(), f"chromium wrote no screenshot (exit {completed.returncode}): {completed.stderr[-2000:]}"
    colours = colour_counts(screenshot.read_bytes())
    assert len(colours) > 20, "the page rendered blank"
    assert colours[NEUTRAL_BLUE] > 500, "the SVG bars were not drawn"
