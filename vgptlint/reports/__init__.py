"""Reporters: one module per ``--format``, registered by name in :mod:`vgptlint.reports.base`, which
imports a built-in format's module when that format is first asked for."""
from vgptlint.reports.base import REPORTERS, FileReplacement, ReportOptions, render, reporter, reporter_names

__all__ = ["REPORTERS", "FileReplacement", "ReportOptions", "render", "reporter", "reporter_names"]
