"""``vgptlint init``: a commented starter policy for the datasets found (see vgptlint.commands.init).

Registered on the main group by name (``vgptlint.commands.cli.COMMAND_MODULES``), so a check does
not import it.
"""
from __future__ import annotations

import click

from vgptlint.commands.init import init_policy
from vgptlint.commands.output import handle_errors


@click.command()
@click.argument("paths", nargs=-1)
@click.option("--dataset-info", default=None, help="LLaMA-Factory dataset_info.json (default: one in the data directory).")
@click.option("--output", "-o", default="vgptlint.yaml", show_default=True, help="Policy file to write (never overwritten).")
@handle_errors
def init(paths, dataset_info, output) -> None:
    """Write a commented starter policy for the datasets under PATHS (default: data/ or .)."""
    target, datasets = init_policy(tuple(paths), output, dataset_info)
    kinds = ", ".join(sorted({d.kind for d in datasets})) or "none"
    click.echo(f"wrote {target}: {len(datasets)} dataset{'s' if len(datasets) != 1 else ''} (kinds: {kinds})", err=True)
