"""What a run produced: the one object every reporter renders."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vgptlint.model import Finding, Metric, Severity

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
    """Findings are sorted (path, line, column, rule); metrics by (rule, path)."""

    policy: str
    tool_version: str
    findings: list[Finding]
    files: list[FileSummary]
    rules: list[RuleInfo]
    metrics: list[Metric] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # A fix's replacements in file coordinates, by fix_region_key(finding); filled by the engine
    # where it can map value offsets to the file. SARIF only emits ``fixes`` for findings listed here.
    fix_regions: dict[FixRegionKey, tuple[FileReplacement, ...]] = field(default_factory=dict)

    @property
    def record_count(self) -> int:
        return sum(f.record_count for f in self.files)

    def count_by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity.value for f in self.findings)
        return {s.value: counts.get(s.value, 0) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}

    def count_by_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule for f in self.findings).items()))

    def file_replacements(self, finding: Finding) -> tuple[FileReplacement, ...]:
        """The file-coordinate replacements of ``finding``'s fix; () when unknown."""
        return self.fix_regions.get(fix_region_key(finding), ())

    def rule(self, rule_id: str) -> RuleInfo | None:
        for info in self.rules:
            if info.id == rule_id:
                return info
        return None
