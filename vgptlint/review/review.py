"""After the engine: policy suppressions, then the baseline (read or written).

Record suppressions happen inside the run core (``vgptlint.run.engine.lint_source`` strips the
suppression field before rules run); everything here works on the finished, sorted findings, so it is the same for
``check``, ``check --fix`` and ``--jobs N``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vgptlint.review.baseline import Baseline, BaselineFilter, load_baseline, write_baseline
from vgptlint.findings.result import RunResult
from vgptlint.findings.spool import FindingSpool
from vgptlint.review.suppress import UNUSED_SUPPRESSION, PolicyIgnore, PolicyIgnoreFilter, policy_ignores


@dataclass(frozen=True)
class Review:
    """What to do after the run; built (and validated) before the first record is read."""

    ignores: tuple[PolicyIgnore, ...] = ()
    baseline: Baseline | None = None
    write_to: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def prepare_review(policy: object, *, baseline: str | None = None, write_baseline_to: str | None = None,
                   use_suppressions: bool = True) -> Review:
    """Read the policy's ``ignore:`` and the baseline (``--baseline`` wins over the policy's ``baseline:``).

    ``use_suppressions=False`` (``--no-suppressions``) turns off policy ignores and the baseline (and,
    through the run's setup, record suppressions): the report shows everything.

    Raises:
        PolicyError: a malformed ``ignore:`` entry.
        UsageError: a baseline file that is missing or unreadable.
    """
    if not use_suppressions:
        return Review(write_to=write_baseline_to)
    ignores = tuple(policy_ignores(policy))
    reference = baseline or _policy_baseline(policy)
    loaded = None
    if write_baseline_to is None and reference is not None:
        loaded = load_baseline(reference)
    return Review(ignores, loaded, write_baseline_to)


def _policy_baseline(policy: object) -> str | None:
    """``baseline:`` in the policy, relative to the policy file's directory."""
    value = getattr(policy, "settings", {}).get("baseline")
    if not value:
        return None
    path = Path(str(value))
    if not path.is_absolute():
        path = Path(getattr(policy, "base_dir", ".")) / path
    return _relative(path)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def apply_review(result: RunResult, review: Review | None) -> RunResult:
    """Suppress, then write or apply the baseline; updates ``result`` in place and returns it.

    One pass over the sorted findings into a new spool, so a review of any size holds no more
    findings than the run did.
    """
    if review is None:
        return result
    if review.ignores or review.write_to is not None or review.baseline is not None:
        ignore_filter = PolicyIgnoreFilter(list(review.ignores))
        findings = ignore_filter.apply(result.findings)
        baseline_filter = None
        if review.write_to is not None:
            recorded = write_baseline(findings, review.write_to)
            findings = iter(())
        elif review.baseline is not None:
            baseline_filter = BaselineFilter(review.baseline)
            findings = baseline_filter.apply(findings)
        reviewed = FindingSpool(result.findings.memory_limit)
        reviewed.extend(findings)
        if ignore_filter.suppressed_count:
            count = ignore_filter.suppressed_count
            result.notes.append(f"{count:,} finding{'s' if count != 1 else ''} suppressed by the policy's ignore entries")
        if review.write_to is not None:
            result.notes.append(f"baseline {review.write_to}: wrote {recorded:,} finding{'s' if recorded != 1 else ''}; "
                                f"later runs with --baseline {review.write_to} report only new ones")
        elif baseline_filter is not None:
            result.notes.append(baseline_filter.note())
        result.findings.close()
        result.findings = reviewed
    if result.counts().by_rule.get(UNUSED_SUPPRESSION.id) and result.rule(UNUSED_SUPPRESSION.id) is None:
        result.rules.append(UNUSED_SUPPRESSION)
    return result
