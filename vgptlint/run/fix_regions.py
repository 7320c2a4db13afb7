"""Fixes as edits in file coordinates, for the reports that show them (SARIF ``fixes``, JSON
``replacements``), computed as a report reaches each finding.

A run does not keep its records, and a fix's edits are offsets in a value: placing them in the file
needs the record's text. :class:`FixRegionReader` reads the files again alongside the sorted
findings, one record at a time, so nothing is held for it; the run puts it on its result
(``RunResult.fix_region_reader``) when the report asked for it, and the report only calls it.
"""
from __future__ import annotations

from vgptlint.fixes.regions import file_replacements
from vgptlint.inputs.read import read_source
from vgptlint.inputs.records import Record
from vgptlint.inputs.style import describe_file
from vgptlint.model import Finding


class FixRegionReader:
    """A fix's replacements in file coordinates, for findings asked about in report order.

    Findings come sorted by path and position, so each file is read forward once, holding one
    record; a finding asked about out of order reads its file again from the start.
    """

    def __init__(self) -> None:
        self.path: str | None = None
        self.info = None
        self.records = iter(())
        self.record = None

    def __call__(self, finding: Finding) -> tuple:
        path, index = finding.location.path, finding.location.record_index
        if (finding.fix is None or not finding.fix.edits or index is None or path in ("-", "<stdin>")
                or path.lower().endswith(".parquet")):  # no text to place edits in
            return ()
        record = self._record(path, index)
        return () if record is None else file_replacements(finding, record, self.info)

    def _record(self, path: str, index: int):
        if path != self.path or (self.record is not None and index < self.record.index):
            self.path, self.info, self.record = path, describe_file(path), None
            self.records = (item for item in read_source(path) if isinstance(item, Record)) if self.info else iter(())
        while self.record is None or self.record.index < index:
            following = next(self.records, None)
            if following is None:
                return None
            self.record = following
        return self.record if self.record.index == index else None
