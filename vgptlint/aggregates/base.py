"""Dataset-level checks: mergeable accumulators.

An accumulator turns the targets selected from every record of a file into one state, in one
pass. States from chunks (or processes, or machines) are merged, then finalized into metrics and
findings. ``merge`` must be associative and commutative so any split gives the same result.

Built-in accumulators split their per-record step in two: ``observe`` reads one record and returns
its *observation* (what the state keeps of it: a flag, a label, a digest, a signature; never where
the record is), and ``absorb`` folds the observations of consecutive records, with their positions,
into the state. Observations depend on a record's content alone, so the result cache keeps them per
record (:mod:`vgptlint.incremental.records`): a rerun after a few records changed observes only
those and absorbs the rest from the cache. ``settle`` (optional) finishes a batch of observations
at once before they are absorbed or cached (the near-duplicate rule turns word hashes into MinHash
signatures with one vectorized call). An accumulator registered with ``add`` alone (a plugin's) works
everywhere; files it applies to are cached in blocks of records instead.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

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


class RecordRef(NamedTuple):
    """Where a record is, so accumulators can point at it without holding the record (a tuple: one is
    made per record and rule absorbed, and ``zip(*refs)`` gives the columns)."""

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
    # The two halves of ``add`` (see the module docstring); None for an accumulator registered with ``add``.
    observe: Callable[[list[Target], Context, object], object] | None = None
    absorb: Callable[[object, Sequence[object], Sequence[RecordRef], object], object] | None = None
    settle: Callable[[list[object], object], list[object]] | None = None
    # Whether the state is its observations whole, rearranged (copies are found at finalize): a record
    # table rebuilds such a state from its column of observations rather than storing them twice.
    state_is_column: bool = False

    def settled(self, observations: list, options: object) -> list:
        """A batch of observations as they are absorbed and cached."""
        return observations if self.settle is None else self.settle(observations, options)


ACCUMULATORS: dict[str, Accumulator] = {}

# Records whose observations wait to be settled and absorbed together.
ABSORB_BATCH = 4096


class Observations:
    """Observations of a batch of consecutive records, per accumulator (by position in a plan), waiting
    to be settled and absorbed together: how the engine and ``vgptlint stats`` feed accumulators."""

    __slots__ = ("observations", "refs", "numbers")

    def __init__(self, count: int) -> None:
        self.observations: list[list] = [[] for _ in range(count)]
        self.refs: list[list[RecordRef]] = [[] for _ in range(count)]
        self.numbers: list[list[int]] = [[] for _ in range(count)]  # which record of the batch each is

    def add(self, position: int, observation: object, ref: RecordRef, number: int) -> None:
        if observation is not None:
            self.observations[position].append(observation)
            self.refs[position].append(ref)
            self.numbers[position].append(number)

    def absorb(self, accumulators: Sequence[tuple[Accumulator, object]], states: list | None,
               record_count: int | None = None) -> list[list]:
        """Settle and absorb each accumulator's observations into ``states`` (in place; None: settle
        only). With ``record_count`` (the batch's records), also return per accumulator each record's
        settled observation (None: none): what the result cache keeps."""
        columns = []
        for position, (accumulator, options) in enumerate(accumulators):
            observations = self.observations[position]
            if observations:
                observations = accumulator.settled(observations, options)
                if states is not None:
                    states[position] = accumulator.absorb(states[position], observations, self.refs[position], options)
            if record_count is not None:
                column = [None] * record_count
                for number, observation in zip(self.numbers[position], observations):
                    column[number] = observation
                columns.append(column)
        return columns


def accumulator(
    name: str,
    *,
    options: type,
    empty: Callable[[object], object],
    merge: Callable[[object, object, object], object],
    finalize: Callable[[object, object], AggregateOutcome],
    judged_by: tuple[str, ...] = (),
    key_inputs: Callable[[object, Context], object] | None = None,
    absorb: Callable[[object, Sequence[object], Sequence[RecordRef], object], object] | None = None,
    settle: Callable[[list[object], object], list[object]] | None = None,
    state_is_column: bool = False,
) -> Callable:
    """Register the decorated function together with its empty/merge/finalize.

    Signatures: ``empty(opts) -> S``; ``merge(S, S, opts) -> S``; ``finalize(S, opts) -> AggregateOutcome``.
    The decorated function is, without ``absorb``, ``add(S, targets, ctx, ref, opts) -> S`` (called
    once per record, ``targets`` may be empty). With ``absorb``, it is ``observe(targets, ctx, opts)
    -> observation`` (None: the record adds nothing), and ``absorb(S, observations, refs, opts) -> S``
    takes consecutive records' observations in file order (Nones left out) with their
    :class:`RecordRef`; absorbing a sequence at once or in any consecutive batches must give the
    same state. ``settle(observations, opts) -> observations`` (optional) maps a batch of them
    before they are absorbed or cached. Observations are pickled into the result cache.
    ``state_is_column``: the state is the observations absorbed, rearranged (the result cache rebuilds it).
    """

    def register(function: Callable) -> Callable:
        doc = (function.__doc__ or "").strip()
        if absorb is None:
            ACCUMULATORS[name] = Accumulator(name, options, empty, function, merge, finalize, doc, judged_by, key_inputs)
        else:
            add = _add_of(function, absorb, settle)
            ACCUMULATORS[name] = Accumulator(name, options, empty, add, merge, finalize, doc, judged_by, key_inputs,
                                             function, absorb, settle, state_is_column)
        return function

    return register


def _add_of(observe: Callable, absorb: Callable, settle: Callable | None) -> Callable:
    """``add`` as one record observed and absorbed (``vgptlint stats`` and plugins' callers use it)."""

    def add(state: object, targets: list[Target], ctx: Context, ref: RecordRef, opts: object) -> object:
        observation = observe(targets, ctx, opts)
        if observation is None:
            return state
        observations = [observation] if settle is None else settle([observation], opts)
        return absorb(state, observations, [ref], opts)

    add.__module__ = observe.__module__
    return add


