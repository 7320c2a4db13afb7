"""Bounds and the sentences aggregate findings are made of.

Every failed bound reads the same way: what was measured, its value, the counts behind it, the
bound it broke and, when the counts are known, the share's confidence interval, e.g. ``NOLOCK
coverage 1.5% (882/59,021) is below the minimum 10.0% (95% interval 1.4%-1.6%)``.

A share is a sample: 0 of 1 is "0%", and so is 0 of 59,021, but only the second says anything.
A bound is broken only when the whole Wilson score interval of the share (confidence ``confidence``,
default 95%) lies beyond it, so a bound is reported when the data show it beyond sampling error.
Files too small to judge at all get no dataset-level finding (see ``vgptlint.run.decisions.MIN_RECORDS_TO_JUDGE``).
"""
from __future__ import annotations

from dataclasses import dataclass

from vgptlint.deferred import DeferredModule

# Imported when an interval is first computed (with fractions, ~1.5 ms): a rerun served from the cache judges no bound.
statistics = DeferredModule("statistics")
CONFIDENCE = 0.95


def wilson(numerator: int, total: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of the share ``numerator / total`` (good at 0%, 100% and small n).

    >>> [round(x, 3) for x in wilson(882, 59021)], [round(x, 3) for x in wilson(0, 1)]
    ([0.014, 0.016], [0.0, 0.793])
    """
    if total <= 0:
        return 0.0, 1.0
    z = statistics.NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = numerator / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * ((p * (1 - p) / total + z * z / (4 * total * total)) ** 0.5) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def interval_text(low: float, high: float, confidence: float = CONFIDENCE) -> str:
    """
    >>> interval_text(0.0138, 0.0159)
    '95% interval 1.4%-1.6%'
    """
    return f"{confidence * 100:g}% interval {percent(low)}-{percent(high)}"


def confidence_problem(confidence: float) -> str | None:
    if not 0 < confidence < 1:
        return f'option "confidence" is a probability between 0 and 1 (0.95 = 95%); got {confidence}'
    return None


def percent(value: float | None, digits: int = 1) -> str:
    """A share as a percentage with one decimal.

    >>> percent(882 / 59021), percent(0.25), percent(None)
    ('1.5%', '25.0%', 'n/a')
    """
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def counts(numerator: int, denominator: int) -> str:
    """Numerator over denominator with thousands separators.

    >>> counts(882, 59021)
    '882/59,021'
    """
    return f"{numerator:,}/{denominator:,}"


@dataclass(frozen=True, slots=True)
class ShareBounds:
    """``min``/``max``: shares between 0 and 1 (0.10 = 10%), inclusive; ``confidence``: of the interval
    that must lie beyond a bound for it to count as broken."""

    min: float | None = None
    max: float | None = None
    confidence: float = CONFIDENCE

    def problem(self) -> str | None:
        for name in ("min", "max"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                return f'option "{name}" is a share between 0 and 1 (0.10 = 10%); got {value}'
        if self.min is not None and self.max is not None and self.min > self.max:
            return f'"min" ({self.min}) is greater than "max" ({self.max})'
        return confidence_problem(self.confidence)

    def as_dict(self) -> dict[str, float]:
        return {k: v for k, v in (("min", self.min), ("max", self.max)) if v is not None}

    def broken(self, value: float | None, numerator: int | None = None, total: int | None = None) -> str | None:
        """``None`` when within bounds (or nothing measured), else the sentence's ending. With the
        counts behind ``value``, within bounds also when the share's interval reaches the bound.

        >>> ShareBounds(0.10).broken(0 / 1, 0, 1) is None, ShareBounds(0.10).broken(882 / 59021, 882, 59021)
        (True, 'is below the minimum 10.0% (95% interval 1.4%-1.6%)')
        """
        if value is None:
            return None
        low, high = (value, value) if total is None or numerator is None else wilson(numerator, total, self.confidence)
        evidence = "" if total is None or numerator is None else f" ({interval_text(low, high, self.confidence)})"
        if self.min is not None and value < self.min and high < self.min:
            return f"is below the minimum {percent(self.min)}{evidence}"
        if self.max is not None and value > self.max and low > self.max:
            return f"is above the maximum {percent(self.max)}{evidence}"
        return None


def count_broken(value: int, minimum: int | None, maximum: int | None) -> str | None:
    if minimum is not None and value < minimum:
        return f"is below the minimum {minimum:,}"
    if maximum is not None and value > maximum:
        return f"is above the maximum {maximum:,}"
    return None


