"""Dataset-level checks: mergeable accumulators.

An accumulator turns the targets selected from every record of a file into one state, in one
pass. States from chunks (or processes, or machines) are merged, then finalized into metrics and
findings. ``merge`` must be associative and commutative so any split gives the same result.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from vgptlint.functions.base import Context
from vgptlint.select.jsonpath import Target


@dataclass(frozen=True, slots=True)
class AggregateHit:
    """A finding produced at finalize time: for the whole file (record_index None), or for one record."""

    message: str
    record_index: int | None = None
    line: int = 1
    column: int = 1
    pointer: str = ""
    data: dict = field(default_factory=dict)
    fingerprint_basis: str = ""


@dataclass(frozen=True, slots=True)
class AggregateOutcome:
    value: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    bounds: dict = field(default_factory=dict)
    passed: bool = True
    details: dict = field(default_factory=dict)
    hits: tuple[AggregateHit, ...] = ()
    has_metric: bool = True
    note: str | None = None  # said once per run, e.g. why the check could not run


@dataclass(frozen=True, slots=True)
class RecordRef:
    """Where a record is, so accumulators can point at it without holding the record."""

    index: int
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Accumulator:
    name: str
    options: type
    empty: Callable[[object], object]
    add: Callable[[object, list[Target], Context, RecordRef, object], object]
    merge: Callable[[object, object, object], object]
    finalize: Callable[[object, object], AggregateOutcome]
    doc: str
    # Options only ``finalize`` reads (bounds, confidence, message labels): a change to them re-decides
    # from a cached state (vgptlint.incremental); ``add``, ``empty`` and ``merge`` must never read them.
    judged_by: tuple[str, ...] = ()
    # What besides the records the accumulator reads (held-out files), described into the result
    # cache's key: ``key_inputs(opts, ctx) -> object``.
    key_inputs: Callable[[object, Context], object] | None = None


ACCUMULATORS: dict[str, Accumulator] = {}


def accumulator(
    name: str,
    *,
    options: type,
    empty: Callable[[object], object],
    merge: Callable[[object, object, object], object],
    finalize: Callable[[object, object], AggregateOutcome],
    judged_by: tuple[str, ...] = (),
    key_inputs: Callable[[object, Context], object] | None = None,
) -> Callable:
    """Register ``add`` (the decorated function) together with its empty/merge/finalize.

    Signatures: ``empty(opts) -> S``; ``add(S, targets, ctx, ref, opts) -> S`` (called once per record,
    ``targets`` may be empty); ``merge(S, S, opts) -> S``; ``finalize(S, opts) -> AggregateOutcome``.
    """

    def register(add: Callable) -> Callable:
        ACCUMULATORS[name] = Accumulator(name, options, empty, add, merge, finalize, (add.__doc__ or "").strip(),
                                         judged_by, key_inputs)
        return add

    return register


