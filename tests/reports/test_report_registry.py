"""The reporter registry, shared helpers, and the doctests of the reporter modules."""
from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

from vgptlint.errors import UsageError
from vgptlint.reports import REPORTERS, render, reporter, reporter_names
from vgptlint.reports import base
from vgptlint.reports.base import BUILTIN_FORMATS, display_path, plural

MODULES = ["base", "github", "json", "sarif", "serialize", "table", "text"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(f"vgptlint.reports.{name}")
    failures, _ = doctest.testmod(module)
    assert failures == 0


def test_builtin_formats_are_registered():
    assert {"text", "table", "json", "sarif", "github"} <= set(reporter_names())


def test_each_builtin_format_is_registered_by_the_module_listed_for_it():
    """BUILTIN_FORMATS is how a format's module is found before it is imported: it must name every
    reporter module, each for the format it registers."""
    reporter_names()
    listed = {name: REPORTERS[name].render.__module__ for name in BUILTIN_FORMATS}
    assert listed == BUILTIN_FORMATS
    modules = {f"vgptlint.reports.{path.stem}" for path in Path(base.__file__).parent.glob("*.py")}
    assert modules - {"vgptlint.reports.__init__", "vgptlint.reports.base", "vgptlint.reports.serialize"} == set(listed.values())


def test_a_plugin_cannot_take_a_builtin_format():
    with pytest.raises(ValueError, match="registered twice"):  # whether or not html's module is imported yet
        reporter("html")(lambda run, o: "")
    reporter_names()
    assert REPORTERS["html"].render.__module__ == "vgptlint.reports.html"


def test_unknown_format_is_a_usage_error(result, opts):
    with pytest.raises(UsageError, match=r'unknown report format "xml"; known: github, html, json, sarif, table, text'):
        render("xml", result, opts)


def test_a_plugin_registers_with_the_same_decorator(result, opts):
    @reporter("count-only")
    def render_count(run, _opts):
        """Just the number of findings."""
        return f"{len(run.findings)}\n"

    try:
        assert render("count-only", result, opts) == "10\n"
        assert REPORTERS["count-only"].doc == "Just the number of findings."
        with pytest.raises(ValueError, match="registered twice"):
            reporter("count-only")(lambda run, o: "")
    finally:
        del REPORTERS["count-only"]


def test_display_path(opts):
    assert display_path("/work/project/a/b.json", opts.cwd) == "a/b.json"
    assert display_path("a/b.json", opts.cwd) == "a/b.json"
    assert display_path("/other/b.json", opts.cwd) == "/other/b.json"
    assert display_path("-", opts.cwd) == "-"
    assert display_path("", opts.cwd) == ""


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [(0, "error", "0 errors"), (1, "error", "1 error"), (2, "warning", "2 warnings"), (59021, "record", "59,021 records"),
     (1, "file", "1 file"), (1_000_000, "record", "1,000,000 records")],
)
def test_plural(count, noun, expected):
    assert plural(count, noun) == expected
