"""The ``vgptlint`` console script: the CLI is imported inside the interrupt handling, so Ctrl-C while
it starts up (importing sqlglot, numpy, ... takes a moment) is as quiet as Ctrl-C later."""
from __future__ import annotations

import sys


def main() -> None:
    try:
        from vgptlint.commands.cli import main as cli
    except KeyboardInterrupt:
        sys.stderr.write("vgptlint: interrupted\n")
        sys.exit(130)
    cli()
