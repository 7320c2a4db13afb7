"""Expand command-line arguments (files, directories, globs, ``-``) into dataset files to read.

A file named explicitly is always read, whatever its name. Files found by walking a directory or
matching a glob go through an ``include`` predicate, :func:`is_dataset_file` by default, which
the caller may replace (for instance to also read a ``dataset_info.json`` mapping's files only).
"""
from __future__ import annotations

import glob
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vgptlint.errors import UsageError
from vgptlint.inputs.records import InputProblem

DATASET_SUFFIXES = (".json", ".jsonl", ".parquet")
# LLaMA-Factory's dataset registry sits beside the datasets it names; it is not a dataset.
NOT_DATASETS = frozenset({"dataset_info.json"})
_GLOB_CHARS = frozenset("*?[")
REJECTS_SUFFIX = ".rejected.jsonl"


def is_dataset_file(path: Path) -> bool:
    """The default predicate: ``.json``/``.jsonl``, not hidden, not ``dataset_info.json``.

    >>> is_dataset_file(Path("d/sft.json")), is_dataset_file(Path("d/dataset_info.json"))
    (True, False)
    >>> is_dataset_file(Path("d/.cache.json")), is_dataset_file(Path("d/notes.txt"))
    (False, False)
    """
    name = path.name
    return (
        path.suffix.lower() in DATASET_SUFFIXES
        and not name.startswith(".")
        and name not in NOT_DATASETS
        and not name.endswith(REJECTS_SUFFIX)  # records --fix removed: kept for people, not linted again
    )


@dataclass(frozen=True, slots=True)
class Discovery:
    """The files to read, in order (``-`` for stdin), and the arguments that named nothing."""

    paths: tuple[str, ...]
    problems: tuple[InputProblem, ...] = field(default=())


def discover(arguments: Sequence[str], include: Callable[[Path], bool] = is_dataset_file) -> Discovery:
    """Expand arguments into display paths, deduplicated, keeping the order of the arguments.

    Directories are walked recursively (hidden directories skipped) and globs expanded
    (``**`` crosses directories); each argument's own matches are sorted.

    Args:
        arguments: what the user typed.
        include: which walked or globbed files are datasets.

    Returns:
        The paths as the user would write them (``data/sft.json`` for ``data/``), and one
        problem per argument that names no existing file.
    """
    paths: dict[str, None] = {}
    problems: list[InputProblem] = []
    for argument in arguments:
        found, problem = _expand(argument, include)
        paths.update(dict.fromkeys(found))
        if problem is not None:
            problems.append(problem)
        if Path(argument).is_dir():
            problems.extend(_links_out_of(argument, include))
    return Discovery(tuple(paths), tuple(problems))


def _expand(argument: str, include: Callable[[Path], bool]) -> tuple[list[str], InputProblem | None]:
    if argument == "-":
        return ["-"], None
    path = Path(argument)
    if path.is_dir():
        found = list(_walk(path, include))
        if not found:
            return [], _problem(argument, "is a directory with no .json or .jsonl dataset files", "no-match")
        return found, None
    if path.exists():
        if not path.is_file():  # a FIFO would block the run until something writes to it
            raise UsageError(f'"{argument}" is {special_file_kind(path)}, not a regular file; vgptlint reads files, '
                             "folders, or stdin (-): vgptlint check - < SOURCE")
        return [argument], None
    if _GLOB_CHARS & set(argument):
        found = sorted(
            match for match in glob.glob(argument, recursive=True) if Path(match).is_file() and include(Path(match))
        )
        if not found:
            return [], _problem(argument, "matches no dataset file", "no-match")
        return found, None
    return [], _problem(argument, "no such file or directory", "missing")


def _links_out_of(root: str, include: Callable[[Path], bool]) -> list[InputProblem]:
    """A warning for each dataset-named symlink in the folder whose file is outside it (which the walk
    skipped): a checkout could otherwise make a CI job read, and quote, any file on the machine."""
    return [InputProblem(path, 1, 1, f"is a symlink to a file outside {root}; it was not read (name it to lint it)",
                         None, "warning", "outside")
            for path in _walk(Path(root), include, outside=True)]


def _walk(root: Path, include: Callable[[Path], bool], outside: bool = False) -> Iterable[str]:
    """The dataset files under ``root`` (``outside``: instead, the symlinks to files outside it)."""
    real_root = os.path.realpath(root)
    found = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [name for name in subdirectories if not name.startswith(".")]
        # normpath: "./sft.json" is shown as "sft.json", as editors and other linters show it;
        # isfile: a FIFO or device named like a dataset is not one (reading it could block forever)
        for name in files:
            path = os.path.join(directory, name)
            if include(Path(path)) and os.path.isfile(path) and _leaves(path, real_root) == outside:
                found.append(os.path.normpath(path))
    return sorted(found)


def _leaves(path: str, real_root: str) -> bool:
    return os.path.islink(path) and os.path.commonpath([os.path.realpath(path), real_root]) != real_root


def special_file_kind(path: Path) -> str:
    """What a path that exists but is not a regular file or folder is, for messages.

    >>> special_file_kind(Path("/dev/null"))
    'a character device'
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return "unreadable"
    kinds = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _problem(argument: str, message: str, code: str) -> InputProblem:
    return InputProblem(argument, 1, 1, message, None, "error", code)
