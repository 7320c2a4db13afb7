"""Command line: click commands only; the work happens in vgptlint.api and friends."""
from __future__ import annotations

import importlib
import os
import sys
from functools import wraps
from pathlib import Path

import click

from vgptlint import __version__
from vgptlint.api import (CheckOptions, default_policy_reference, execute, exit_code, fix, fix_diff, fix_listing,
                          fix_messages, fixed_listing, prepare)
from vgptlint.builtins import load_builtins
from vgptlint.commands.output import handle_errors, stream_report
from vgptlint.errors import UsageError
from vgptlint.fixes.write import check_writable
from vgptlint.model import Severity
from vgptlint.reports.base import ReportOptions, find_reporter, has_reporter, reporter_names
from vgptlint.run.engine import tune_collector
from vgptlint.run.progress import for_terminal

FAIL_ON = ("error", "warning", "info", "never")


# The commands other than check, fix and server live in modules of their own, registered here by name
# and imported when named (or listed by --help): a check imports none of the stats tables, the docs,
# the policy schema, init or the catalog puller (about 40 ms of a cached rerun's start-up).
COMMAND_MODULES = {"stats": "vgptlint.commands.cli_stats", "catalog": "vgptlint.commands.cli_catalog",
                   "rules": "vgptlint.commands.cli_docs", "functions": "vgptlint.commands.cli_docs",
                   "explain": "vgptlint.commands.cli_docs", "schema": "vgptlint.commands.cli_docs",
                   "init": "vgptlint.commands.cli_init"}


class CommandRegistry(click.Group):
    """The main group: its own commands, and those of ``COMMAND_MODULES`` once one is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            self.add_command(getattr(importlib.import_module(COMMAND_MODULES[cmd_name]), cmd_name))
        return self.commands.get(cmd_name)


@click.group(cls=CommandRegistry, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vgptlint")
def main() -> None:
    """vgptlint: lint LLM fine-tuning datasets against a YAML policy."""


def check_options(command):
    options = [
        click.argument("paths", nargs=-1),
        click.option("--policy", "-p", default=None, help="Policy file, or a shipped policy name (default: vgptlint.yaml if present, else pretrain)."),
        click.option("--dataset-info", default=None, help="LLaMA-Factory dataset_info.json mapping dataset names to files."),
        click.option("--catalog", multiple=True, help="Schema catalog (YAML/JSON/CSV); repeat to overlay."),
        click.option("--select", multiple=True, help="Only these rules: ids, globs (sql-*), packs or ALL; comma-separated."),
        click.option("--ignore", multiple=True, help="Skip these rules: ids, globs or packs; comma-separated."),
        click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                     help="Worker processes (default: one per core; inputs under 8 MB always use one)."),
        click.option("--engine", type=click.Choice(["local", "dask"]), default="local", expose_value=False,
                     callback=_remember_engine, help="local (this machine) or dask (a Dask cluster; docs/dask.md)."),
        click.option("--scheduler", default=None, metavar="ADDRESS", expose_value=False, callback=_remember_engine,
                     help="With --engine dask: the scheduler (tcp://host:8786); default: a local cluster."),
        *train_config_options(_remember_engine),
        click.option("--exclude", multiple=True, metavar="GLOB", expose_value=False, callback=_remember_engine,
                     help="Skip files matching these .gitignore-style globs, even when named (repeat or comma-separate)."),
        LOAD_FUNCTIONS,
        click.option("--no-cache", is_flag=True, expose_value=False, callback=_remember_engine,
                     help="Lint everything again: neither read nor write cached results or parsed policies."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def train_config_options(callback=None) -> list:
    """--train-config/--tokenizer: check the LLaMA-Factory run a training YAML describes (docs/llamafactory.md)."""
    extra = {"expose_value": False, "callback": callback} if callback else {}
    return [
        click.option("--train-config", default=None, metavar="YAML", **extra,
                     help="A LLaMA-Factory training config: lint the datasets it names, as that run will see them."),
        click.option("--tokenizer", default=None, metavar="PATH", **extra,
                     help="The model's tokenizer.json (or its folder); default: the local Hugging Face cache."),
    ]


def _remember_engine(ctx: click.Context, param: click.Parameter, value):
    """--engine/--scheduler/--load-functions/--no-cache reach CheckOptions through the click context, like the review options."""
    ctx.meta.setdefault("vgptlint.engine", {})[param.name] = value
    return value


def _remember_flag(ctx: click.Context, param: click.Parameter, value):
    """--exit-zero/--show-fixes/--full reach run_check through the click context."""
    ctx.meta.setdefault("vgptlint.flags", {})[param.name] = value
    return value


# A policy (say a vgptlint.yaml in a pull request's checkout) never makes vgptlint run code by itself.
LOAD_FUNCTIONS = click.option(
    "--load-functions", is_flag=True, expose_value=False, callback=_remember_engine,
    help="Import the Python modules the policy's functions: names (runs their code; only for policies you trust).")


def loads_functions() -> bool:
    """Whether --load-functions was given (for the commands that take it)."""
    return click.get_current_context().meta.get("vgptlint.engine", {}).get("load_functions", False)


def report_options(command):
    options = [
        click.option("--format", "-f", "report_format", default="text", help="text, table, json, sarif, github or html (one self-contained page)."),
        click.option("--output", "-o", default=None, help="Write the report to this file."),
        click.option("--fail-on", type=click.Choice(FAIL_ON), default=None, help="Lowest severity that makes the exit status 1 (default: the policy's, else error)."),
        click.option("--unsafe-fixes", is_flag=True, help="With --fix/--diff, also apply unsafe fixes (drop records, shuffle, uncertain labels)."),
        click.option("--diff", is_flag=True, help="Print a unified diff of what --fix would change; write nothing (exit 1 if there is something to fix)."),
        click.option("--seed", type=int, default=None, help="Seed for the unsafe shuffle fix (default: the rule's, 0)."),
        click.option("--exit-zero", is_flag=True, expose_value=False, callback=_remember_flag,
                     help="Exit 0 even with findings (the same as --fail-on never); usage and policy errors still exit 2."),
        click.option("--show-fixes", is_flag=True, expose_value=False, callback=_remember_flag,
                     help="List on stderr the fixes `vgptlint fix` would apply (with --fix or --diff: what it fixed, by file and rule)."),
        click.option("--full", is_flag=True, expose_value=False, callback=_remember_flag,
                     help="Text report: every finding on its own line (default: 3 per rule and file, then one line for the rest)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def review_options(command):
    """--baseline/--write-baseline/--no-suppressions, handed to CheckOptions through the click context."""

    @click.option("--baseline", default=None, help="Report only findings not in this baseline file (default: the policy's baseline:).")
    @click.option("--write-baseline", default=None, metavar="FILE", help="Record today's findings in FILE (a baseline); report none of them.")
    @click.option("--no-suppressions", is_flag=True, help="Ignore record/policy suppressions and the baseline: show everything.")
    @wraps(command)
    def wrapper(*args, baseline, write_baseline, no_suppressions, **kwargs):
        click.get_current_context().meta["vgptlint.review"] = {
            "baseline": baseline, "write_baseline": write_baseline, "use_suppressions": not no_suppressions}
        return command(*args, **kwargs)

    return wrapper


@main.command()
@check_options
@report_options
@click.option("--fix", "apply_fixes", is_flag=True, help="Apply safe fixes in place, then report what remains.")
@review_options
@handle_errors
def check(paths, policy, dataset_info, catalog, select, ignore, jobs, report_format, output, fail_on, unsafe_fixes, diff,
          seed, apply_fixes) -> None:
    """Lint dataset files (.json arrays, .jsonl, directories, globs, - for stdin)."""
    run_check(paths, policy, dataset_info, catalog, select, ignore, report_format, output, fail_on, unsafe_fixes, diff,
              seed, apply_fixes, jobs)


@main.command("fix")
@check_options
@report_options
@review_options
@handle_errors
def fix_command(paths, policy, dataset_info, catalog, select, ignore, jobs, report_format, output, fail_on, unsafe_fixes,
                diff, seed) -> None:
    """Apply fixes in place (the same as check --fix), then report what remains."""
    run_check(paths, policy, dataset_info, catalog, select, ignore, report_format, output, fail_on, unsafe_fixes, diff,
              seed, True, jobs)


def run_check(paths, policy, dataset_info, catalog, select, ignore, report_format, output, fail_on, unsafe_fixes, diff,
              seed, apply_fixes, jobs=None) -> None:
    tune_collector()  # this process lints, reports and ends
    load_builtins()
    if not has_reporter(report_format):
        raise click.BadParameter(f'unknown format "{report_format}"; known: {", ".join(reporter_names())}', param_hint="--format")
    for target in (output, click.get_current_context().meta.get("vgptlint.review", {}).get("write_baseline")):
        if target:
            check_writable(target)  # before hours of linting, and before --fix changes any file
    flags = click.get_current_context().meta.get("vgptlint.flags", {})
    reporter = find_reporter(report_format)
    # A fix is verified when it is applied, shown or handed on; not for a report that only counts fixes.
    verify_fixes = reporter.needs_verified_fixes or apply_fixes or diff or bool(flags.get("show_fixes"))
    options = CheckOptions(policy=policy or default_policy_reference(), dataset_info=dataset_info, catalog=catalog,
                           select=select, ignore=ignore, seed=seed, verify_fixes=verify_fixes,
                           fix_regions=reporter.shows_fix_regions and not (apply_fixes or diff), jobs=jobs,
                           **click.get_current_context().meta.get("vgptlint.review", {}),
                           **click.get_current_context().meta.get("vgptlint.engine", {}))
    prepared = prepare(tuple(paths), options)
    prepared.progress = for_terminal()
    if apply_fixes or diff:
        from vgptlint.run.fix_session import FixOptions  # only --fix/--diff pay for importing it
        fix_options = FixOptions(allow_unsafe=unsafe_fixes, seed=seed, write=not diff)
        run = fix(prepared, fix_options)
        for line in fix_messages(run, fix_options) + (fixed_listing(run) if flags.get("show_fixes") else []):
            click.echo(line, err=True)
        if diff:
            click.echo(fix_diff(run), nl=False)
            sys.exit(1 if run.changed_files else 0)
        result = run.result
    else:
        result = execute(prepared)
    stream_report(report_format, result, ReportOptions(cwd=Path.cwd(), color=_use_color(output),
                                                       lines_per_rule=0 if flags.get("full") else 3), output)
    if flags.get("show_fixes") and not apply_fixes:
        for line in fix_listing(result, unsafe_fixes):
            click.echo(line, err=True)
    if flags.get("exit_zero"):
        fail_on = "never"
    threshold = prepared.policy.fail_on if fail_on is None else (None if fail_on == "never" else Severity(fail_on))
    sys.exit(exit_code(result, threshold))


def _use_color(output: str | None) -> bool:
    """Colour on a terminal; NO_COLOR (no-color.org) turns it off and wins over FORCE_COLOR
    (force-color.org) and CLICOLOR_FORCE (not "0"), which turn it on in CI logs and pipes.
    A report written with --output is never coloured."""
    if output is not None or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR") or os.environ.get("CLICOLOR_FORCE", "") not in ("", "0"):
        return True
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


# ------------------------------------------------------------------------ the language server
# (docs/editors.md)


@main.command()
@click.option("--stdio", is_flag=True, help="Speak LSP on stdin/stdout (the default and only transport; accepted for clients that pass it).")
@handle_errors
def server(stdio) -> None:
    """Run the language server (LSP over stdio): diagnostics, quick fixes and hover in the editor."""
    try:
        from vgptlint.server.app import serve
    except ImportError as exc:
        raise UsageError(f'the language server needs the "lsp" extra: pip install "vgptlint[lsp]" ({exc})') from None
    serve()


if __name__ == "__main__":  # pragma: no cover
    main()
