"""Duplicate records: exact copies and near copies, each reported at its record.

``duplicates`` (exact): records whose ``fields`` (default instruction, input, output), each with
whitespace collapsed, lower-cased and punctuation at its ends dropped, are equal (``Explain the
DateRetd column in PMSM.`` = ``explain the DateRetd column in PMSM``); the finding says which fields
differ and in what (spacing, letter case, punctuation at the ends, numbers); ``mask_digits: true`` also equates records that
differ only in numbers (templated copies: the same answer for company 1 and company 7). Every copy
after the first is a finding at its record that names the first occurrence; ``max`` bounds the
share of copies. State: a few 8-byte digests and one (index, line, column) per record, in flat arrays
(about 80 bytes a record); copies are found at finalize by one sort.

``near_duplicates``: records whose word-shingle sets are at least ``threshold`` similar (Jaccard)
to an earlier record, estimated with MinHash (one-permutation hashing with rotation densification,
``bins`` values per record) and found with LSH banding; exact copies are left to ``duplicates``.
Per record, ``observe`` keeps the fields' word bytes (one translate per field); ``settle`` hashes the
words of a batch (every 4,096 records in the engine) and computes their signatures at once with numpy,
and the words are dropped; at finalize all signatures are compared in record order, so any split of the records finds the
same pairs.
State: ``4 * bins + 32`` bytes per record (160 with the default 32 bins), whatever the text length.
Bounded work: a field's words are read from its first ``MAX_FIELD_CHARS`` characters (the bound
under which SQL is analyzed too, 1,000,000), and so are the spellings that explain what two copies differ in;
copies are still found on the whole text. A 200 MB field costs what a 1 MB one does here.
We use our own MinHash rather than datasketch: datasketch hashes each shingle in Python (about 60 µs
per record here against 3 µs), and its LSH index is not mergeable across chunks.
"""
from __future__ import annotations

import hashlib
import re
import threading
import zlib
from array import array
from dataclasses import dataclass, field
from functools import lru_cache

from vgptlint.aggregates.base import AggregateHit, AggregateOutcome, accumulator
from vgptlint.aggregates.bounds import ShareBounds, counts, percent, share
from vgptlint.sql.extract import MAX_FIELD_CHARS

_DIGITS = re.compile(r"\d+")


_WORD_CHARACTER = re.compile(r"[^\W_]")


def strip_edge_punctuation(text: str) -> str:
    """``text`` without the punctuation, symbols and spaces at its ends (``[\\W_]+`` at either end).

    >>> strip_edge_punctuation("  «Explain PMSM.»  "), strip_edge_punctuation("?!"), strip_edge_punctuation("a_b")
    ('Explain PMSM', '', 'a_b')
    """
    start, stop = _edge_bounds(text)
    return text[start:stop]


def _edge_bounds(text: str) -> tuple[int, int]:
    """Where :func:`strip_edge_punctuation` cuts ``text``: (start, stop) of its word characters.

    The first word character is found by one anchored search, the last by stepping back over the
    few characters that usually end a text ("." or ".)"); only a longer run of them costs a
    reversed copy. One ``^…|…$`` substitution tried the end pattern at every run of punctuation
    inside the text (a sixth of the duplicate rules' time on long answers).
    """
    if not text:
        return 0, 0
    # [^\W_] is str.isalnum, so a character is tested without a regex call
    if text[0].isalnum():
        start = 0
    else:
        first = _WORD_CHARACTER.search(text)
        if first is None:
            return 0, 0
        start = first.start()
    last = len(text) - 1
    if text[last].isalnum():
        return start, last + 1
    floor = max(start, last - _TAIL_STEPS)  # text[start] is a word character: the steps stop there at the latest
    while last > floor and not text[last].isalnum():
        last -= 1
    if not text[last].isalnum():  # a long run of punctuation at the end
        last = len(text) - 1 - _WORD_CHARACTER.search(text[::-1]).start()
    return start, last + 1


_TAIL_STEPS = 8  # characters stepped over at a text's end before one reversed search finds its last word character


def _text(record: dict, name: str) -> str:
    value = record.get(name, "")
    return value if isinstance(value, str) else "" if value is None else str(value)


# Each normalization a duplicate may need, in the order they are applied (see what_differs).
NORMALIZATIONS = ("spacing", "letter case", "punctuation at the ends", "numbers")


def normalize_field(text: str, skip: str = "", mask_digits: bool = False) -> str:
    """One field as duplicates compare it: whitespace collapsed, lower-cased, punctuation and
    spaces at its ends dropped (``Explain PMSM.`` equals ``explain  PMSM``), digits masked if asked;
    ``skip`` leaves one of NORMALIZATIONS out (to tell which ones a pair of copies needs).

    >>> normalize_field(" Explain the DateRetd column in PMSM. "), normalize_field("Why?", skip="letter case")
    ('explain the dateretd column in pmsm', 'Why')
    """
    if skip != "spacing":
        text = " ".join(text.split())
    if skip != "letter case":
        text = text.lower()
    if skip != "punctuation at the ends":
        text = strip_edge_punctuation(text)
    if mask_digits and skip != "numbers":
        text = _DIGITS.sub("0", text)
    return text


def spellings(text: str, mask_digits: bool = False) -> dict[str, str]:
    """:func:`normalize_field` of ``text`` with each ``skip`` ("" for none), from shared steps (see
    :func:`_spelled`).

    >>> spellings(" Why  IS it? ") == {skip: normalize_field(" Why  IS it? ", skip) for skip in ("", *NORMALIZATIONS[:3])}
    True
    """
    return dict(zip(("", *NORMALIZATIONS), _spelled(text, mask_digits)))


def _spelled(text: str, mask_digits: bool) -> tuple[str, ...]:
    """:func:`spellings` of ``text`` as a tuple, in the order of ``("", *NORMALIZATIONS)``: one collapse
    of whitespace (none for a single-spaced text), two lower-casings and one search of the edges
    shared by the spellings, and no dict per field (the duplicate rules spell every field of every record).
    """
    if not text:  # most inputs are empty
        return _EMPTY_SPELLINGS[mask_digits]
    collapsed = text if _is_single_spaced(text) else " ".join(text.split())
    lowered = collapsed.lower()
    start, stop = _edge_bounds(lowered)
    full = lowered[start:stop]
    # most texts are single-spaced: then skipping that step changes nothing
    spacing = full if collapsed == text else strip_edge_punctuation(text.lower())
    if lowered == collapsed:
        case = full
    elif collapsed.isascii():  # lower-casing ASCII keeps the length and which characters are letters: the same edges
        case = collapsed[start:stop]
    else:
        case = strip_edge_punctuation(collapsed)
    if not mask_digits:
        return full, spacing, case, lowered
    mask = _DIGITS.sub
    return mask("0", full), mask("0", spacing), mask("0", case), mask("0", lowered), full


_EMPTY_SPELLINGS = {False: ("",) * 4, True: ("",) * 5}


def _is_single_spaced(text: str) -> bool:
    """Whether ``" ".join(text.split())`` is ``text`` itself, told without splitting it: a printable
    text has no whitespace but the space (tests/aggregates/test_duplicate_texts.py checks every code
    point), so only a double space or one at an end would change. False for some texts it would not change.

    >>> _is_single_spaced("a b."), _is_single_spaced("a  b"), _is_single_spaced("a\\nb"), _is_single_spaced(" a")
    (True, False, False, False)
    """
    return text.isprintable() and "  " not in text and not text.startswith(" ") and not text.endswith(" ")


class FieldTexts:
    """One record's ``fields`` as the duplicate rules read them, each derived value made once:
    ``duplicates``, ``near_duplicates`` and the spellings that explain a copy read the same fields."""

    __slots__ = ("record", "fields", "raw", "is_long", "_keys", "_digests", "_encoded", "_words", "_sums")

    def __init__(self, record: dict, fields: tuple[str, ...]) -> None:
        self.record, self.fields = record, fields
        self.raw = [_text(record, name) for name in fields]
        # then a field's head differs from it (max without a default: the keyword costs half a microsecond)
        self.is_long = bool(self.raw) and max(map(len, self.raw)) > MAX_FIELD_CHARS
        self._keys: dict[tuple[bool, bool], tuple[str, ...]] = {}
        self._digests: dict[bool, bytes] = {}
        self._encoded: list[bytes] | None = None
        self._words: dict[bool, bytes] = {}
        self._sums: list[int] | None = None

    def key_row(self, mask_digits: bool, heads: bool = False) -> tuple[str, ...]:
        """The fields' :func:`spellings` joined by U+001F, in the order of ``("", *NORMALIZATIONS)``;
        ``heads``: of each field's first ``MAX_FIELD_CHARS`` characters. A key that skips a step
        which changed no field is the full key itself (the same object), so its digest is made once."""
        heads = heads and self.is_long
        found = self._keys.get((mask_digits, heads))
        if found is None:
            texts = [text[:MAX_FIELD_CHARS] for text in self.raw] if heads else self.raw
            # no fields: every key is "", as the spellings of one empty field
            per_field = [_spelled(text, mask_digits) for text in texts] or [_spelled("", mask_digits)]
            found = self._keys[(mask_digits, heads)] = _joined_spellings(per_field)
        return found

    def keys(self, mask_digits: bool, heads: bool = False) -> dict[str, str]:
        """:meth:`key_row` by ``skip``."""
        return dict(zip(("", *NORMALIZATIONS), self.key_row(mask_digits, heads)))

    def key(self, mask_digits: bool, skip: str = "", heads: bool = False) -> str:
        return self.keys(mask_digits, heads)[skip]

    def key_digest(self, mask_digits: bool) -> bytes:
        found = self._digests.get(mask_digits)
        if found is None:
            found = self._digests[mask_digits] = _digest(self.key_row(mask_digits)[0])
        return found

    def encoded(self) -> list[bytes]:
        """Each raw field in UTF-8 (lone surrogates kept)."""
        if self._encoded is None:
            self._encoded = [text.encode("utf-8", "surrogatepass") for text in self.raw]
        return self._encoded

    def sums(self) -> list[int]:
        """The crc32 of each raw field (0 for an empty one)."""
        if self._sums is None:
            self._sums = list(map(zlib.crc32, self.encoded()))
        return self._sums

    def word_bytes(self, mask_digits: bool) -> bytes:
        """The fields' words as bytes, from each field's first ``MAX_FIELD_CHARS`` characters: each
        field lower-cased, in UTF-8, its non-word bytes made spaces by the word table, and the fields
        joined by a U+001F word (the table turns a field's own U+001F into a space)."""
        found = self._words.get(mask_digits)
        if found is None:
            table = _WORD_TABLES[mask_digits]
            if self.is_long:
                encoded = [_lowered_bytes(text[:MAX_FIELD_CHARS]) for text in self.raw]
            else:  # an ASCII field's bytes are lower-cased by the table itself
                encoded = [data if text.isascii() else _lowered_bytes(text) for text, data in zip(self.raw, self.encoded())]
            found = self._words[mask_digits] = b" \x1f ".join([data.translate(table) for data in encoded])
        return found

    def words(self, mask_digits: bool) -> list[bytes]:
        """:func:`record_words`: :meth:`word_bytes` split."""
        return self.word_bytes(mask_digits).split()


def _joined_spellings(per_field: list[tuple[str, ...]]) -> tuple[str, ...]:
    """Per skip, the fields' spellings joined by U+001F; where every field's spelling is its full one
    (most texts are single-spaced: see :func:`_spelled`), the full key itself.

    >>> _joined_spellings([("a", "A"), ("b", "b")])
    ('a\\x1fb', 'A\\x1fb')
    """
    columns = list(zip(*per_field))  # per skip, each field's spelling
    full_parts = columns[0]  # skip "" comes first
    full = "\x1f".join(full_parts)
    return tuple([full if parts == full_parts else "\x1f".join(parts) for parts in columns])


class _Current(threading.local):
    texts: FieldTexts | None = None


_CURRENT = _Current()  # the record being added (per thread), held until the next one arrives


def field_texts(record: dict, fields: tuple[str, ...]) -> FieldTexts:
    texts = _CURRENT.texts
    if texts is None or texts.record is not record or texts.fields != fields:
        texts = _CURRENT.texts = FieldTexts(record, fields)
    return texts


def record_key(record: object, fields: tuple[str, ...], mask_digits: bool = False, skip: str = "") -> str | None:
    """The normalized text a duplicate check compares (None when the record is not an object).

    >>> record_key({"instruction": " What  IS APTH?", "output": "A view."}, ("instruction", "input", "output"))
    'what is apth\\x1f\\x1fa view'
    """
    if not isinstance(record, dict):
        return None
    return field_texts(record, fields).key(mask_digits, skip)


def _digest(key: str) -> bytes:
    return _digest_bytes(key.encode("utf-8", "surrogatepass"))


def _digest_bytes(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=8).digest()


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
    """Per record: the 8-byte digest of its normalized text and its (index, line, column), in flat
    arrays; copies are found at finalize by sorting, so merging is concatenation. To say what two
    copies differ in: per record the digest of its raw text and of its text normalized in every way
    but one (one per NORMALIZATION), and a crc32 of each raw field (about 80 bytes a record in all).

    A record's observation is those digests and crc32s as one row of bytes (:func:`_dup_row`, 52
    bytes with three fields); ``absorb`` cuts a batch of rows into the arrays' columns at once."""

    digests: bytearray = field(default_factory=bytearray)
    index: array = field(default_factory=lambda: array("q"))
    line: array = field(default_factory=lambda: array("q"))
    column: array = field(default_factory=lambda: array("q"))
    variants: bytearray = field(default_factory=bytearray)  # raw digest, then one per normalization
    field_sums: array = field(default_factory=lambda: array("I"))  # crc32 of each raw field


def _dup_merge(a: DuplicateState, b: DuplicateState, opts: object) -> DuplicateState:
    return DuplicateState(a.digests + b.digests, a.index + b.index, a.line + b.line, a.column + b.column,
                          a.variants + b.variants, a.field_sums + b.field_sums)


def _normalizations(opts) -> tuple[str, ...]:
    return NORMALIZATIONS if opts.mask_digits else NORMALIZATIONS[:-1]


def variant_digests(texts: FieldTexts, mask_digits: bool) -> bytes:
    """What :func:`what_differs` needs of one record besides its raw fields' crc32s: the digest of
    its raw text, then of its key with each of its normalizations skipped (a key equal to the full
    one reuses its digest)."""
    keys = texts.key_row(mask_digits, heads=True)  # spellings only explain, so a field's head suffices
    full = texts.key_row(mask_digits)[0]
    full_digest = texts.key_digest(mask_digits)
    variants = [_digest_bytes(b"\x1f".join(texts.encoded()))]  # the raw fields joined by U+001F, in UTF-8
    variants += [full_digest if key is full else _digest(key) for key in keys[1:]]
    return b"".join(variants)


def what_differs(copy_variants: bytes, first_variants: bytes, copy_sums, first_sums, fields, normalizations) -> str:
    """``; the instruction differs only in punctuation at the ends`` for two copies, or "" if identical.

    A normalization counts when the copies still differ with every other normalization applied.
    """
    if copy_variants[:8] == first_variants[:8]:
        return ""
    needed = [name for number, name in enumerate(normalizations, start=1)
              if copy_variants[8 * number:8 * number + 8] != first_variants[8 * number:8 * number + 8]]
    names = [name for name, a, b in zip(fields, copy_sums, first_sums) if a != b]
    which = " and ".join(names) or "text"
    verb = "differs" if len(names) == 1 else "differ"
    return f"; {which} {verb} only in {' and '.join(needed) or 'spacing'}"


def _dup_widths(opts: DuplicateOptions) -> tuple[int, int, int]:
    """Bytes of a row's digest, variant digests and field crc32s (see :func:`_dup_row`)."""
    return 8, 8 * (1 + len(_normalizations(opts))), 4 * len(opts.fields)


def _dup_absorb(state: DuplicateState, rows: list[bytes], refs, opts: DuplicateOptions) -> DuplicateState:
    digests, variants, sums = byte_columns(rows, _dup_widths(opts))
    state.digests += digests
    state.variants += variants
    state.field_sums.frombytes(sums)
    append_positions(state, refs)
    return state


@accumulator("duplicates", options=DuplicateOptions, empty=lambda opts: DuplicateState(), merge=_dup_merge,
             finalize=lambda state, opts: _dup_finalize(state, opts),
             judged_by=("max", "max_reported", "label"), absorb=_dup_absorb, state_is_column=True)
def duplicates(targets, ctx, opts: DuplicateOptions) -> bytes | None:
    """Exact (normalized) duplicate records; see the module docstring."""
    if not isinstance(ctx.record, dict):
        return None
    return _dup_row(ctx.record, opts)


def _dup_row(record: dict, opts: DuplicateOptions) -> bytes:
    """A record's observation: the digest of its normalized text, its variant digests (what
    :func:`what_differs` reads) and its raw fields' crc32s, back to back (widths: :func:`_dup_widths`)."""
    texts = field_texts(record, opts.fields)
    return (texts.key_digest(opts.mask_digits) + variant_digests(texts, opts.mask_digits)
            + array("I", texts.sums()).tobytes())


def append_positions(state: DuplicateState | NearState, refs) -> None:
    """The refs' index, line and column onto the state's flat arrays (``fromlist`` of a list: twice as
    fast as ``extend`` of an iterator, which appends one item at a time)."""
    state.index.fromlist([ref.index for ref in refs])
    state.line.fromlist([ref.line for ref in refs])
    state.column.fromlist([ref.column for ref in refs])


def byte_columns(rows: list[bytes], widths: tuple[int, ...]) -> list[bytes]:
    """Rows of fixed-width fields (``widths`` bytes each) as one bytes per field, every row's in order:
    one join and one strided copy per field instead of a slice per row and field.

    >>> byte_columns([b"ab123", b"cd456"], (2, 3))
    [b'abcd', b'123456']
    """
    import numpy as np

    row = np.dtype([(f"field{number}", f"V{width}") for number, width in enumerate(widths)])
    table = np.frombuffer(b"".join(rows), dtype=row)
    return [table[name].tobytes() for name in row.names]


def copies_of(digests: bytes, index: array) -> list[tuple[int, int]]:
    """(copy, first) positions into the arrays, in record order: every record whose digest an
    earlier record has, with the earliest record that has it.

    >>> copies_of(bytes([1] * 8 + [2] * 8 + [1] * 8), array("q", [0, 1, 2]))
    [(2, 0)]
    """
    import numpy as np

    if not index:
        return []
    values = np.frombuffer(digests, dtype=">u8")
    indexes = np.frombuffer(index, dtype=np.int64)
    order = np.lexsort((indexes, values))  # by digest, then record index
    ordered = values[order]
    is_first = np.r_[True, ordered[1:] != ordered[:-1]]
    first_of = order[is_first][np.cumsum(is_first) - 1]
    copies, firsts = order[~is_first], first_of[~is_first]
    in_record_order = np.argsort(indexes[copies], kind="stable")
    return list(zip(copies[in_record_order].tolist(), firsts[in_record_order].tolist()))


def _dup_finalize(state: DuplicateState, opts: DuplicateOptions) -> AggregateOutcome:
    import numpy as np

    copies = copies_of(bytes(state.digests), state.index)
    records = len(state.index)
    what = opts.label or ("near-duplicate (numbers masked)" if opts.mask_digits else "duplicate")
    reported = copies[:opts.max_reported] if opts.max_reported else copies
    hits = _dup_hits(state, reported, what, opts)
    value = share(len(copies), records)
    bounds = ShareBounds(None, opts.max)
    broken = bounds.broken(value, len(copies), records)
    if opts.max_reported and len(copies) > opts.max_reported:
        hits.append(AggregateHit(f"{len(copies) - opts.max_reported:,} more {what} records not listed (max_reported: "
                                 f"{opts.max_reported:,})", fingerprint_basis="more"))
    if broken:
        hits.append(AggregateHit(f"{what} records {percent(value)} ({counts(len(copies), records)}) {broken}",
                                 fingerprint_basis=f"share {broken}"))
    firsts = np.frombuffer(state.digests, dtype=np.uint64)[[first for _, first in copies]]
    details = {"label": what, "groups": len(set(firsts.tolist()))}
    return AggregateOutcome(value, len(copies), records, bounds.as_dict(), not broken, details, tuple(hits))


def _dup_hits(state: DuplicateState, copies: list[tuple[int, int]], what: str, opts: DuplicateOptions) -> list[AggregateHit]:
    """A finding at each copy, the state's columns read for all copies at once (a slice and a bytes
    per copy and column took two thirds of finalize)."""
    import numpy as np

    if not copies:
        return []
    copy, first = (list(column) for column in zip(*copies))
    index, line, column = (np.frombuffer(values, dtype=np.int64)[copy].tolist()
                           for values in (state.index, state.line, state.column))
    first_index, first_line = (np.frombuffer(values, dtype=np.int64)[first].tolist() for values in (state.index, state.line))
    digests = np.frombuffer(state.digests, dtype=np.uint64)[copy].tobytes().hex()
    differs = _what_differs_each(state, copy, first, opts)
    fields = " + ".join(opts.fields)
    return [AggregateHit(f"record {index[number]} is a {what} of record {first_index[number]} (line {first_line[number]}) "
                         f"on {fields}"
                         f"{differs[number]}",
                         record_index=index[number], line=line[number], column=column[number], pointer="",
                         data={"first_index": first_index[number], "first_line": first_line[number]},
                         fingerprint_basis=f"{digests[16 * number:16 * number + 16]} {index[number] - first_index[number]}")
            for number in range(len(copy))]


def _what_differs_each(state: DuplicateState, copy: list[int], first: list[int], opts: DuplicateOptions) -> list[str]:
    """:func:`what_differs` of each (copy, first) pair: it depends only on which variant digests and
    which field crc32s the two share, so each such pattern is worded once."""
    import numpy as np

    width, count = _dup_widths(opts)[1], len(opts.fields)
    variants = np.frombuffer(state.variants, dtype=np.uint8).reshape(-1, width)
    sums = np.frombuffer(state.field_sums, dtype=np.uint32).reshape(-1, count)
    same_variants = (variants[copy].reshape(-1, width // 8, 8) == variants[first].reshape(-1, width // 8, 8)).all(axis=2)
    pattern = np.hstack([same_variants, sums[copy] == sums[first]])
    worded: dict[bytes, str] = {}
    texts = []
    for number, code in enumerate(map(bytes, np.packbits(pattern, axis=1))):
        text = worded.get(code)
        if text is None:
            text = worded[code] = what_differs(variants[copy[number]].tobytes(), variants[first[number]].tobytes(),
                                               sums[copy[number]].tolist(), sums[first[number]].tolist(),
                                               opts.fields, _normalizations(opts))
        texts.append(text)
    return texts


# ---------------------------------------------------------------------------- near duplicates

_MASK32 = 0xFFFFFFFF
_EMPTY = _MASK32 + 1
# Odd 32-bit multipliers: shingle = w0*A + w1*B + w2*C (+ ...), then one mixing multiply before binning.
_SHINGLE_WEIGHTS = (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1, 0xD3A2646C, 0xFD7046C5, 0xB55A4F09)
_MIX = 0x2545F491
_ROTATE = 0x3C6EF372


@dataclass(frozen=True, slots=True)
class NearDuplicateOptions:
    """``threshold``: minimum estimated Jaccard similarity of word shingles (default 0.85); ``shingle``:
    words per shingle (default 3, at most 8); ``bins``: signature size (default 32, a multiple of ``rows``);
    ``rows``: signature values per LSH band (default 4); ``answer``: the field that must be at least
    ``threshold`` similar on its own too (default ``output``; "" for none): records that share a long
    prompt (a schema pasted into every instruction) but answer differently are not copies;
    ``fields``, ``mask_digits`` (default true), ``max``, ``max_reported``: as for ``duplicates``."""

    threshold: float = 0.85
    shingle: int = 3
    bins: int = 32
    rows: int = 4
    fields: tuple[str, ...] = ("instruction", "input", "output")
    mask_digits: bool = True
    max: float | None = 0.05
    max_reported: int = 0
    answer: str = "output"

    def validate(self) -> str | None:
        if not self.fields:
            return 'option "fields" needs at least one field name'
        if not 0 < self.threshold <= 1:
            return f'option "threshold" is a similarity between 0 and 1; got {self.threshold}'
        if not 1 <= self.shingle <= len(_SHINGLE_WEIGHTS) or self.bins < 1 or self.rows < 1 or self.bins % self.rows:
            return ('options "shingle" (1-8), "bins" and "rows" are positive, and "bins" is a multiple of "rows"')
        return ShareBounds(None, self.max).problem()


_WORD_BYTES = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_") | frozenset(range(0x80, 0x100))


def _word_table(mask_digits: bool) -> bytes:
    """A bytes.translate table: word bytes ([0-9A-Za-z_], and the UTF-8 bytes of non-ASCII letters)
    kept, ASCII capitals lower-cased, digits 1-9 as 0 when ``mask_digits``, every other byte a space."""
    table = bytearray(range(256))
    for byte in range(256):
        if byte not in _WORD_BYTES:
            table[byte] = 0x20
        elif 0x41 <= byte <= 0x5A:
            table[byte] = byte + 0x20
        elif mask_digits and 0x31 <= byte <= 0x39:
            table[byte] = 0x30
    return bytes(table)


_WORD_TABLES = {False: _word_table(False), True: _word_table(True)}
_FIELD_BREAK = b"\x1f"


def record_words(record: object, fields: tuple[str, ...], mask_digits: bool = False) -> list[bytes] | None:
    """The lower-cased words of ``fields``, punctuation dropped (``PMSM.`` is the word ``pmsm``), with
    a U+001F word between fields so that a shingle never joins two fields unnoticed; digits as 0
    when ``mask_digits``.

    >>> record_words({"instruction": "Explain PMSM.", "output": "Co 12"}, ("instruction", "output"), True)
    [b'explain', b'pmsm', b'\\x1f', b'co', b'00']
    """
    if not isinstance(record, dict):
        return None
    return field_texts(record, fields).words(mask_digits)


def _lowered_bytes(text: str) -> bytes:
    """A text lower-cased in UTF-8, ASCII capitals left to the word table (a copy saved)."""
    return (text if text.isascii() else text.lower()).encode("utf-8", "surrogatepass")


def word_crcs(data: bytes):
    """(the crc32 of each word, where each starts, where each stops) in ``data``, which ends in a
    space; a word is a run of bytes other than the space (what ``bytes.split`` finds in translated
    text). Read in pieces of about ``_CRC_PIECE_BYTES`` that end in a space, so that the arrays made
    per byte stay small whatever the batch; a word longer than a piece is hashed alone."""
    import numpy as np

    pieces = []
    start = 0
    while start < len(data):
        stop = data.rfind(b" ", start, start + _CRC_PIECE_BYTES) + 1
        if stop > start:
            crcs, starts, stops = _piece_word_crcs(np.frombuffer(data, dtype=np.uint8, count=stop - start, offset=start))
            pieces.append((crcs, starts + start, stops + start))
        else:  # no space: the piece is in one word, which starts at ``start`` (after a space)
            stop = data.index(b" ", start)
            pieces.append((np.array([zlib.crc32(data[start:stop])], dtype=np.uint32), np.array([start]), np.array([stop])))
            stop += 1
        start = stop
    if not pieces:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return tuple(np.concatenate(column) for column in zip(*pieces))


_CRC_PIECE_BYTES = 1 << 18  # about 40 bytes of arrays per byte: 10 MB at a time


def _piece_word_crcs(data):
    """:func:`word_crcs` of numpy uint8 bytes that end in a space.

    crc32 is affine for a fixed length: a word's crc32 is that of as many zero bytes, XOR one table
    value per byte, chosen by the byte and its distance to the word's end (:func:`_crc_tables`), so
    the bytes of all words are looked up at once and XOR-ed per word; a word longer than the table
    is rare and hashed alone. One call per piece instead of one ``zlib.crc32`` (and one bytes
    object) per word.
    """
    import numpy as np

    by_distance, of_zeros = _crc_tables()
    longest = len(of_zeros) - 1
    is_word = np.zeros(len(data) + 1, dtype=bool)  # with a non-word before the first byte
    np.not_equal(data, 0x20, out=is_word[1:])
    edges = np.flatnonzero(is_word[1:] != is_word[:-1])  # a word's start, then its stop
    is_word = is_word[1:]
    starts, stops = edges[0::2], edges[1::2]
    if not len(starts):
        return np.zeros(0, dtype=np.uint32), starts, stops
    lengths = stops - starts
    positions = np.flatnonzero(is_word)  # every byte of every word, in order
    distances = np.repeat(stops - 1, lengths) - positions
    np.minimum(distances, longest - 1, out=distances)
    values = by_distance[distances * 256 + data[positions]]
    crcs = np.bitwise_xor.reduceat(values, np.cumsum(lengths) - lengths) ^ of_zeros[np.minimum(lengths, longest)]
    for word in np.flatnonzero(lengths > longest).tolist():
        crcs[word] = zlib.crc32(data[starts[word]:stops[word]].tobytes())
    return crcs, starts, stops


_CRC_TABLE_BYTES = 64  # words up to this long are hashed by the tables (64 x 256 values, 64 KB)


@lru_cache(maxsize=1)
def _crc_tables():
    """(the crc32 contribution of byte v at distance d from a word's end, at ``d * 256 + v``; the crc32
    of n zero bytes, at n), for words of up to ``_CRC_TABLE_BYTES`` bytes."""
    import numpy as np

    byte_table = np.array([zlib.crc32(bytes([value])) ^ zlib.crc32(b"\0") for value in range(256)], dtype=np.uint32)
    rows = [byte_table]
    for _ in range(_CRC_TABLE_BYTES - 1):  # one more zero byte after it: one step of the register
        rows.append(byte_table[rows[-1] & 0xFF] ^ (rows[-1] >> np.uint32(8)))
    of_zeros = np.array([zlib.crc32(bytes(count)) for count in range(_CRC_TABLE_BYTES + 1)], dtype=np.uint32)
    return np.concatenate(rows), of_zeros


def signatures(hashes, lengths: list[int], shingle: int, bins: int):
    """One-permutation MinHash signatures (``len(lengths)`` x ``bins`` uint32) of word shingles.

    ``hashes`` holds every record's word hashes back to back (``lengths`` words each, at least
    ``shingle``: :func:`_signature_bytes` pads short texts with zeros). Vectorized over all records at once; uint32
    arithmetic wraps, which is the modulo we want. Empty bins borrow from the next non-empty bin to
    their right, offset by the distance (rotation densification), so short texts stay comparable.
    """
    import numpy as np

    count = len(lengths)
    flat = np.concatenate([np.frombuffer(hashes, dtype=np.uint32), np.zeros(shingle, dtype=np.uint32)])
    total = len(flat) - shingle
    mixed = np.zeros(total, dtype=np.uint32)
    for offset in range(shingle):
        mixed += flat[offset:offset + total] * np.uint32(_SHINGLE_WEIGHTS[offset])
    mixed *= np.uint32(_MIX)
    lengths_array = np.asarray(lengths, dtype=np.int64)
    owner = np.repeat(np.arange(count), lengths_array)
    # A shingle must not run into the next record: drop the last (shingle - 1) starts of each record.
    position_in_record = np.arange(total) - np.repeat(np.cumsum(lengths_array) - lengths_array, lengths_array)
    valid = position_in_record <= np.repeat(lengths_array - shingle, lengths_array)
    owner, mixed = owner[valid], mixed[valid]
    slots = np.full(count * bins, _EMPTY, dtype=np.uint64)
    np.minimum.at(slots, owner * bins + (mixed % np.uint32(bins)).astype(np.int64), mixed.astype(np.uint64))
    table = slots.reshape(count, bins)
    sparse = np.nonzero((table == _EMPTY).any(axis=1))[0]  # only short texts leave bins empty
    if len(sparse):
        original = table[sparse]
        filled = original.copy()
        for distance in range(1, bins):
            still = filled == _EMPTY
            if not still.any():
                break
            borrowed = np.roll(original, -distance, axis=1)
            usable = still & (borrowed != _EMPTY)
            filled[usable] = (borrowed[usable] + np.uint64(distance * _ROTATE)) & np.uint64(_MASK32)
        table[sparse] = filled
    return table.astype(np.uint32)


def earliest_similar(table, keep, rows_per_band: int, threshold: float, also=None):
    """For each kept record (row of ``table``, in record order), the earliest earlier kept record that
    shares an LSH band with it and whose signature agrees on at least ``threshold`` of the bins (and,
    when ``also`` is given, whose row of ``also`` does too: the answer's own signature); -1 if
    none (and for records not kept).

    Vectorized, one band at a time (:func:`_band_pairs`): compare every (record, candidate) pair of
    the band in slices, and keep per record the smallest candidate that agrees. Memory: a few arrays
    of one value per record, whatever the number of candidate pairs (templated data has millions).
    """
    import numpy as np

    count, bins = table.shape
    weights = np.asarray(_SHINGLE_WEIGHTS[:rows_per_band], dtype=np.uint64)
    kept = np.nonzero(keep)[0]
    best = np.full(count, -1, dtype=np.int64)
    agreement = np.zeros(count, dtype=np.int64)
    for band in range(bins // rows_per_band if len(kept) else 0):
        rows, candidates = _band_pairs(table, kept, band, rows_per_band, weights)
        for start in range(0, len(rows), _PAIRS_PER_SLICE):
            row, candidate = rows[start:start + _PAIRS_PER_SLICE], candidates[start:start + _PAIRS_PER_SLICE]
            agree = (table[row] == table[candidate]).sum(axis=1)
            good = agree >= threshold * bins
            row, candidate, agree = row[good], candidate[good], agree[good]
            if also is not None:  # only pairs whose signatures agree: few, so this test costs little
                good = (also[row] == also[candidate]).sum(axis=1) >= threshold * also.shape[1]
                row, candidate, agree = row[good], candidate[good], agree[good]
            earlier = (best[row] < 0) | (candidate < best[row])
            best[row[earlier]] = candidate[earlier]
            agreement[row[earlier]] = agree[earlier]
    return best, agreement


def _band_pairs(table, kept, band: int, rows_per_band: int, weights):
    """One band's (record, candidate) pairs: each kept record whose band values an earlier kept record
    has too, with the earliest such record (each record once). The band's values are hashed into one
    number, sorted (an unstable sort: twice as fast, and each group's earliest record is then its
    minimum) and grouped."""
    import numpy as np

    columns = table[:, band * rows_per_band:(band + 1) * rows_per_band].astype(np.uint64)
    values = (columns @ weights)[kept]  # uint64 arithmetic wraps: a hash of the band's values
    del columns
    order = np.argsort(values)
    ordered_values, ordered_rows = values[order], kept[order]
    del values, order
    starts = np.r_[True, ordered_values[1:] != ordered_values[:-1]]
    first = np.minimum.reduceat(ordered_rows, np.flatnonzero(starts))[np.cumsum(starts) - 1]
    has_candidate = first < ordered_rows
    return ordered_rows[has_candidate], first[has_candidate]


_PAIRS_PER_SLICE = 65536


@dataclass
class NearState:
    """Per record: a ``bins``-value MinHash signature (and one of the ``answer`` field), its index, line,
    column, 8-byte exact digest and its raw fields' crc32s, in flat arrays. Memory: about
    ``4 * bins + 32`` bytes per record (twice the signature with ``answer``).

    A record is observed as its exact digest, field crc32s and word bytes (:func:`_near_observe`);
    ``settle`` turns a batch of them (4,096 records in the engine) into word hashes and signatures with
    one vectorized :func:`word_crcs` and :func:`signatures` call each and gives back one fixed-width row of bytes per record (what the result
    cache keeps, whatever the text length); ``absorb`` cuts a batch of rows into the arrays' columns."""

    index: array = field(default_factory=lambda: array("q"))
    line: array = field(default_factory=lambda: array("q"))
    column: array = field(default_factory=lambda: array("q"))
    exact: bytearray = field(default_factory=bytearray)
    signatures: array = field(default_factory=lambda: array("I"))
    answers: array = field(default_factory=lambda: array("I"))  # the answer field's signatures
    field_sums: array = field(default_factory=lambda: array("I"))  # crc32 of each raw field


def _near_merge(a: NearState, b: NearState, opts: NearDuplicateOptions) -> NearState:
    return NearState(a.index + b.index, a.line + b.line, a.column + b.column, a.exact + b.exact,
                     a.signatures + b.signatures, a.answers + b.answers, a.field_sums + b.field_sums)


def _near_widths(opts: NearDuplicateOptions) -> tuple[int, ...]:
    """Bytes of a settled row's exact digest, field crc32s, signature (and answer signature)."""
    return (8, 4 * len(opts.fields), 4 * opts.bins, *((4 * opts.bins,) if opts.answer else ()))


def _near_settle(observations: list[tuple], opts: NearDuplicateOptions) -> list[bytes]:
    """Each record's (head, word bytes, answer word bytes) as one row of bytes: its head (exact
    digest and field crc32s), then its signature(s), all computed in one call per batch."""
    import numpy as np

    count = len(observations)
    heads = np.frombuffer(b"".join([head for head, _, _ in observations]), dtype=np.uint8)
    crcs, owners, is_break = _batch_words([text for _, text, _ in observations])
    parts = [heads.reshape(count, sum(_near_widths(opts)[:2])), _signature_bytes(crcs, owners, count, opts)]
    if opts.answer in opts.fields:  # the answer's words are the record's between its U+001F words
        breaks_before = np.cumsum(is_break) - is_break
        record_breaks = np.bincount(owners[is_break], minlength=count)
        field_of = breaks_before - (np.cumsum(record_breaks) - record_breaks)[owners]
        chosen = (field_of == opts.fields.index(opts.answer)) & ~is_break
        parts.append(_signature_bytes(crcs[chosen], owners[chosen], count, opts))
    elif opts.answer:
        crcs, owners, _ = _batch_words([answer for _, _, answer in observations])
        parts.append(_signature_bytes(crcs, owners, count, opts))
    rows = np.hstack(parts).tobytes()
    width = sum(_near_widths(opts))
    return [rows[start:start + width] for start in range(0, len(rows), width)]


def _batch_words(texts: list[bytes]):
    """(the crc32 of each word, the number of the text it is in, whether it is a U+001F word) of the
    texts' words (:meth:`FieldTexts.word_bytes`), every text's in order."""
    import numpy as np

    joined = b" ".join(texts) + b" "  # a space ends every text's last word
    crcs, starts, stops = word_crcs(joined)
    data = np.frombuffer(joined, dtype=np.uint8)
    text_sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
    owners = np.searchsorted(np.cumsum(text_sizes) - text_sizes, starts, side="right") - 1
    is_break = (stops - starts == 1) & (data[starts] == _FIELD_BREAK[0])
    return crcs, owners, is_break


def _signature_bytes(crcs, owners, count: int, opts: NearDuplicateOptions):
    """The signatures of ``count`` texts, one row of ``4 * bins`` bytes per text, from their words'
    crc32s (``owners``: the text of each, in order); a text shorter than a shingle is padded with
    zeros (each signature depends on its words alone)."""
    import numpy as np

    lengths = np.bincount(owners, minlength=count)
    padded = np.maximum(lengths, opts.shingle)
    hashes = np.zeros(int(padded.sum()), dtype=np.uint32)
    hashes[(np.cumsum(padded) - padded - np.cumsum(lengths) + lengths)[owners] + np.arange(len(owners))] = crcs
    return signatures(hashes, padded, opts.shingle, opts.bins).view(np.uint8)


def _near_absorb(state: NearState, rows: list[bytes], refs, opts: NearDuplicateOptions) -> NearState:
    exact, sums, table, *answers = byte_columns(rows, _near_widths(opts))
    state.exact += exact
    state.field_sums.frombytes(sums)
    state.signatures.frombytes(table)
    for answer_table in answers:
        state.answers.frombytes(answer_table)
    append_positions(state, refs)
    return state


@accumulator("near_duplicates", options=NearDuplicateOptions, empty=lambda opts: NearState(), merge=_near_merge,
             finalize=lambda state, opts: _near_finalize(state, opts),
             judged_by=("threshold", "max", "max_reported"), absorb=_near_absorb, settle=_near_settle,
             state_is_column=True)
def near_duplicates(targets, ctx, opts: NearDuplicateOptions) -> tuple[bytes, bytes, bytes | None] | None:
    """Near-duplicate records by MinHash/LSH; see the module docstring."""
    if not isinstance(ctx.record, dict):
        return None
    return _near_observe(ctx.record, opts)


def _near_observe(record: dict, opts: NearDuplicateOptions) -> tuple[bytes, bytes, bytes | None]:
    """(exact digest + raw fields' crc32s, word bytes of the fields, of the answer when it is not one
    of them); :func:`_near_settle` hashes the words of a whole batch at once."""
    texts = field_texts(record, opts.fields)
    # exact copies (as duplicate-records normalizes them, numbers unmasked) are left to that rule
    head = texts.key_digest(False) + array("I", texts.sums()).tobytes()
    answer = None
    if opts.answer and opts.answer not in opts.fields:
        answer = FieldTexts(record, (opts.answer,)).word_bytes(opts.mask_digits)
    return head, texts.word_bytes(opts.mask_digits), answer


def _near_differs(copy_sums, first_sums, fields: tuple[str, ...]) -> str:
    """``: the instruction differs, the output is the same`` from the raw fields' crc32s."""
    differ = [name for name, a, b in zip(fields, copy_sums, first_sums) if a != b]
    same = [name for name, a, b in zip(fields, copy_sums, first_sums) if a == b and a != 0]  # 0: both empty
    text = f"{' and '.join(differ)} {'differs' if len(differ) == 1 else 'differ'}" if differ else "identical"
    if same:
        text += f", {' and '.join(same)} {'is' if len(same) == 1 else 'are'} the same"
    return ": " + text


def _near_finalize(state: NearState, opts: NearDuplicateOptions) -> AggregateOutcome:
    import numpy as np

    count = len(state.index)
    found: list[tuple[int, int, float]] = []  # (row, earlier row, similarity), rows in record order
    # numpy views of the flat arrays, in record order (chunks may arrive in any order); no
    # per-record Python objects, so finalizing 590k records stays within a few signature tables.
    indexes = np.frombuffer(state.index, dtype=np.int64)
    # Chunks merged in file order leave the records in order already: then views, not copies.
    order = slice(None) if bool(np.all(indexes[1:] >= indexes[:-1])) else np.argsort(indexes, kind="stable")
    exact = np.frombuffer(bytes(state.exact), dtype=np.uint64)[order]
    if count:
        table = np.frombuffer(state.signatures, dtype=np.uint32).reshape(count, opts.bins)[order]
        _, first_of_each = np.unique(exact, return_index=True)
        keep = np.zeros(count, dtype=bool)  # exact copies are duplicates' business and join no band
        keep[first_of_each] = True
        answers = (np.frombuffer(state.answers, dtype=np.uint32).reshape(count, opts.bins)[order]
                   if opts.answer else None)
        best, agreement = earliest_similar(table, keep, opts.rows, opts.threshold, answers)
        numbers = np.nonzero((best >= 0) & keep)[0]
        similarities = [agree / opts.bins for agree in agreement[numbers].tolist()]
        found = list(zip(numbers.tolist(), best[numbers].tolist(), similarities))
    index, line, column = (np.frombuffer(a, dtype=np.int64)[order] for a in (state.index, state.line, state.column))
    sums = np.frombuffer(state.field_sums, dtype=np.uint32).reshape(count, len(opts.fields))[order]

    def row(number: int) -> tuple[int, int, int, bytes]:
        return int(index[number]), int(line[number]), int(column[number]), exact[number].tobytes()

    reported = found[:opts.max_reported] if opts.max_reported else found
    hits = _near_hits(reported, (index, line, column), exact, sums, opts)
    if len(reported) < len(found):
        hits.append(AggregateHit(f"{len(found) - opts.max_reported:,} more near-duplicate records not listed",
                                 fingerprint_basis="more"))
    value = share(len(found), count)
    bounds = ShareBounds(None, opts.max)
    broken = bounds.broken(value, len(found), count)
    groups = near_groups(found)
    if broken:
        largest = "; ".join(f"{size:,} records like record {row(first)[0]} (line {row(first)[1]})"
                            for first, size in groups[:3])
        hits.append(AggregateHit(f"near-duplicate records {percent(value)} ({counts(len(found), count)}) {broken}; "
                                 f"{len(groups):,} group{'' if len(groups) == 1 else 's'}, the largest: {largest}", fingerprint_basis=f"share {broken}"))
    return AggregateOutcome(value, len(found), count, bounds.as_dict(), not broken,
                            {"threshold": opts.threshold, "method": "minhash", "groups": len(groups)}, tuple(hits))


def _near_hits(found: list[tuple[int, int, float]], positions, exact, sums, opts: NearDuplicateOptions) -> list[AggregateHit]:
    """A finding at each near-duplicate record, its own and its earlier record's positions, digests and
    field crc32s read for all of them at once (one numpy scalar per value took half of finalize)."""
    if not found:
        return []
    numbers, earliers, similarities = (list(column) for column in zip(*found))
    index, line, column = (array[numbers].tolist() for array in positions)
    first_index, first_line = (array[earliers].tolist() for array in positions[:2])
    digests, first_digests = exact[numbers].tobytes().hex(), exact[earliers].tobytes().hex()
    differs = _near_differs_each(sums[numbers], sums[earliers], opts.fields)
    hits = []
    for number, similarity in enumerate(similarities):
        hexes = slice(16 * number, 16 * number + 16)
        hits.append(AggregateHit(f"record {index[number]} is a near-duplicate ({similarity:.0%} similar) of record "
                                 f"{first_index[number]} (line {first_line[number]}){differs[number]}",
                                 record_index=index[number], line=line[number], column=column[number],
                                 data={"first_index": first_index[number], "similarity": similarity},
                                 fingerprint_basis=f"{first_digests[hexes]} {digests[hexes]}"))
    return hits


def _near_differs_each(copy_sums, first_sums, fields: tuple[str, ...]) -> list[str]:
    """:func:`_near_differs` of each pair of rows of crc32s: it depends only on which fields differ and
    which are empty, so each such pattern is worded once."""
    import numpy as np

    pattern = np.hstack([copy_sums != first_sums, copy_sums != 0])
    codes = np.packbits(pattern, axis=1)
    worded: dict[bytes, str] = {}
    texts = []
    for number, code in enumerate(map(bytes, codes)):
        text = worded.get(code)
        if text is None:
            text = worded[code] = _near_differs(copy_sums[number].tolist(), first_sums[number].tolist(), fields)
        texts.append(text)
    return texts


def near_groups(found: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    """(first row, size) of each group of near-duplicates, largest first: a record joins the group of
    the earlier record it is similar to (rows in record order, so that record's group is known).

    >>> near_groups([(2, 0, 0.9), (3, 2, 0.9), (5, 4, 0.9)])
    [(0, 3), (4, 2)]
    """
    first_of: dict[int, int] = {}
    sizes: dict[int, int] = {}
    for number, earlier, _ in found:
        first = first_of.setdefault(number, first_of.get(earlier, earlier))
        sizes[first] = sizes.get(first, 1) + 1
    return sorted(sizes.items(), key=lambda item: (-item[1], item[0]))
