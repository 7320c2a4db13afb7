"""``--jobs N``: lint chunks of files in worker processes, with the same result as one process.

Workers are forked after the policy is compiled and the catalog loaded (the run's
:class:`~vgptlint.run.setup.RunSetup` carries them), so they inherit both and nothing big is pickled on
the way in; each runs the run core (:func:`~vgptlint.run.engine.lint_source`) on its chunks. JSON Lines files are split into byte ranges that each
worker reads itself (the parent only counts newlines), so reading is parallel too; JSON arrays,
stdin and files with a BOM are read by the parent and sent in chunks of records. Chunk outcomes
come back in file order and accumulator states are merged in that order.
"""
from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice

from vgptlint.deferred import DeferredModule
from vgptlint.incremental.cached import FileCache, file_cache, lint_blocks, lint_recorded, replay
from vgptlint.incremental.run import CacheFacts
from vgptlint.inputs.jsonl import read_jsonl
from vgptlint.inputs.read import read_source
from vgptlint.inputs.style import describe_file, line_is_json
from vgptlint.model import Finding
from vgptlint.run.engine import (FileFindings, FileOutcome, Partial, Source, finish_file, lint_source, merge_partials,
                                 peek_file)
from vgptlint.run.setup import FileRun, FileTask, RunSetup

# Imported when a pool of workers is first started (~1 ms): one process (--jobs 1, small inputs) needs none.
multiprocessing = DeferredModule("multiprocessing")

RECORDS_PER_CHUNK = 2_000
MIN_RANGE_BYTES = 1 << 20
# Below this much input a pool costs more than it saves; the output is identical either way.
MIN_PARALLEL_BYTES = 8 << 20
_BLANK_LINE = re.compile(rb"(?m)^[ \t\r]*\n")

_WORKER: dict = {}  # the parent puts the run's setup here before forking; workers read it
_STOPPING = {signal.SIGINT, signal.SIGTERM}
STOP_SECONDS = 5  # at most this long (twice) to stop the pool after an interrupt


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int
    first_line: int
    first_index: int


def effective_jobs(jobs: int | None, paths: list[str]) -> int:
    """``None`` means one job per core; small inputs always run in one process."""
    wanted = os.cpu_count() or 1 if jobs is None else max(1, jobs)
    if wanted == 1:
        return 1
    total = sum(os.path.getsize(p) for p in paths if p != "-" and os.path.isfile(p))
    return wanted if total >= MIN_PARALLEL_BYTES else 1


@contextmanager
def worker_pool(jobs: int, setup: RunSetup) -> Iterator[object]:
    if jobs <= 1:
        yield None
        return
    _WORKER.update(setup=setup)
    try:
        # Signals wait while the pool is made: an interrupt can then only arrive once `pool` exists
        # (and is terminated on the way out), and a worker takes its own signal dispositions first.
        unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
        others = set(multiprocessing.active_children())
        try:
            pool = multiprocessing.get_context("fork").Pool(jobs, _leave_signals_to_the_parent, (unblocked,))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
        try:
            yield pool
        except BaseException:
            _stop_at_once(pool, others)
            raise
        pool.terminate()  # idle workers: each takes its end-of-work sentinel and exits
    finally:
        _WORKER.clear()


def _stop_at_once(pool, others: set) -> None:
    """An interrupt or an error while workers are busy: kill them, and give the pool's tidying a bounded time.

    ``Pool.terminate`` alone can wait forever for a queue lock that a worker held when it died (one
    killed while waiting for work holds the task queue's read lock). So it runs in a daemon thread
    (which first stops the pool replacing dead workers), the workers are killed, and the thread gets
    a few seconds; any worker started meanwhile is killed too. The pool's exit-time finalizer is
    that same call, so it does not run again at exit.
    """
    tidy = threading.Thread(target=pool.terminate, name="vgptlint-pool-stop", daemon=True)
    tidy.start()
    for _ in range(2):
        for worker in _children_except(others):
            worker.kill()
            worker.join(STOP_SECONDS)
        tidy.join(STOP_SECONDS)


def _children_except(others: set) -> list:
    return [child for child in multiprocessing.active_children() if child not in others]


def _leave_signals_to_the_parent(unblocked: set) -> None:
    """Ctrl-C and ``kill -TERM -PGID`` reach a whole process group. A worker killed by one while it
    waits for work dies holding the pool's queue lock, and the parent then waits for that lock forever
    when it stops the pool. So workers leave the group: the parent alone gets such signals, stops the
    run and terminates the pool (SIGTERM to each worker, which simply ends it)."""
    os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)  # forked with them blocked (worker_pool)


def lint_file_in_pool(setup: RunSetup, task: FileTask, pool, sink: FileFindings,
                      cache_facts: CacheFacts | None = None) -> FileOutcome:
    """Lint one file in the pool; each chunk's findings go to ``sink`` as the chunk comes back, in file order.

    With ``cache_facts`` the file's whole-file entry is tried first, and workers lint their chunks
    block by block through the result cache (:mod:`vgptlint.incremental`).
    """
    ranges = jsonl_ranges(task.path) if task.path != "-" else None
    if ranges is None:
        source = peek_file(task, read_source(task.path, task.display))
    else:
        source = peek_file(task, islice(read_source(task.path, task.display), 1))
    cache = None if cache_facts is None else file_cache(cache_facts.store, setup, source.run, cache_facts.run_key)
    if cache is not None:
        found = replay(setup, source.run, cache, sink)
        if found is not None:
            return found
    if ranges is None:
        work = pool.imap(_lint_records, ((source.run, chunk, cache) for chunk in _chunks(source.records, RECORDS_PER_CHUNK)))
    else:
        work = pool.imap(_lint_range, ((source.run, byte_range, cache) for byte_range in ranges))
    if cache is not None:
        return lint_recorded(setup, source.run, cache, work, sink)
    partial = merge_partials(setup, source.run, _findings_to(sink, work))
    return finish_file(setup, source.run, partial, sink)


def _findings_to(sink: FileFindings, work: Iterator[tuple[list[Finding], Partial]]) -> Iterator[Partial]:
    for findings, partial in work:
        sink.extend(findings)
        yield partial


def jsonl_ranges(path: str, pieces: int = 16) -> list[ByteRange] | None:
    """Newline-aligned byte ranges of a JSON Lines file, with the line and record index each starts at.

    None when the file is not plain JSON Lines (array, BOM, unreadable): the parent reads it instead.
    The parent reads the file once, a block at a time, to count lines; workers re-read their own range.
    """
    info = describe_file(path)
    if info is None or info.format != "jsonl" or info.has_bom:
        return None
    size = os.path.getsize(path)
    count = max(1, min(pieces, size // MIN_RANGE_BYTES))
    with open(path, "rb") as stream:
        first = next((line for line in islice(stream, 64) if line.strip()), b"")
        if not line_is_json(first):  # e.g. one pretty-printed object: the parent's reader reports it once
            return None
        bounds = [0]
        for k in range(1, count):
            cut = _next_newline(stream, k * size // count)
            if cut == -1:
                break
            if cut + 1 > bounds[-1]:
                bounds.append(cut + 1)
        bounds.append(size)
        ranges, line, index = [], 1, 0
        for start, end in zip(bounds, bounds[1:]):
            if end <= start:
                continue
            ranges.append(ByteRange(start, end, line, index))
            newlines, blank, last_line = _count_lines(stream, start, end)
            tail_is_record = end == size and last_line.strip() != b""  # a last line without its newline
            line += newlines
            index += newlines - blank + (1 if tail_is_record else 0)
    return ranges


COUNT_BLOCK_BYTES = 16 << 20


def _next_newline(stream, offset: int) -> int:
    """The offset of the first newline at or after ``offset``, or -1."""
    stream.seek(offset)
    while block := stream.read(COUNT_BLOCK_BYTES):
        found = block.find(b"\n")
        if found != -1:
            return offset + found
        offset += len(block)
    return -1


def _count_lines(stream, start: int, end: int) -> tuple[int, int, bytes]:
    """Newlines and blank lines in ``[start, end)`` (which starts a line), and the text after its last newline."""
    stream.seek(start)
    newlines = blank = 0
    pending = b""  # the start of a line that goes on in the next block
    while start < end and (block := stream.read(min(COUNT_BLOCK_BYTES, end - start))):
        start += len(block)
        block = pending + block
        cut = block.rfind(b"\n") + 1
        newlines += block.count(b"\n", 0, cut)
        blank += len(_BLANK_LINE.findall(block, 0, cut))
        pending = block[cut:]
    return newlines, blank, pending


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(items, size)):
        yield chunk


def _lint(run: FileRun, items, cache: FileCache | None) -> tuple[list[Finding], Partial]:
    setup = _WORKER["setup"]
    if cache is not None:
        return lint_blocks(setup, Source(run, items), cache)
    findings: list[Finding] = []
    return findings, lint_source(setup, Source(run, items), findings)


def _lint_records(job: tuple[FileRun, list, FileCache | None]) -> tuple[list[Finding], Partial]:
    return _lint(*job)


def _lint_range(job: tuple[FileRun, ByteRange, FileCache | None]) -> tuple[list[Finding], Partial]:
    run, byte_range, cache = job
    with open(run.task.path, "rb") as stream:
        stream.seek(byte_range.start)
        data = stream.read(byte_range.end - byte_range.start)
    # Offsets of records read from a range count bytes, not characters; fixes always run in one process.
    lines = data.splitlines(keepends=True)
    return _lint(run, read_jsonl(run.task.display, lines, byte_range.first_line, byte_range.first_index, byte_range.start),
                 cache)
