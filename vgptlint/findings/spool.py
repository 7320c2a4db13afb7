"""A findings spool: findings in any order in, one sorted stream out, in bounded memory.

The engine produces findings file by file, in record order, with each file's dataset-level findings
at its end; reports list them sorted by :meth:`Finding.sort_key`. Holding them all to sort them was
most of a big run's memory (370,000 findings of about 1 KB each for 625,000 records), so the spool
keeps at most ``memory_limit`` findings in memory. When that many are waiting it sorts them and
writes them to an anonymous temporary file as one sorted *run* (batches of plain tuples, pickled and
compressed: about 45 bytes a finding), then starts again. Iterating merges the runs and the findings
still in memory with :func:`heapq.merge`, one batch per run in memory at a time. Runs are merged 64
into 1 as they pile up (``FAN_IN``), so a run of any size keeps few files and few batches open.

The stream equals ``sorted(findings, key=Finding.sort_key)``: the sort is stable, runs are written
in arrival order, and ``heapq.merge`` takes equal keys from earlier runs first, so findings with equal
keys come out in the order they went in. Counts (by severity, by rule, fixable) are kept as findings
arrive (:class:`~vgptlint.findings.counts.FindingCounts`), so a report can print its summary before its findings.

The spool holds findings as :mod:`vgptlint.findings.encoding` encodes them (plain tuples, sort key
first), in memory and in runs, and decodes them only when they are iterated: findings that arrive
encoded (a rerun's, from the record table: :meth:`FindingSpool.add_data`) are never decoded on the
way through. Findings already encoded and sorted elsewhere (a file's, replayed from the result cache)
join as runs of their own with their counts (:meth:`FindingSpool.adopt`), so a rerun neither decodes
nor sorts them again. A cached file's dataset-level findings arrive as a list and stay one in memory
while those kept so total at most ``memory_limit`` (:meth:`FindingSpool.add_encoded`).
"""
from __future__ import annotations

import heapq
import pickle
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Protocol

from vgptlint.findings.collapse import collapse_key
from vgptlint.findings.counts import FindingCounts
from vgptlint.findings.encoding import SORT_FIELDS, decode, encode
from vgptlint.model import Finding

# 20,000 findings are about 20 MB in memory: a 60k-record run never spills, a 600k-record run
# writes about 20 runs (16 MB of temporary file), and memory no longer grows with the findings.
DEFAULT_MEMORY_LIMIT = 20_000
BATCH_SIZE = 256  # findings per pickled batch: what a run's reader holds in memory
FAN_IN = 64  # runs merged at once: 64 batches of 256 findings in memory while merging


# ------------------------------------------------------------------------------- runs


def batched(items: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    """Consecutive lists of at most ``size`` items (what a run or a cache entry stores as one value).

    >>> list(batched(iter([(1,), (2,), (3,)]), 2))
    [[(1,), (2,)], [(3,)]]
    """
    batch: list[tuple] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Run:
    """One sorted run in its own anonymous temporary file: compressed pickled batches of encoded findings."""

    __slots__ = ("file", "batches", "level")

    def __init__(self, encoded: Iterable[tuple], level: int) -> None:
        self.file = tempfile.TemporaryFile(prefix="vgptlint-findings-")
        self.batches: list[tuple[int, int]] = []  # (offset, length) of each batch
        self.level = level
        for batch in batched(encoded, BATCH_SIZE):
            self._write(batch)

    def _write(self, batch: list[tuple]) -> None:
        blob = zlib.compress(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL), 1)
        self.batches.append((self.file.tell(), len(blob)))
        self.file.write(blob)

    def __iter__(self) -> Iterator[tuple]:
        """The encoded findings in order; any number of readers may interleave (each seeks before it reads)."""
        for offset, length in self.batches:
            self.file.seek(offset)
            yield from pickle.loads(zlib.decompress(self.file.read(length)))

    def close(self) -> None:
        self.file.close()


class _Kept(list):
    """A sorted run held in memory (:meth:`FindingSpool.add_encoded`)."""

    level = 0

    def close(self) -> None:
        self.clear()


class SortedRun(Protocol):
    """Encoded findings kept elsewhere, already sorted (a cached file's, :meth:`FindingSpool.adopt`):
    iterable any number of times, interleaved, like a spilled run."""

    def __iter__(self) -> Iterator[tuple]: ...

    def close(self) -> None: ...


class _Adopted:
    """A :class:`SortedRun` among the spool's runs."""

    __slots__ = ("run", "level")

    def __init__(self, run: SortedRun) -> None:
        self.run, self.level = run, 0

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.run)

    def close(self) -> None:
        self.run.close()


# ------------------------------------------------------------------------------- the spool


class FindingSpool:
    """Findings in any order in (:meth:`add`), sorted out (iteration), in bounded memory; see the module docstring.

    Iterating does not consume: each iteration merges from the start, and findings may still be
    added afterwards. ``len()`` and :attr:`counts` are known without iterating.

    >>> from vgptlint.model import Location, Severity
    >>> spool = FindingSpool(memory_limit=2)
    >>> spool.extend(Finding("r", Severity.INFO, "m", Location("a.json", line), "fp") for line in (5, 3, 9, 1, 4))
    >>> [f.location.line for f in spool], len(spool), spool.spilled_run_count
    ([1, 3, 4, 5, 9], 5, 2)
    """

    def __init__(self, memory_limit: int | None = None) -> None:
        self.memory_limit = max(1, memory_limit or DEFAULT_MEMORY_LIMIT)
        self.counts = FindingCounts()
        self._waiting: list[tuple] = []  # encoded, in arrival order
        self._runs: list[_Run | _Adopted | _Kept] = []
        self._kept_count = 0  # findings ever kept in memory as runs (add_encoded), merged or not
        self._forgotten: dict[str, set[tuple[str, str, str]]] = {}

    def add(self, finding: Finding) -> None:
        self.add_data(encode(finding))

    def add_data(self, data: tuple) -> None:
        """Add one encoded finding (:func:`~vgptlint.findings.encoding.encode`)."""
        self._waiting.append(data)
        self.counts.add_data(data)
        if len(self._waiting) >= self.memory_limit:
            self._spill()

    def add_all(self, datas: list[tuple]) -> None:
        """:meth:`add_data` of each encoded finding in turn, spilling at the same points."""
        start = 0
        while start < len(datas):
            part = datas[start:start + self.memory_limit - len(self._waiting)]
            self._waiting += part
            self.counts.add_all(part)
            start += len(part)
            if len(self._waiting) >= self.memory_limit:
                self._spill()

    append = add  # so code written for a list of findings can fill a spool

    def extend(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.add(finding)

    def adopt(self, run: SortedRun, counts: FindingCounts) -> None:
        """Take findings that are already encoded and sorted, with their counts, without decoding them
        (a file's findings replayed from the result cache): they join the merge as a run of their own.

        The stream stays ``sorted(all findings)`` in arrival order: an adopted run is one file's,
        whose findings arrive together, and findings of different files never have equal sort keys
        (the key starts with the path, and a run lints each path once).
        """
        self.counts.merge(counts)
        self._add_run(_Adopted(run))

    def add_encoded(self, encoded: list[tuple], counts: FindingCounts) -> None:
        """Encoded findings of one file in arrival order, with their counts (a cached file's
        dataset-level findings): sorted, and a run of their own without being decoded. The run stays
        in memory while those kept so total at most ``memory_limit``: writing a few thousand findings
        to a file and reading them back was ~8 ms of a cached rerun."""
        if encoded:
            self.counts.merge(counts)
            run = sorted(encoded, key=SORT_FIELDS)
            if self._kept_count + len(run) > self.memory_limit:
                self._add_run(_Run(run, level=0))
                return
            self._kept_count += len(run)
            self._add_run(_Kept(run))

    def forget(self, path: str, keys: set[tuple[str, str, str]], removed: dict[tuple[str, str, str], Counter]) -> None:
        """Drop the findings of ``path`` that have no fix, sit at a record and whose (rule, pointer,
        message) is in ``keys`` (what a file-wide finding replaces); ``removed`` says how many of each
        severity every key had, for the counts."""
        if not keys:
            return
        self._forgotten.setdefault(path, set()).update(keys)
        self._waiting = [data for data in self._waiting if not self._is_forgotten(data)]
        for key in keys:
            self.counts.remove(key[0], path, removed[key])

    def _is_forgotten(self, data: tuple) -> bool:
        keys = self._forgotten.get(data[0])
        return keys is not None and collapse_key(data) in keys

    def __len__(self) -> int:
        return self.counts.total

    def __bool__(self) -> bool:
        return self.counts.total > 0

    @property
    def spilled_run_count(self) -> int:
        return len(self._runs)

    def __iter__(self) -> Iterator[Finding]:
        return map(decode, self.encoded())

    def first_of_each(self, count: int) -> Iterator[Finding]:
        """The sorted stream keeping only the first ``count`` findings of each (path, rule): what a
        report that shows a few of each needs (the text report), without decoding the others.

        >>> from vgptlint.model import Location, Severity
        >>> spool = FindingSpool(memory_limit=2)
        >>> spool.extend(Finding(rule, Severity.INFO, "m", Location("a.json", line), "fp") for line, rule in
        ...              [(5, "r"), (3, "r"), (9, "s"), (1, "r"), (4, "s")])
        >>> [(f.location.line, f.rule) for f in spool.first_of_each(1)]
        [(1, 'r'), (4, 's')]
        """
        # The first ``count`` of a (path, rule) in the merged stream are among its first ``count`` in
        # each run: cutting every run first leaves the merge a few hundred findings, not all of them.
        self._waiting.sort(key=SORT_FIELDS)
        runs = [_first_of_each(self._unforgotten(run), count) for run in (*self._runs, list(self._waiting))]
        merged = runs[0] if len(runs) == 1 else heapq.merge(*runs, key=SORT_FIELDS)
        return map(decode, _first_of_each(merged, count))

    def encoded(self) -> Iterator[tuple]:
        """The sorted stream as encoded findings (:func:`encode`): what the result cache stores.
        One merge of the runs and the waiting findings (last: they arrived last)."""
        self._waiting.sort(key=SORT_FIELDS)  # stable: equal keys keep their arrival order
        return self._merged_encoded([*self._runs, list(self._waiting)])

    def _merged_encoded(self, runs: list[Iterable[tuple]]) -> Iterator[tuple]:
        """Sorted runs merged; equal keys come from earlier runs first. Forgotten findings are only
        ever in spilled or adopted runs (``forget`` drops the waiting ones), so filtering the
        waiting ones too changes nothing."""
        merged = runs[0] if len(runs) == 1 else heapq.merge(*runs, key=SORT_FIELDS)
        return self._unforgotten(merged)

    def _unforgotten(self, encoded: Iterable[tuple]) -> Iterator[tuple]:
        if not self._forgotten:
            return iter(encoded)
        return (data for data in encoded if not self._is_forgotten(data))

    def _spill(self) -> None:
        waiting, self._waiting = self._waiting, []
        waiting.sort(key=SORT_FIELDS)
        self._add_run(_Run(waiting, level=0))

    def _add_run(self, run: _Run | _Adopted) -> None:
        self._runs.append(run)
        # Tiered merging: FAN_IN consecutive runs of one level become one run of the next, so each
        # finding is rewritten about log64(findings / memory_limit) times and few runs stay open
        # (none up to 1.28 million findings with the default limit).
        while len(self._runs) >= FAN_IN and len({run.level for run in self._runs[-FAN_IN:]}) == 1:
            group = self._runs[-FAN_IN:]
            merged = _Run(self._merged_encoded(group), level=group[0].level + 1)
            for run in group:
                run.close()
            self._runs[-FAN_IN:] = [merged]

    def close(self) -> None:
        """Delete the temporary files now (they go anyway when the spool is garbage collected)."""
        for run in self._runs:
            run.close()
        self._runs = []


def _first_of_each(encoded: Iterable[tuple], count: int) -> Iterator[tuple]:
    """``encoded`` without what follows the first ``count`` findings of each (path, rule)."""
    shown: dict[tuple[str, str], int] = {}
    for data in encoded:
        key = data[0], data[3]
        seen = shown.get(key, 0)
        if seen < count:
            shown[key] = seen + 1
            yield data
