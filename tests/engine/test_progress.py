"""The progress line: drawn in place on a terminal for long runs, never in pipes, erased at the end."""
from __future__ import annotations

import io

from vgptlint.run import progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_progress_in_pipes():
    assert progress.for_terminal(io.StringIO()) is None


def test_progress_counts_and_erases(monkeypatch):
    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0)
    terminal = FakeTerminal()
    line = progress.for_terminal(terminal)
    items = list(progress.counted(range(4_500), "data/sft.jsonl", line))
    line.close()
    assert items == list(range(4_500))
    assert terminal.getvalue() == ("\r\x1b[2Klinting data/sft.jsonl: 2,000 records"
                                   "\r\x1b[2Klinting data/sft.jsonl: 4,000 records\r\x1b[2K")


def test_short_runs_draw_nothing():
    terminal = FakeTerminal()
    line = progress.for_terminal(terminal)
    list(progress.counted(range(4_500), "data/sft.jsonl", line))
    line.close()
    assert terminal.getvalue() == ""
