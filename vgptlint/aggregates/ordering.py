"""``ordering``: are the records mixed, or grouped by source (review §7, "No Data Shuffling")?

Each record gets a label (a ``facet`` such as ``content_type``, or the value ``given`` selects). A
*run* is a maximal stretch of consecutive records with the same label. A shuffled file has about
``E = n - sum(n_k * (n_k - 1)) / n`` runs (Wald-Wolfowitz, k labels); a file written source by source
has about k. The metric is the *mixing*: ``(runs - 1) / (E - 1)``, near 1 when shuffled, near 0 when
grouped. ``min_mixing`` bounds it; ``max_longest_run`` bounds the longest run's share of the file.

The state is a list of segments (contiguous record ranges with their first/last label, run count,
leading/trailing/longest run and label counts); merging joins adjacent segments, so chunks merged in
any order give the sequential answer. Bounded by the number of labels plus one segment per gap in
the record indices a chunk saw (one for a contiguous chunk).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from vgptlint.aggregates.base import AggregateHit, AggregateOutcome, accumulator
from vgptlint.aggregates.bounds import percent, share
from vgptlint.aggregates.metrics import label_of
from vgptlint.facets import facet_value


@dataclass(frozen=True, slots=True)
class OrderingOptions:
    """``facet``: the label per record (default: the value ``given`` selects); ``min_mixing``: lowest
    allowed mixing (default 0.5); ``max_longest_run``: largest allowed share of the file in one run
    (default: no bound)."""

    facet: str | None = None
    min_mixing: float = 0.5
    max_longest_run: float | None = None

    def validate(self) -> str | None:
        if not 0 <= self.min_mixing <= 1:
            return f'option "min_mixing" is between 0 and 1; got {self.min_mixing}'
        if self.max_longest_run is not None and not 0 < self.max_longest_run <= 1:
            return f'option "max_longest_run" is a share between 0 and 1; got {self.max_longest_run}'
        return None


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


def _label(opts: OrderingOptions, targets, ctx) -> str:
    if opts.facet:
        return facet_value(opts.facet, ctx.record, ctx)
    return (label_of(targets[0].value) if targets else None) or "(none)"


@accumulator("ordering", options=OrderingOptions, empty=lambda opts: [],
             merge=lambda a, b, opts: coalesce([*_copies(a), *_copies(b)]), finalize=lambda s, o: _finalize(s, o))
def ordering(state: list[Segment], targets, ctx, ref, opts: OrderingOptions) -> list[Segment]:
    """Runs of equal labels in record order; see the module docstring."""
    label = _label(opts, targets, ctx)
    if state and state[-1].end == ref.index:
        state[-1].push(label)
    else:
        state.append(Segment.single(ref.index, label))
        if len(state) > 1 and state[-2].start > ref.index:
            state.sort(key=lambda s: s.start)
    return state


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


def _finalize(state: list[Segment], opts: OrderingOptions) -> AggregateOutcome:
    segments = coalesce(_copies(state))
    counts: Counter = Counter()
    runs, longest = 0, (0, "", 0)
    for segment in segments:
        counts += segment.counts
        runs += segment.runs
        longest = _longer(longest, segment.longest)
    total = sum(counts.values())
    expected = expected_runs(counts)
    mixing = (runs - 1) / (expected - 1) if expected > 1 else None
    longest_share = share(longest[0], total)
    name = opts.facet or "value"
    hits = []
    if mixing is not None and mixing < opts.min_mixing:
        hits.append(AggregateHit(
            f"records are grouped by {name}: {runs:,} runs where a shuffled file would have about {expected:,.0f} "
            f"(mixing {percent(mixing)}, below the minimum {percent(opts.min_mixing)}); the longest run is "
            f"{longest[0]:,} records of {longest[1]} from record {longest[2]} ({percent(longest_share)} of the file); "
            "shuffle before training", fingerprint_basis="mixing"))
    if opts.max_longest_run is not None and longest_share is not None and longest_share > opts.max_longest_run:
        hits.append(AggregateHit(
            f"the longest run of one {name} is {longest[0]:,} records of {longest[1]} ({percent(longest_share)} of the "
            f"file), above the maximum {percent(opts.max_longest_run)}", fingerprint_basis="longest"))
    details = {"runs": runs, "expected_runs": round(expected, 1), "longest_run": longest[0], "longest_label": longest[1],
               "longest_start": longest[2], "longest_share": longest_share, "labels": dict(sorted(counts.items()))}
    bounds = {"min": opts.min_mixing} | ({"max_longest_run": opts.max_longest_run} if opts.max_longest_run else {})
    return AggregateOutcome(None if mixing is None else round(mixing, 6), runs, total, bounds, not hits, details, tuple(hits))
