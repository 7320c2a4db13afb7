"""Errors that stop a run before the first record is read (exit 2), always with a location."""
from __future__ import annotations

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
