"""How a record table (:mod:`vgptlint.incremental.records`) is stored: its head, its parts in stamped
chunks of RECORDS_PER_PIECE records, its two versions, and reading a rule's state back from the chunks."""
from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import is_not

from vgptlint.aggregates.base import RecordRef
from vgptlint.incremental.store import ResultStore
from vgptlint.policy.model import CompiledRule

RECORDS_PER_PIECE = 16_384  # records whose findings are held at once (as RECORDS_PER_PASS in the engine)


NOT_STORED = b""  # the stamp of a chunk state rebuilt from its column (see store_state)


def chunk_span(chunk: int) -> tuple[int, int]:
    """The rows of chunk ``chunk`` of a table: (first, past the last)."""
    return chunk * RECORDS_PER_PIECE, (chunk + 1) * RECORDS_PER_PIECE


@dataclass(slots=True)
class TableHead:
    """A record table's head: the digest of the file's bytes it was made from (None: stdin), each
    record's digest (DIGEST_BYTES each) and its ``index``, ``line`` and ``column``, in file order, and
    ``groups`` (JSON Lines: the digest of each group of GROUP_LINES lines that held GROUP_LINES
    cacheable records -> the number of its first record)."""

    content: str | None
    digests: bytes
    index: array
    line: array
    column: array
    groups: dict
    parts: tuple = ()  # the stamp of each part (findings, then each rule's column) this head goes with


@dataclass(slots=True)
class RecordTable:
    """A file's record table: its head, each record's ``findings`` (a tuple of encoded findings, or
    None), and ``columns`` (per dataset rule of the plan, each record's observation or None)."""

    head: TableHead
    findings: list
    columns: list[list]


@dataclass(frozen=True, slots=True)
class TableVersions:
    """What a table's two versions were made from: the current head's content and the previous
    head's (stored beside it), with the previous head's chunk stamps (to remove them when it goes)."""

    current: str | None
    previous: str | None = None
    previous_parts: tuple = ()


class TableLost(Exception):
    """A chunk of the previous record table could not be read while a rerun used it (pruned, or removed
    by another run storing the same file's table): the file is linted again without the table."""


# A table is several entries. Its parts (the findings, each rule's column) are cut in chunks of
# RECORDS_PER_PIECE records, stored first, each under a key with a random stamp; the head is stored
# last and names the stamp of every chunk it goes with. A reader takes only the chunks its head names,
# so a run that stopped halfway, or two runs storing one table at once, leave a table that is whole or
# missing, never one part of another version. A chunk equal to the previous table's (the records of
# that stretch did not change, or not what a rule keeps of them) is not written again; the chunks a
# new head no longer names are removed once it is stored. A first run stores its chunks as they fill,
# so it never holds the whole table; a rerun reads the previous table a part at a time (TableLost).


def _chunk_key(key: str, number: int, chunk: int, stamp: bytes) -> str:
    return f"{key}-{number}-{chunk}-{stamp.hex()}"


def store_chunk(store: ResultStore, key: str, number: int, chunk: int, values: list) -> bytes:
    stamp = os.urandom(8)
    store.put(_chunk_key(key, number, chunk, stamp), values)
    return stamp


def _previous_key(key: str) -> str:
    return key + "-previous"


def versions_key(key: str) -> str:
    return key + "-versions"


def _remove_unnamed(store: ResultStore, key: str, dropped: tuple, kept: tuple[tuple, ...]) -> None:
    """Remove the chunks of a version that goes (``dropped``: its stamps per part) that no version
    of ``kept`` names."""
    named = {(number, chunk, stamp) for parts in kept for number, stamps in enumerate(parts)
             for chunk, stamp in enumerate(stamps)}
    for number, stamps in enumerate(dropped):
        for chunk, stamp in enumerate(stamps):
            if stamp != NOT_STORED and (number, chunk, stamp) not in named:
                store.discard(_chunk_key(key, number, chunk, stamp))


def store_versions(store: ResultStore, key: str, head: TableHead, before: TableHead) -> None:
    """Store ``head`` as the table's current version and ``before``, the one it was made from, as its
    previous; the chunks of the version before that which neither names are removed, so the cache
    holds two versions of a table however often it is rerun."""
    versions = store.get(versions_key(key))
    store.put(_previous_key(key), before)  # (first: a run stopped here leaves the current version whole)
    store.put(key, head)
    store.put(versions_key(key), TableVersions(head.content, before.content, before.parts))
    if isinstance(versions, TableVersions):
        _remove_unnamed(store, key, versions.previous_parts, (head.parts, before.parts))


def restore_version(store: ResultStore, key: str, content: str | None) -> None:
    """After a whole-file hit on ``content``: when the table's previous version was made from these
    bytes (an edit undone, a branch checked out again), it becomes the current one, so the next edit
    is linted against these records rather than against the version they replaced. One small read
    when it was not."""
    versions = store.get(versions_key(key))
    if (content is None or not isinstance(versions, TableVersions) or versions.current == content
            or versions.previous != content):
        return
    current, previous = store.get(key), store.get(_previous_key(key))
    if not (isinstance(current, TableHead) and isinstance(previous, TableHead) and previous.content == content):
        return
    store.put(key, previous)
    store.put(_previous_key(key), current)
    store.put(versions_key(key), TableVersions(previous.content, current.content, current.parts))


def store_part(store: ResultStore, key: str, number: int, part: list, before: list, stamps_before: tuple) -> tuple:
    """Store a table's part ``number`` (``before``: the previous table's, whose chunks carry
    ``stamps_before``; chunks equal to its are not written again) → the stamps of its chunks."""
    stamps = []
    for chunk, start in enumerate(range(0, len(part), RECORDS_PER_PIECE)):
        values = part[start:start + RECORDS_PER_PIECE]
        if chunk < len(stamps_before) and values == before[start:start + RECORDS_PER_PIECE]:
            stamps.append(stamps_before[chunk])
        else:
            stamps.append(store_chunk(store, key, number, chunk, values))
    return tuple(stamps)


def load_head(store: ResultStore, key: str, rule_count: int) -> TableHead | None:
    head = store.get(key)
    return head if isinstance(head, TableHead) and len(head.parts) == 2 * rule_count + 1 else None


def state_part(rule_count: int, position: int) -> int:
    """The number of the part holding the chunk states of the plan's dataset rule ``position``: a
    table's parts are its findings, each rule's column, then each rule's state per chunk."""
    return rule_count + 1 + position


def load_chunk(store: ResultStore, key: str, head: TableHead, number: int, chunk: int) -> object:
    """Chunk ``chunk`` of the head's part ``number``; raises TableLost."""
    found = store.get(_chunk_key(key, number, chunk, head.parts[number][chunk]))
    if found is None:
        raise TableLost(key)
    return found


def chunk_reader(store: ResultStore, key: str, head: TableHead, eager: bool) -> Callable[[int, int], object]:
    """``read(number, chunk)``: a chunk of the head's part ``number``, read when asked for; ``eager``:
    every chunk read now (raises TableLost now, never later), for a reader whose findings cannot be
    taken back."""
    if not eager:
        return lambda number, chunk: load_chunk(store, key, head, number, chunk)
    chunks = {(number, chunk): load_chunk(store, key, head, number, chunk)
              for number, stamps in enumerate(head.parts) for chunk, stamp in enumerate(stamps) if stamp != NOT_STORED}
    return lambda number, chunk: chunks.pop((number, chunk))


def list_chunk(read: Callable[[int, int], object], head: TableHead, number: int, chunk: int) -> list:
    """A chunk of a part that holds one value per record (the findings, a column), checked whole."""
    found = read(number, chunk)
    if not isinstance(found, list) or len(found) != min(RECORDS_PER_PIECE, len(head.index) - chunk * RECORDS_PER_PIECE):
        raise TableLost()
    return found


def list_part(read: Callable[[int, int], object], head: TableHead, number: int) -> list:
    return list(chain.from_iterable(list_chunk(read, head, number, chunk) for chunk in range(len(head.parts[number]))))


def table_state(store: ResultStore, key: str, content: str | None, rule: CompiledRule, position: int,
                rule_count: int) -> object | None:
    """A dataset rule's state over the whole file, its chunk states from the file's record table merged
    (None when the table is missing or was made from other bytes than ``content``)."""
    head = load_head(store, key, rule_count)
    if head is None or head.content is None or head.content != content:
        return None
    read = chunk_reader(store, key, head, eager=False)
    try:
        states = [stored_state(read, head, rule, position, chunk) for chunk in range(len(head.parts[0]))]
    except TableLost:
        return None
    return merged(rule, states)


def store_state(store: ResultStore, key: str, rule: CompiledRule, number: int, chunk: int, state: object) -> bytes:
    """Store a rule's state over a chunk (part ``number``) → its stamp; NOT_STORED when the state is
    its column rearranged (``Accumulator.state_is_column``): stored too, it would double the table."""
    if rule.accumulator.state_is_column:
        return NOT_STORED
    return store_chunk(store, key, number, chunk, state)


def stored_state(read: Callable[[int, int], object], head: TableHead, rule: CompiledRule, position: int, chunk: int,
                 column: list | None = None, refs: Callable[[int], list[RecordRef]] | None = None) -> object:
    """The state of the head's rule ``position`` over chunk ``chunk``: read, or rebuilt from its column
    (``column``: the chunk of it, when already read; ``refs(chunk)``: its records' refs, when made)."""
    number = state_part((len(head.parts) - 1) // 2, position)
    if head.parts[number][chunk] != NOT_STORED:
        return read(number, chunk)
    if column is None:
        column = list_chunk(read, head, position + 1, chunk)
    return absorbed(rule, rule.accumulator.empty(rule.accumulator_options), column,
                    chunk_refs(head, chunk) if refs is None else refs(chunk))


def chunk_refs(head: TableHead | object, chunk: int) -> list[RecordRef]:
    """Where the records of one chunk of a table are (``head``: anything with its rows' ``index``,
    ``line`` and ``column`` arrays)."""
    start, stop = chunk_span(chunk)
    return list(map(RecordRef, head.index[start:stop], head.line[start:stop], head.column[start:stop]))


def merged(rule: CompiledRule, states: list) -> object:
    """Consecutive chunks' states as one, neighbours merged pairwise (merging concatenates arrays: in a
    line, a big file's first chunks would be copied once per later chunk)."""
    accumulator, options = rule.accumulator, rule.accumulator_options
    if not states:
        return accumulator.empty(options)
    while len(states) > 1:
        states = [accumulator.merge(states[start], states[start + 1], options) if start + 1 < len(states)
                  else states[start] for start in range(0, len(states), 2)]
    return states[0]


def absorbed(rule: CompiledRule, state: object, observations: list, refs: list[RecordRef]) -> object:
    """``state`` after absorbing each record's observation (None: none) at its ref."""
    if None in observations:  # (a scan in C; most columns have none, or nothing else)
        if observations.count(None) == len(observations):
            return state
        observed = list(map(is_not, observations, repeat(None)))
        observations, refs = list(compress(observations, observed)), list(compress(refs, observed))
    return rule.accumulator.absorb(state, observations, refs, rule.accumulator_options)


def table_key(evaluation_key: str, display: str) -> str:
    """A file's table: its display path under one evaluation key (rules, settings, code)."""
    return "t" + hashlib.blake2b(display.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest() + evaluation_key
