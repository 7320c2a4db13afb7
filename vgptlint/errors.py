"""Errors that stop a run before the first record is read (exit 2), always with a location."""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


class VgptlintError(Exception):
    """Base class: a user mistake that ends the run with exit status 2 and no traceback."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem in a policy, rule pack, catalog or dataset_info file."""

    source: str
    line: int
    column: int
    code: str
    message: str
    hint: str | None = None
    severity: str = "error"

    def render(self) -> str:
        text = f"{self.source}:{self.line}:{self.column}: {self.severity}[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class PolicyError(VgptlintError):
    """All problems found while loading a policy; reported together."""

    subject = "the policy"  # how the CLI names what was wrong ("3 problems in the policy")

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))


class UsageError(VgptlintError):
    """An unusable command-line argument (missing policy file, unknown format, ...)."""


class TrainConfigError(PolicyError):
    """A LLaMA-Factory training config vgptlint cannot read (not YAML, a value of the wrong type)."""

    subject = "the training config"


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt, so that cleanup (``finally``,
    temporary files) runs on the way out and no ``except Exception`` swallows it."""


@contextmanager
def terminate_as_exception() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`Terminated` in the main thread (elsewhere: as before)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def describe_os_error(err: OSError) -> str:
    """One line for an operating-system error: the file, then what went wrong.

    >>> describe_os_error(FileNotFoundError(2, "No such file or directory", "out/r.json"))
    'out/r.json: No such file or directory'
    """
    reason = err.strerror or (os.strerror(err.errno) if err.errno else str(err))
    return f"{err.filename}: {reason}" if err.filename else reason
