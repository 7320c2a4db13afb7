"""What runs on a Dask worker for ``--engine dask``: plain functions of picklable arguments.

Workers receive the run's :class:`~vgptlint.run.setup.RunSetup`, which pickles as references only
(the policy reference, ``--select``/``--ignore``, the dataset_info and catalog paths, the run's flags)
and compiles once per worker process (:func:`vgptlint.run.setup.compiled`).

A file's life on the cluster: :func:`survey_file` decides how to split it (JSON Lines blocks,
Parquet row groups, or "whole" for JSON arrays and anything unusual) and the file's dataset kind;
:func:`lint_block`/:func:`lint_row_group`/:func:`lint_records` run record rules and accumulators
over one piece (the run core, :func:`~vgptlint.run.engine.lint_source`); :func:`merge_pair` merges
accumulator states pairwise up a fixed tree; :func:`finish` finalizes the merged states into the
file's outcome (:func:`~vgptlint.run.engine.finalize`). The client puts the pieces' findings, in
file order, into the run's sink and closes it with that outcome, as the local engine does.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vgptlint.incremental.run import close_worker, lint_piece
from vgptlint.inputs.parquet import column_names, is_parquet, open_parquet, read_parquet, read_row_groups, row_groups
from vgptlint.inputs.read import read_source, read_stream
from vgptlint.inputs.records import InputProblem, Record
from vgptlint.inputs.remote import Block, file_size, is_plain_jsonl, is_url, jsonl_blocks, open_binary, read_block
from vgptlint.model import Finding
from vgptlint.run.engine import (FileOutcome, Partial, Source, file_plan, finalize, infer_format, infer_kind,
                                 lint_source, merge_two, peek_file)
from vgptlint.run.setup import FileRun, FileTask, RunSetup

MAX_WHOLE_PIECES = 64


@dataclass(frozen=True, slots=True)
class Survey:
    """How a file is split: ``mode`` is ``blocks``, ``row-groups`` or ``whole``."""

    mode: str
    kind: tuple[str, str] | None  # (kind, format); None for "whole": the reading task decides, as the local engine does
    pieces: tuple  # Blocks, RowGroups, or for "whole" the number of record chunks to cut


@dataclass(frozen=True, slots=True)
class Part:
    """One piece linted: its file's (kind, format), its findings in record order and its partial."""

    kind: tuple[str, str]
    findings: list[Finding]
    partial: Partial


# ------------------------------------------------------------------------------- splitting a file

def survey_file(task: FileTask, block_bytes: int) -> Survey:
    """Decide how to split one file; reads a JSON Lines file once to place its block boundaries."""
    try:
        if is_parquet(task.path):
            return _survey_parquet(task)
        with open_binary(task.path) as stream:
            if not is_plain_jsonl(stream, Path(task.path).suffix.lower()):
                pieces = min(MAX_WHOLE_PIECES, max(1, file_size(task.path) // block_bytes))
                return Survey("whole", None, (pieces,))
            stream.seek(0)
            blocks, first_data = jsonl_blocks(stream, block_bytes)
    except OSError:  # missing, unreadable: the whole-file reader reports it exactly as the local engine does
        return Survey("whole", None, (1,))
    kind = task.kind or (infer_kind(first_data) if first_data is not None else "sft")
    return Survey("blocks", (kind, _format(task, first_data)), tuple(blocks))


def _survey_parquet(task: FileTask) -> Survey:
    with open_binary(task.path) as stream:
        parquet_file, problem = open_parquet(task.display, stream)
        if problem is not None:
            return Survey("whole", None, (1,))
        groups = tuple(g for g in row_groups(parquet_file) if g.row_count)
        if not groups:
            return Survey("whole", None, (1,))
        # Every row holds every column, so the schema says what the first record's keys are.
        columns = dict.fromkeys(column_names(parquet_file), [{}])  # a list value marks a conversation column
        kind = task.kind or infer_kind(columns)
    return Survey("row-groups", (kind, _format(task, columns)), groups)


def _format(task: FileTask, first_data: object) -> str:
    """As the local engine decides it (engine.peek_file): the dataset_info entry, else the first record."""
    return getattr(task.spec, "formatting", None) or infer_format(first_data)


def size_or_zero(path: str) -> int:
    try:
        return file_size(path)
    except OSError:
        return 0


def read_whole(task: FileTask, pieces: int) -> tuple[str, list[list]]:
    """Read a file whole (as the local engine would) and cut its records into ``pieces`` chunks."""
    source = peek_file(task, read_input(task))
    items = list(source.records)
    size = -(-len(items) // max(1, pieces)) or 1
    return (source.run.kind, source.run.format), [items[start:start + size] for start in range(0, len(items), size)] or [[]]


def chunk_of(whole: tuple[str, list[list]], number: int) -> tuple[str, list]:
    kind, chunks = whole
    return kind, chunks[number] if number < len(chunks) else []


def read_input(task: FileTask) -> Iterator[Record | InputProblem]:
    if not is_url(task.path):
        yield from read_source(task.path, task.display)
        return
    try:
        stream = open_binary(task.path)
    except FileNotFoundError:
        yield InputProblem(task.display, 1, 1, "no such file", None, "error", "missing")
        return
    except OSError as err:
        yield InputProblem(task.display, 1, 1, f"cannot be read: {err}", None, "error", "unreadable")
        return
    with stream:
        if is_parquet(task.path):
            yield from read_parquet(task.display, stream)
        else:
            yield from read_stream(stream, task.display, suffix=Path(task.path).suffix.lower())


# ------------------------------------------------------------------------------- linting a piece

def lint_block(setup: RunSetup, task: FileTask, kind: tuple[str, str], block: Block) -> Part:
    return _lint(setup, FileRun(task, *kind), read_block(task.path, task.display, block))


def lint_row_group(setup: RunSetup, task: FileTask, kind: tuple[str, str], group) -> Part:
    with open_binary(task.path) as stream:
        parquet_file, problem = open_parquet(task.display, stream)
        items = [problem] if problem is not None else read_row_groups(task.display, parquet_file, [group])
        return _lint(setup, FileRun(task, *kind), items)


def lint_records(setup: RunSetup, task: FileTask, chunk: tuple[tuple[str, str], list]) -> Part:
    kind, items = chunk
    return _lint(setup, FileRun(task, *kind), items)


def _lint(setup: RunSetup, run: FileRun, items) -> Part:
    """One piece through the run core; with ``setup.use_cache``, block by block through this machine's
    result cache (:mod:`vgptlint.incremental`)."""
    if setup.use_cache:
        findings, partial = lint_piece(setup, run, items)
        return Part((run.kind, run.format), findings, partial)
    findings: list[Finding] = []
    partial = lint_source(setup, Source(run, items), findings)
    return Part((run.kind, run.format), findings, partial)


# ------------------------------------------------------------------------------- merging and finishing

def states_of(part: Part) -> tuple[tuple[str, str], Partial]:
    return part.kind, part.partial


def findings_of(part: Part) -> list[Finding]:
    return part.findings


def merge_pair(setup: RunSetup, task: FileTask, left: tuple[tuple[str, str], Partial],
               right: tuple[tuple[str, str], Partial]) -> tuple[tuple[str, str], Partial]:
    """``left`` holds records before ``right``'s; the tree's shape is fixed, so the result is too."""
    kind, earlier = left
    return kind, merge_two(file_plan(setup, FileRun(task, *kind)), earlier, right[1])


def finish(setup: RunSetup, task: FileTask, root: tuple[tuple[str, str], Partial]) -> FileOutcome:
    kind, partial = root
    close_worker(setup)  # keep this machine's result cache within its bound
    return finalize(setup, FileRun(task, *kind), partial)
