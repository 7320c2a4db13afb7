"""Preference-data shortcuts: one surface feature that gives the answer away.

``feature_skew`` (DPO): for each feature (a predicate on one side's text) the share of chosen and of
rejected answers that have it (the review's §4 table). A feature whose shares differ by more than
``max_gap`` separates the sides on its own: the model learns "add NOLOCK", not SQL correctness. It
also compares mean lengths (chosen answers several times longer than rejected ones) and bounds the
share of chosen answers with a feature (``max_chosen_share``: refusals among chosen answers teach
the model to refuse real tables).

``label_skew`` (KTO): for each feature, how well "has the feature" alone predicts the label (the
better of feature ⇒ true and feature ⇒ false). Above ``max_accuracy`` the label is predictable from
one surface feature, e.g. every "false" output under 50 characters and every "true" a fenced SQL block.

Both states are a few integers per feature, so any number of records costs the same memory. A
record's observation is its row of that table (lengths and one flag per feature and side for a
pair; the label and one flag per feature for a KTO record); ``absorb`` sums the rows column by column.
"""
from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, field

from vgptlint.aggregates.base import AggregateHit, AggregateOutcome, accumulator
from vgptlint.aggregates.bounds import ShareBounds, counts, interval_text, percent, share, wilson
from vgptlint.aggregates.predicate import PredicateError, compile_predicate
from vgptlint.functions.pairs import side_text
from vgptlint.functions.shape import label_truth
from vgptlint.select.jsonpath import Target

NOLOCK_PATTERN = r"WITH\s*\(\s*NOLOCK\s*\)"
DPO_FEATURES = {
    "NOLOCK present": {"function": "pattern", "options": {"match": NOLOCK_PATTERN, "flags": "i"}},
    "company filter present": {"function": "sql_has_company_filter"},
    "complete joins": {"all": [{"function": "sql_present"}, {"function": "sql_joins_complete"}]},
    "refusal": {"function": "refusal", "negate": True},
}
KTO_FEATURES = {
    "output of 50+ characters": {"function": "length", "options": {"min": 50}},
    "fenced SQL block": {"function": "pattern", "options": {"match": "```sql", "flags": "i"}},
    "contains SQL": {"function": "sql_present"},
    "NOLOCK present": {"function": "pattern", "options": {"match": NOLOCK_PATTERN, "flags": "i"}},
    "refusal": {"function": "refusal", "negate": True},
}


def _compile_features(opts: object, defaults: dict) -> str | None:
    features = opts.features or defaults
    try:
        compiled = tuple((str(name), compile_predicate(spec, f'feature "{name}"')) for name, spec in features.items())
    except PredicateError as exc:
        return f'option "features": {exc}'
    object.__setattr__(opts, "compiled", compiled)
    return None


# ------------------------------------------------------------------------------------- DPO


@dataclass(frozen=True)
class FeatureSkewOptions:
    """``chosen``/``rejected``: the sides' field names; ``features``: ``{name: predicate}`` (default:
    NOLOCK present, company filter present, complete joins, refusal); ``max_gap``: largest allowed
    difference between the chosen and rejected shares (0.5 = 50 points); ``max_length_ratio``: largest
    allowed ratio of mean chosen length to mean rejected length (either way round);
    ``max_chosen_share``: ``{feature: share}`` bounds on chosen answers (default refusal ≤ 10%)."""

    chosen: str = "chosen"
    rejected: str = "rejected"
    features: dict = field(default_factory=dict)
    max_gap: float = 0.5
    max_length_ratio: float = 2.0
    max_chosen_share: dict = field(default_factory=lambda: {"refusal": 0.10})
    compiled: tuple = field(default=(), init=False, repr=False, compare=False)

    def validate(self) -> str | None:
        if not 0 <= self.max_gap <= 1:
            return f'option "max_gap" is a share between 0 and 1; got {self.max_gap}'
        if self.max_length_ratio < 1:
            return f'option "max_length_ratio" must be at least 1; got {self.max_length_ratio}'
        problem = _compile_features(self, DPO_FEATURES)
        names = {name for name, _ in self.compiled}
        unknown = [n for n in self.max_chosen_share if n not in names]
        if not problem and unknown:
            problem = f'option "max_chosen_share": "{unknown[0]}" is not a feature; features: {", ".join(sorted(names))}'
        return problem


def _skew_empty(opts: FeatureSkewOptions) -> dict:
    return {"pairs": 0, "chosen_chars": 0, "rejected_chars": 0, "chosen_longer": 0,
            "features": {name: [0, 0] for name, _ in opts.compiled}}


def _skew_merge(a: dict, b: dict, opts: FeatureSkewOptions) -> dict:
    merged = {k: a[k] + b[k] for k in ("pairs", "chosen_chars", "rejected_chars", "chosen_longer")}
    merged["features"] = {n: [x + y for x, y in zip(a["features"][n], b["features"][n])] for n in a["features"]}
    return merged


def _columns(observations: Sequence[tuple]) -> list[tuple]:
    """Observations (rows of equal length) as columns, so each total is one ``sum``."""
    return list(zip(*observations))


def _skew_absorb(state: dict, observations: Sequence[tuple], refs, opts: FeatureSkewOptions) -> dict:
    """Observations: (chosen length, rejected length, then per feature: chosen has it, rejected has it)."""
    if not observations:
        return state
    chosen_lengths, rejected_lengths, *flags = _columns(observations)
    state["pairs"] += len(observations)
    state["chosen_chars"] += sum(chosen_lengths)
    state["rejected_chars"] += sum(rejected_lengths)
    state["chosen_longer"] += sum(map(operator.gt, chosen_lengths, rejected_lengths))
    for (name, _), chosen_flags, rejected_flags in zip(opts.compiled, flags[0::2], flags[1::2]):
        tally = state["features"][name]
        tally[0] += sum(chosen_flags)
        tally[1] += sum(rejected_flags)
    return state


@accumulator("feature_skew", options=FeatureSkewOptions, empty=_skew_empty, merge=_skew_merge,
             finalize=lambda state, opts: _skew_finalize(state, opts),
             judged_by=("max_gap", "max_length_ratio", "max_chosen_share"), absorb=_skew_absorb)
def feature_skew(targets, ctx, opts: FeatureSkewOptions) -> tuple | None:
    """Per feature: how many chosen and how many rejected answers have it; plus lengths.
    State: two integers per feature and four totals."""
    record = ctx.record
    if not isinstance(record, dict):
        return None
    chosen, rejected = side_text(record.get(opts.chosen)), side_text(record.get(opts.rejected))
    if chosen is None or rejected is None:
        return None
    chosen_target, rejected_target = [Target((opts.chosen,), chosen)], [Target((opts.rejected,), rejected)]
    flags = [flag for _, predicate in opts.compiled
             for flag in (predicate.test(chosen_target, ctx), predicate.test(rejected_target, ctx))]
    return (len(chosen), len(rejected), *flags)


def _gap_beyond_chance(chosen: int, rejected: int, pairs: int, max_gap: float) -> bool:
    """The two shares' 95% intervals are further apart than ``max_gap``: the gap is not sampling error."""
    (chosen_low, chosen_high), (rejected_low, rejected_high) = wilson(chosen, pairs), wilson(rejected, pairs)
    return max(chosen_low - rejected_high, rejected_low - chosen_high) > max_gap


def _intervals(chosen: int, rejected: int, pairs: int) -> str:
    return f"chosen {interval_text(*wilson(chosen, pairs))}, rejected {percent(wilson(rejected, pairs)[0])}-" \
           f"{percent(wilson(rejected, pairs)[1])}"


def _skew_finalize(state: dict, opts: FeatureSkewOptions) -> AggregateOutcome:
    pairs = state["pairs"]
    table, hits, widest = {}, [], 0.0
    for name, (chosen, rejected) in state["features"].items():
        chosen_share, rejected_share = share(chosen, pairs), share(rejected, pairs)
        gap = (chosen_share or 0.0) - (rejected_share or 0.0)
        widest = max(widest, abs(gap))
        table[name] = {"chosen": chosen, "rejected": rejected, "chosen_share": chosen_share,
                       "rejected_share": rejected_share, "gap": round(gap, 6)}
        if pairs and abs(gap) > opts.max_gap and _gap_beyond_chance(chosen, rejected, pairs, opts.max_gap):
            hits.append(AggregateHit(
                f"{name}: {percent(chosen_share)} of chosen ({counts(chosen, pairs)}) vs {percent(rejected_share)} of "
                f"rejected ({counts(rejected, pairs)}); this one feature separates the sides by {abs(gap) * 100:.1f} "
                f"points, above the maximum {opts.max_gap * 100:.1f} ({_intervals(chosen, rejected, pairs)})",
                fingerprint_basis=f"gap {name}"))
        limit = opts.max_chosen_share.get(name)
        broken = ShareBounds(None, limit).broken(chosen_share, chosen, pairs) if limit is not None and pairs else None
        if broken:
            hits.append(AggregateHit(f"{name} in {percent(chosen_share)} of chosen answers ({counts(chosen, pairs)}) "
                                     f"{broken}", fingerprint_basis=f"chosen {name}"))
    chosen_mean = state["chosen_chars"] / pairs if pairs else None
    rejected_mean = state["rejected_chars"] / pairs if pairs else None
    length_ratio = None
    if chosen_mean and rejected_mean:
        length_ratio = chosen_mean / rejected_mean
        longer, shorter = ("chosen", "rejected") if length_ratio >= 1 else ("rejected", "chosen")
        factor = max(length_ratio, 1 / length_ratio)
        if factor > opts.max_length_ratio:
            hits.append(AggregateHit(
                f"{longer} answers average {max(chosen_mean, rejected_mean):,.0f} characters, {factor:.1f}x the "
                f"{min(chosen_mean, rejected_mean):,.0f} of {shorter} ones; length alone separates the sides "
                f"(maximum ratio {opts.max_length_ratio:.1f}x)", fingerprint_basis="length"))
    details = {"pairs": pairs, "features": table, "chosen_mean_length": _round(chosen_mean),
               "rejected_mean_length": _round(rejected_mean), "length_ratio": _round(length_ratio, 4),
               "chosen_longer": state["chosen_longer"]}
    bounds = {"max_gap": opts.max_gap, "max_length_ratio": opts.max_length_ratio}
    return AggregateOutcome(round(widest, 6), None, pairs, bounds, not hits, details, tuple(hits))


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# ------------------------------------------------------------------------------------- KTO


@dataclass(frozen=True)
class LabelSkewOptions:
    """``label``: the label field (default ``label``; any spelling of true/false is read); ``features``:
    ``{name: predicate}`` on the value ``given`` selects (default: output of 50+ characters, fenced SQL
    block, contains SQL, NOLOCK present, refusal); ``max_accuracy``: the largest share of records one
    feature may label correctly on its own."""

    label: str = "label"
    features: dict = field(default_factory=dict)
    max_accuracy: float = 0.9
    compiled: tuple = field(default=(), init=False, repr=False, compare=False)

    def validate(self) -> str | None:
        if not 0.5 <= self.max_accuracy <= 1:
            return f'option "max_accuracy" is a share between 0.5 and 1; got {self.max_accuracy}'
        return _compile_features(self, KTO_FEATURES)


def _label_empty(opts: LabelSkewOptions) -> dict:
    # per feature: [has & true, has & false, lacks & true, lacks & false]
    return {"true": 0, "false": 0, "features": {name: [0, 0, 0, 0] for name, _ in opts.compiled}}


def _label_merge(a: dict, b: dict, opts: LabelSkewOptions) -> dict:
    return {"true": a["true"] + b["true"], "false": a["false"] + b["false"],
            "features": {n: [x + y for x, y in zip(a["features"][n], b["features"][n])] for n in a["features"]}}


def _label_absorb(state: dict, observations: Sequence[tuple[bool, ...]], refs, opts: LabelSkewOptions) -> dict:
    """Observations: (the label is true, then per feature: the record has it)."""
    if not observations:
        return state
    truths, *flags = _columns(observations)
    true = sum(truths)
    false = len(truths) - true
    state["true"] += true
    state["false"] += false
    for (name, _), has in zip(opts.compiled, flags):
        has_true = sum(map(operator.and_, truths, has))
        has_false = sum(has) - has_true
        for slot, count in enumerate((has_true, has_false, true - has_true, false - has_false)):
            state["features"][name][slot] += count
    return state


@accumulator("label_skew", options=LabelSkewOptions, empty=_label_empty, merge=_label_merge,
             finalize=lambda state, opts: _label_finalize(state, opts),
             judged_by=("max_accuracy",), absorb=_label_absorb)
def label_skew(targets, ctx, opts: LabelSkewOptions) -> tuple[bool, ...] | None:
    """A 2x2 table (feature x label) per feature. State: four integers per feature."""
    record = ctx.record
    truth = label_truth(record.get(opts.label)) if isinstance(record, dict) else None
    if truth is None:
        return None
    return (truth, *(bool(predicate.test(targets, ctx)) for _, predicate in opts.compiled))


def _label_finalize(state: dict, opts: LabelSkewOptions) -> AggregateOutcome:
    total = state["true"] + state["false"]
    table, hits, best = {}, [], 0.0
    for name, (has_true, has_false, lacks_true, lacks_false) in state["features"].items():
        says_true = has_true + lacks_false  # "has the feature ⇒ true"
        says_false = has_false + lacks_true  # "has the feature ⇒ false"
        correct, direction = (says_true, "true") if says_true >= says_false else (says_false, "false")
        accuracy = share(correct, total)
        best = max(best, accuracy or 0.0)
        table[name] = {"true_with": has_true, "false_with": has_false, "true_without": lacks_true,
                       "false_without": lacks_false, "accuracy": accuracy, "predicts": direction}
        # A feature every record has, or none, predicts nothing: its "accuracy" is the majority label's
        # share. Only a feature that beats always guessing the majority label tells the labels apart.
        varies = 0 < has_true + has_false < total
        if varies and correct > max(state["true"], state["false"]) and accuracy > opts.max_accuracy:
            hits.append(AggregateHit(
                f'the label is predictable from one surface feature: "{name}" alone gives it for {percent(accuracy)} '
                f"of records ({counts(correct, total)}; {has_true:,} of {state['true']:,} true and {has_false:,} of "
                f"{state['false']:,} false have it), above the maximum {percent(opts.max_accuracy)}",
                fingerprint_basis=f"label {name}"))
    details = {"true": state["true"], "false": state["false"], "features": table}
    return AggregateOutcome(round(best, 6), None, total, {"max_accuracy": opts.max_accuracy}, not hits, details, tuple(hits))
