"""``--engine dask``: the same lint on a Dask cluster, with byte-identical reports.

The client (this machine) loads and validates the policy, lists the files (through fsspec for
URLs such as ``s3://bucket/data/*.jsonl``) and builds a task graph; workers do all the reading
and linting (see :mod:`vgptlint.run.distributed_worker`). Per file:

1. ``survey_file``: where the file splits (JSON Lines blocks of :func:`block_size`, Parquet row
   groups, or one reader for JSON arrays that cuts their records in chunks) and its dataset kind.
2. one task per piece: record rules and accumulators over its records (``process_chunk``).
3. accumulator states merged pairwise up a balanced tree in file order (a tree reduction: depth
   log2(pieces), so no single task merges every state); the tree's shape depends only on the
   number of pieces, and merges are associative, so the states match a single pass.
4. ``finish``: findings concatenated in file order, file-wide collapsing, accumulators finalized.

The client gathers the files' outcomes one at a time in argument order into a findings spool and
sorts metrics exactly as :func:`vgptlint.run.engine.run` does, so reports are byte-identical to the local
engine's, and the client holds one file's findings at a time (workers hold one file's while finishing it).
"""
from __future__ import annotations

import logging
import os
import pickle
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from vgptlint import __version__
from vgptlint.run.engine import INVALID_INPUT, FileOutcome, FileTask, lint_items, rule_info
from vgptlint.errors import UsageError
from vgptlint.inputs.discover import Discovery
from vgptlint.inputs.read import read_source
from vgptlint.findings.result import RunResult
from vgptlint.findings.spool import FindingSpool

NEEDS_DASK = '--engine dask needs: pip install "vgptlint[dask]"'
# Bytes of input per lint task (a JSON Lines block; a JSON array's records are cut likewise):
# about PIECES_PER_THREAD pieces per worker thread, so that uneven pieces even out, but at least
# a second of linting (which dwarfs a task's ~1 ms of scheduling) and at most a bounded amount
# of memory per task.
PIECES_PER_THREAD = 4
MIN_BLOCK_BYTES = 1 << 20
MAX_BLOCK_BYTES = 64 << 20
CONNECT_TIMEOUT = "20s"


def require_dask() -> None:
    """Raises UsageError (one line, exit 2) when the ``dask`` extra is not installed."""
    try:
        import distributed  # noqa: F401
        import fsspec  # noqa: F401
    except ImportError:
        raise UsageError(NEEDS_DASK) from None


def discover(arguments: Sequence[str]) -> Discovery:
    """The files to lint: plain paths as the local engine lists them, URLs through fsspec."""
    require_dask()
    from vgptlint.inputs.remote import discover_inputs

    return discover_inputs(arguments)


def worker_setup(prepared, options) -> object:
    """What workers need to rebuild ``prepared.rules``: the policy reference, never the compiled policy."""
    from vgptlint.api import split_words
    from vgptlint.run.distributed_worker import WorkerSetup

    dataset_info, catalog = prepared.service_paths
    return WorkerSetup(
        policy=_absolute_if_file(options.policy),
        select=split_words(options.select),
        ignore=split_words(options.ignore),
        dataset_info=None if dataset_info is None else str(Path(dataset_info).resolve()),
        catalog=tuple(str(Path(p).resolve()) for p in catalog),
        settings=pickle.dumps(_settings_beyond_policy(prepared.settings, prepared.policy.settings)),
        rule_ids=tuple(sorted(prepared.rules)),
        run_id=uuid.uuid4().hex,
        load_functions=options.load_functions,
        use_cache=not options.no_cache,
    )


def _settings_beyond_policy(settings: dict, policy_settings: dict) -> dict:
    """The settings a worker cannot rebuild from the policy itself (command line, dataset_info).

    The policy's own settings hold compiled objects (facet predicates) that do not pickle; the
    worker compiles the same policy and takes them from there.
    """
    return {key: value for key, value in settings.items() if policy_settings.get(key, _ABSENT) is not value}


_ABSENT = object()


def _absolute_unless_url(path: str) -> str:
    from vgptlint.inputs.remote import is_url

    return path if is_url(path) else os.path.abspath(path)


def _absolute_if_file(reference: str) -> str:
    # A policy file is named by its absolute path, which a worker on this machine (or one sharing
    # this file system) can open whatever its working directory; a shipped name stays a name.
    path = Path(reference)
    return str(path.resolve()) if path.is_file() else reference


# ------------------------------------------------------------------------------- the cluster

@contextmanager
def dask_client(scheduler: str | None) -> Iterator[object]:
    """A Client of the cluster at ``scheduler``, or of a new LocalCluster sized to this machine."""
    require_dask()
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as err:
            raise UsageError(f'--scheduler "{scheduler}": cannot connect to a Dask scheduler there: {err}') from None
        with client:
            yield client
        return
    # One single-threaded worker process per core: linting is pure Python, so threads would
    # only contend for the GIL.
    with LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


def run_on_dask(prepared, options, client=None) -> RunResult:
    """Lint ``prepared.tasks`` on a Dask cluster; the same RunResult as :func:`vgptlint.run.engine.run`.

    Args:
        prepared: what :func:`vgptlint.api.prepare` returned.
        options: the CheckOptions it was prepared with (policy reference, selection, scheduler).
        client: an existing ``distributed.Client``; by default one is made from ``options.scheduler``.
    """
    if client is None:
        with dask_client(options.scheduler) as own_client:
            return run_on_dask(prepared, options, own_client)
    setup = worker_setup(prepared, options)
    outcomes = lint_files(client, setup, prepared)
    return run_result(prepared, outcomes)


def run_result(prepared, outcomes: Iterable[FileOutcome]) -> RunResult:
    """Files' outcomes (in task order) → the run's result, assembled as :func:`vgptlint.run.engine.run` does.

    Each outcome's findings go to the spool as it arrives and are not kept with it.
    """
    findings = FindingSpool()
    files, metrics, notes = [], [], list(prepared.notes)
    for outcome in outcomes:
        findings.extend(outcome.findings)
        files.append(outcome.summary)
        metrics.extend(outcome.metrics)
        notes = [*notes, *(n for n in getattr(outcome, "notes", ()) if n not in notes)]
    metrics.sort(key=lambda m: (m.rule, m.path))
    infos = [INVALID_INPUT, *(rule_info(r) for r in prepared.rules.values() if r.is_enabled)]
    return RunResult(policy=prepared.policy.path, tool_version=__version__, findings=findings,
                     files=files, rules=infos, metrics=metrics, notes=notes)


def lint_files(client, setup, prepared) -> Iterator[FileOutcome]:
    """Every task's outcome, in task order, each gathered when it is needed; stdin is read and linted
    here (workers cannot see it)."""
    from vgptlint.run import distributed_worker as worker

    # Workers open local files by absolute path (their working directory is their own); reports
    # keep the path as the user wrote it.
    remote = [replace(task, path=_absolute_unless_url(task.path)) for task in prepared.tasks if task.path != "-"]
    sizes = client.gather(client.map(worker.size_or_zero, [t.path for t in remote], pure=False))
    threads = sum(client.nthreads().values()) or 1
    surveys = client.gather(client.map(worker.survey_file, remote, block_bytes=block_size(sum(sizes), threads),
                                       pure=False))
    futures = iter([_file_graph(client, setup, task, survey) for task, survey in zip(remote, surveys)])
    settings = {"trainer": prepared.policy.trainer, **prepared.settings}
    for task in prepared.tasks:
        if task.path != "-":
            future = next(futures)
            yield future.result()
            future.release()  # the cluster may now forget this file's findings
        else:
            yield lint_items(read_source(task.path, task.display), task, prepared.policy, prepared.rules,
                             prepared.services, settings)


def block_size(total_bytes: int, threads: int) -> int:
    """
    >>> block_size(64 << 20, 2) == 8 << 20, block_size(1 << 40, 64) == MAX_BLOCK_BYTES
    (True, True)
    """
    return max(MIN_BLOCK_BYTES, min(MAX_BLOCK_BYTES, total_bytes // (PIECES_PER_THREAD * threads)))


def _file_graph(client, setup, task: FileTask, survey):
    """Submit one file's pieces, its merge tree and its finish; returns the FileOutcome future."""
    from vgptlint.run import distributed_worker as worker

    submit = client.submit
    if survey.mode == "blocks":
        parts = [submit(worker.lint_block, setup, task, survey.kind, block, pure=False) for block in survey.pieces]
    elif survey.mode == "row-groups":
        parts = [submit(worker.lint_row_group, setup, task, survey.kind, group, pure=False) for group in survey.pieces]
    else:
        (count,) = survey.pieces
        whole = submit(worker.read_whole, task, count, pure=False)
        chunks = [submit(worker.chunk_of, whole, number, pure=False) for number in range(count)]
        parts = [submit(worker.lint_records, setup, task, chunk, pure=False) for chunk in chunks]
    level = [submit(worker.states_of, part, pure=False) for part in parts]
    while len(level) > 1:  # pair neighbours, so every merge joins consecutive records
        paired = [submit(worker.merge_partials, setup, task, a, b, pure=False) for a, b in zip(level[::2], level[1::2])]
        level = paired + level[len(paired) * 2:]
    findings = [submit(worker.findings_of, part, pure=False) for part in parts]
    return submit(worker.finish, setup, task, level[0], *findings, pure=False)
