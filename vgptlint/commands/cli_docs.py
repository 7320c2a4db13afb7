"""``vgptlint rules``, ``functions``, ``explain`` and ``schema``: what a policy can say, as tables,
Markdown and the JSON Schema of policy files (docs/editors.md).

Registered on the main group by name (``vgptlint.commands.cli.COMMAND_MODULES``), so a check does
not import them.
"""
from __future__ import annotations

import click

from vgptlint.commands.cli import LOAD_FUNCTIONS, loads_functions
from vgptlint.commands.docs import all_rules, explain as explain_name, render_rules
from vgptlint.commands.docs_functions import all_functions, render_functions
from vgptlint.commands.json_schema import generate_schema, render_schema
from vgptlint.commands.output import handle_errors, write_report


def listing_options(policy_help: str, markdown_doc: str):
    """The options of a command that lists what a policy can name (``rules``, ``functions``)."""
    options = [
        click.option("--policy", "-p", default=None, help=policy_help),
        click.option("--format", "-f", "report_format", type=click.Choice(["table", "json", "markdown"]), default="table",
                     show_default=True, help=f"markdown is {markdown_doc}."),
        click.option("--output", "-o", default=None, help="Write the list to this file."),
        LOAD_FUNCTIONS,
        handle_errors,
    ]

    def apply(command):
        for option in reversed(options):
            command = option(command)
        return command

    return apply


@click.command()
@listing_options("Show the rules of this policy (default: every shipped rule).", "docs/rules.md")
def rules(policy, report_format, output) -> None:
    """List rules: id, severity, kind, fixable, summary."""
    write_report(render_rules(all_rules(policy, loads_functions()), report_format), output)


@click.command()
@listing_options("Also list the functions this policy's functions: modules register.", "docs/functions.md")
def functions(policy, report_format, output) -> None:
    """List the functions a rule's then: can name: kind, options, summary."""
    write_report(render_functions(all_functions(policy, loads_functions()), report_format), output)


@click.command()
@click.argument("name")
@click.option("--policy", "-p", default=None, help="Look NAME up in this policy's rules (default: every shipped rule).")
@LOAD_FUNCTIONS
@handle_errors
def explain(name, policy) -> None:
    """Explain a rule (what it checks, why, options, examples) or a function (options, defaults)."""
    click.echo(explain_name(name, policy, loads_functions()), nl=False)


@click.command()
@click.option("--output", "-o", default=None, help="Write the schema to this file instead of printing it.")
@handle_errors
def schema(output) -> None:
    """Print the JSON Schema of policy files (for editors; docs/editors.md)."""
    write_report(render_schema(generate_schema()), output)
