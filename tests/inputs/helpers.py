"""Small helpers for the reader tests: read bytes, split records from problems."""
from __future__ import annotations

from vgptlint.inputs import InputProblem, Record, read_bytes


def read_all(data: bytes, suffix: str = ".json") -> list[Record | InputProblem]:
    return list(read_bytes(data, "data" + suffix, suffix))


def records_of(items: list) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


def problems_of(items: list) -> list[InputProblem]:
    return [item for item in items if isinstance(item, InputProblem)]


def where(problem: InputProblem) -> tuple[int, int, str]:
    return problem.line, problem.column, problem.code
