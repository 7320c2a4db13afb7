"""What a run produced: the one object every reporter renders."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vgptlint.model import Finding, Metric, Severity
from vgptlint.findings.counts import FindingCounts
from vgptlint.findings.spool import FindingSpool

if TYPE_CHECKING:  # reports.base imports this module; the annotation alone needs the name
    from vgptlint.reports.base import FileReplacement

FixRegionKey = tuple[str, str, int, int, str, str]


def fix_region_key(finding: Finding) -> FixRegionKey:
    """The key of ``RunResult.fix_regions`` for ``finding``.

    The fingerprint alone is not unique (two hits with the same matched value in one field share
    it), so the key adds the exact location and rule.
    """
    loc = finding.location
    return (finding.fingerprint, loc.path, loc.line, loc.column, finding.rule, loc.pointer)


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What reports need to know about a rule that was active in the run."""

    id: str
    severity: Severity
    description: str
    kind: str = "record"
    is_fixable: bool = False
    rationale: str = ""
    help_uri: str = ""
    pack: str = ""


@dataclass(frozen=True, slots=True)
class FileSummary:
    path: str
    kind: str
    record_count: int


@dataclass
class RunResult:
    """Findings are sorted (path, line, column, rule); metrics by (rule, path).

    ``findings`` is a :class:`~vgptlint.findings.spool.FindingSpool`: iterable any number of times in
    sorted order, with ``len()``, but no indexing, and held on disk past a bounded number (findings
    given as a list are spooled). Reports iterate it once and take their totals from :meth:`counts`.
    """

    policy: str
    tool_version: str
    findings: FindingSpool
    files: list[FileSummary]
    rules: list[RuleInfo]
    metrics: list[Metric] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Extra (title, headers, rows) tables some reports show, e.g. what a training run trains on.
    tables: list[tuple[str, tuple[str, ...], list[tuple]]] = field(default_factory=list)
    # A fix's replacements in file coordinates, by fix_region_key(finding); filled by the engine
    # where it can map value offsets to the file. SARIF only emits ``fixes`` for findings listed here.
    fix_regions: dict[FixRegionKey, tuple[FileReplacement, ...]] = field(default_factory=dict)
    # Computes the replacements of findings not in ``fix_regions`` as reports reach them (in report
    # order), instead of holding them all: see vgptlint.run.fix_regions.
    fix_region_reader: Callable[[Finding], tuple[FileReplacement, ...]] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.findings, FindingSpool):
            spool = FindingSpool()
            spool.extend(self.findings)
            self.findings = spool

    @property
    def record_count(self) -> int:
        return sum(f.record_count for f in self.files)

    def counts(self) -> FindingCounts:
        """Totals of the findings, by severity and rule, fixable: kept by the spool as they arrived."""
        return self.findings.counts

    def count_by_severity(self) -> dict[str, int]:
        return self.counts().severity_counts()

    def count_by_rule(self) -> dict[str, int]:
        return self.counts().rule_counts()

    def file_replacements(self, finding: Finding) -> tuple[FileReplacement, ...]:
        """The file-coordinate replacements of ``finding``'s fix; () when unknown."""
        found = self.fix_regions.get(fix_region_key(finding))
        if found is None and self.fix_region_reader is not None:
            return self.fix_region_reader(finding)
        return found or ()

    def rule(self, rule_id: str) -> RuleInfo | None:
        for info in self.rules:
            if info.id == rule_id:
                return info
        return None
