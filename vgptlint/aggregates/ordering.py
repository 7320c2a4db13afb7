"""``ordering``: are the records mixed, or grouped by source (review §7, "No Data Shuffling")?

A file written source by source shows it in more than one way: answers of one length band come
together, so do answers with SQL, refusals, instructions that open with the same word, answers of
one shape. So each record gets several cheap labels at once (``features``: ``length_band``,
``has_sql``, ``refusal``, ``instruction_shape``, ``answer_shape``, plus a ``facet`` such as
``content_type`` when one is named), and a runs test runs on each. A *run* is a maximal stretch of
consecutive records with the same label. A shuffled file has about ``E = n - sum(n_k * (n_k - 1)) / n``
runs (Wald-Wolfowitz, k labels); a file written source by source has far fewer. Per feature the
*mixing* is ``(runs - 1) / (E - 1)``, near 1 when shuffled, near 0 when grouped, and ``z`` is how many
standard deviations the runs fall below E. The file is grouped when some feature has mixing below
``min_mixing`` and z below ``-min_z`` (a few records cannot show it; a shuffled file almost never
does). No single label decides: a facet that misfiles records scatters them, but the other
features still see the blocks.

A record's observation is its labels, one per tested feature in ``opts.labelled`` order (a tuple:
smaller to cache than a dict). ``absorb`` pushes them with each record's index onto the state: per
feature, a list of segments (contiguous record ranges with their first/last label, run count,
leading/trailing/longest run and label counts), a stretch of consecutive records one run at a time.
Merging joins adjacent segments, so chunks merged in any order give the sequential answer. Bounded
by the number of labels plus one segment per gap in the record indices a chunk saw (one for a
contiguous chunk).
"""
from __future__ import annotations

import math
import operator
import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress, count, islice, repeat
from typing import TYPE_CHECKING

from vgptlint.aggregates.base import AggregateHit, AggregateOutcome, RecordRef, accumulator
from vgptlint.aggregates.bounds import percent, share
from vgptlint.aggregates.facet_set import facet_value
from vgptlint.aggregates.metrics import REVIEW_EDGES, bucket_names, label_of
from vgptlint.deferred import DeferredModule
from vgptlint.sql.extract import extract_sql

if TYPE_CHECKING:
    from vgptlint import refusal as classifier
else:  # imported at the first verdict asked for: a rerun served from the result cache asks for none
    classifier = DeferredModule("vgptlint.refusal")

FEATURES = ("length_band", "has_sql", "refusal", "instruction_shape", "answer_shape")


@dataclass(frozen=True, slots=True)
class OrderingOptions:
    """``facet``: a facet to test too (e.g. ``content_type``); ``features``: the record features to test
    (default all of length_band, has_sql, refusal, instruction_shape, answer_shape; ``[]`` with no
    facet: the value ``given`` selects); ``min_mixing``: lowest allowed mixing (default 0.5);
    ``min_z``: how many standard deviations below a shuffled file's runs it takes (default 3);
    ``strong_z``: this many standard deviations are grouping whatever the mixing (default 10: many
    distinct labels, such as first words, dilute the mixing but not the deviation);
    ``max_longest_run``: largest allowed share of the file in one run (default: no bound)."""

    facet: str | None = None
    features: tuple[str, ...] = FEATURES
    min_mixing: float = 0.5
    min_z: float = 3.0
    strong_z: float = 10.0
    max_longest_run: float | None = None

    def validate(self) -> str | None:
        if not 0 <= self.min_mixing <= 1:
            return f'option "min_mixing" is between 0 and 1; got {self.min_mixing}'
        if self.min_z < 0:
            return f'option "min_z" is at least 0; got {self.min_z}'
        if self.max_longest_run is not None and not 0 < self.max_longest_run <= 1:
            return f'option "max_longest_run" is a share between 0 and 1; got {self.max_longest_run}'
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown:
            return f'option "features": "{unknown[0]}" is not a feature; features: {", ".join(FEATURES)}'
        return None

    @property
    def tested(self) -> tuple[str, ...]:
        """The labels tested, the facet first (its name is what the old single-label report said)."""
        named = ((self.facet,) if self.facet else ()) + tuple(self.features)
        return named or ("value",)

    @property
    def labelled(self) -> tuple[str, ...]:
        """The tested labels once each, in the order of a record's observation (a facet also named
        as a feature is one label)."""
        return tuple(dict.fromkeys(self.tested))


@dataclass
class Segment:
    start: int
    end: int  # exclusive
    first: str
    last: str
    runs: int = 1
    leading: int = 1
    trailing: int = 1
    longest: tuple = (1, "", 0)  # (length, label, start index)
    counts: Counter = field(default_factory=Counter)

    @classmethod
    def single(cls, index: int, label: str) -> Segment:
        return cls(index, index + 1, label, label, longest=(1, label, index), counts=Counter({label: 1}))

    def push(self, label: str) -> None:
        index = self.end
        if label == self.last:
            self.trailing += 1
            if self.runs == 1:
                self.leading += 1
        else:
            self.runs += 1
            self.trailing = 1
            self.last = label
        self.longest = _longer(self.longest, (self.trailing, label, index - self.trailing + 1))
        self.counts[label] += 1
        self.end = index + 1

    def extend(self, labels: Sequence[str]) -> None:
        """``push`` each label in turn, column-wise: C-level passes over the labels find the runs
        (see ``_Runs``) and count the labels, with no Python step per run or label. Only a whole run
        can be the longest (its shorter prefixes never beat it), so the longest run of ``labels`` (the
        earliest of equal ones) and the one the first run makes with this segment's last give push's
        answer."""
        if not labels:
            return
        runs = _Runs(labels)
        continues = labels[0] == self.last
        first = (runs.first, labels[0], self.end)
        if continues:
            first = (self.trailing + runs.first, labels[0], self.end - self.trailing)
            if self.runs == 1:
                self.leading += runs.first
        length, start = runs.longest()
        self.longest = _longer(self.longest, _longer(first, (length, labels[start], self.end + start)))
        self.runs += runs.count - continues
        self.trailing = first[0] if continues and runs.count == 1 else runs.last
        self.last = labels[-1]
        self.end += len(labels)
        self.counts.update(labels)


class _Runs:
    """The runs of a sequence of labels, read off one byte per neighbouring pair (1 where a run
    ends): bytes methods count and find in C what a loop over the runs would in Python."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.ends = bytes(map(operator.ne, islice(labels, 1, None), labels))
        self.count = self.ends.count(1) + 1
        self.first = self.ends.find(1) + 1 or len(labels)  # the first and last runs' lengths
        self.last = len(labels) - (self.ends.rfind(1) + 1)

    def longest(self) -> tuple[int, int]:
        """(length, start) of the longest run, the earliest of equal ones: a run of length L is L - 1
        zero bytes in a row, and the first L - 1 zeros in a row (L the longest) begin the earliest
        such run."""
        zeros = self._most_zeros_in_a_row()
        return zeros + 1, self.ends.find(bytes(zeros))

    def _most_zeros_in_a_row(self) -> int:
        """Doubling, then halving, how many zeros in a row to look for: a few C-level searches
        instead of a look at every run."""
        found, missing = 0, 1
        while missing <= len(self.ends) and bytes(missing) in self.ends:
            found, missing = missing, missing * 2
        missing = min(missing, len(self.ends) + 1)
        while missing - found > 1:
            middle = (found + missing) // 2
            if bytes(middle) in self.ends:
                found = middle
            else:
                missing = middle
        return found


def _longer(a: tuple, b: tuple) -> tuple:
    """The longer run; on a tie the earlier one (so the answer does not depend on merge order)."""
    return a if (a[0], -a[2]) >= (b[0], -b[2]) else b


def join(a: Segment, b: Segment) -> Segment:
    """Two adjacent segments (``a.end == b.start``) as one."""
    counts = a.counts + b.counts
    if a.last == b.first:
        joined = (a.trailing + b.leading, a.last, a.end - a.trailing)
        longest = _longer(_longer(a.longest, b.longest), joined)
        leading = a.leading + (b.leading if a.runs == 1 else 0)
        trailing = b.trailing + (a.trailing if b.runs == 1 else 0)
        return Segment(a.start, b.end, a.first, b.last, a.runs + b.runs - 1, leading, trailing, longest, counts)
    return Segment(a.start, b.end, a.first, b.last, a.runs + b.runs, a.leading, b.trailing, _longer(a.longest, b.longest), counts)


def coalesce(segments: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for segment in sorted(segments, key=lambda s: s.start):
        if out and out[-1].end == segment.start:
            out[-1] = join(out[-1], segment)
        else:
            out.append(segment)
    return out


_WORD = re.compile(r"[A-Za-z]+|[^\W\d_]|[^\s\w]")
_BANDS = bucket_names(REVIEW_EDGES)  # "<50", "50-199", "200-499", "500-999", ">=1000"


def _text(record: object, key: str) -> str:
    value = record.get(key) if isinstance(record, dict) else None
    return value if isinstance(value, str) else ""


def _first_word(text: str) -> str:
    """The first word, lower-cased; for a text in another script, the script's name ("CJK", "CYRILLIC"):
    a block of another language is one label, not thousands of distinct first characters."""
    found = _WORD.search(text)
    if not found:
        return "(empty)"
    word = found.group(0)
    if not word.isascii() and word.isalpha():
        return unicodedata.name(word[0], "OTHER").split()[0]
    return word.lower()[:12]


def _answer_shape(answer: str) -> str:
    """How the answer opens: a code fence, a list, a heading, or its first word."""
    start = answer.lstrip()[:3]
    if start.startswith(("```", "~~~")):
        return "fence"
    if start[:1] in "-*" and start[1:2] == " " or start[:1].isdigit() and start[1:2] in ".)":
        return "list"
    if start.startswith("#"):
        return "heading"
    return _first_word(answer)


def record_features(record: object, ctx) -> dict[str, str]:
    """Cheap labels of one record (see the module docstring); strings so runs compare them."""
    answer = _text(record, "output") or _text(record, "chosen")
    prompt = _text(record, "instruction") or _text(record, "input")
    length = len(answer)
    return {
        "length_band": _BANDS[bisect_right(REVIEW_EDGES, length)],  # the first edge above the length
        "has_sql": "sql" if answer and extract_sql(answer) else "no sql",
        "refusal": "refusal" if answer and classifier.refusal(answer, prompt, classifier.refusal_cues(ctx.policy_settings))
                   else "answer",
        "instruction_shape": _first_word(prompt),
        "answer_shape": _answer_shape(answer),
    }


def _labels(opts: OrderingOptions, targets, ctx) -> dict[str, str]:
    labels = record_features(ctx.record, ctx) if opts.features else {}
    labels = {name: labels[name] for name in opts.features}
    if opts.facet:
        labels = {opts.facet: facet_value(opts.facet, ctx.record, ctx), **labels}
    if not labels:
        labels["value"] = (label_of(targets[0].value) if targets else None) or "(none)"
    return labels


def _empty(opts: OrderingOptions) -> dict[str, list[Segment]]:
    return {name: [] for name in opts.tested}


def _merge(a: dict, b: dict, opts: OrderingOptions) -> dict:
    return {name: coalesce([*_copies(a.get(name, [])), *_copies(b.get(name, []))]) for name in opts.tested}


def _place(segments: list[Segment], index: int, label: str) -> None:
    """One record's label: onto the segment it continues, else a segment of its own (kept sorted
    when it comes before the last one)."""
    if segments and segments[-1].end == index:
        segments[-1].push(label)
    else:
        segments.append(Segment.single(index, label))
        if len(segments) > 1 and segments[-2].start > index:
            segments.sort(key=lambda s: s.start)


def _stretches(indices: list[int]) -> list[tuple[int, int]]:
    """(start, stop) positions of the maximal stretches of consecutive record indices."""
    first = indices[0] if indices else 0
    if indices == list(range(first, first + len(indices))):  # the usual case: one stretch (or none)
        return [(0, len(indices))]
    steps = map(operator.sub, islice(indices, 1, None), indices)
    breaks = compress(count(1), map(operator.ne, steps, repeat(1)))
    edges = [0, *breaks, len(indices)]
    return list(zip(edges, edges[1:]))


def _absorb_labels(segments: list[Segment], labels: Sequence[str], indices: list[int],
                   stretches: list[tuple[int, int]]) -> None:
    """One feature's labels, as ``_place`` one by one would: a stretch's first record is placed,
    the rest extend its segment at once (when it is last; otherwise one by one)."""
    for start, stop in stretches:
        _place(segments, indices[start], labels[start])
        if segments[-1].end == indices[start] + 1:
            segments[-1].extend(labels[start + 1:stop])
        else:
            for position in range(start + 1, stop):
                _place(segments, indices[position], labels[position])


def _absorb(state: dict, observations: Sequence[tuple[str, ...]], refs: Sequence[RecordRef],
            opts: OrderingOptions) -> dict:
    """Observations: each record's labels in ``opts.labelled`` order, pushed at its index."""
    indices = list(map(operator.itemgetter(0), refs))  # RecordRef.index, at C speed
    stretches = _stretches(indices)
    for name, labels in zip(opts.labelled, zip(*observations)):
        _absorb_labels(state[name], labels, indices, stretches)
    return state


@accumulator("ordering", options=OrderingOptions, empty=_empty, merge=_merge, finalize=lambda s, o: _finalize(s, o),
             judged_by=("min_mixing", "min_z", "strong_z", "max_longest_run"), absorb=_absorb)
def ordering(targets, ctx, opts: OrderingOptions) -> tuple[str, ...]:
    """Runs of equal labels in record order, per feature; see the module docstring."""
    labels = tuple(_labels(opts, targets, ctx).values())
    return _one_copy(labels)


def _one_copy(labels: tuple[str, ...]) -> tuple[str, ...]:
    """The same tuple object for equal labels (a file has a few thousand combinations): the result
    cache stores a column of them once each, so a rerun reads it 4-5 times faster."""
    if len(_COPIES) >= _MAX_COPIES:
        _COPIES.clear()
    return _COPIES.setdefault(labels, labels)


_COPIES: dict[tuple, tuple] = {}
_MAX_COPIES = 65_536


def _copies(segments: list[Segment]) -> list[Segment]:
    return [Segment(s.start, s.end, s.first, s.last, s.runs, s.leading, s.trailing, s.longest, Counter(s.counts))
            for s in segments]


def expected_runs(counts: Counter) -> float:
    """Expected number of runs of a random order of these labels.

    >>> expected_runs(Counter(a=2, b=2))
    3.0
    """
    total = sum(counts.values())
    if total == 0:
        return 0.0
    return 1 + (total - 1) - sum(c * (c - 1) for c in counts.values()) / total


def runs_variance(counts: Counter) -> float:
    """Variance of the number of runs of a random order of these labels (k categories).

    >>> round(runs_variance(Counter(a=2, b=2)), 4)
    0.6667
    """
    n = sum(counts.values())
    if n < 2:
        return 0.0
    squares = sum(c * c for c in counts.values())
    cubes = sum(c ** 3 for c in counts.values())
    return (squares * (squares + n * (n + 1)) - 2 * n * cubes - n ** 3) / (n * n * (n - 1))


@dataclass(frozen=True, slots=True)
class Grouping:
    """One feature's runs test."""

    name: str
    runs: int
    expected: float
    mixing: float | None
    z: float | None
    longest: tuple
    counts: Counter


def _test(name: str, segments: list[Segment]) -> Grouping:
    segments = coalesce(_copies(segments))
    counts: Counter = Counter()
    runs, longest = 0, (0, "", 0)
    for segment in segments:
        counts += segment.counts
        runs += segment.runs
        longest = _longer(longest, segment.longest)
    expected = expected_runs(counts)
    mixing = (runs - 1) / (expected - 1) if expected > 1 else None
    spread = math.sqrt(runs_variance(counts))
    z = (runs - expected) / spread if spread > 0 else None
    return Grouping(name, runs, expected, mixing, z, longest, counts)


def _grouped(test: Grouping, opts: OrderingOptions) -> bool:
    if test.mixing is None or test.z is None:
        return False
    return (test.mixing < opts.min_mixing and test.z <= -opts.min_z) or test.z <= -opts.strong_z


def _how_far(test: Grouping, opts: OrderingOptions) -> str:
    if test.mixing < opts.min_mixing:
        return f"mixing {percent(test.mixing)}, below the minimum {percent(opts.min_mixing)}; z = {test.z:.1f}"
    return f"mixing {percent(test.mixing)}, but z = {test.z:.1f}: far fewer runs than chance allows"


def _finalize(state: dict, opts: OrderingOptions) -> AggregateOutcome:
    tests = [_test(name, state.get(name, [])) for name in opts.tested]
    main = tests[0]
    grouped = sorted((t for t in tests if _grouped(t, opts)), key=lambda t: (t.mixing >= opts.min_mixing, t.mixing, t.z))
    total = sum(main.counts.values())
    hits = []
    if grouped:
        worst = grouped[0]
        longest_share = share(worst.longest[0], total)
        others = "".join(f"; also grouped by {t.name} (mixing {percent(t.mixing)}, z = {t.z:.1f})" for t in grouped[1:])
        hits.append(AggregateHit(
            f"records are grouped by {worst.name}: {worst.runs:,} runs where a shuffled file would have about "
            f"{worst.expected:,.0f} ({_how_far(worst, opts)}); "
            f"the longest run is {worst.longest[0]:,} records of {worst.longest[1]} from record {worst.longest[2]} "
            f"({percent(longest_share)} of the file){others}; shuffle before training", fingerprint_basis="mixing"))
    main_share = share(main.longest[0], total)
    if opts.max_longest_run is not None and main_share is not None and main_share > opts.max_longest_run:
        hits.append(AggregateHit(
            f"the longest run of one {main.name} is {main.longest[0]:,} records of {main.longest[1]} ({percent(main_share)} "
            f"of the file), above the maximum {percent(opts.max_longest_run)}", fingerprint_basis="longest"))
    # The metric is the most grouped feature's: its mixing, runs, expected runs and longest run.
    worst = grouped[0] if grouped else min(tests, key=lambda t: 2.0 if t.mixing is None else t.mixing)
    details = {"feature": worst.name, "runs": worst.runs, "expected_runs": round(worst.expected, 1),
               "longest_run": worst.longest[0], "longest_label": worst.longest[1], "longest_start": worst.longest[2],
               "longest_share": share(worst.longest[0], total), "labels": dict(sorted(worst.counts.items())),
               "grouped_by": [t.name for t in grouped],
               "features": {t.name: {"runs": t.runs, "expected_runs": round(t.expected, 1),
                                     "mixing": None if t.mixing is None else round(t.mixing, 6),
                                     "z": None if t.z is None else round(t.z, 2)} for t in tests}}
    bounds = {"min": opts.min_mixing, "min_z": opts.min_z, "strong_z": opts.strong_z} | ({"max_longest_run": opts.max_longest_run} if opts.max_longest_run else {})
    value = None if worst.mixing is None else round(worst.mixing, 6)
    return AggregateOutcome(value, worst.runs, total, bounds, not hits, details, tuple(hits))
