"""LLaMA-Factory compatibility, file-wide: a dataset_info entry's own problems and optional columns
that no record of the file has. The per-record checks are functions in
``vgptlint/functions/llamafactory.py``; these two need the whole file, so they are accumulators."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain

from vgptlint.aggregates.base import AggregateHit, AggregateOutcome, accumulator
from vgptlint.functions.base import Context, NoOptions
from vgptlint.functions.llamafactory import spec_of
from vgptlint.llamafactory import checks


# ------------------------------------------------------------------ dataset_info entry (aggregate)


def _no_problems(opts: object) -> tuple[str, ...]:
    return ()


def _merge_problems(left: tuple[str, ...], right: tuple[str, ...], opts: object) -> tuple[str, ...]:
    return tuple(sorted(set(left) | set(right)))


def _report_problems(state: tuple[str, ...], opts: object) -> AggregateOutcome:
    return AggregateOutcome(hits=tuple(AggregateHit(message, fingerprint_basis=message) for message in state),
                            has_metric=False)


def _absorb_problems(state: tuple[str, ...], observations: Sequence[tuple[str, ...]], refs,
                     opts: object) -> tuple[str, ...]:
    """State: the problems seen, sorted. Observations: the entry's problems (``ctx.spec`` is the
    file's, so alike for all its records, and part of the result cache's key)."""
    problems = set(chain.from_iterable(set(observations)))
    if problems <= set(state):
        return state
    return tuple(sorted(set(state) | problems))


@accumulator("lf_dataset_info_entry", options=NoOptions, empty=_no_problems, merge=_merge_problems,
             finalize=_report_problems, absorb=_absorb_problems)
def lf_dataset_info_entry(targets: list, ctx: Context, opts: NoOptions) -> tuple[str, ...] | None:
    """Problems of an *inline* dataset_info entry (one with no dataset_info.json to point at, such as a
    rule example's ``spec:``), reported once per file. Problems of a loaded dataset_info.json are
    reported by the engine at their own ``dataset_info.json:line:col`` under the same rule id."""
    return tuple(getattr(ctx.spec, "entry_problems", ())) or None


# ------------------------------------------------------------- optional columns absent everywhere


def _no_columns(opts: object) -> dict:
    return {}


def _merge_columns(left: dict, right: dict, opts: object) -> dict:
    merged = dict(left)
    for logical, (name, seen) in right.items():
        merged[logical] = (name, seen or merged.get(logical, (name, False))[1])
    return merged


def _report_columns(state: dict, opts: object) -> AggregateOutcome:
    hits = tuple(
        AggregateHit(f'no record has the "{name}" field (dataset_info column "{logical}"); LLaMA-Factory indexes it '
                     f"with example[...] and stops with KeyError", fingerprint_basis=logical)
        for logical, (name, seen) in sorted(state.items()) if not seen)
    return AggregateOutcome(hits=hits, has_metric=False)


def _absorb_columns(state: dict, observations: Sequence[tuple[tuple[str, str, bool], ...]], refs,
                    opts: object) -> dict:
    """State: per mapped optional column, (field, does some record have it). Observations: (logical
    column, field, does the record have it) per mapped optional column; None when none is mapped.

    Folding an observation in twice changes nothing, and a column's field is the file's spec's (the
    same in every observation), so each distinct observation is folded in once, in order of first
    appearance: a file's records have few distinct ones."""
    for observation in dict.fromkeys(observations):
        for logical, name, present in observation:
            if present or logical not in state:
                state[logical] = (name, present or state.get(logical, (name, False))[1])
    return state


@accumulator("lf_optional_columns", options=NoOptions, empty=_no_columns, merge=_merge_columns,
             finalize=_report_columns, absorb=_absorb_columns)
def lf_optional_columns(targets: list, ctx: Context, opts: NoOptions) -> tuple[tuple[str, str, bool], ...] | None:
    """Optional columns (history, system, tools, media) mapped for this file that no record has.

    State: one entry per mapped optional column (at most a dozen), so it is bounded."""
    record = targets[0].value if targets else None  # given: $
    spec = spec_of(record, ctx) if isinstance(record, Mapping) else None
    if spec is None:
        return None
    present = checks.optional_columns_present(record, spec)
    return tuple((logical, name, has) for logical, (name, has) in present.items()) or None
