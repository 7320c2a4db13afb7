"""A progress line on stderr for long runs in a terminal; silent in pipes, CI and short runs."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO

REPORT_EVERY = 2_000  # records between updates
QUIET_SECONDS = 1.0  # nothing is drawn for runs shorter than this


class TerminalProgress:
    """``linting data/sft.json: 24,000 records`` rewritten in place, erased when the run ends."""

    def __init__(self, stream: TextIO = sys.stderr):
        self.stream = stream
        self.started = time.monotonic()
        self.is_drawn = False

    def update(self, display: str, record_count: int) -> None:
        if time.monotonic() - self.started < QUIET_SECONDS:
            return
        self.stream.write(f"\r\x1b[2Klinting {display}: {record_count:,} records")
        self.stream.flush()
        self.is_drawn = True

    def close(self) -> None:
        if self.is_drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def for_terminal(stream: TextIO = sys.stderr) -> TerminalProgress | None:
    """A progress line only when ``stream`` is an interactive terminal (never in pipes or CI logs)."""
    return TerminalProgress(stream) if stream.isatty() else None


def counted(items: Iterable, display: str, progress: TerminalProgress | None) -> Iterator:
    """``items`` unchanged, reporting every ``REPORT_EVERY`` items."""
    if progress is None:
        yield from items
        return
    for count, item in enumerate(items, 1):
        if count % REPORT_EVERY == 0:
            progress.update(display, count)
        yield item
