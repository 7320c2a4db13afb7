"""A run on this machine: every file through the run core, in this process or (``--jobs N``) in
worker processes (:mod:`vgptlint.run.parallel`), into one findings spool."""
from __future__ import annotations

from collections.abc import Iterable

from vgptlint.findings.result import RunResult
from vgptlint.findings.spool import FindingSpool
from vgptlint.incremental.run import cache_facts, close, lint_file_cached
from vgptlint.run.engine import FileFindings, fewer_full_collections, lint_file, run_result
from vgptlint.run.parallel import lint_file_in_pool, worker_pool
from vgptlint.run.setup import FileTask, RunSetup


def run(setup: RunSetup, tasks: Iterable[FileTask], *, jobs: int = 1, progress: object = None,
        notes: Iterable[str] = ()) -> RunResult:
    """Lint every file; returns sorted findings (a :class:`~vgptlint.findings.spool.FindingSpool`),
    per-file summaries and metrics.

    With ``setup.use_cache`` results come from and go to the result cache (:mod:`vgptlint.incremental`).
    With ``jobs > 1`` files are split into chunks linted by worker processes; the report is
    byte-identical to ``jobs=1`` (findings are sorted, accumulator states merged in file order).
    """
    findings = FindingSpool()
    outcomes = []
    cache = cache_facts(setup)  # before any record is linted: rules memoize into the services
    with fewer_full_collections(), worker_pool(jobs, setup) as pool:
        for task in tasks:
            sink = FileFindings(findings, task.display)
            if pool is not None:
                outcomes.append(lint_file_in_pool(setup, task, pool, sink, cache))
            elif cache is not None:
                outcomes.append(lint_file_cached(setup, task, sink, cache, progress))
            else:
                outcomes.append(lint_file(setup, task, sink, progress=progress))
    close(cache)
    if progress is not None:
        progress.close()
    return run_result(setup, findings, outcomes, notes)
