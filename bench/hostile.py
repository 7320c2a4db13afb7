"""Time vgptlint on hostile inputs at two sizes: the cost must grow about linearly (docs/robustness.md).

    python bench/hostile.py [--factor F] [--only TEXT]

Each case is written to a temporary folder at size N and N*F, then `vgptlint check` runs on it in a
fresh process (bench/measure.py: wall clock and peak RSS). The growth column is the ratio of the
two wall times: about F (or less, when start-up dominates) is linear; an exponential case would not
finish. The SQL cases (very long fields, backtick runs, huge joins) are benchmarked with the SQL code.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"instruction": "What is APTH?", "input": "", "output": "APTH holds AP transaction headers keyed by APCo."}


def _regex_case(folder: Path, size: int) -> list[str]:
    """A user pattern that backtracks exponentially on Python's re, on a field of `size` a's and a "!"."""
    (folder / "policy.yaml").write_text(
        'rules:\n  no-a-run:\n    given: $.output\n    then: {function: pattern, options: {not_match: "(a+)+$"}}\n')
    (folder / "data.jsonl").write_text(json.dumps({**GOOD, "output": "a" * size + "!"}) + "\n")
    return ["--policy", "policy.yaml", "data.jsonl"]


def _alias_bomb_case(folder: Path, size: int) -> list[str]:
    """A policy whose `size` lines of nine aliases each stand for 9**size values."""
    lines = ['  a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"  a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, size)]
    (folder / "policy.yaml").write_text("extends: [core]\ndescription:\n" + "\n".join(lines) + "\n")
    (folder / "data.jsonl").write_text(json.dumps(GOOD) + "\n")
    return ["--policy", "policy.yaml", "data.jsonl"]


def _deep_json_case(folder: Path, size: int) -> list[str]:
    """One record nested `size` levels deep among 1,000 ordinary ones."""
    deep = '{"instruction": ' + "[" * size + "]" * size + ', "output": "x"}'
    (folder / "data.jsonl").write_text("\n".join([json.dumps(GOOD)] * 500 + [deep] + [json.dumps(GOOD)] * 500) + "\n")
    return ["--policy", "sft", "data.jsonl"]


def _closed_pipe_case(folder: Path, size: int) -> list[str]:
    """`vgptlint check data.jsonl | head -1` on `size` records that each have a finding."""
    (folder / "data.jsonl").write_text((json.dumps({**GOOD, "output": "ab"}) + "\n") * size)
    return ["--policy", "sft", "data.jsonl", "|", "head", "-1"]


def _non_json_number_case(folder: Path, size: int) -> list[str]:
    """`size` records, every other one holding NaN or -Infinity (each a located warning)."""
    lines = [json.dumps({**GOOD, "score": float("nan") if n % 4 == 0 else float("-inf")}) if n % 2 == 0 else json.dumps(GOOD)
             for n in range(size)]
    (folder / "data.jsonl").write_text("\n".join(lines) + "\n")
    return ["--policy", "sft", "data.jsonl"]


def _unwritable_output_case(folder: Path, size: int) -> list[str]:
    """`-o` into a folder that does not exist, on `size` records: refused before any is read."""
    (folder / "data.jsonl").write_text((json.dumps(GOOD) + "\n") * size)
    return ["--policy", "sft", "-o", "missing/report.json", "data.jsonl"]


def _fifo_case(folder: Path, size: int) -> list[str]:
    """A FIFO no one writes to, named on the command line (size: unused; refusing it is constant)."""
    os.mkfifo(folder / "pipe.jsonl")
    return ["pipe.jsonl"]


CASES: dict[str, tuple[Callable[[Path, int], list[str]], int, str]] = {
    "pattern (a+)+$ on a's and !": (_regex_case, 100_000, "characters"),
    "YAML alias bomb (9 aliases a line)": (_alias_bomb_case, 9, "lines"),
    "JSON record nested deep": (_deep_json_case, 3_000, "levels"),
    "stdout closed after one line": (_closed_pipe_case, 2_000, "records"),
    "FIFO named on the command line": (_fifo_case, 1, "-"),
    "NaN/-Infinity in every other record": (_non_json_number_case, 20_000, "records"),
    "-o into a missing folder": (_unwritable_output_case, 20_000, "records"),
}


def measure(arguments: list[str], folder: Path) -> dict:
    command = " ".join(["vgptlint", "check", *arguments])
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "measure.py"), "--", "bash", "-c", command],
                         capture_output=True, text=True, check=True, cwd=folder, timeout=600)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=10, help="the larger size is this many times the smaller")
    parser.add_argument("--only", default="", help="run only the cases whose name contains this text")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "data.jsonl").write_text(json.dumps(GOOD) + "\n")
        startup = measure(["--policy", "sft", "data.jsonl"], Path(scratch))["wall"]
    print(f"Start-up (one ordinary record): {startup:.2f} s; the growth column subtracts it.\n")
    print("| case | size | wall | peak RSS | exit | size x{0} | wall | growth |".format(options.factor))
    print("|---|---|---|---|---|---|---|---|")
    for name, (make, small, unit) in CASES.items():
        if options.only not in name:
            continue
        sizes = (small, small * options.factor if unit not in ("-", "lines") else small * 2 if unit == "lines" else small)
        figures = []
        for size in sizes:
            with tempfile.TemporaryDirectory() as scratch:
                figures.append(measure(make(Path(scratch), size), Path(scratch)))
        (a, b) = figures
        print(f"| {name} | {sizes[0]:,} {unit} | {a['wall']:.2f} s | {a['peak_rss_mb']:.0f} MB | {a['returncode']} "
              f"| {sizes[1]:,} | {b['wall']:.2f} s | {_growth(a['wall'], b['wall'], startup)} |")


def _growth(small: float, large: float, startup: float) -> str:
    if small - startup < 0.05:  # nothing beyond start-up at either size: constant
        return "constant"
    return f"{(large - startup) / (small - startup):.1f}x"


if __name__ == "__main__":
    main()
