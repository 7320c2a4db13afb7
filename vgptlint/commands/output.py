"""What every command does around its work: user mistakes and the environment's faults become one
located message and an exit status, never a traceback; reports go to stdout or to a file."""
from __future__ import annotations

import os
import sys
import traceback
from functools import wraps

import click

from vgptlint.errors import PolicyError, Terminated, VgptlintError, describe_os_error, terminate_as_exception
from vgptlint.fixes.write import output_file
from vgptlint.reports.base import ReportOptions
from vgptlint.reports.base import write_report as write_formatted


def handle_errors(command):
    """User mistakes and the environment's faults end with exit 2 and one located message; an
    interrupt with 130 (Ctrl-C) or 143 (SIGTERM); a reader that went away quietly; never a traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        _write_lone_surrogates_escaped()
        try:
            with terminate_as_exception():
                return command(*args, **kwargs)
        except BrokenPipeError:  # `vgptlint check ... | head -1`: whoever read our output has gone
            _drop_stdout()
            sys.exit(141)  # what a shell shows for a tool SIGPIPE stopped
        except PolicyError as exc:
            for problem in exc.problems:
                click.echo(problem.render(), err=True)
            count = len(exc.problems)
            click.echo(f"vgptlint: {count} problem{'s' if count != 1 else ''} in {exc.subject}; nothing was checked", err=True)
            sys.exit(2)
        except VgptlintError as exc:
            click.echo(f"vgptlint: error: {exc}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("vgptlint: interrupted", err=True)
            sys.exit(130)
        except Terminated:
            click.echo("vgptlint: terminated", err=True)
            sys.exit(143)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except OSError as exc:  # a disk, a device or a permission, not a bug
            click.echo(f"vgptlint: error: {describe_os_error(exc)}", err=True)
            sys.exit(2)
        except Exception as exc:  # a bug in vgptlint, not a user mistake
            if os.environ.get("VGPTLINT_DEBUG"):
                traceback.print_exc()
            click.echo(f"vgptlint: internal error: {type(exc).__name__}: {exc} "
                       "(set VGPTLINT_DEBUG=1 for the traceback, and please report it)", err=True)
            sys.exit(2)

    return wrapper


def _write_lone_surrogates_escaped() -> None:
    """JSON may hold a lone surrogate ("\\ud800"), which UTF-8 cannot encode: reports quoting such a value
    write it as the same escape (valid inside a JSON string too) instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _drop_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (a test runner's): nothing to flush
        pass


def write_report(text: str, output: str | None) -> None:
    if output:
        with output_file(output) as stream:
            stream.write(text)
    else:
        click.echo(text, nl=False)


def stream_report(report_format: str, result, opts: ReportOptions, output: str | None) -> None:
    """Write the report as the reporter makes it (findings come from the spool one by one)."""
    if output:
        with output_file(output) as stream:
            write_formatted(report_format, result, opts, stream.write)
    else:
        # color=: click strips ANSI codes from output that is not a terminal unless told (FORCE_COLOR)
        write_formatted(report_format, result, opts, lambda text: click.echo(text, nl=False, color=opts.color))
