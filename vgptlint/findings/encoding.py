"""Findings as plain tuples, sort key first: what the spool's runs and the result cache store.

``decode(encode(f)) == f`` for every finding; ``SORT_FIELDS`` of an encoded finding is
:meth:`Finding.sort_key` of the finding, so encoded findings merge in report order without being decoded.
"""
from __future__ import annotations

import dataclasses
from operator import itemgetter

from vgptlint.model import Applicability, DropRecord, Edit, Finding, Fix, Location, ReorderDataset, SetValue, Severity, Span

SORT_FIELDS = itemgetter(0, 1, 2, 3, 4, 5)  # an encoded finding starts with its sort key
SEVERITIES = {s.value: s for s in Severity}
_APPLICABILITIES = {a.value: a for a in Applicability}


# A frozen dataclass's __init__ sets each field through object.__setattr__; decoding builds a mutable
# twin with the same slots and gives it the frozen class (as inputs.records does for records): about
# three times faster, and the result is an ordinary Finding.
def _builder(cls: type) -> type:
    return dataclasses.make_dataclass(f"_{cls.__name__}Builder", [(f.name, f.type) for f in dataclasses.fields(cls)],
                                      slots=True)


_FindingBuilder, _LocationBuilder, _SpanBuilder = _builder(Finding), _builder(Location), _builder(Span)
_FixBuilder, _EditBuilder, _SetValueBuilder = _builder(Fix), _builder(Edit), _builder(SetValue)


class Encoded(list):
    """Findings already encoded (a list of :func:`encode`'s tuples), where findings may come either way."""


def encode(finding: Finding) -> tuple:
    """A finding as plain data, sort key first (what a run stores)."""
    loc = finding.location
    span = loc.span
    return (loc.path, loc.line, loc.column, finding.rule, loc.pointer, finding.message, finding.severity.value,
            finding.fingerprint, loc.record_index, None if span is None else (span.start, span.end), loc.end_line,
            loc.end_column, None if finding.fix is None else _encode_fix(finding.fix), finding.note)


def decode(data: tuple) -> Finding:
    """The finding ``encode`` was given, equal to it.

    >>> finding = Finding("r", Severity.ERROR, "m", Location("a.json", 2, 3, 1, "/x", Span(0, 2)), "fp")
    >>> decode(encode(finding)) == finding
    True
    """
    (path, line, column, rule, pointer, message, severity, fingerprint, record_index, span, end_line, end_column, fix,
     note) = data
    if span is not None:
        span = _SpanBuilder(*span)
        span.__class__ = Span
    location = _LocationBuilder(path, line, column, record_index, pointer, span, end_line, end_column)
    location.__class__ = Location
    finding = _FindingBuilder(rule, SEVERITIES[severity], message, location, fingerprint,
                              None if fix is None else _decode_fix(fix), note)
    finding.__class__ = Finding
    return finding


def _encode_fix(fix: Fix) -> tuple:
    edits = tuple((e.start, e.end, e.replacement) for e in fix.edits)
    return fix.title, fix.applicability.value, edits, tuple(_encode_change(c) for c in fix.changes)


def _encode_change(change: object) -> tuple:
    if type(change) is SetValue:
        return 0, change.pointer, change.value
    if type(change) is DropRecord:
        return 1, change.reason
    if type(change) is ReorderDataset:
        return 2, change.seed
    return 3, change  # anything else is pickled as it is


def _decode_fix(data: tuple) -> Fix:
    title, applicability, edits, changes = data
    fix = _FixBuilder(title, _APPLICABILITIES[applicability], tuple(_decode_edit(e) for e in edits),
                      tuple(_decode_change(c) for c in changes), None)
    fix.__class__ = Fix
    return fix


def _decode_edit(data: tuple) -> Edit:
    edit = _EditBuilder(*data)
    edit.__class__ = Edit
    return edit


def _decode_change(data: tuple) -> object:
    tag = data[0]
    if tag == 0:
        change = _SetValueBuilder(data[1], data[2])
        change.__class__ = SetValue
        return change
    if tag == 1:
        return DropRecord(data[1])
    if tag == 2:
        return ReorderDataset(data[1])
    return data[1]
