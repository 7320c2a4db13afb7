"""The record table: a file's last lint, record by record, so a rerun lints only the records that changed.

Beside the content-addressed blocks (:mod:`vgptlint.incremental.cached`), a local run keeps one table
per file (its display path and evaluation key: another policy, catalog or vgptlint never reads it).
For each record, in file order, it holds the digest of the record's raw text (and column), where the
record was (index, line, column), its findings (encoded, at that position) and its observation for each of
the file's dataset rules (:mod:`vgptlint.aggregates.base`); observations are kept as one column per
rule. A rerun reads the file, looks each record's digest up, and lints only the records it does not
find, wherever they are: records edited anywhere, added or removed (a JSON Lines reader does not even
decode the lines it finds: :class:`~vgptlint.inputs.records.KnownRecords`). Every other record's findings are
moved to where the record is now (records shift when one before them is added or removed), and each
dataset rule absorbs the observations, cached and new, in file order with the records' current
positions (only where an edit touched them: see below). Accumulators absorb exactly what they would
have observed, so the states, and the reports, are the ones a run without the cache makes.

The table is stored as a head (the file's digest, each record's digest and position, the groups)
and its parts, in stamped chunks of RECORDS_PER_PIECE records (:mod:`vgptlint.incremental.tables`):
the findings, each rule's column, and each rule's state per chunk (its chunk's observations
absorbed; not stored for a state that is its column rearranged, which is rebuilt from the column). A
rerun keeps a chunk whose records are unchanged and in place as stored, its state included, and
absorbs only the chunks an edit touched (:class:`_Rebuilt`); a rule's state is its chunks' states
merged. A rerun after a rule's bound changed reads the head and that rule's chunk states alone
(:func:`~vgptlint.incremental.tables.table_state`).

A table keeps two versions: the one its last rerun made and the one that rerun started from. A
whole-file hit on the older one's bytes (an edit undone, a branch checked out again) makes it current
again (:func:`~vgptlint.incremental.tables.restore_version`), so the next edit is linted against the
records as they are.

A file whose rules include an accumulator without ``observe`` (a plugin's) is cached in blocks instead.
"""
from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from operator import itemgetter

from vgptlint.aggregates.base import RecordRef
from vgptlint.findings.encoding import Encoded, encode
from vgptlint.incremental import tables
from vgptlint.incremental.store import ResultStore
from vgptlint.incremental.tables import (RecordTable, TableHead, TableLost, TableVersions, absorbed, chunk_reader,
                                         chunk_refs, chunk_span, list_chunk, list_part, load_head, merged, state_part,
                                         store_chunk, store_part, store_state, store_versions, stored_state,
                                         versions_key)
from vgptlint.inputs.records import GROUP_LINES, InputProblem, KnownRecord, KnownRecords, KnownRun, Record, record_digest
from vgptlint.model import Finding
from vgptlint.policy.model import CompiledRule
from vgptlint.run.engine import FilePlan, Partial, Source, empty_states, file_plan, input_finding, lint_source
from vgptlint.run.setup import RunSetup

DIGEST_BYTES = 16
UNCACHED = b"\0" * DIGEST_BYTES  # the digest of a row never looked up (see _row_digest)


def observes_all(plan: FilePlan) -> bool:
    """Whether every dataset rule of the plan observes records (else the file is cached in blocks)."""
    return all(rule.accumulator.observe is not None for rule in plan.aggregate_rules)


def table_pieces(setup: RunSetup, source: Source, store: ResultStore, key: str, content: Callable[[], str | None],
                 known: KnownRecords, *, reread: bool,
                 use_previous: bool = True) -> Iterator[tuple[list[Finding] | Encoded, Partial]]:
    """The file's (findings, accumulator states) in pieces of consecutive records, from its last table
    (under ``key``) where records are unchanged; once the last piece is taken, the new table is stored.
    ``content()``, once the file is read: the digest of the bytes read (None when unknown: stdin, a
    file edited while it was read). ``known``: what the reader of ``source``'s records is told it need
    not decode, and where it notes the groups of lines it read.

    ``reread``: whether the caller can lint the file again if the last table is lost midway (raises
    TableLost; its findings so far are its own to drop), so the table is read a part at a time;
    otherwise it is read whole before anything is found. ``use_previous=False``: ignore the last table.

    A piece's findings are its records' findings in record order (file-wide problems are found
    following them: :class:`~vgptlint.findings.collapse.FileWide`), at most RECORDS_PER_PIECE
    records' worth, so memory does not grow with a file's findings.
    """
    plan = file_plan(setup, source.run)
    before = load_head(store, key, len(plan.aggregate_rules)) if use_previous else None
    if before is not None:
        try:
            read = chunk_reader(store, key, before, eager=not reread)
        except TableLost:
            before = None
    problems: set[int] = set()  # records with an input problem (a warning) are not cached: see _noting
    records = _noting(source.records, problems)
    if before is None:
        builder = TableBuilder(plan.aggregate_rules, problems, store, key)
        # Pieces are read as they are linted, never held (as without the cache). The rules' states are
        # the builder's chunk states, which it stores: observations are absorbed once, per chunk.
        for first in records:
            findings: list[Finding] = []
            piece = chain((first,), islice(records, tables.RECORDS_PER_PIECE - 1))
            linted = lint_source(setup, Source(source.run, piece), findings, rows=builder, absorb=False)
            yield findings, Partial(builder.take_states(), linted.record_count)
        builder.store_rest(content(), lambda head: _groups(head, known.seen_groups))
        yield [], Partial(builder.take_states(), 0)
        return
    known.digests = dict(zip(_digests(before.digests), range(len(before.index))))
    known.groups = before.groups
    input_problems, head, origin, added = _relint(setup, Source(source.run, records), plan, before, known.digests, problems)
    nothing = Partial(empty_states(plan), 0)
    yield input_problems, nothing
    # The new table, a part at a time: each previous part read, the new one made, stored and let go.
    old = list_part(read, before, 0)
    findings = _moved_findings(_picker(origin), old, added, before, head)
    for start in range(0, len(findings), tables.RECORDS_PER_PIECE):
        yield Encoded(chain.from_iterable(filter(None, findings[start:start + tables.RECORDS_PER_PIECE]))), nothing
    stamps = [store_part(store, key, 0, findings, old, before.parts[0])]
    findings = old = None
    rebuilt = _Rebuilt(origin, before, head)
    states, state_stamps = [], []
    for position, rule in enumerate(plan.aggregate_rules):
        state, column, chunk_states = rebuilt.rule_part(store, key, read, rule, position, added.columns[position])
        states.append(state)
        stamps.append(column)
        state_stamps.append(chunk_states)
    yield [], Partial(states, len(origin))
    head.content, head.groups, head.parts = content(), _groups(head, known.seen_groups), (*stamps, *state_stamps)
    store_versions(store, key, head, before)


class _Rebuilt:
    """How a rerun makes each dataset rule's part of the new table from the previous one, chunk by chunk.

    A chunk whose rows are those of the previous table's chunk at the same place, at the same
    positions (an edit elsewhere in the file), keeps that chunk's column and state as they are stored:
    they are neither read nor absorbed again. The other chunks' observations are picked from the
    previous table's (only the chunks they come from are read) and the linted records'; where a rule's
    are those of the previous chunk, at the same positions (the edit changed nothing the rule keeps),
    its stored state is kept too, else they are absorbed into a state for the chunk and stored. A kept
    state that was not stored (``Accumulator.state_is_column``) is rebuilt from the chunk's column. The
    rule's state over the file is the chunks' states merged, which is what absorbing the whole column
    gives (merge is associative: any split of the records agrees).
    """

    def __init__(self, origin: array, before: TableHead, head: TableHead) -> None:
        self.before, self.head, self.rows_before = before, head, len(before.index)
        self.chunk_count = -(-len(origin) // tables.RECORDS_PER_PIECE)
        self.kept = {chunk for chunk in range(self.chunk_count) if _is_kept(chunk, origin, before, head)}
        self.in_place = {chunk for chunk in range(self.chunk_count) if _is_in_place(chunk, before, head)}
        self.changed = [chunk for chunk in range(self.chunk_count) if chunk not in self.kept]
        old_rows = [row for chunk in self.changed for row in self._old_rows(origin, chunk)]
        # The previous table's chunks the changed chunks' rows come from, as one window.
        self.first_old, self.last_old = ((min(old_rows) // tables.RECORDS_PER_PIECE, max(old_rows) // tables.RECORDS_PER_PIECE)
                                         if old_rows else (0, -1))
        base = self.first_old * tables.RECORDS_PER_PIECE if old_rows else self.rows_before
        self.pickers = {chunk: _picker(array("q", [row - base for row in _rows(origin, chunk)])) for chunk in self.changed}
        self.refs: dict[int, list[RecordRef]] = {}

    def _refs(self, chunk: int) -> list[RecordRef]:
        """Where the chunk's records are (made once for every rule)."""
        refs = self.refs.get(chunk)
        if refs is None:
            refs = self.refs[chunk] = chunk_refs(self.head, chunk)
        return refs

    def _old_rows(self, origin: array, chunk: int) -> list[int]:
        """The ends of the span of previous-table rows a chunk's records come from."""
        found = [row for row in _rows(origin, chunk) if row < self.rows_before]
        return [min(found), max(found)] if found else []

    def rule_part(self, store: ResultStore, key: str, read: Callable[[int, int], object], rule: CompiledRule,
                  position: int, added: list) -> tuple[object, tuple, tuple]:
        """The rule's state over the file and the stamps of its column's chunks and of its states' chunks."""
        rule_count = (len(self.before.parts) - 1) // 2
        number, state_number = position + 1, state_part(rule_count, position)
        window = [list_chunk(read, self.before, number, chunk) for chunk in range(self.first_old, self.last_old + 1)]
        pool = [item for chunk in window for item in chunk]
        pool += [None] * (self.rows_before - self.first_old * tables.RECORDS_PER_PIECE - len(pool)) if window else []
        pool += added
        columns, states, chunk_states = [], [], []
        for chunk in range(self.chunk_count):
            previous = (window[chunk - self.first_old] if self.first_old <= chunk <= self.last_old else None)
            if chunk in self.kept:
                columns.append(self.before.parts[number][chunk])
                chunk_states.append(self.before.parts[state_number][chunk])
                states.append(stored_state(read, self.before, rule, position, chunk, previous, self._refs))
                continue
            values = self.pickers[chunk](pool)
            if values == previous and chunk in self.in_place:  # records changed, not what this rule keeps of them
                columns.append(self.before.parts[number][chunk])
                chunk_states.append(self.before.parts[state_number][chunk])
                states.append(stored_state(read, self.before, rule, position, chunk, previous, self._refs))
                continue
            state = absorbed(rule, rule.accumulator.empty(rule.accumulator_options), values, self._refs(chunk))
            states.append(state)
            columns.append(self.before.parts[number][chunk] if values == previous
                           else store_chunk(store, key, number, chunk, values))
            chunk_states.append(store_state(store, key, rule, state_number, chunk, state))
        return merged(rule, states), tuple(columns), tuple(chunk_states)


def _rows(origin: array, chunk: int) -> array:
    start, stop = chunk_span(chunk)
    return origin[start:stop]


def _is_kept(chunk: int, origin: array, before: TableHead, head: TableHead) -> bool:
    """Whether the chunk holds the previous table's chunk at the same place: the same rows (so records
    of the same content), at the same positions."""
    start, stop = chunk_span(chunk)
    return _is_in_place(chunk, before, head) and origin[start:stop] == array("q", range(start, min(stop, len(origin))))


def _is_in_place(chunk: int, before: TableHead, head: TableHead) -> bool:
    """Whether the chunk's records sit where the previous table's chunk at the same place had its own
    (same count, same index, line and column each): then equal observations make equal states."""
    start, stop = chunk_span(chunk)
    if chunk >= len(before.parts[0]) or len(head.index[start:stop]) != len(before.index[start:stop]):
        return False
    return (head.index[start:stop] == before.index[start:stop] and head.line[start:stop] == before.line[start:stop]
            and head.column[start:stop] == before.column[start:stop])


def _noting(items: Iterable, problems: set[int]) -> Iterator:
    """``items``, noting the index of each record an input problem is about (a non-JSON number is a
    warning beside its record: skipping the decoding of that record would lose it)."""
    for item in items:
        if type(item) is InputProblem and item.record_index is not None:
            problems.add(item.record_index)
        yield item


def _relint(setup: RunSetup, source: Source, plan: FilePlan, before: TableHead, known: dict,
            problems: set[int]) -> tuple[list[Finding], TableHead, array, RecordTable]:
    """The records read, those not found in the previous table (``before``: its head) linted: the
    findings of the input's problems, the new table's head (each record's digest and position),
    ``origin`` (each record's row in the previous table, or past its rows, its row in the table of
    what was linted) and that table."""
    input_problems: list[Finding] = []
    misses: list[Record] = []  # records not found, linted RECORDS_PER_PIECE at a time as they come
    missed = 0
    miss_places: list[int] = []  # each miss's place among the records
    digests, index, line, column = bytearray(), array("q"), array("q"), array("q")
    origin = array("q")  # per record: its row in the previous table, or its rows + its number among misses
    rows_before = len(before.index)
    fresh = TableBuilder(plan.aggregate_rules, problems)
    for item in source.records:
        kind = type(item)
        if kind is KnownRun:
            first, last = item.number, item.number + GROUP_LINES
            digests += before.digests[first * DIGEST_BYTES:last * DIGEST_BYTES]
            index.extend(range(item.index, item.index + GROUP_LINES))
            line.extend(range(item.line, item.line + GROUP_LINES))
            column += before.column[first:last]
            origin.extend(range(first, last))
            continue
        if kind is KnownRecord:
            digest = item.digest
            number = known[digest]
        elif kind is InputProblem:
            input_problems.append(input_finding(item))
            continue
        else:
            digest = record_digest(item.column, item.text.encode("utf-8", "surrogatepass"))
            number = known.get(digest)
            if number is None:
                number = rows_before + missed
                missed += 1
                misses.append(item)
                miss_places.append(len(origin))
                if len(misses) == tables.RECORDS_PER_PIECE:  # a file mostly new is not held decoded
                    lint_source(setup, Source(source.run, misses), [], rows=fresh, absorb=False)  # (their findings: in the rows)
                    misses = []
        digests += digest
        index.append(item.index)
        line.append(item.line)
        column.append(item.column)
        origin.append(number)
    lint_source(setup, Source(source.run, misses), [], rows=fresh, absorb=False)
    added = fresh.table()
    # A miss whose row cannot be cached keeps its digest out of the new table (see _row_digest).
    for place, digest in zip(miss_places, _digests(added.head.digests)):
        if digest == UNCACHED:
            digests[place * DIGEST_BYTES:(place + 1) * DIGEST_BYTES] = UNCACHED
    head = TableHead(None, bytes(digests), index, line, column, {})
    return input_problems, head, origin, added


def _moved_findings(pick: Callable, old: list, added: RecordTable, before: TableHead, head: TableHead) -> list:
    """Each record's encoded findings (``pick``ed from the previous table's, ``old``, and the linted
    records', ``added``), moved from where its record was to where it is now (``head``); most often
    nothing moved, which two array comparisons tell."""
    findings = pick(old + added.findings)
    index_then = array("q", pick(before.index + added.head.index))
    line_then = array("q", pick(before.line + added.head.line))
    if index_then == head.index and line_then == head.line:
        return findings
    return [None if encoded is None else _moved(encoded, index_now - index_was, line_now - line_was)
            for encoded, index_now, index_was, line_now, line_was
            in zip(findings, head.index, index_then, head.line, line_then)]


def _groups(table: TableHead, seen: list[tuple[int, bytes]]) -> dict:
    """The groups of lines the reader saw (first line, digest) that hold GROUP_LINES cacheable records
    of the table, on consecutive lines (so no blank line and no problem among them) -> the number of
    the first."""
    groups = {}
    lines = table.line
    for first_line, digest in seen:
        number = bisect_left(lines, first_line)
        last = number + GROUP_LINES - 1
        # (UNCACHED found across two digests would only leave a group out)
        if (last < len(lines) and lines[number] == first_line and lines[last] == first_line + GROUP_LINES - 1
                and UNCACHED not in table.digests[number * DIGEST_BYTES:(last + 1) * DIGEST_BYTES]):
            groups[digest] = number
    return groups


def _picker(origin: array):
    """``pick(values)``: the list of ``values[n]`` for each n of ``origin``, in C."""
    if not origin:
        return lambda values: []
    getter = itemgetter(*origin)
    if len(origin) == 1:
        return lambda values: [getter(values)]
    return lambda values: list(getter(values))


def _moved(encoded: tuple, records: int, lines: int) -> tuple:
    """Encoded findings of a record that moved ``records`` places and ``lines`` lines."""
    if not records and not lines:
        return encoded
    return tuple((f[0], f[1] + lines, f[2], f[3], f[4], f[5], f[6], f[7], f[8] + records, f[9],
                  None if f[10] is None else f[10] + lines, *f[11:]) for f in encoded)


def _digests(joined: bytes) -> list[bytes]:
    return [joined[start:start + DIGEST_BYTES] for start in range(0, len(joined), DIGEST_BYTES)]


class TableBuilder:
    """What a lint hands over per record (:class:`~vgptlint.run.engine.RecordRows`) → a
    :class:`RecordTable`, keeping only what the table holds of each (not the record). With a
    ``store``, every chunk of RECORDS_PER_PIECE records is stored as soon as it is complete and
    dropped (:meth:`store_rest` stores the rest and the head): a first run never holds its whole table."""

    def __init__(self, rules: tuple[CompiledRule, ...], problems: set[int], store: ResultStore | None = None,
                 key: str = "") -> None:
        self.rules, self.problems, self.store, self.key = rules, problems, store, key
        self.digests: list[bytes] = []
        self.index, self.line, self.column = array("q"), array("q"), array("q")
        self.parts: list[list] = [[] for _ in range(len(rules) + 1)]  # findings, then each rule's column
        self.stamps: list[list[bytes]] = [[] for _ in range(2 * len(rules) + 1)]  # and each rule's chunk states
        self.states: list[list] = [[] for _ in rules]  # per rule, the states of the chunks stored since take_states

    def add(self, records: list[Record], findings: list[list[Finding]], columns: list[list]) -> None:
        mine = self.parts[0]
        for record, found in zip(records, findings):
            encoded = tuple(map(encode, found)) if found else None
            self.digests.append(UNCACHED if record.index in self.problems else _row_digest(record, encoded))
            self.index.append(record.index)
            self.line.append(record.line)
            self.column.append(record.column)
            mine.append(encoded)
        for mine, column in zip(self.parts[1:], columns):
            mine.extend(column)
        if self.store is not None:
            while len(self.parts[0]) >= tables.RECORDS_PER_PIECE:
                self._store_chunk(tables.RECORDS_PER_PIECE)

    def _store_chunk(self, size: int) -> None:
        chunk = len(self.stamps[0])
        refs = chunk_refs(self, chunk)  # (its index, line and column arrays hold every row so far)
        for position, rule in enumerate(self.rules):
            state = absorbed(rule, rule.accumulator.empty(rule.accumulator_options), self.parts[position + 1][:size], refs)
            number = state_part(len(self.rules), position)
            self.stamps[number].append(store_state(self.store, self.key, rule, number, chunk, state))
            self.states[position].append(state)
        for number, part in enumerate(self.parts):
            self.stamps[number].append(store_chunk(self.store, self.key, number, chunk, part[:size]))
            del part[:size]

    def take_states(self) -> list:
        """Each rule's state over the chunks stored since the last call (empty when none was)."""
        states = [merged(rule, chunk_states) for rule, chunk_states in zip(self.rules, self.states)]
        self.states = [[] for _ in self.rules]
        return states

    def table(self) -> RecordTable:
        head = TableHead(None, b"".join(self.digests), self.index, self.line, self.column, {})
        return RecordTable(head, self.parts[0], self.parts[1:])

    def store_rest(self, content: str | None, groups: Callable[[TableHead], dict]) -> None:
        """Store the last chunk and the head (``groups(head)``: its groups of lines)."""
        if self.parts[0]:
            self._store_chunk(len(self.parts[0]))
        head = TableHead(content, b"".join(self.digests), self.index, self.line, self.column, {},
                         tuple(map(tuple, self.stamps)))
        head.groups = groups(head)
        self.store.put(self.key, head)
        self.store.put(versions_key(self.key), TableVersions(content))  # (no previous version to restore)


def _row_digest(record: Record, encoded: tuple | None) -> bytes:
    """The record's digest, or UNCACHED when a finding of it is not at the record (moving it with the
    record would be wrong): such a record is linted on every run."""
    if encoded is not None and any(f[8] != record.index or f[1] < record.line for f in encoded):
        return UNCACHED
    return record_digest(record.column, record.text.encode("utf-8", "surrogatepass"))
