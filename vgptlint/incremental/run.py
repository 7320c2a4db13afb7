"""The result cache in a run: opened once per process, the run's shared facts keyed once, pruned at the end."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from vgptlint.incremental.cached import (FileCache, cached_chunks, content_read, file_cache, lint_blocks, lint_recorded,
                                         replay)
from vgptlint.incremental.keys import Unkeyable, run_facts_key
from vgptlint.incremental.records import observes_all, table_pieces
from vgptlint.incremental.tables import TableLost, restore_version, table_key
from vgptlint.incremental.store import ResultStore, open_store, prune
from vgptlint.inputs.read import read_source
from vgptlint.inputs.records import KnownRecords
from vgptlint.model import Finding
from vgptlint.run.engine import FileFindings, FileOutcome, Partial, Source, file_plan, finish_file, lint_source, peek_file
from vgptlint.run.progress import counted
from vgptlint.run.setup import FileRun, FileTask, RunSetup, compiled


@dataclass(frozen=True, slots=True)
class CacheFacts:
    """What every file of a run shares in its cache key, and where results are stored."""

    store: ResultStore
    run_key: str


def cache_facts(setup: RunSetup) -> CacheFacts | None:
    """The run's cache, or None when caching is off or the setup cannot be keyed by value.

    Call it before any file is linted: rules memoize into the services as they run.
    """
    if not setup.use_cache:
        return None
    store = open_store()
    if store is None:
        return None
    state = compiled(setup)
    # Everything of the setup that can change a verdict (the policy's rules are keyed per file).
    facts = {"trainer": setup.trainer, "seed": setup.seed, "use_suppressions": setup.use_suppressions,
             "verify_fixes": setup.verify_fixes, "working_directory": setup.working_directory,
             "policy_settings": state.policy.settings}
    try:
        return CacheFacts(store, run_facts_key(facts, state.services, state.policy.dialect))
    except Unkeyable:
        return None


def lint_file_cached(setup: RunSetup, task: FileTask, sink: FileFindings, facts: CacheFacts,
                     progress: object = None) -> FileOutcome:
    """One whole file through the cache: its whole-file entry, else its record table (or its blocks,
    when a rule's accumulator does not observe records), linting only what is not cached."""
    known = KnownRecords()  # filled from the record table once the file's plan is known
    source = peek_file(task, counted(read_source(task.path, task.display, known), task.display, progress))
    cache = file_cache(facts.store, setup, source.run, facts.run_key)
    if cache is None:  # its inputs are not keyable
        return finish_file(setup, source.run, lint_source(setup, source, sink), sink)
    replayed = replay(setup, source.run, cache, sink)
    has_table = observes_all(file_plan(setup, source.run))
    if replayed is not None:
        if has_table:
            restore_version(cache.store, table_key(cache.key, task.display), cache.content)
        return replayed
    if not has_table:
        return lint_recorded(setup, source.run, cache, cached_chunks(setup, source, cache), sink)
    key = table_key(cache.key, task.display)
    # With the file's digest known, its findings go to a spool of its own until the end (lint_recorded),
    # so a table lost midway costs only linting the file again, read again.
    reread = cache.content is not None
    pieces = table_pieces(setup, source, cache.store, key, lambda: content_read(cache, task.path), known, reread=reread)
    try:
        return lint_recorded(setup, source.run, cache, pieces, sink, keep_states=False)
    except TableLost:
        source = peek_file(task, counted(read_source(task.path, task.display), task.display, progress))
        pieces = table_pieces(setup, source, cache.store, key, lambda: content_read(cache, task.path), KnownRecords(),
                              reread=reread, use_previous=False)
        return lint_recorded(setup, source.run, cache, pieces, sink, keep_states=False)


# ------------------------------------------------------------------------------- Dask workers

_WORKER_FACTS: dict = {}  # setup.key -> CacheFacts | None, once per worker process
_WORKER_FILES: dict = {}  # (setup.key, plan key) -> FileCache | False
_LOCK = threading.Lock()  # a Dask worker runs tasks in threads


def worker_facts(setup: RunSetup) -> CacheFacts | None:
    key = setup.key
    if key not in _WORKER_FACTS:
        found = cache_facts(setup)
        with _LOCK:
            _WORKER_FACTS.setdefault(key, found)
    return _WORKER_FACTS[key]


def lint_piece(setup: RunSetup, run: FileRun, items) -> tuple[list[Finding], Partial]:
    """A Dask piece through the worker machine's cache, block by block (a worker lints pieces, never a
    whole file, so whole-file entries stay with local runs)."""
    cache = _piece_cache(setup, run)
    if cache is None:
        findings: list[Finding] = []
        return findings, lint_source(setup, Source(run, items), findings)
    return lint_blocks(setup, Source(run, items), cache)


def _piece_cache(setup: RunSetup, run: FileRun) -> FileCache | None:
    facts = worker_facts(setup)
    if facts is None:
        return None
    key = (setup.key, *run.plan_key)
    found = _WORKER_FILES.get(key)
    if found is None:
        found = file_cache(facts.store, setup, run, facts.run_key, whole_file=False) or False
        with _LOCK:
            _WORKER_FILES[key] = found
    return found or None


def close(facts: CacheFacts | None) -> None:
    """Keep the store within its bound once the run has written to it."""
    if facts is not None and facts.store.wrote:
        prune(facts.store)


def close_worker(setup: RunSetup) -> None:
    if setup.use_cache:
        close(_WORKER_FACTS.get(setup.key))
