"""Time two vgptlint checkouts against each other and the floor, alternating, in one go.

    python bench/compare.py BEFORE_CHECKOUT [--scale 1] [--rounds 2] [--format json] [--sql]

On a shared machine a before/after pair measured minutes apart says more about the neighbours
than about the change. This runs, round after round, for the JSON arrays and then the JSON Lines
files of the generated data (bench/generate.py): the floor (bench/floor.py), then the full
``pretrain`` policy with ``--jobs 1`` from BEFORE_CHECKOUT and from this checkout (each on
``PYTHONPATH``, from a neutral directory so neither picks the other's package). It prints wall
and CPU seconds (user + system of the process tree) with their ratio to the floor of the same
round, and the best of the rounds for each.

``--sql`` compares the SQL rules alone instead (issue 13's throughput target): the distinct
statements of the generated SFT answers, one record each, linted with ``--select sql,sql_catalog``
and the catalog, minus a run of the same checkout that loads everything and lints nothing; it
prints statements per CPU second for each checkout, round by round, and the best.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.run import KINDS, dataset, sql_statements  # noqa: E402


def timed(command: list[str], **environment: str) -> tuple[float, float]:
    """(wall, CPU) seconds of ``command``'s process tree; it must exit 0 or 1."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               cwd=tempfile.gettempdir(), env={**os.environ, **environment})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed:\n{completed.stderr.decode(errors='replace')[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="a checkout of vgptlint to compare this one with")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--format", default="json", help="the report format (default json)")
    parser.add_argument("--sql", action="store_true", help="compare the SQL rules alone, in statements per CPU second")
    args = parser.parse_args()
    folder = dataset(args.scale, 0)
    checkouts = {"before": args.before.resolve(), "after": ROOT}
    if args.sql:
        return compare_sql(folder, checkouts, args.rounds)
    best: dict[tuple[str, str], tuple[float, float]] = {}
    for number in range(1, args.rounds + 1):
        for suffix in ("json", "jsonl"):
            files = [str(folder / f"{kind}.{suffix}") for kind in KINDS]
            floor = timed([sys.executable, str(ROOT / "bench" / "floor.py"), *files])
            line = [f"round {number} {suffix:5} floor {floor[0]:5.2f} s wall {floor[1]:5.2f} s CPU"]
            for name, checkout in checkouts.items():
                command = [sys.executable, "-m", "vgptlint", "check", "--policy", "pretrain", "--dataset-info",
                           str(folder / "dataset_info.json"), "--catalog", str(ROOT / "examples" / "catalog.yaml"),
                           "--fail-on", "never", "--jobs", "1", "--format", args.format, *files]
                with tempfile.TemporaryDirectory() as cache:  # a cold run: no result cache from an earlier round
                    wall, cpu = timed(command, PYTHONPATH=str(checkout), VGPTLINT_CACHE_DIR=cache)
                line.append(f"{name} {wall:6.2f} s = {wall / floor[0]:5.0f}x wall, {cpu:6.2f} s = {cpu / floor[1]:5.0f}x CPU")
                ratios = (wall / floor[0], cpu / floor[1])
                key = (suffix, name)
                best[key] = tuple(map(min, zip(best.get(key, ratios), ratios)))
            print(" | ".join(line), flush=True)
    for (suffix, name), (wall_ratio, cpu_ratio) in sorted(best.items()):
        print(f"best {suffix:5} {name:6} {wall_ratio:5.0f}x the floor (wall) {cpu_ratio:5.0f}x (CPU)")
    return 0


def compare_sql(folder: Path, checkouts: dict[str, Path], rounds: int) -> int:
    statements = sql_statements(folder)
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "statements.jsonl"
        data.write_text("".join(json.dumps({"instruction": "q", "input": "", "output": s}) + "\n" for s in statements))

        def cpu(name: str, select: str, path: Path = data) -> float:
            # Each checkout keeps its parse cache (policy, catalog: start-up, not per statement) and
            # loses its result cache (results/), so every timed run lints every statement.
            cache = Path(tmp) / f"cache-{name}"
            shutil.rmtree(cache / "results", ignore_errors=True)
            command = [sys.executable, "-m", "vgptlint", "check", "--policy", "pretrain", "--select", select, "--catalog",
                       str(ROOT / "examples" / "catalog.yaml"), "--fail-on", "never", "--jobs", "1", str(path)]
            return timed(command, PYTHONPATH=str(checkouts[name]), VGPTLINT_CACHE_DIR=str(cache))[1]

        (Path(tmp) / "none.jsonl").write_text("")
        for name in checkouts:  # warm each checkout's parse cache
            cpu(name, "sql,sql_catalog", Path(tmp) / "none.jsonl")
        for number in range(1, rounds + 1):
            line = [f"round {number}: {len(statements):,} statements"]
            for name in checkouts:
                empty, sql = cpu(name, "output-empty"), cpu(name, "sql,sql_catalog")
                rate = len(statements) / max(1e-9, sql - empty)
                best[name] = max(best.get(name, 0.0), rate)
                line.append(f"{name} {sql:5.2f} s CPU - {empty:4.2f} s start-up = {rate:5.0f} statements/CPU s")
            print(" | ".join(line), flush=True)
    for name, rate in best.items():
        print(f"best {name:6} {rate:5.0f} statements per CPU second")
    return 0

if __name__ == "__main__":
    sys.exit(main())
