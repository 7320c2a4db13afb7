"""Generic dataset metrics: ``ratio``, ``count``, ``distribution``, ``balance``, ``histogram``.

Each is a mergeable accumulator (``empty``/``add``/``merge``/``finalize``) whose state is a few
integers or a counter of labels, so chunks can be merged in any order. A failed bound is one finding
for the file, at line 1, carrying the measured value, the counts and the bound::

    NOLOCK coverage 1.5% (882/59,021) is below the minimum 10.0%

``ratio``        share of records where ``when`` holds, optionally ``among`` a subset; bounds ``min``/``max``.
``count``        number of records where ``when`` holds (every record without ``when``); bounds ``min``/``max``.
``distribution`` share of each value of a ``facet`` (or of the selected field); per-value ``shares``
                 bounds, and/or per-value minimum counts ``targets`` (a validation suite's coverage).
``balance``      share of the first of two ``values`` (of a facet or the selected field) among both.
``histogram``    counts in fixed buckets of a length (or number): ``edges: [50, 200, 500, 1000]`` gives
                 ``<50``, ``50-199``, ``200-499``, ``500-999``, ``>=1000``; per-bucket ``max_share``/``min_share``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from vgptlint.aggregates.base import AggregateHit, AggregateOutcome, accumulator
from vgptlint.aggregates.bounds import CONFIDENCE, ShareBounds, confidence_problem, count_broken, counts, percent, share
from vgptlint.aggregates.facet_set import facet_value
from vgptlint.aggregates.predicate import PredicateError, optional_predicate
from vgptlint.functions.base import MISSING


def _compile(opts: object, *keys: str) -> str | None:
    """Compile predicate options in place (``validate()`` helper); returns the problem, if any."""
    try:
        for key in keys:
            object.__setattr__(opts, f"{key}_predicate", optional_predicate(getattr(opts, key), key))
    except PredicateError as exc:
        return str(exc)
    return None


def label_of(value: object) -> str | None:
    """A selected value as a distribution label: booleans as true/false, strings stripped.

    >>> label_of(True), label_of(" sql "), label_of(None)
    ('true', 'sql', None)
    """
    if value is None or value is MISSING:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _label(opts, targets, ctx) -> str | None:
    if opts.facet:
        return facet_value(opts.facet, ctx.record, ctx)
    return label_of(targets[0].value) if targets else None


# ------------------------------------------------------------------------------------ ratio


@dataclass(frozen=True)
class RatioOptions:
    """``when``: the predicate counted (required); ``among``: only records where this holds are counted
    at all; ``min``/``max``: bounds on the share (0.10 = 10%); ``label``: the measured thing's name in
    messages (default: the predicate); ``confidence``: a bound is broken only when the share's Wilson
    interval at this confidence lies beyond it (default 0.95; the finding shows n and the interval)."""

    when: dict | None = None
    among: dict | None = None
    min: float | None = None
    max: float | None = None
    label: str = ""
    confidence: float = CONFIDENCE  # of the share interval that must lie beyond a bound
    when_predicate: object = field(default=None, init=False, repr=False, compare=False)
    among_predicate: object = field(default=None, init=False, repr=False, compare=False)

    def validate(self) -> str | None:
        if self.when is None:
            return 'needs "when": the predicate whose share is measured'
        return ShareBounds(self.min, self.max, self.confidence).problem() or _compile(self, "when", "among")


def _pair() -> list[int]:
    return [0, 0]


def _merge_pair(a: list[int], b: list[int], opts: object) -> list[int]:
    return [a[0] + b[0], a[1] + b[1]]


def _finalize_ratio(state: list[int], opts: RatioOptions) -> AggregateOutcome:
    matched, total = state
    value = share(matched, total)
    bounds = ShareBounds(opts.min, opts.max, opts.confidence)
    broken = bounds.broken(value, matched, total)
    label = opts.label or f"share of records where {opts.when_predicate.describe}"
    hits = ()
    if broken:
        hits = (AggregateHit(f"{label} {percent(value)} ({counts(matched, total)}) {broken}",
                             fingerprint_basis=f"{label} {broken}"),)
    return AggregateOutcome(value, matched, total, bounds.as_dict(), not broken, {"label": label}, hits)


def _absorb_pair(state: list[int], observations, refs, opts: object) -> list[int]:
    """Observations 1 (the predicate holds) or 0, each a record counted."""
    state[0] += sum(observations)
    state[1] += len(observations)
    return state


@accumulator("ratio", options=RatioOptions, empty=lambda opts: _pair(), merge=_merge_pair, finalize=_finalize_ratio,
             judged_by=("min", "max", "label", "confidence"), absorb=_absorb_pair)
def ratio(targets, ctx, opts: RatioOptions) -> int | None:
    """Share of records where ``when`` holds (among those where ``among`` holds). State: two integers."""
    if opts.among_predicate is not None and not opts.among_predicate.test(targets, ctx):
        return None
    return 1 if opts.when_predicate.test(targets, ctx) else 0


# ------------------------------------------------------------------------------------ count


@dataclass(frozen=True)
class CountOptions:
    """``when``: the predicate counted (default: every record); ``min``/``max``: bounds on the count;
    ``label``: the counted thing's name in messages (default "records")."""

    when: dict | None = None
    min: int | None = None
    max: int | None = None
    label: str = ""
    when_predicate: object = field(default=None, init=False, repr=False, compare=False)

    def validate(self) -> str | None:
        return _compile(self, "when")


def _finalize_count(state: list[int], opts: CountOptions) -> AggregateOutcome:
    matched, total = state
    broken = count_broken(matched, opts.min, opts.max)
    label = opts.label or (f"records where {opts.when_predicate.describe}" if opts.when_predicate else "records")
    bounds = {k: v for k, v in (("min", opts.min), ("max", opts.max)) if v is not None}
    hits = (AggregateHit(f"{label}: {matched:,} of {total:,} records {broken}", data={"count": True},  # not a share
                         fingerprint_basis=f"{label} {broken}"),) if broken else ()
    return AggregateOutcome(float(matched), matched, total, bounds, not broken, {"label": label}, hits)


@accumulator("count", options=CountOptions, empty=lambda opts: _pair(), merge=_merge_pair, finalize=_finalize_count,
             judged_by=("min", "max", "label"), absorb=_absorb_pair)
def count(targets, ctx, opts: CountOptions) -> int:
    """Number of records where ``when`` holds. State: two integers."""
    return 1 if opts.when_predicate is None or opts.when_predicate.test(targets, ctx) else 0


# ---------------------------------------------------------------------------- distribution


@dataclass(frozen=True)
class DistributionOptions:
    """``facet``: the facet whose values are counted (default: the value ``given`` selects);
    ``shares``: ``{value: {min: 0.25, max: 0.5}}`` bounds per value; ``targets``: ``{value: 100}``
    minimum counts per value (reported together, with their sum as the total target);
    ``among``: only records where this predicate holds are counted (a file without any has no metric);
    ``label``: the measured thing's name (default: the facet or "value"); ``confidence``: as for ``ratio``."""

    facet: str | None = None
    shares: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)
    among: dict | None = None
    label: str = ""
    confidence: float = CONFIDENCE  # of the share interval that must lie beyond a bound
    among_predicate: object = field(default=None, init=False, repr=False, compare=False)

    def validate(self) -> str | None:
        if confidence_problem(self.confidence):
            return confidence_problem(self.confidence)
        problem = _compile(self, "among")
        if problem:
            return problem
        for value, bounds in self.shares.items():
            if not isinstance(bounds, dict) or set(bounds) - {"min", "max"}:
                return f'option "shares": "{value}" needs a mapping with "min" and/or "max"'
            problem = ShareBounds(bounds.get("min"), bounds.get("max")).problem()
            if problem:
                return f'option "shares": "{value}": {problem}'
        for value, target in self.targets.items():
            if not isinstance(target, int) or isinstance(target, bool) or target < 0:
                return f'option "targets": "{value}" must be a count (a whole number); got {target}'
        return None


def _counter(opts: object = None) -> Counter:
    return Counter()


def _merge_counter(a: Counter, b: Counter, opts: object) -> Counter:
    merged = Counter(a)
    merged.update(b)
    return merged


_TOTAL = "\0total"  # the record count, kept in the same counter (no label can contain NUL)
_NO_LABEL = False  # the observation of a record counted without a label


def _absorb_labels(state: Counter, observations, refs, opts: object) -> Counter:
    """Observations: a record's label, or _NO_LABEL; each a record counted."""
    state[_TOTAL] += len(observations)
    state.update(label for label in observations if label is not _NO_LABEL)
    return state


def _finalize_distribution(state: Counter, opts: DistributionOptions) -> AggregateOutcome:
    total = state.get(_TOTAL, 0)
    if opts.among is not None and total == 0:
        return AggregateOutcome(has_metric=False)
    tally = {k: v for k, v in sorted(state.items(), key=lambda kv: (-kv[1], kv[0])) if k != _TOTAL}
    name = opts.label or opts.facet or "value"
    hits, bounds = [], {}
    for value, limits in opts.shares.items():
        bound = ShareBounds(limits.get("min"), limits.get("max"), opts.confidence)
        bounds.update({f"{value}.{k}": v for k, v in bound.as_dict().items()})
        measured = share(tally.get(value, 0), total)
        broken = bound.broken(measured, tally.get(value, 0), total)
        if broken:
            hits.append(AggregateHit(f"{name} {value} {percent(measured)} ({counts(tally.get(value, 0), total)}) {broken}",
                                     fingerprint_basis=f"{name} {value} {broken}"))
    if opts.targets:
        bounds.update({f"{value}.min_count": target for value, target in opts.targets.items()})
        short = {v: t for v, t in opts.targets.items() if tally.get(v, 0) < t}
        if short:
            target_total = sum(opts.targets.values())
            listed = ", ".join(f"{v} {tally.get(v, 0):,}/{t:,}" for v, t in opts.targets.items())
            hits.append(AggregateHit(f"{name}: {total:,} of the targeted {target_total:,} ({percent(share(total, target_total))}); "
                                     f"{len(short)} of {len(opts.targets)} below target: {listed}",
                                     data={"count": True}, fingerprint_basis=f"{name} targets"))  # judged at any size
    details = {"label": name, "counts": tally, "shares": {k: share(v, total) for k, v in tally.items()}}
    return AggregateOutcome(None, None, total, bounds, not hits, details, tuple(hits))


@accumulator("distribution", options=DistributionOptions, empty=_counter, merge=_merge_counter,
             finalize=_finalize_distribution, judged_by=("shares", "targets", "label", "confidence"),
             absorb=_absorb_labels)
def distribution(targets, ctx, opts: DistributionOptions) -> str | bool | None:
    """Count of each facet (or field) value. State: a counter with one entry per distinct value
    (bounded by the number of distinct labels)."""
    if opts.among_predicate is not None and not opts.among_predicate.test(targets, ctx):
        return None
    label = _label(opts, targets, ctx)
    return _NO_LABEL if label is None else label


# ---------------------------------------------------------------------------------- balance


@dataclass(frozen=True)
class BalanceOptions:
    """``values``: the two values compared (e.g. ["true", "false"]; booleans match their words);
    ``facet``: read the value from a facet instead of ``given``; ``min``/``max``: bounds on the share
    of the first value among records holding either; ``confidence``: as for ``ratio``."""

    values: tuple[str | bool, ...] = ("true", "false")
    facet: str | None = None
    min: float | None = None
    max: float | None = None
    label: str = ""
    confidence: float = CONFIDENCE  # of the share interval that must lie beyond a bound

    def validate(self) -> str | None:
        if len(self.values) != 2:
            return f'option "values" needs exactly two values; got {len(self.values)}'
        object.__setattr__(self, "values", tuple(label_of(v) for v in self.values))
        return ShareBounds(self.min, self.max, self.confidence).problem()


def _finalize_balance(state: Counter, opts: BalanceOptions) -> AggregateOutcome:
    first, second = opts.values
    a, b = state.get(first, 0), state.get(second, 0)
    value = share(a, a + b)
    bound = ShareBounds(opts.min, opts.max, opts.confidence)
    broken = bound.broken(value, a, a + b)
    name = opts.label or f'share of "{first}"'
    hits = ()
    if broken:
        hits = (AggregateHit(f'{name} {percent(value)} ({counts(a, a + b)}; {b:,} "{second}") {broken}',
                             fingerprint_basis=f"{name} {broken}"),)
    details = {"label": name, "counts": {first: a, second: b, "other": state.get(_TOTAL, 0) - a - b},
               "ratio": round(a / b, 4) if b else None}
    return AggregateOutcome(value, a, a + b, bound.as_dict(), not broken, details, hits)


@accumulator("balance", options=BalanceOptions, empty=_counter, merge=_merge_counter, finalize=_finalize_balance,
             judged_by=("min", "max", "label", "confidence"), absorb=_absorb_labels)
def balance(targets, ctx, opts: BalanceOptions) -> str | bool:
    """Counts of two values of a field or facet. State: a counter of the values seen."""
    label = _label(opts, targets, ctx)
    if label is None:
        return _NO_LABEL
    return label.lower() if label.lower() in opts.values else label


# -------------------------------------------------------------------------------- histogram

REVIEW_EDGES = (50, 200, 500, 1000)


def bucket_names(edges: tuple[int, ...]) -> tuple[str, ...]:
    """Bucket names for increasing edges.

    >>> bucket_names((50, 200))
    ('<50', '50-199', '>=200')
    """
    names = [f"<{edges[0]}"]
    names += [f"{lo}-{hi - 1}" for lo, hi in zip(edges, edges[1:])]
    return (*names, f">={edges[-1]}")


@dataclass(frozen=True)
class HistogramOptions:
    """``edges``: increasing bucket boundaries (default 50, 200, 500, 1000, the review's §3 table);
    ``measure``: ``length`` (characters, items) or ``value`` (a number itself); ``max_share`` /
    ``min_share``: ``{"<50": 0.05}`` bounds per bucket name; ``confidence``: as for ``ratio``."""

    edges: tuple[int, ...] = REVIEW_EDGES
    measure: str = field(default="length", metadata={"choices": ("length", "value")})
    max_share: dict = field(default_factory=dict)
    min_share: dict = field(default_factory=dict)
    label: str = ""
    confidence: float = CONFIDENCE  # of the share interval that must lie beyond a bound
    names: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def validate(self) -> str | None:
        if confidence_problem(self.confidence):
            return confidence_problem(self.confidence)
        if not self.edges or any(b <= a for a, b in zip(self.edges, self.edges[1:])):
            return 'option "edges" must be a non-empty increasing list of numbers'
        object.__setattr__(self, "names", bucket_names(tuple(self.edges)))
        for key in ("max_share", "min_share"):
            for name, bound in getattr(self, key).items():
                if name not in self.names:
                    return f'option "{key}": "{name}" is not a bucket; buckets: {", ".join(self.names)}'
                if not isinstance(bound, (int, float)) or not 0 <= bound <= 1:
                    return f'option "{key}": "{name}" must be a share between 0 and 1; got {bound}'
        return None


def _finalize_histogram(state: list[int], opts: HistogramOptions) -> AggregateOutcome:
    total = sum(state)
    buckets = dict(zip(opts.names, state))
    name = opts.label or "values"
    hits, bounds = [], {}
    for key, word in (("min_share", "min"), ("max_share", "max")):
        for bucket, bound in getattr(opts, key).items():
            bounds[f"{bucket}.{word}"] = bound
            limits = ShareBounds(bound if word == "min" else None, bound if word == "max" else None, opts.confidence)
            broken = limits.broken(share(buckets[bucket], total), buckets[bucket], total)
            if broken:
                hits.append(AggregateHit(f"{name} {bucket}: {percent(share(buckets[bucket], total))} "
                                         f"({counts(buckets[bucket], total)}) {broken}", fingerprint_basis=f"{bucket} {broken}"))
    details = {"label": name, "buckets": buckets, "shares": {k: share(v, total) for k, v in buckets.items()}}
    return AggregateOutcome(None, None, total, bounds, not hits, details, tuple(hits))


def _absorb_buckets(state: list[int], observations, refs, opts: HistogramOptions) -> list[int]:
    """Observations: a bucket number, or a tuple of them (a record with several values)."""
    for observation in observations:
        if type(observation) is int:
            state[observation] += 1
        else:
            for bucket in observation:
                state[bucket] += 1
    return state


@accumulator("histogram", options=HistogramOptions, empty=lambda opts: [0] * (len(opts.edges) + 1),
             merge=lambda a, b, opts: [x + y for x, y in zip(a, b)], finalize=_finalize_histogram,
             judged_by=("max_share", "min_share", "label", "confidence"), absorb=_absorb_buckets)
def histogram(targets, ctx, opts: HistogramOptions) -> int | tuple[int, ...] | None:
    """Counts per bucket of each selected value's length (or number). State: one integer per bucket."""
    buckets = []
    for target in targets:
        value = target.value
        if opts.measure == "length":
            if not isinstance(value, (str, list, dict)):
                continue
            size = len(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            size = value
        else:
            continue
        buckets.append(_bucket(size, opts.edges))
    if not buckets:
        return None
    return buckets[0] if len(buckets) == 1 else tuple(buckets)


def _bucket(size: float, edges: tuple[int, ...]) -> int:
    for index, edge in enumerate(edges):
        if size < edge:
            return index
    return len(edges)
