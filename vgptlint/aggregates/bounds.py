"""Bounds and the sentences aggregate findings are made of.

Every failed bound reads the same way: what was measured, its value, the counts behind it, and the
bound it broke, e.g. ``NOLOCK coverage 1.5% (882/59,021) is below the minimum 10.0%``.
"""
from __future__ import annotations

from dataclasses import dataclass


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
    """``min``/``max``: shares between 0 and 1 (0.10 = 10%), inclusive."""

    min: float | None = None
    max: float | None = None

    def problem(self) -> str | None:
        for name in ("min", "max"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                return f'option "{name}" is a share between 0 and 1 (0.10 = 10%); got {value}'
        if self.min is not None and self.max is not None and self.min > self.max:
            return f'"min" ({self.min}) is greater than "max" ({self.max})'
        return None

    def as_dict(self) -> dict[str, float]:
        return {k: v for k, v in (("min", self.min), ("max", self.max)) if v is not None}

    def broken(self, value: float | None) -> str | None:
        """``None`` when within bounds (or nothing measured), else the sentence's ending."""
        if value is None:
            return None
        if self.min is not None and value < self.min:
            return f"is below the minimum {percent(self.min)}"
        if self.max is not None and value > self.max:
            return f"is above the maximum {percent(self.max)}"
        return None


def count_broken(value: int, minimum: int | None, maximum: int | None) -> str | None:
    if minimum is not None and value < minimum:
        return f"is below the minimum {minimum:,}"
    if maximum is not None and value > maximum:
        return f"is above the maximum {maximum:,}"
    return None


def share_bounds(min_value: float | None, max_value: float | None) -> ShareBounds:
    return ShareBounds(min_value, max_value)
