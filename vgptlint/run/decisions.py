"""What a file's dataset rules decide, rule by rule: metrics, notes and dataset-level findings from
each accumulator's outcome (the engine gathers them into a file's outcome; the result cache keeps
each rule's apart, so a rule whose threshold or severity changed is decided again alone)."""
from __future__ import annotations

from dataclasses import dataclass

from vgptlint.aggregates.base import AggregateHit, AggregateOutcome
from vgptlint.findings.fingerprint import fingerprint
from vgptlint.model import Finding, Location, Metric
from vgptlint.policy.model import CompiledRule, Policy

# A share of a handful of records is not evidence (0 of 1 is "0%"): files with fewer records get no
# dataset-level finding (a file-wide share, balance or skew), only their records' own findings and
# one run note. Policies change it with ``settings: {min_records: N}``.
MIN_RECORDS_TO_JUDGE = 20
# The accumulators whose file-level findings are shares of the records (counts, structure checks such
# as lf-column-absent and a team's own accumulators are judged at any size).
SHARE_ACCUMULATORS = frozenset({"ratio", "distribution", "balance", "histogram", "duplicates", "near_duplicates",
                                "truncation", "contamination", "feature_skew", "label_skew", "ordering"})
TOO_SMALL_NOTE = ("dataset-level checks (shares, balance, skew) not judged on files of fewer than {minimum} records: "
                  "a share of a few records is not evidence (settings: {{min_records: N}})")


def min_records(policy: Policy) -> int:
    tool = policy.settings.get("settings")
    value = tool.get("min_records") if isinstance(tool, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else MIN_RECORDS_TO_JUDGE


@dataclass(frozen=True, slots=True)
class RuleDecision:
    """What one dataset rule's outcome gives one file (the result cache keeps each rule's apart, so a
    rule whose threshold or severity changed is decided again alone)."""

    metrics: list[Metric]
    too_small_note: str | None  # its shares were not judged: the file is under min_records
    notes: list[str]
    findings: list[Finding]


def decide(rule: CompiledRule, path: str, result: AggregateOutcome, record_count: int, minimum: int) -> RuleDecision:
    """One dataset rule's outcome in a file of ``record_count`` records (``minimum``: the policy's min_records)."""
    judged = record_count >= minimum or rule.accumulator.name not in SHARE_ACCUMULATORS
    hits = [h for h in result.hits if h.record_index is not None or judged or h.data.get("count")]
    too_small = TOO_SMALL_NOTE.format(minimum=minimum) if len(hits) < len(result.hits) else None
    return RuleDecision(_metric(rule, path, result), too_small, [f"{rule.id}: {result.note}"] if result.note else [],
                        [aggregate_finding(rule, path, hit) for hit in hits])


def _metric(rule: CompiledRule, path: str, outcome: AggregateOutcome) -> list[Metric]:
    if not outcome.has_metric:
        return []
    return [Metric(rule.id, path, outcome.value, outcome.numerator, outcome.denominator, dict(outcome.bounds),
                   outcome.passed, dict(outcome.details))]


def aggregate_finding(rule: CompiledRule, path: str, hit: AggregateHit) -> Finding:
    location = Location(path=path, line=hit.line, column=hit.column, record_index=hit.record_index, pointer=hit.pointer)
    return Finding(rule.id, rule.severity, hit.message, location,
                   fingerprint(rule.id, path, hit.fingerprint_basis or hit.message))
