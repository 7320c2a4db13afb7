"""Reporters: one module per ``--format``, registered by name in :mod:`vgptlint.reports.base`."""
from vgptlint.reports import github, html, json, sarif, table, text  # noqa: F401  (each registers itself)
from vgptlint.reports.base import REPORTERS, FileReplacement, ReportOptions, render, reporter, reporter_names

__all__ = ["REPORTERS", "FileReplacement", "ReportOptions", "render", "reporter", "reporter_names"]
