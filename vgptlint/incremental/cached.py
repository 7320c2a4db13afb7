"""Linting one file with the result cache: a whole-file entry, else its record table or blocks of records.

Three levels, all keyed by the file's evaluation key (:mod:`vgptlint.incremental.keys`):

- **The file**: the digest of its bytes → its record findings (file-wide problems collapsed, sorted,
  encoded as the spool encodes them) and their counts, its record count, and each dataset rule's
  decision (metrics, notes, encoded findings) with the judgment and severity it was made under;
  beside it, the rules' outcomes in one entry. Nothing changed: the findings join the run's spool as
  stored, without decoding one or parsing a record. A dataset rule whose severity changed is decided
  again from the stored outcomes; one whose bounds changed from its state: the rule's column of the
  record table when the table was made from these bytes, else (files cached in blocks) the state
  stored for it. Nothing else is read (not the 30 MB of another rule's).
- **The record table** (:mod:`vgptlint.incremental.records`), for local runs of files whose dataset
  rules all observe records: the file's last lint, record by record, so a rerun lints only the
  records it has not seen, wherever they are.
- **Blocks** of ``BLOCK_RECORDS`` consecutive records, for ``--jobs`` chunks, Dask pieces and files
  with a plugin's accumulator (cut at record indexes that are multiples of it, so every process cuts
  a file alike): the digest of each record's position (index, line, column) and raw text → the
  block's findings and accumulator states; states merge as ``--jobs`` chunks do. Positions are part
  of a block's key because findings and accumulator states hold them (a record's line, a
  duplicate's index): a block whose records moved is linted again, so no stale position is ever reused.

Every merge is the accumulators' own (associative, as ``--jobs`` and Dask rely on), and replayed
findings go through the same file-wide collapsing and sorted spool, so reports are byte-identical
to a run without the cache.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import chain

from vgptlint.findings.encoding import Encoded, decode, encode
from vgptlint.findings.counts import FindingCounts
from vgptlint.findings.spool import FindingSpool, batched
from vgptlint.incremental.keys import Unkeyable, describe, evaluation_key, judgment_key
from vgptlint.incremental.tables import table_key, table_state
from vgptlint.incremental.store import ResultStore, StoredValues
from vgptlint.inputs.records import InputProblem, Record
from vgptlint.model import Finding
from vgptlint.run.decisions import decide
from vgptlint.run.engine import (FileFindings, FileOutcome, Partial, Source, file_outcome, file_plan, finish_file, lint_source,
                                 merge_partials)
from vgptlint.run.setup import FileRun, RunSetup

BLOCK_RECORDS = 512
FINDINGS_PER_BATCH = 1024  # findings per value in a file entry: what replaying one holds in memory


@dataclass(frozen=True, slots=True)
class FileCache:
    """Where one file's results are cached: picklable, so ``--jobs`` and Dask workers get it too."""

    store: ResultStore
    key: str  # the evaluation key: plan, settings, services, code
    content: str | None = None  # the digest of the file's bytes; None: no whole-file entry (stdin, URLs)
    stat: tuple | None = None  # (size, mtime) when it was hashed: a file edited during the run is not stored

    @property
    def file_key(self) -> str:
        return f"f{self.content}{self.key}"

    def state_key(self, position: int) -> str:
        return f"s{self.content}{self.key}-{position}"


def file_cache(store: ResultStore | None, setup: RunSetup, run: FileRun, run_facts: str | None,
               whole_file: bool = True) -> FileCache | None:
    """The file's cache, or None when there is no store or its inputs cannot be described by value."""
    if store is None or run_facts is None:
        return None
    plan = file_plan(setup, run)
    ctx = setup.file_context(run)
    inputs = [(rule.id, rule.accumulator.key_inputs(rule.accumulator_options, ctx)) for rule in plan.aggregate_rules
              if rule.accumulator.key_inputs is not None]
    file_facts = (run.task.display, run.kind, run.format, run.task.spec, ctx.is_rewritable)
    try:
        key = evaluation_key((*plan.record_rules, *plan.aggregate_rules), file_facts, run_facts, inputs)
    except Unkeyable:
        return None
    stat = _stat(run.task.path) if whole_file else None
    content = None if stat is None else file_digest(run.task.path)
    return FileCache(store, key, content, stat if content is not None else None)


def file_digest(path: str) -> str | None:
    """The digest of a local file's bytes, or None (stdin, a URL, unreadable). SHA-256: on CPUs with SHA
    instructions (most since 2017) it hashes twice as fast as BLAKE2b."""
    hasher = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while block := stream.read(1 << 20):
                hasher.update(block)
    except OSError:
        return None
    return hasher.hexdigest()[:40]


def content_read(cache: FileCache, path: str) -> str | None:
    """The digest of the file's bytes, if the file is as it was when hashed (else None: it was edited
    while it was read, and what was read has no known digest)."""
    return cache.content if cache.content is not None and _stat(path) == cache.stat else None


def _stat(path: str) -> tuple | None:
    if path == "-" or "://" in path:
        return None
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns


# ------------------------------------------------------------------------------- blocks


def cached_chunks(setup: RunSetup, source: Source, cache: FileCache) -> Iterator[tuple[list[Finding], Partial]]:
    """One (findings, partial) per block of records, in file order: from the cache, else linted by the
    run core and stored."""
    store = cache.store
    for block in blocks(source.records):
        key = block_key(cache.key, block)
        found = store.get(key)
        if found is not None:
            findings, states, record_count = found
            yield [decode(f) for f in findings], Partial(states, record_count)
            continue
        findings: list[Finding] = []
        partial = lint_source(setup, Source(source.run, block), findings)
        store.put(key, ([encode(f) for f in findings], partial.states, partial.record_count))
        yield findings, partial


def blocks(items: Iterable[Record | InputProblem]) -> Iterator[list]:
    """Consecutive items cut where a record's index enters a new multiple of ``BLOCK_RECORDS`` (input
    problems without an index stay with the block they were read in)."""
    block: list = []
    number = None
    for item in items:
        index = item.index if isinstance(item, Record) else item.record_index
        if index is not None:
            here = index // BLOCK_RECORDS
            if number is not None and here != number and block:
                yield block
                block = []
            number = here
        block.append(item)
    if block:
        yield block


def block_key(file_key: str, block: list) -> str:
    """The digest of the file's evaluation key and of every item of the block, positions included."""
    hasher = hashlib.blake2b(file_key.encode(), digest_size=20)
    update = hasher.update
    for item in block:
        if isinstance(item, Record):
            update(f"\0r{item.index}:{item.line}:{item.column}\0".encode())
            update(item.text.encode("utf-8", "surrogatepass"))
        else:
            update(b"\0p" + describe(item).encode("utf-8", "surrogatepass"))
    return "b" + hasher.hexdigest()


def lint_blocks(setup: RunSetup, source: Source, cache: FileCache) -> tuple[list[Finding], Partial]:
    """A piece of a file (a ``--jobs`` chunk or a Dask piece) linted block by block through the cache."""
    findings: list[Finding] = []

    def partials() -> Iterator[Partial]:
        for block_findings, partial in cached_chunks(setup, source, cache):
            findings.extend(block_findings)
            yield partial

    return findings, merge_partials(setup, source.run, partials())


# ------------------------------------------------------------------------------- the whole file


def replay(setup: RunSetup, run: FileRun, cache: FileCache, sink: FileFindings) -> FileOutcome | None:
    """The file's outcome from its whole-file entry, or None (nothing is emitted then).

    The stored record findings join the run's spool as they are stored (encoded, collapsed, sorted),
    with their counts. A dataset rule whose judgment and severity are unchanged reuses its stored
    decision (metrics, notes, encoded findings); one whose severity changed is decided again from its
    stored outcome, and one whose judgment changed from its stored state (only that rule's is read).
    """
    if cache.content is None:
        return None
    plan = file_plan(setup, run)
    header = cache.store.get(cache.file_key + "-head")
    if header is None or len(header[2]) != len(plan.aggregate_rules):
        return None
    record_count, counts, stored = header
    decisions, encoded, dataset_counts = [], [], FindingCounts()
    outcomes = None
    for position, (rule, (judgment, severity, decision, found, found_counts)) in enumerate(zip(plan.aggregate_rules, stored)):
        if judgment == judgment_key(rule) and severity == rule.severity:
            decisions.append(decision)
            encoded.extend(found)
            dataset_counts.merge(found_counts)
            continue
        if judgment == judgment_key(rule):
            outcomes = outcomes or cache.store.get(cache.file_key + "-outcomes")
            if outcomes is None:
                return None
            outcome = outcomes[position]
        else:
            state = cache.store.get(cache.state_key(position))
            if state is None:  # a file with a record table: the rule's column of it
                state = table_state(cache.store, table_key(cache.key, run.task.display), cache.content, rule, position,
                                    len(plan.aggregate_rules))
            if state is None:
                return None
            outcome = rule.accumulator.finalize(state, rule.accumulator_options)
        decided = decide(rule, run.task.display, outcome, record_count, plan.min_records)
        decisions.append(replace(decided, findings=[]))
        encoded.extend(map(encode, decided.findings))
        dataset_counts.merge(FindingCounts.of(decided.findings))
    values = cache.store.open_values(cache.file_key)
    if values is None:
        return None
    sink.adopt(StoredFindings(values), counts)
    sink.add_encoded(encoded, dataset_counts)
    return sink.close(file_outcome(run, record_count, decisions))


class StoredFindings:
    """A file entry's findings (batches of encoded findings) as a :class:`~vgptlint.findings.spool.SortedRun`."""

    __slots__ = ("values",)

    def __init__(self, values: StoredValues) -> None:
        self.values = values

    def __iter__(self) -> Iterator[tuple]:
        return chain.from_iterable(self.values)

    def close(self) -> None:
        self.values.close()


def lint_recorded(setup: RunSetup, run: FileRun, cache: FileCache, pieces: Iterable[tuple[list[Finding], Partial]],
                  sink: FileFindings, keep_states: bool = True) -> FileOutcome:
    """Pieces' (findings, partial) in file order → the file's outcome, stored as its whole-file entry on the way.

    The file's record findings are collapsed and sorted in a spool of their own and stored in that
    form, so a rerun hands them to the run's spool without decoding, following or sorting them again;
    each dataset rule's decision is stored apart, its findings encoded.
    """
    if cache.content is None:
        return finish_file(setup, run, merge_partials(setup, run, _to_sink(pieces, sink)), sink)
    plan = file_plan(setup, run)
    own = FindingSpool()
    own_sink = FileFindings(own, sink.path)
    merged = merge_partials(setup, run, _to_sink(pieces, own_sink))
    own_sink.collapse(merged.record_count)
    stored = _stat(run.task.path) == cache.stat and _store_findings(cache, own)  # edited while read: not stored
    if stored and keep_states:  # (a file with a record table keeps each rule's observations there)
        for position, state in enumerate(merged.states):  # before finalize, which may reshape a state
            cache.store.put(cache.state_key(position), state)
    outcomes = [rule.accumulator.finalize(state, rule.accumulator_options)
                for rule, state in zip(plan.aggregate_rules, merged.states)]
    decisions = [decide(rule, run.task.display, outcome, merged.record_count, plan.min_records)
                 for rule, outcome in zip(plan.aggregate_rules, outcomes)]
    values = cache.store.open_values(cache.file_key) if stored else None
    if values is not None:
        cache.store.put(cache.file_key + "-outcomes", outcomes)
        cache.store.put(cache.file_key + "-head", (merged.record_count, own.counts, [
            (judgment_key(rule), rule.severity, replace(decision, findings=[]), [encode(f) for f in decision.findings],
             FindingCounts.of(decision.findings)) for rule, decision in zip(plan.aggregate_rules, decisions)]))
        sink.adopt(StoredFindings(values), own.counts)
    else:
        sink.add_collapsed(own)
    own.close()
    return sink.close(file_outcome(run, merged.record_count, decisions))


def _store_findings(cache: FileCache, findings: FindingSpool) -> bool:
    writer = cache.store.writer(cache.file_key)
    for batch in batched(findings.encoded(), FINDINGS_PER_BATCH):
        writer.add(batch)
    return writer.commit()


def _to_sink(pieces: Iterable[tuple[list[Finding] | Encoded, Partial]], sink: FileFindings) -> Iterator[Partial]:
    for findings, partial in pieces:
        if type(findings) is Encoded:  # a record table's, never decoded on the way to the spool
            sink.extend_data(findings)
        else:
            sink.extend(findings)
        yield partial
