"""The result cache in a run: opened once, the run's shared facts keyed once, pruned at the end."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from vgptlint.run.engine import FileFindings, FileOutcome, FilePlan, FileRun
from vgptlint.functions.base import Context
from vgptlint.incremental.cached import cached_chunks, file_cache, lint_recorded, replay
from vgptlint.incremental.keys import Unkeyable, run_facts_key
from vgptlint.incremental.store import ResultStore, open_store, prune


@dataclass(frozen=True, slots=True)
class CacheFacts:
    """What every file of a run shares in its cache key, and where results are stored."""

    store: ResultStore
    run_key: str


def cache_facts(settings: dict, services: dict, dialect: str) -> CacheFacts | None:
    """The run's cache, or None when caching is off or the settings cannot be keyed by value.

    Call it before any file is linted: rules memoize into ``services`` as they run.
    """
    store = open_store()
    if store is None:
        return None
    try:
        return CacheFacts(store, run_facts_key(settings, services, dialect))
    except Unkeyable:
        return None


def lint_file_cached(run: FileRun, plan: FilePlan, ctx: Context, facts: CacheFacts, records: Iterator,
                     sink: FileFindings | None) -> FileOutcome | None:
    """One file through the cache; None when it cannot be cached (its inputs are not keyable)."""
    cache = file_cache(facts.store, run, plan, ctx, facts.run_key)
    if cache is None:
        return None
    return replay(run, plan, cache, sink) or lint_recorded(run, plan, cache, cached_chunks(records, plan, ctx, cache), sink)


def close(facts: CacheFacts | None) -> None:
    """Keep the store within its bound once the run has written to it."""
    if facts is not None and facts.store.wrote:
        prune(facts.store)
