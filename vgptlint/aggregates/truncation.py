"""``truncation``: outputs cut off by their generator.

Three signs, each reported at its record (pointer to the field):

- an unclosed code fence (an odd number of fence lines);
- SQL that stops mid-statement (its last token is ``FROM``, ``AND``, a comma, an open parenthesis …);
- a *pile-up*: many outputs with exactly the same length, far more than the lengths around it (a
  hard cap such as 3,000 or 4,000 characters). A length ``L >= pileup_min_length`` piles up when at
  least ``pileup_min`` distinct values have it, it is at least ``pileup_factor`` times as common as
  the average length within ``±50`` characters, and fewer values are longer than have it (a ceiling).

``max`` bounds the share of truncated values. The per-record check is cheap: a fence count, and an
SQL look only when the value ends on a token SQL cannot end on.

State: the count of values, one counter entry per distinct length at or above
``pileup_min_length`` with at most ``max_reported`` positions and an 8-byte digest per distinct value
each (copies do not count towards a pile-up), and the positions of values
truncated by the first two signs; bounded by the number of distinct long lengths and truncated values.
A record is observed without its position (a count, plus pointer, reason, length and digest of its
cut or long values); ``absorb`` adds the positions.
"""
from __future__ import annotations

import hashlib
import operator
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import compress

from vgptlint.aggregates.base import AggregateHit, AggregateOutcome, accumulator
from vgptlint.aggregates.bounds import ShareBounds, counts, percent, share
from vgptlint.functions.features import DANGLING, truncation
from vgptlint.select.jsonpath import to_pointer
from vgptlint.text_memo import text_memo

_TRAILING_WORD = re.compile(r"\w+\Z")
_WINDOW = 50


def maybe_truncated(value: str):
    """:func:`features.truncation`, skipping the SQL look for values that end like prose."""
    if "```" in value or "~~~" in value or last_token(value).upper() in DANGLING:
        return _remembered_truncation(value)
    return None


# The SQL look splits the value's statements: done once per distinct value (data repeats answers).
_remembered_truncation = text_memo(truncation)


def last_token(value: str) -> str:
    """The value's last word or punctuation mark ("" when blank); most prose ends on ".", decided
    without a regex scan.

    >>> last_token("SELECT a FROM t WHERE  "), last_token("It is the AP header."), last_token(" ")
    ('WHERE', '.', '')
    """
    tail = value[-40:].rstrip()
    if not tail:
        return ""
    if not (tail[-1].isalnum() or tail[-1] == "_"):
        return tail[-1]
    word = _TRAILING_WORD.search(tail)
    return word.group(0) if word is not None else tail[-1]


@dataclass(frozen=True, slots=True)
class TruncationOptions:
    """``max``: largest allowed share of truncated values (default 0.005); ``pileup_min``,
    ``pileup_min_length``, ``pileup_factor``: the pile-up test (defaults 10, 1000, 10);
    ``max_reported``: record findings per kind of sign (default 1000; counts stay exact)."""

    max: float | None = 0.005
    pileup_min: int = 10
    pileup_min_length: int = 1000
    pileup_factor: float = 10.0
    max_reported: int = 1000

    def validate(self) -> str | None:
        if self.pileup_min < 2 or self.pileup_factor <= 1 or self.max_reported < 1:
            return '"pileup_min" must be at least 2, "pileup_factor" above 1 and "max_reported" at least 1'
        return ShareBounds(None, self.max).problem()


@dataclass
class TruncationState:
    values: int = 0
    cut: list = field(default_factory=list)  # (index, line, column, pointer, reason)
    lengths: Counter = field(default_factory=Counter)  # length -> count, for lengths >= pileup_min_length
    at_length: dict = field(default_factory=dict)  # length -> [(index, line, column, pointer)] (capped)
    distinct: dict = field(default_factory=dict)  # length -> set of 8-byte digests of the values


def _merge(a: TruncationState, b: TruncationState, opts: TruncationOptions) -> TruncationState:
    at_length = {k: list(v) for k, v in a.at_length.items()}
    for length, refs in b.at_length.items():
        # Keep the earliest positions so the kept sample does not depend on the split.
        at_length[length] = sorted([*at_length.get(length, []), *refs])[: opts.max_reported]
    distinct = {k: set(v) for k, v in a.distinct.items()}
    for length, digests in b.distinct.items():
        distinct.setdefault(length, set()).update(digests)
    return TruncationState(a.values + b.values, [*a.cut, *b.cut], a.lengths + b.lengths, at_length, distinct)


def _absorb(state: TruncationState, observations, refs, opts: TruncationOptions) -> TruncationState:
    """Observations (:func:`truncation_check`): a record's number of string values when none is cut or
    long enough to pile up (most records), else (that number, one (pointer, reason or None, length or
    None, 8-byte digest or None) per value that is)."""
    # Most observations are counts: summed in C, and only the others looked at one by one.
    is_count = list(map(int.__instancecheck__, observations))
    state.values += sum(compress(observations, is_count))
    for observation, ref in compress(zip(observations, refs), map(operator.not_, is_count)):
        count, notable = observation
        state.values += count
        for pointer, reason, size, digest in notable:
            if reason is not None:
                state.cut.append((ref.index, ref.line, ref.column, pointer, reason))
            if size is not None:
                state.lengths[size] += 1
                state.distinct.setdefault(size, set()).add(digest)
                positions = state.at_length.setdefault(size, [])
                if len(positions) < opts.max_reported:
                    positions.append((ref.index, ref.line, ref.column, pointer))
    return state


@accumulator("truncation", options=TruncationOptions, empty=lambda opts: TruncationState(), merge=_merge,
             finalize=lambda state, opts: _finalize(state, opts),
             judged_by=("max",), absorb=_absorb)
def truncation_check(targets, ctx, opts: TruncationOptions) -> int | tuple[int, tuple] | None:
    """Truncated values (unclosed fence, SQL cut mid-statement, pile-up at one length)."""
    count, notable = 0, []
    for target in targets:
        value = target.value
        if not isinstance(value, str):
            continue
        count += 1
        found = maybe_truncated(value)
        size = len(value)
        may_pile_up = size >= opts.pileup_min_length
        if found is not None or may_pile_up:
            notable.append((to_pointer(target.parts), None if found is None else found.reason,
                            size if may_pile_up else None, _value_digest(value) if may_pile_up else None))
    if not count:
        return None
    return (count, tuple(notable)) if notable else count


def _value_digest(value: str) -> bytes:
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def pileups(lengths: dict, opts: TruncationOptions) -> list[int]:
    """Lengths far more common than their neighbours (see the module docstring); ``lengths`` counts
    *distinct* values, so copies of one record (duplicates' business) do not make a pile-up."""
    found = []
    for length, number in lengths.items():
        if number < opts.pileup_min:
            continue
        around = sum(lengths.get(n, 0) for n in range(length - _WINDOW, length + _WINDOW + 1) if n != length)
        longer = sum(count for other, count in lengths.items() if other > length)
        # A cap is a ceiling: fewer values run past it than sit on it (a pool of sentences reshuffled
        # also lands many answers on one length, but in the middle of the range).
        if number >= opts.pileup_factor * max(1.0, around / (2 * _WINDOW)) and longer < number:
            found.append(length)
    return sorted(found)


def _finalize(state: TruncationState, opts: TruncationOptions) -> AggregateOutcome:
    reasons: dict[tuple, list[str]] = {}
    for index, line, column, pointer, reason in state.cut:
        reasons.setdefault((index, line, column, pointer), []).append(reason)
    piled = pileups({length: len(digests) for length, digests in state.distinct.items()}, opts)
    for length in piled:
        others = state.lengths[length] - 1
        for position in state.at_length.get(length, []):
            reasons.setdefault(tuple(position), []).append(
                f"is exactly {length:,} characters long like {others:,} others (a length cap cut it)")
    hits = []
    for number, (position, why) in enumerate(sorted(reasons.items())):
        if number >= opts.max_reported:
            hits.append(AggregateHit(f"{len(reasons) - opts.max_reported:,} more truncated values not listed",
                                     fingerprint_basis="more"))
            break
        index, line, column, pointer = position
        field_name = pointer.rsplit("/", 1)[-1] or "value"
        hits.append(AggregateHit(f"{field_name} looks truncated: {'; '.join(_phrases(why))}", record_index=index,
                                 line=line, column=column, pointer=pointer, fingerprint_basis=f"{index} {' '.join(why)}"))
    truncated_count = len({p[0] for p in reasons})
    value = share(truncated_count, state.values)
    bounds = ShareBounds(None, opts.max)
    broken = bounds.broken(value, truncated_count, state.values)
    if broken:
        hits.append(AggregateHit(f"truncated values {percent(value)} ({counts(truncated_count, state.values)}) {broken}",
                                 fingerprint_basis=f"share {broken}"))
    details = {"cut": len(state.cut), "pileup_lengths": {length: state.lengths[length] for length in piled}}
    return AggregateOutcome(value, truncated_count, state.values, bounds.as_dict(), not broken, details, tuple(hits))


def _phrases(reasons: list[str]) -> list[str]:
    return [r if r.startswith("its ") else f"it {r}" for r in dict.fromkeys(reasons)]
