"""``--engine dask``: the same lint on a Dask cluster, with byte-identical reports.

The client (this machine) loads and validates the policy, lists the files (through fsspec for
URLs such as ``s3://bucket/data/*.jsonl``) and builds a task graph; workers do all the reading
and linting (see :mod:`vgptlint.run.distributed_worker`). Per file:

1. ``survey_file``: where the file splits (JSON Lines blocks of :func:`block_size`, Parquet row
   groups, or one reader for JSON arrays that cuts their records in chunks) and its dataset kind.
2. one task per piece: record rules and accumulators over its records (the run core, ``lint_source``).
3. accumulator states merged pairwise up a balanced tree in file order (a tree reduction: depth
   log2(pieces), so no single task merges every state); the tree's shape depends only on the
   number of pieces, and merges are associative, so the states match a single pass.
4. ``finish``: the accumulators finalized into the file's outcome.

The client takes the files one at a time in argument order: each piece's findings, in file order,
into the file's sink on the run's findings spool, then the outcome that closes it (file-wide problems
collapsed, dataset-level findings added), and assembles the result with
:func:`vgptlint.run.engine.run_result`, exactly as the local engine does: reports are byte-identical
to the local engine's, and the client holds one piece's findings at a time.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

from vgptlint.errors import UsageError
from vgptlint.findings.result import RunResult
from vgptlint.findings.spool import FindingSpool
from vgptlint.inputs.discover import Discovery
from vgptlint.inputs.remote import discover_inputs, is_url
from vgptlint.run import distributed_worker as worker
from vgptlint.run.engine import FileFindings, FileOutcome, lint_file, run_result
from vgptlint.run.setup import FileTask, RunSetup

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
    return discover_inputs(arguments)


def _absolute_unless_url(path: str) -> str:
    return path if is_url(path) else os.path.abspath(path)


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


def run_on_dask(setup: RunSetup, tasks: list[FileTask], scheduler: str | None = None, notes: Sequence[str] = (),
                client=None) -> RunResult:
    """Lint ``tasks`` on a Dask cluster; the same RunResult as :func:`vgptlint.run.local.run`.

    Args:
        setup: the run's setup (it travels as references; workers compile it).
        scheduler: the scheduler address; None starts a local cluster.
        client: an existing ``distributed.Client``; by default one is made from ``scheduler``.
    """
    if client is None:
        with dask_client(scheduler) as own_client:
            return run_on_dask(setup, tasks, scheduler, notes, own_client)
    findings = FindingSpool()
    return run_result(setup, findings, lint_files(client, setup, tasks, findings), notes)


def lint_files(client, setup: RunSetup, tasks: list[FileTask], findings: FindingSpool) -> Iterator[FileOutcome]:
    """Every task's outcome, in task order, its findings put into ``findings`` piece by piece as they
    are needed; stdin is read and linted here (workers cannot see it)."""
    # Workers open local files by absolute path (their working directory is their own); reports
    # keep the path as the user wrote it.
    remote = [replace(task, path=_absolute_unless_url(task.path)) for task in tasks if task.path != "-"]
    sizes = client.gather(client.map(worker.size_or_zero, [t.path for t in remote], pure=False))
    threads = sum(client.nthreads().values()) or 1
    surveys = client.gather(client.map(worker.survey_file, remote, block_bytes=block_size(sum(sizes), threads),
                                       pure=False))
    graphs = iter([_file_graph(client, setup, task, survey) for task, survey in zip(remote, surveys)])
    for task in tasks:
        sink = FileFindings(findings, task.display)
        if task.path == "-":
            yield lint_file(setup, task, sink)
            continue
        pieces, finished = next(graphs)
        for piece in pieces:
            sink.extend(piece.result())
            piece.release()  # the cluster may now forget this piece's findings
        yield sink.close(finished.result())
        finished.release()


def block_size(total_bytes: int, threads: int) -> int:
    """
    >>> block_size(64 << 20, 2) == 8 << 20, block_size(1 << 40, 64) == MAX_BLOCK_BYTES
    (True, True)
    """
    return max(MIN_BLOCK_BYTES, min(MAX_BLOCK_BYTES, total_bytes // (PIECES_PER_THREAD * threads)))


def _file_graph(client, setup: RunSetup, task: FileTask, survey) -> tuple[list, object]:
    """Submit one file's pieces, its merge tree and its finish; returns the futures of the pieces'
    findings (in file order) and of the file's outcome."""
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
        paired = [submit(worker.merge_pair, setup, task, a, b, pure=False) for a, b in zip(level[::2], level[1::2])]
        level = paired + level[len(paired) * 2:]
    findings = [submit(worker.findings_of, part, pure=False) for part in parts]
    return findings, submit(worker.finish, setup, task, level[0], pure=False)
