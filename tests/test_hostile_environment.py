"""Faults around the data: output paths, closed pipes, special files, signals. Each ends with one line
and a documented exit status (docs/robustness.md), never "internal error" or a traceback."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from vgptlint.commands.cli import main
from vgptlint.fixes import write as write_module

SHORT = {"instruction": "q", "input": "", "output": "ab"}


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("sft.jsonl").write_text("".join(json.dumps(SHORT) + "\n" for _ in range(3)))
    return tmp_path


def check(*args: str):
    return CliRunner().invoke(main, ["check", "--policy", "sft", "--select", "output-too-short", *args])


@pytest.mark.parametrize(("output", "reason"), [
    ("missing/report.json", "its folder does not exist"),
    (".", "Is a directory"),
    ("/dev/full", "No space left on device"),
])
def test_an_output_that_cannot_be_written_is_one_line(data, output, reason):
    if output.startswith("/dev/") and not Path(output).exists():
        pytest.skip(f"{output} is Linux's")
    result = check("-f", "json", "-o", output, "sft.jsonl")
    assert result.exit_code == 2
    assert result.stderr == f'vgptlint: error: cannot write "{output}": {reason}\n'


@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
def test_an_output_that_cannot_be_written_stops_the_run_before_it_starts(data, option, monkeypatch):
    """Checked before linting: hours of work are not lost at the end, and --fix changes nothing."""
    before = Path("sft.jsonl").read_bytes()
    Path("readonly").mkdir()
    make_temporary = write_module.tempfile.mkstemp

    def refusing_folder(*args, dir, **kwargs):  # as a read-only folder does, even to root
        if Path(dir).name == "readonly":
            raise PermissionError(13, "Permission denied")
        return make_temporary(*args, dir=dir, **kwargs)

    monkeypatch.setattr(write_module.tempfile, "mkstemp", refusing_folder)
    for output, reason in (("missing/report.json", "its folder does not exist"), ("readonly/report.json", "Permission denied"),
                           (".", "Is a directory")):
        result = check("--fix", "--unsafe-fixes", option, output, "sft.jsonl")
        assert (result.exit_code, result.stderr) == (2, f'vgptlint: error: cannot write "{output}": {reason}\n')
        assert Path("sft.jsonl").read_bytes() == before
    assert sorted(os.listdir(".")) == ["readonly", "sft.jsonl"]


def test_stats_checks_its_output_first(data):
    result = CliRunner().invoke(main, ["stats", "-o", "missing/stats.txt", "sft.jsonl"])
    assert (result.exit_code, result.stderr) == (2, 'vgptlint: error: cannot write "missing/stats.txt": its folder does not exist\n')


def test_a_full_disk_keeps_the_previous_report(data, monkeypatch):
    Path("report.json").write_text('{"previous": "report"}\n')

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write_module.os, "fsync", disk_full)
    result = check("-f", "json", "-o", "report.json", "sft.jsonl")
    assert result.exit_code == 2
    assert result.stderr == 'vgptlint: error: cannot write "report.json": No space left on device\n'
    assert Path("report.json").read_text() == '{"previous": "report"}\n'
    assert [name for name in os.listdir(".") if name.endswith(".vgptlint-tmp")] == []


def test_a_report_replaces_the_previous_one_whole(data):
    Path("report.json").write_text("x" * 100_000)
    assert check("-f", "json", "-o", "report.json", "sft.jsonl").exit_code == 0
    assert len(json.loads(Path("report.json").read_text())["findings"]) == 3


def test_a_baseline_that_cannot_be_written_is_one_line(data):
    result = check("--write-baseline", "missing/base.json", "sft.jsonl")
    assert result.exit_code == 2
    assert result.stderr == 'vgptlint: error: cannot write "missing/base.json": its folder does not exist\n'


def test_a_fifo_on_the_command_line_is_refused_without_blocking(data):
    os.mkfifo("pipe.jsonl")  # nothing ever writes to it: opening it would wait forever
    completed = subprocess.run(["vgptlint", "check", "pipe.jsonl"], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2
    assert completed.stderr == ('vgptlint: error: "pipe.jsonl" is a FIFO (named pipe), not a regular file; vgptlint reads '
                                "files, folders, or stdin (-): vgptlint check - < SOURCE\n")


def test_a_fifo_in_a_folder_is_not_a_dataset(data):
    os.mkfifo("pipe.jsonl")
    result = check(".")
    assert result.exit_code == 0
    assert "in 1 file (3 records)" in result.stdout.splitlines()[-1]


def test_a_reader_that_goes_away_stops_the_run_quietly(data):
    """`vgptlint check big.jsonl | head -1`: no BrokenPipeError, no traceback, the shell's SIGPIPE status."""
    Path("sft.jsonl").write_text("".join(json.dumps(SHORT) + "\n" for _ in range(20_000)))
    process = subprocess.Popen(["vgptlint", "check", "--policy", "sft", "--select", "output-too-short", "-f", "json", "sft.jsonl"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 141
    assert first == b"{\n" and stderr == b""


SLOW_FUNCTION = '''
import time
from dataclasses import dataclass
from pathlib import Path
from vgptlint.functions.base import function


@dataclass(frozen=True)
class NoOptions:
    pass


@function("slow_down", options=NoOptions, accepts=(str,))
def slow_down(value, opts, ctx):
    """Tells the test it is linting, then takes its time."""
    Path("started").touch()
    time.sleep(60)
    yield from ()
'''


@pytest.mark.parametrize(("jobs", "sent", "status", "last_line"), [
    ("1", signal.SIGINT, 130, "vgptlint: interrupted"),
    ("2", signal.SIGINT, 130, "vgptlint: interrupted"),
    ("1", signal.SIGTERM, 143, "vgptlint: terminated"),
    ("2", signal.SIGTERM, 143, "vgptlint: terminated"),
])
def test_an_interrupt_mid_run_is_one_line_and_its_status(data, jobs, sent, status, last_line):
    """Sent to the whole process group, as Ctrl-C in a terminal is: the --jobs workers get it too."""
    Path("slow.py").write_text(SLOW_FUNCTION)
    Path("slow.yaml").write_text("functions: [slow]\nrules:\n  slow: {given: $.output, then: slow_down}\n")
    padded = json.dumps({**SHORT, "instruction": "q" * 250}) + "\n"
    Path("big.jsonl").write_text(padded * 40_000)  # 10 MB: over the size --jobs needs to start workers
    process = subprocess.Popen(
        ["vgptlint", "check", "--load-functions", "--policy", "slow.yaml", "--jobs", jobs, "big.jsonl"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as a terminal's foreground job has it
    try:
        deadline = time.monotonic() + 120
        while not Path("started").exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, sent)
        stderr = process.communicate(timeout=60)[1].decode()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == status
    assert stderr.splitlines() == [last_line]


def test_a_symlink_out_of_a_linted_folder_is_not_followed(data):
    """A checkout's data/creds.json -> ~/.secrets.json must not make a CI job read and quote the secret."""
    secret = data.parent / f"{data.name}-secret.json"
    secret.write_text(json.dumps([{"instruction": "q", "input": "", "output": "TOKEN-12345"}]))
    Path("folder").mkdir()
    Path("folder/creds.json").symlink_to(secret)
    Path("folder/inside.jsonl").symlink_to(data / "sft.jsonl")  # beside the folder, not in it: not followed either
    Path("folder/sft.jsonl").write_text(json.dumps(SHORT) + "\n")
    result = check("-f", "json", "folder")
    report = json.loads(result.stdout)
    assert [(f["path"], f["message"]) for f in report["findings"] if f["rule"] == "invalid-input"] == [
        ("folder/creds.json", "is a symlink to a file outside folder; it was not read (name it to lint it)"),
        ("folder/inside.jsonl", "is a symlink to a file outside folder; it was not read (name it to lint it)"),
    ]
    assert "TOKEN-12345" not in result.stdout
    assert "TOKEN-12345" not in check("-f", "json", "folder/sft.jsonl").stdout
