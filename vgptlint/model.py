"""The data types that cross module boundaries: findings, locations, fixes.

Everything here is a frozen dataclass so a finding produced in a worker process can be pickled,
merged and sorted without surprises.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.Enum):
    """How bad a finding is. ``off`` only appears in policies: it disables a rule."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    OFF = "off"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def __str__(self) -> str:
        return self.value


_SEVERITY_RANK = {Severity.ERROR: 3, Severity.WARNING: 2, Severity.INFO: 1, Severity.OFF: 0}


class Applicability(enum.Enum):
    """Ruff's fix applicability: ``safe`` fixes run with --fix, ``unsafe`` ones need --unsafe-fixes."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open ``[start, end)`` range of characters inside a decoded string value."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``[start, end)`` of the selected string value with ``replacement``."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True, slots=True)
class SetValue:
    """Set the field at ``pointer`` (RFC 6901, inside the record) to ``value``; creates it if absent."""

    pointer: str
    value: object


@dataclass(frozen=True, slots=True)
class DropRecord:
    """Remove the record from its dataset; it is written to the rejects file beside it."""

    reason: str


@dataclass(frozen=True, slots=True)
class ReorderDataset:
    """Shuffle the whole dataset with a seed (dataset-level, always unsafe)."""

    seed: int


@dataclass(frozen=True, slots=True)
class Fix:
    """What a fixer proposes for one finding.

    ``edits`` are text edits on the finding's own string value (its pointer); ``changes`` are
    record- or dataset-level operations. ``verify`` is what the fix stage checks before the fix is
    offered (a :class:`vgptlint.fixes.verify.Reparse`, or None); a finding's fix never carries one.
    """

    title: str
    applicability: Applicability
    edits: tuple[Edit, ...] = ()
    changes: tuple[SetValue | DropRecord | ReorderDataset, ...] = ()
    verify: object | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is.

    ``line``/``column`` are 1-based positions in the file (of the field's value, or of the
    exact character when ``span`` is known, else of the record or the file). ``pointer`` is the
    RFC 6901 pointer of the field inside the record ("" for the whole record).
    """

    path: str
    line: int = 1
    column: int = 1
    record_index: int | None = None
    pointer: str = ""
    span: Span | None = None
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    location: Location
    fingerprint: str
    fix: Fix | None = None
    note: str | None = None

    @property
    def is_fixable(self) -> bool:
        return self.fix is not None and self.fix.applicability is not Applicability.DISPLAY_ONLY

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.rule, loc.pointer, self.message)


@dataclass(frozen=True, slots=True)
class Metric:
    """A dataset-level measurement, reported whether or not its bounds passed."""

    rule: str
    path: str
    value: float | None
    numerator: int | None
    denominator: int | None
    bounds: dict[str, float] = field(default_factory=dict)
    passed: bool = True
    details: dict[str, object] = field(default_factory=dict)
