"""Duplicate records: exact copies and near copies, each reported at its record.

``duplicates`` (exact): records whose ``fields`` (default instruction, input, output), each with
whitespace collapsed and lower-cased, are equal; ``mask_digits: true`` also equates records that
differ only in numbers (templated copies: the same answer for company 1 and company 7). Every copy
after the first is a finding at its record that names the first occurrence; ``max`` bounds the
share of copies. State: one 8-byte digest and one (index, line, column) per distinct record, plus
one position per copy: O(distinct records).

``near_duplicates``: records whose word-shingle sets are at least ``threshold`` similar (Jaccard)
to an earlier record, estimated with MinHash (one-permutation hashing with rotation densification,
``bins`` values per record) and found with LSH banding; exact copies are left to ``duplicates``.
State: a ``bins``×4-byte signature plus an 8-byte digest per record, O(records); the comparison runs
at finalize, in record order, so any split of the records finds the same pairs.
"""
from __future__ import annotations

import hashlib
import re
import zlib
from array import array
from dataclasses import dataclass, field

from vgptlint.aggregates.base import AggregateHit, AggregateOutcome, accumulator
from vgptlint.aggregates.bounds import ShareBounds, counts, percent, share

_DIGITS = re.compile(r"\d+")


def record_key(record: object, fields: tuple[str, ...], mask_digits: bool = False) -> str | None:
    """The normalized text a duplicate check compares (None when the record is not an object).

    >>> record_key({"instruction": " What  IS APTH?", "output": "A view"}, ("instruction", "input", "output"))
    'what is apth?\\x1f\\x1fa view'
    """
    if not isinstance(record, dict):
        return None
    parts = []
    for name in fields:
        value = record.get(name, "")
        text = value if isinstance(value, str) else "" if value is None else str(value)
        parts.append(" ".join(text.split()).lower())
    key = "\x1f".join(parts)
    return _DIGITS.sub("0", key) if mask_digits else key


def _digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()


@dataclass(frozen=True, slots=True)
class DuplicateOptions:
    """``fields``: compared fields; ``mask_digits``: numbers do not count as a difference; ``max``:
    largest allowed share of copies (default 0.01 = 1%); ``max_reported``: record findings beyond this
    many are summarized (0 = report every copy)."""

    fields: tuple[str, ...] = ("instruction", "input", "output")
    mask_digits: bool = False
    max: float | None = 0.01
    max_reported: int = 0
    label: str = ""

    def validate(self) -> str | None:
        if not self.fields:
            return 'option "fields" needs at least one field name'
        return ShareBounds(None, self.max).problem()


@dataclass
class DuplicateState:
    first: dict = field(default_factory=dict)  # digest -> (index, line, column) of the earliest record
    copies: list = field(default_factory=list)  # (digest, index, line, column) of every other record
    records: int = 0


def _dup_merge(a: DuplicateState, b: DuplicateState, opts: object) -> DuplicateState:
    merged = DuplicateState(dict(a.first), list(a.copies), a.records + b.records)
    for digest, ref in b.first.items():
        held = merged.first.get(digest)
        if held is None:
            merged.first[digest] = ref
        else:  # both chunks saw it: the earlier record stays first, the other becomes a copy
            early, late = (held, ref) if held[0] < ref[0] else (ref, held)
            merged.first[digest] = early
            merged.copies.append((digest, *late))
    merged.copies.extend(b.copies)
    return merged


@accumulator("duplicates", options=DuplicateOptions, empty=lambda opts: DuplicateState(), merge=_dup_merge,
             finalize=lambda state, opts: _dup_finalize(state, opts))
def duplicates(state: DuplicateState, targets, ctx, ref, opts: DuplicateOptions) -> DuplicateState:
    """Exact (normalized) duplicate records; see the module docstring."""
    key = record_key(ctx.record, opts.fields, opts.mask_digits)
    if key is None:
        return state
    state.records += 1
    digest = _digest(key)
    position = (ref.index, ref.line, ref.column)
    held = state.first.get(digest)
    if held is None:
        state.first[digest] = position
    elif held[0] <= ref.index:
        state.copies.append((digest, *position))
    else:
        state.first[digest] = position
        state.copies.append((digest, *held))
    return state


def _dup_finalize(state: DuplicateState, opts: DuplicateOptions) -> AggregateOutcome:
    copies = sorted(state.copies, key=lambda c: c[1])
    what = opts.label or ("near-duplicate (numbers masked)" if opts.mask_digits else "duplicate")
    fields = " + ".join(opts.fields)
    hits = []
    for number, (digest, index, line, column) in enumerate(copies):
        if opts.max_reported and number >= opts.max_reported:
            break
        first = state.first[digest]
        hits.append(AggregateHit(f"record {index} is a {what} of record {first[0]} (line {first[1]}) on {fields}",
                                 record_index=index, line=line, column=column, pointer="",
                                 data={"first_index": first[0], "first_line": first[1]},
                                 fingerprint_basis=f"{digest.hex()} {index - first[0]}"))
    value = share(len(copies), state.records)
    bounds = ShareBounds(None, opts.max)
    broken = bounds.broken(value)
    if opts.max_reported and len(copies) > opts.max_reported:
        hits.append(AggregateHit(f"{len(copies) - opts.max_reported:,} more {what} records not listed (max_reported: "
                                 f"{opts.max_reported:,})", fingerprint_basis="more"))
    if broken:
        hits.append(AggregateHit(f"{what} records {percent(value)} ({counts(len(copies), state.records)}) {broken}",
                                 fingerprint_basis=f"share {broken}"))
    details = {"label": what, "groups": len({c[0] for c in copies})}
    return AggregateOutcome(value, len(copies), state.records, bounds.as_dict(), not broken, details, tuple(hits))


# ---------------------------------------------------------------------------- near duplicates

_MASK32 = 0xFFFFFFFF
_EMPTY = _MASK32 + 1


@dataclass(frozen=True, slots=True)
class NearDuplicateOptions:
    """``threshold``: minimum estimated Jaccard similarity of word shingles (default 0.85); ``shingle``:
    words per shingle (default 3); ``bins``: signature size (default 32, a multiple of ``rows``);
    ``rows``: signature values per LSH band (default 4); ``fields``, ``mask_digits`` (default true),
    ``max``, ``max_reported``: as for ``duplicates``."""

    threshold: float = 0.85
    shingle: int = 3
    bins: int = 32
    rows: int = 4
    fields: tuple[str, ...] = ("instruction", "input", "output")
    mask_digits: bool = True
    max: float | None = 0.05
    max_reported: int = 0

    def validate(self) -> str | None:
        if not 0 < self.threshold <= 1:
            return f'option "threshold" is a similarity between 0 and 1; got {self.threshold}'
        if self.shingle < 1 or self.bins < 1 or self.rows < 1 or self.bins % self.rows:
            return 'options "shingle", "bins" and "rows" are positive, and "bins" is a multiple of "rows"'
        return ShareBounds(None, self.max).problem()


def signature(text: str, shingle: int, bins: int) -> array:
    """One-permutation MinHash of the word shingles of ``text``: ``bins`` 32-bit values.

    Empty bins borrow from the next non-empty bin to their right (rotation densification), so short
    texts still get comparable signatures. crc32 keeps it deterministic across processes.
    """
    words = text.split()
    if len(words) <= shingle:
        grams = [" ".join(words)]
    else:
        grams = [" ".join(words[i:i + shingle]) for i in range(len(words) - shingle + 1)]
    slots = [_EMPTY] * bins
    for gram in grams:
        value = zlib.crc32(gram.encode("utf-8", "surrogatepass"))
        # Mix before binning so the bin and the kept value are independent bits of the hash.
        mixed = (value * 0x9E3779B1) & _MASK32
        slot = mixed % bins
        if mixed < slots[slot]:
            slots[slot] = mixed
    if _EMPTY in slots:
        filled = [i for i, v in enumerate(slots) if v != _EMPTY]
        for i in range(bins):
            if slots[i] == _EMPTY:
                distance = next((d for d in range(1, bins) if slots[(i + d) % bins] != _EMPTY), 0)
                slots[i] = (slots[(i + distance) % bins] + distance * 0x3C6EF372) & _MASK32 if filled else 0
    return array("I", slots)


@dataclass
class NearState:
    rows: list = field(default_factory=list)  # (index, line, column, exact digest, signature bytes)


@accumulator("near_duplicates", options=NearDuplicateOptions, empty=lambda opts: NearState(),
             merge=lambda a, b, opts: NearState(a.rows + b.rows), finalize=lambda state, opts: _near_finalize(state, opts))
def near_duplicates(state: NearState, targets, ctx, ref, opts: NearDuplicateOptions) -> NearState:
    """Near-duplicate records by MinHash/LSH; see the module docstring."""
    key = record_key(ctx.record, opts.fields, opts.mask_digits)
    if key is None:
        return state
    exact = _digest(record_key(ctx.record, opts.fields))
    state.rows.append((ref.index, ref.line, ref.column, exact, signature(key, opts.shingle, opts.bins).tobytes()))
    return state


def _near_finalize(state: NearState, opts: NearDuplicateOptions) -> AggregateOutcome:
    rows = sorted(state.rows, key=lambda r: r[0])
    seen_exact: set[bytes] = set()
    bands: dict[tuple[int, bytes], int] = {}
    signatures: list[bytes] = []
    found: list[tuple[int, int, float]] = []  # (row, earlier row, similarity)
    width = opts.rows * 4
    for number, (_index, _line, _column, exact, sig) in enumerate(rows):
        signatures.append(sig)
        if exact in seen_exact:
            continue  # an exact copy: reported by duplicates, and it adds nothing to the index
        seen_exact.add(exact)
        best = None
        for band in range(0, len(sig), width):
            earlier = bands.get((band, sig[band:band + width]))
            if earlier is not None and (best is None or earlier < best[0]):
                similarity = _similarity(sig, signatures[earlier])
                if similarity >= opts.threshold:
                    best = (earlier, similarity)
        if best is not None:
            found.append((number, *best))
        for band in range(0, len(sig), width):
            bands.setdefault((band, sig[band:band + width]), number)
    hits = []
    for count_reported, (number, earlier, similarity) in enumerate(found):
        if opts.max_reported and count_reported >= opts.max_reported:
            hits.append(AggregateHit(f"{len(found) - opts.max_reported:,} more near-duplicate records not listed",
                                     fingerprint_basis="more"))
            break
        index, line, column = rows[number][:3]
        first = rows[earlier]
        hits.append(AggregateHit(f"record {index} is a near-duplicate ({similarity:.0%} similar) of record {first[0]} "
                                 f"(line {first[1]})", record_index=index, line=line, column=column,
                                 data={"first_index": first[0], "similarity": similarity},
                                 fingerprint_basis=f"{first[4].hex()[:16]} {rows[number][4].hex()[:16]}"))
    value = share(len(found), len(rows))
    bounds = ShareBounds(None, opts.max)
    broken = bounds.broken(value)
    if broken:
        hits.append(AggregateHit(f"near-duplicate records {percent(value)} ({counts(len(found), len(rows))}) {broken}",
                                 fingerprint_basis=f"share {broken}"))
    return AggregateOutcome(value, len(found), len(rows), bounds.as_dict(), not broken,
                            {"threshold": opts.threshold, "method": "minhash"}, tuple(hits))


def _similarity(a: bytes, b: bytes) -> float:
    left, right = array("I", a), array("I", b)
    return sum(x == y for x, y in zip(left, right)) / len(left)

