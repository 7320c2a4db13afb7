"""The reporter registry and what every reporter shares.

A reporter is ``render(result: RunResult, opts: ReportOptions) -> str``, registered by the name of
its format (``@reporter("sarif")``). It never computes findings or metrics: it only lays out what
the engine put in the :class:`~vgptlint.findings.result.RunResult`. The CLI calls :func:`write_report` with
the name the user typed and never branches on format names.

A reporter whose output can be written as it is made also registers ``stream=``, a function that
yields the same text in pieces: the findings of a big run (a :class:`~vgptlint.findings.spool.FindingSpool`)
then go from the spool to the output one by one, and neither they nor the report's text are ever
held whole. The built-in text, github, json and sarif reporters stream; table and html summarize
(their memory is bounded by rules and files, and html shows the first 1,000 findings).

Third-party reporters register the same way, from a module named by a ``vgptlint.reporters``
entry point; :func:`render` and :func:`reporter_names` load those on first use.
"""
from __future__ import annotations

import functools
import importlib
import importlib.metadata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from vgptlint.builtins import installed_entry_points, load_builtins
from vgptlint.errors import UsageError
from vgptlint.findings.result import RunResult

RenderFn = Callable[[RunResult, "ReportOptions"], str]
StreamFn = Callable[[RunResult, "ReportOptions"], Iterator[str]]

ENTRY_POINT_GROUP = "vgptlint.reporters"


@dataclass(frozen=True, slots=True)
class FileReplacement:
    """One replacement of a fix, in FILE coordinates, as SARIF's ``artifactChanges`` need them.

    A :class:`~vgptlint.model.Edit` is relative to the decoded string value; in the file the same
    text may be longer (JSON escapes such as ``\\n`` or ``\\u00e9``), so only the engine, which
    knows the raw bytes, can translate an edit into a file region. It stores the result in
    ``RunResult.fix_regions`` under :func:`~vgptlint.findings.result.fix_region_key` of the finding.

    Lines and columns are 1-based and count Unicode code points (SARIF ``columnKind``
    ``unicodeCodePoints``); the region is half-open: ``end_column`` is the first column NOT
    replaced. An insertion has ``(start_line, start_column) == (end_line, end_column)``.
    ``inserted_content`` is the raw text to put in the file (already JSON-escaped).
    """

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    inserted_content: str


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How to lay a report out; nothing here changes what was found.

    Args:
        cwd: paths under it are shown relative to it; SARIF URIs are relative to it (``%SRCROOT%``).
        color: ANSI colors in the text report.
        show_fixes: include fix proposals (text summary's "fixable" suffix, JSON ``fix``, SARIF ``fixes``).
        information_uri: the tool's home page (SARIF ``tool.driver.informationUri``); omitted when empty.
        rules_doc_uri: the rule reference (docs/rules.md); a rule's ``helpUri`` is this plus ``#rule-id``
            when the rule has no ``help_uri`` of its own; omitted when both are empty.
        sarif_result_limit: GitHub code scanning rejects a run with more results than this; beyond it the
            most severe results are kept and the run says how many were left out. None: no limit.
        lines_per_rule: the text report shows at most this many findings of one rule in one file, then
            one line for the rest (a problem that spans many records is read once); 0: every finding.
            JSON, SARIF and the other formats always list every finding.
    """

    cwd: Path
    color: bool = False
    show_fixes: bool = True
    information_uri: str = field(default_factory=lambda: project_uri("Homepage", "Repository", "Source"))
    rules_doc_uri: str = field(default_factory=lambda: project_uri("Rules", "Documentation"))
    sarif_result_limit: int | None = 25_000
    lines_per_rule: int = 3


@dataclass(frozen=True, slots=True)
class Reporter:
    """``stream``: the same text as ``render`` in pieces (None: ``render`` is written whole).
    ``shows_fix_regions``: the report shows fixes in file coordinates (``RunResult.file_replacements``).
    ``needs_verified_fixes``: the report shows or hands on each fix (False: only a count of them,
    so the run does not re-parse proposed fixes to verify them)."""

    name: str
    render: RenderFn
    doc: str
    stream: StreamFn | None = None
    shows_fix_regions: bool = True
    needs_verified_fixes: bool = True


REPORTERS: dict[str, Reporter] = {}
# The built-in formats and the modules that register them, each imported when its format is asked
# for: a check writes one format, and importing the others (html alone ~4 ms) lengthens every start-up.
BUILTIN_FORMATS = {"github": "vgptlint.reports.github", "html": "vgptlint.reports.html", "json": "vgptlint.reports.json",
                   "sarif": "vgptlint.reports.sarif", "table": "vgptlint.reports.table", "text": "vgptlint.reports.text"}


def reporter(name: str, *, stream: StreamFn | None = None, shows_fix_regions: bool = True,
             needs_verified_fixes: bool = True) -> Callable[[RenderFn], RenderFn]:
    """Register ``render`` as the reporter for format ``name`` (``--format name``).

    Args:
        stream: yields the text ``render`` returns, in pieces, so it can be written as it is made.
        shows_fix_regions: False when the report never shows a fix's file regions (they are then not computed).
        needs_verified_fixes: False when the report shows fixes only as a count ("3 fixable with
            --fix"): proposed fixes are then counted without being re-parsed (they are verified
            when applied, diffed or listed).
    """

    def register(render_fn: RenderFn) -> RenderFn:
        is_taken = name in REPORTERS and REPORTERS[name].render is not render_fn
        if is_taken or BUILTIN_FORMATS.get(name, render_fn.__module__) != render_fn.__module__:
            raise ValueError(f"reporter {name!r} is registered twice")
        REPORTERS[name] = Reporter(name, render_fn, (render_fn.__doc__ or "").strip(), stream, shows_fix_regions,
                                   needs_verified_fixes)
        return render_fn

    return register


def reporter_names() -> list[str]:
    """Every format ``--format`` accepts, sorted."""
    for module_name in BUILTIN_FORMATS.values():
        importlib.import_module(module_name)
    _load_plugins()
    return sorted(REPORTERS)


def has_reporter(name: str) -> bool:
    """Whether ``--format name`` is known, importing no other built-in format's module."""
    if name in BUILTIN_FORMATS:
        importlib.import_module(BUILTIN_FORMATS[name])
    _load_plugins()
    return name in REPORTERS


def render(name: str, result: RunResult, opts: ReportOptions) -> str:
    """Render ``result`` in format ``name``.

    Raises:
        UsageError: no reporter has that name.
    """
    return find_reporter(name).render(result, opts)


def find_reporter(name: str) -> Reporter:
    """The reporter registered as ``name``.

    Raises:
        UsageError: no reporter has that name.
    """
    if not has_reporter(name):
        raise UsageError(f'unknown report format "{name}"; known: {", ".join(reporter_names())}')
    return REPORTERS[name]


# Pieces are gathered to about this many characters before each write: a write per finding would
# cost more than the report, and a whole report in memory is what streaming avoids.
WRITE_CHUNK_CHARS = 1 << 16


def write_report(name: str, result: RunResult, opts: ReportOptions, write: Callable[[str], object]) -> None:
    """Write the report in format ``name`` through ``write`` (e.g. ``TextIO.write``), piece by piece
    when the reporter streams: the same text as :func:`render`.

    Raises:
        UsageError: no reporter has that name.
    """
    found = find_reporter(name)
    if found.stream is None:
        write(found.render(result, opts))
        return
    pending: list[str] = []
    size = 0
    for piece in found.stream(result, opts):
        pending.append(piece)
        size += len(piece)
        if size >= WRITE_CHUNK_CHARS:
            write("".join(pending))
            pending, size = [], 0
    if pending:
        write("".join(pending))


@functools.cache
def _load_plugins() -> None:
    load_builtins()
    for entry in installed_entry_points(ENTRY_POINT_GROUP):
        entry.load()


def project_uri(*labels: str) -> str:
    """The first of ``labels`` among vgptlint's ``Project-URL`` metadata (pyproject ``[project.urls]``).

    Reports need absolute URIs for SARIF; the package metadata is the one place they are written down.
    """
    urls = _project_urls()
    return next((urls[label.lower()] for label in labels if urls.get(label.lower())), "")


@functools.cache
def _project_urls() -> dict[str, str]:
    """vgptlint's ``Project-URL``s by lower-cased label, read once: each read parses the package
    metadata (~1 ms), and every report's options ask for two."""
    try:
        meta = importlib.metadata.metadata("vgptlint")
    except importlib.metadata.PackageNotFoundError:
        return {}
    urls: dict[str, str] = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    return urls


@functools.lru_cache(maxsize=4096)  # called once per finding, for a handful of distinct files
def display_path(path: str, cwd: Path) -> str:
    """A finding's path as reports show it: relative to ``cwd`` when inside it, always with ``/``.

    >>> display_path("/repo/data/sft.json", Path("/repo"))
    'data/sft.json'
    >>> display_path("data/sft.json", Path("/elsewhere"))
    'data/sft.json'
    >>> display_path("/tmp/x.jsonl", Path("/repo"))
    '/tmp/x.jsonl'
    """
    if not path or path == "-" or "://" in path:  # no file (a dataset-wide metric), stdin, or a URL
        return path
    pure = PurePath(path)
    if pure.is_absolute():
        try:
            return pure.relative_to(cwd).as_posix()
        except ValueError:
            return pure.as_posix()
    return pure.as_posix()


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``count`` with thousands separators and the noun agreeing with it.

    >>> plural(1, "error"), plural(59021, "record"), plural(3, "info", "info")
    ('1 error', '59,021 records', '3 info')
    """
    word = noun if count == 1 else (plural_noun if plural_noun is not None else noun + "s")
    return f"{count:,} {word}"
