"""``vgptlint stats``: the review's tables from the data (see vgptlint.commands.stats).

Registered on the main group by name (``vgptlint.commands.cli.COMMAND_MODULES``), so a check does not import it.
"""
from __future__ import annotations

from pathlib import Path

import click

from vgptlint.api import CheckOptions, default_policy_reference, execute, prepare
from vgptlint.builtins import load_builtins
from vgptlint.commands.output import handle_errors, write_report
from vgptlint.commands.stats import compute_stats, render_stats
from vgptlint.errors import Problem, UsageError
from vgptlint.fixes.write import check_writable
from vgptlint.inputs.discover import discover
from vgptlint.reports.base import ReportOptions, render


@click.command()
@click.argument("paths", nargs=-1)
@click.option("--policy", "-p", default=None, help="Policy for dataset kinds and facets (default: vgptlint.yaml if present, else pretrain).")
@click.option("--dataset-info", default=None, help="LLaMA-Factory dataset_info.json mapping dataset names to files.")
@click.option("--format", "-f", "report_format", type=click.Choice(["table", "json", "markdown", "html"]), default="table",
              help="html: one self-contained page with the metrics as charts and the findings table.")
@click.option("--output", "-o", default=None, help="Write the tables to this file.")
@click.option("--train-config", default=None, metavar="YAML",
              help="A LLaMA-Factory training config: add what that run trains on, dataset by dataset.")
@click.option("--tokenizer", default=None, metavar="PATH",
              help="The model's tokenizer.json (or its folder); default: the local Hugging Face cache.")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Skip files matching these .gitignore-style globs, even when named (repeat or comma-separate).")
def stats(paths, policy, dataset_info, report_format, output, train_config, tokenizer, exclude) -> None:
    """Print the dataset's figures: records, output lengths, content mix, NOLOCK and SQL share, input
    usage, DPO chosen vs rejected, KTO balance, duplicates, truncation, ordering."""
    handle_errors(_stats)(paths, policy, dataset_info, report_format, output, {"train_config": train_config,
                                                                             "tokenizer": tokenizer,
                                                                             "exclude": tuple(exclude)})


def _stats(paths, policy, dataset_info, report_format, output, run) -> None:
    load_builtins()
    if output:
        check_writable(output)  # before the measuring, not after it
    # Figures of files that are not there would be empty tables that look like a measurement.
    missing = discover(tuple(paths)).problems if paths else ()
    for problem in missing:
        click.echo(Problem(problem.source, problem.line, problem.column, problem.code, problem.message).render(), err=True)
    if missing:
        raise UsageError(f"{len(missing)} of the paths named nothing to read; nothing was measured")
    if report_format == "html":
        write_report(_html_page(paths, policy, dataset_info, run), output)
        return
    write_report(render_stats(compute_stats(tuple(paths), policy, dataset_info, **run), report_format), output)


def _html_page(paths, policy, dataset_info, run) -> str:
    """The charts are drawn from the policy's metrics (their thresholds included) and its findings,
    so the page is a check run rendered by the html reporter."""
    options = CheckOptions(policy=policy or default_policy_reference(), dataset_info=dataset_info, **run)
    result = execute(prepare(tuple(paths), options))
    return render("html", result, ReportOptions(cwd=Path.cwd()))
