"""What runs on a Dask worker for ``--engine dask``: plain functions of picklable arguments.

Workers never receive a compiled policy (compiled selectors hold closures that do not pickle, and
a policy is much bigger than its name). They receive a :class:`WorkerSetup` (the policy
*reference*, ``--select``/``--ignore``, the dataset_info and catalog *paths*, the run's settings)
and load and compile it once per worker process; :func:`loaded` caches it under the setup itself.

A file's life on the cluster: :func:`survey_file` decides how to split it (JSON Lines blocks,
Parquet row groups, or "whole" for JSON arrays and anything unusual) and the file's dataset kind;
:func:`lint_block`/:func:`lint_row_group`/:func:`lint_records` run record rules and accumulators
over one piece (the engine's :func:`~vgptlint.run.engine.process_chunk`); :func:`merge_partials`
merges accumulator states pairwise up a fixed tree; :func:`finish` turns the merged states and the
pieces' findings, in file order, into the file's outcome (the engine's
:func:`~vgptlint.run.engine.finish_file`).
"""
from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vgptlint import __version__
from vgptlint.run.engine import (ChunkOutcome, FileOutcome, FileRun, FileTask, file_context, finish_file, infer_format, infer_kind,
                             peek_file, plan_for, process_chunk)
from vgptlint.errors import PolicyError, UsageError
from vgptlint.incremental.cached import FileCache, file_cache, lint_blocks
from vgptlint.incremental.run import CacheFacts, cache_facts
from vgptlint.incremental.run import close as close_cache
from vgptlint.inputs.parquet import is_parquet, open_parquet, read_parquet, read_row_groups, row_groups, column_names
from vgptlint.inputs.read import read_source, read_stream
from vgptlint.inputs.records import InputProblem, Record
from vgptlint.inputs.remote import Block, file_size, is_plain_jsonl, is_url, jsonl_blocks, open_binary, read_block

MAX_WHOLE_PIECES = 64


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """Everything a worker needs to rebuild the client's rules: references and plain values.

    Hashable, so it is also the key of the per-process cache. ``settings`` (those not taken from
    the policy itself) is pickled so that equal settings compare equal however they nest; ``rule_ids`` and ``version`` let a worker
    refuse to lint with a different policy or vgptlint than the client's.
    """

    policy: str
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    dataset_info: str | None
    catalog: tuple[str, ...]
    settings: bytes
    rule_ids: tuple[str, ...]
    version: str = __version__
    # One per run: a policy file edited between two runs on a long-lived cluster is compiled again.
    run_id: str = ""
    load_functions: bool = False  # --load-functions, as on the client
    use_cache: bool = False  # blocks of records through the worker machine's result cache (vgptlint.incremental)


@dataclass
class Loaded:
    policy: object
    rules: dict
    services: dict
    settings: dict
    cache: CacheFacts | None = None  # keyed before any record is linted: rules memoize into services


@dataclass(frozen=True, slots=True)
class Survey:
    """How a file is split: ``mode`` is ``blocks``, ``row-groups`` or ``whole``."""

    mode: str
    kind: str | None  # None for "whole": the reading task decides, as the local engine does
    pieces: tuple  # Blocks, RowGroups, or for "whole" the number of record chunks to cut


@dataclass(frozen=True, slots=True)
class Part:
    kind: str
    outcome: ChunkOutcome


@dataclass(frozen=True, slots=True)
class Partial:
    """A piece's accumulator states (in plan order) and record count: what the tree merges."""

    kind: str
    states: list
    record_count: int


_LOADED: dict[WorkerSetup, Loaded] = {}
_PLANS: dict[tuple, object] = {}
_KEPT_SETUPS = 2  # a long-lived worker keeps the latest runs' policies, not every run's
_LOCK = threading.Lock()  # a worker may run several tasks at once in threads


# ------------------------------------------------------------------------------- the policy, once per process

def loaded(setup: WorkerSetup) -> Loaded:
    found = _LOADED.get(setup)
    if found is None:
        with _LOCK:
            found = _LOADED.get(setup)
            if found is None:
                found = _load(setup)
                while len(_LOADED) >= _KEPT_SETUPS:
                    _forget(next(iter(_LOADED)))
                _LOADED[setup] = found
    return found


def _forget(setup: WorkerSetup) -> None:
    del _LOADED[setup]
    for key in [k for k in _PLANS if k[0] == setup]:
        del _PLANS[key]


def _load(setup: WorkerSetup) -> Loaded:
    from vgptlint.api import _drop_unmet, _load_catalog, _load_dataset_info, select_rules
    from vgptlint.builtins import load_builtins
    from vgptlint.policy.load import load_policy

    if setup.version != __version__:
        raise UsageError(f"a Dask worker runs vgptlint {__version__} but this machine runs {setup.version}; "
                         "install the same version on every worker")
    load_builtins()
    try:
        policy = load_policy(setup.policy, setup.load_functions)
    except PolicyError as err:  # PolicyError does not survive pickling back to the client: flatten it
        raise UsageError(f'a Dask worker cannot load policy "{setup.policy}": {err.problems[0].render()}') from None
    services: dict = {}
    if setup.dataset_info is not None:
        _load_dataset_info(Path(setup.dataset_info), services)
    if setup.catalog:
        services["catalog"] = _load_catalog(tuple(Path(p) for p in setup.catalog))
    rules = _drop_unmet(select_rules(policy, setup.select, setup.ignore), services, [])
    if tuple(sorted(rules)) != setup.rule_ids:
        raise UsageError(f'policy "{setup.policy}" gives a Dask worker other rules than this machine; workers '
                         "must see the same policy, rule packs and vgptlint version")
    # As engine.run does with the settings prepare() made: policy settings, then the rest on top.
    settings = {"trainer": policy.trainer, **policy.settings, **pickle.loads(setup.settings)}
    cache = cache_facts(settings, services, policy.dialect) if setup.use_cache else None
    return Loaded(policy, rules, services, settings, cache)


def _plan_and_context(setup: WorkerSetup, run: FileRun):
    state = loaded(setup)
    key = (setup, *run.plan_key)
    plan = _PLANS.get(key)
    if plan is None:
        plan = plan_for(state.policy, state.rules, run.task.display, run.kind, run.format)
        with _LOCK:
            _PLANS[key] = plan
    # A fresh context per task: process_chunk writes the current record into it.
    return plan, file_context(run, state.policy, state.services, state.settings)


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
    run, items = peek_file(task, read_input(task))
    items = list(items)
    size = -(-len(items) // max(1, pieces)) or 1
    return (run.kind, run.format), [items[start:start + size] for start in range(0, len(items), size)] or [[]]


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

def lint_block(setup: WorkerSetup, task: FileTask, kind: str, block: Block) -> Part:
    return _lint(setup, FileRun(task, *kind), read_block(task.path, task.display, block))


def lint_row_group(setup: WorkerSetup, task: FileTask, kind: str, group) -> Part:
    with open_binary(task.path) as stream:
        parquet_file, problem = open_parquet(task.display, stream)
        items = [problem] if problem is not None else read_row_groups(task.display, parquet_file, [group])
        return _lint(setup, FileRun(task, *kind), items)


def lint_records(setup: WorkerSetup, task: FileTask, chunk: tuple[str, list]) -> Part:
    kind, items = chunk
    return _lint(setup, FileRun(task, *kind), items)


def _lint(setup: WorkerSetup, run: FileRun, items) -> Part:
    plan, ctx = _plan_and_context(setup, run)
    cache = _file_cache(setup, run, plan, ctx)
    outcome = process_chunk(items, plan, ctx) if cache is None else lint_blocks(items, plan, ctx, cache)
    return Part((run.kind, run.format), outcome)


def _file_cache(setup: WorkerSetup, run: FileRun, plan, ctx) -> FileCache | None:
    """Blocks only: a worker lints pieces, never a whole file, so whole-file entries stay with local runs."""
    facts = loaded(setup).cache
    if facts is None:
        return None
    key = (setup, "cache", *run.plan_key)
    found = _PLANS.get(key)
    if found is None:
        found = file_cache(facts.store, run, plan, ctx, facts.run_key, whole_file=False) or False
        with _LOCK:
            _PLANS[key] = found
    return found or None


# ------------------------------------------------------------------------------- merging and finishing

def states_of(part: Part) -> Partial:
    return Partial(part.kind, part.outcome.states, part.outcome.record_count)


def findings_of(part: Part) -> list:
    return part.outcome.findings


def merge_partials(setup: WorkerSetup, task: FileTask, left: Partial, right: Partial) -> Partial:
    """``left`` holds records before ``right``'s; the tree's shape is fixed, so the result is too."""
    plan, _ = _plan_and_context(setup, FileRun(task, *left.kind))
    states = [rule.accumulator.merge(a, b, rule.accumulator_options)
              for rule, a, b in zip(plan.aggregate_rules, left.states, right.states)]
    return Partial(left.kind, states, left.record_count + right.record_count)


def finish(setup: WorkerSetup, task: FileTask, root: Partial, *findings: list) -> FileOutcome:
    run = FileRun(task, *root.kind)
    plan, _ = _plan_and_context(setup, run)
    merged = ChunkOutcome([f for piece in findings for f in piece], root.states, root.record_count)
    close_cache(loaded(setup).cache)
    return finish_file(run, plan, merged)
