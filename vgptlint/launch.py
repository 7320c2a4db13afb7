"""The ``vgptlint`` console script: the CLI is imported inside the interrupt handling, so Ctrl-C while
it starts up (importing sqlglot, numpy, ... takes a moment) is as quiet as Ctrl-C later."""
from __future__ import annotations

import gc
import sys


def main() -> None:
    # Importing the CLI makes some 100,000 objects that live until the process ends; the collector
    # would walk them again and again while they are made, and in every full collection after (~15 ms
    # of a cached rerun). So none is collected while importing, and then they are frozen: later
    # collections skip them. Import leaves no garbage worth the walk.
    gc.disable()
    try:
        from vgptlint.commands.cli import main as cli
    except KeyboardInterrupt:
        sys.stderr.write("vgptlint: interrupted\n")
        sys.exit(130)
    gc.freeze()
    gc.enable()
    cli()
