"""Benchmark vgptlint against a floor, measured in the same run.

    python bench/run.py [--scale N] [--jobs-compare] [--sqlfluff-sample 200]

For the review-shaped data (bench/generate.py) at the given scale, as JSON arrays and as JSON Lines:
wall seconds, records/s and peak RSS of `vgptlint check --policy pretrain`, the same figures for the
floor (bench/floor.py: stdlib json + one regex per record), and the ratios. Also: near-duplicate
detection's share of the time, the SQL rules alone in statements/s, sqlfluff on the same statements
when it is installed, and optionally --jobs 1 vs --jobs 2. Ratios are what we track: absolute
times depend on the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cached import cache_benchmark  # noqa: E402
from bench.generate import generate  # noqa: E402

KINDS = ("sft", "dpo", "kto")


# The benchmark's own cache folder: its policy parse cache is warmed once, and its result cache
# (vgptlint/incremental) is emptied before every cold measurement, so a cold run is cold.
CACHE = ROOT / "bench" / "out" / "cache"


def measure(command: list[str], **environment: str) -> dict:
    shutil.rmtree(CACHE / "results", ignore_errors=True)
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "measure.py"), "--", *command],
                         capture_output=True, text=True, check=True, env={**os.environ, **environment})
    return json.loads(out.stdout)


def dataset(scale: float, seed: int) -> Path:
    folder = ROOT / "bench" / "out" / f"scale-{scale:g}-seed-{seed}"
    if not (folder / "figures.json").is_file():
        started = time.perf_counter()
        generate(folder, scale=scale, seed=seed)
        print(f"generated {folder.relative_to(ROOT)} in {time.perf_counter() - started:.1f} s")
    return folder


def vgptlint_command(files: list[Path], folder: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "vgptlint", "check", "--policy", "pretrain", "--dataset-info",
            str(folder / "dataset_info.json"), "--catalog", str(ROOT / "examples" / "catalog.yaml"),
            "--fail-on", "never", *extra, *map(str, files)]


def row(label: str, figures: dict, records: int) -> str:
    return (f"{label:<34} {figures['wall']:8.2f} s {records / figures['wall']:12,.0f} rec/s "
            f"{figures['peak_rss_mb']:9.1f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs-compare", action="store_true", help="also time --jobs 1 vs --jobs 2 (JSONL)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the policy pack by pack (JSONL): where the time goes")
    parser.add_argument("--sqlfluff-sample", type=int, default=200, help="statements given to sqlfluff")
    parser.add_argument("--cache", action="store_true",
                        help="also time the result cache's reruns (bench/cached.py): nothing changed, a threshold, 1%% of records")
    args = parser.parse_args()
    os.environ["VGPTLINT_CACHE_DIR"] = str(CACHE)
    folder = dataset(args.scale, args.seed)
    figures = json.loads((folder / "figures.json").read_text())
    records = figures["sft.records"] + figures["dpo.pairs"] + figures["kto.records"]
    results: dict = {"scale": args.scale}
    print(f"vgptlint benchmark, scale {args.scale:g} ({folder.relative_to(ROOT)})")
    # Warm the policy parse cache (vgptlint/cache.py) once, so that no timed run pays for filling it.
    subprocess.run(vgptlint_command([], folder, "--select", "output-empty", "-"), input="", text=True,
                   capture_output=True)
    for suffix in ("json", "jsonl"):
        files = [folder / f"{kind}.{suffix}" for kind in KINDS]
        size_mb = sum(f.stat().st_size for f in files) / 2**20
        floor = measure([sys.executable, str(ROOT / "bench" / "floor.py"), *map(str, files)])
        lint = measure(vgptlint_command(files, folder, "--jobs", "1"))
        if lint["returncode"] not in (0, 1):
            print(lint["stderr"])
            return 2
        count = records
        no_near = measure(vgptlint_command(files, folder, "--jobs", "1", "--ignore", "near-duplicate-records"))
        near_share = max(0.0, (lint["wall"] - no_near["wall"]) / lint["wall"])
        results[suffix] = {"files_mb": size_mb, "records": count, "floor": floor, "vgptlint": lint,
                           "time_ratio": lint["wall"] / floor["wall"], "rss_ratio": lint["peak_rss_mb"] / floor["peak_rss_mb"],
                           "near_duplicate_share": near_share}
        print(f"\n{suffix.upper()} ({size_mb:,.1f} MB, {count:,} records)")
        print(row("floor (json + 1 regex)", floor, count))
        print(row("vgptlint --policy pretrain -j1", lint, count))
        print(f"{'ratio vgptlint/floor':<34} {results[suffix]['time_ratio']:8.2f} x time {'':>18}"
              f"{results[suffix]['rss_ratio']:9.2f} x RSS")
        print(f"{'near-duplicate share of time':<34} {near_share:8.1%}")
        if args.jobs_compare and suffix == "jsonl":
            two = measure(vgptlint_command(files, folder, "--jobs", "2"))
            results["jobs"] = {"jobs1": lint["wall"], "jobs2": two["wall"], "speedup": lint["wall"] / two["wall"]}
            print(row("vgptlint -j2", two, count))
            print(f"{'speedup -j2 over -j1':<34} {lint['wall'] / two['wall']:8.2f} x")
        if args.breakdown and suffix == "jsonl":
            results["breakdown"] = breakdown(files, folder, floor["wall"], lint["wall"])
    if args.cache:
        results["cache"] = cache_benchmark(folder, measure, ROOT, KINDS)
    results["sql"] = sql_benchmark(folder, args.sqlfluff_sample)
    out = ROOT / "bench" / "out" / f"results-scale-{args.scale:g}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nfigures written to {out.relative_to(ROOT)}")
    return 0


# Cumulative steps: each adds packs to the one before; the last is the whole policy.
BREAKDOWN_STEPS = (
    ("start-up, cold parse cache (1 record)", "cold"),
    ("start-up (policy, imports; 1 record)", None),
    ("+ reading, core/sft/llamafactory rules", ("sql", "sql_catalog", "dataset", "preference")),
    ("+ SQL rules (sql, sql_catalog)", ("dataset", "preference")),
    ("+ dataset and pair rules (whole policy)", ()),
)


def breakdown(files: list[Path], folder: Path, floor_wall: float, whole_wall: float) -> list[dict]:
    """Where the time goes: the policy grown pack by pack, each step's increment in floors."""
    print(f"\n{'where the time goes (JSONL, -j1)':<44} {'step':>8} {'increment':>10} {'in floors':>10}")
    steps, previous = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.jsonl"
        one.write_text(json.dumps({"instruction": "q", "input": "", "output": "a"}) + "\n")
        for label, ignored in BREAKDOWN_STEPS:
            if ignored == "cold":  # what a CI job without a persisted ~/.cache pays; not a step
                wall = measure(vgptlint_command([one], folder, "--jobs", "1"), VGPTLINT_NO_CACHE="1")["wall"]
                print(f"{label:<44} {wall:7.2f}s {'':>10} {wall / floor_wall:9.1f}x")
                steps.append({"step": label, "wall": wall, "increment": None, "floors": wall / floor_wall})
                continue
            if ignored is None:
                wall = measure(vgptlint_command([one], folder, "--jobs", "1"))["wall"]
            elif not ignored:
                wall = whole_wall
            else:
                wall = measure(vgptlint_command(files, folder, "--jobs", "1", "--ignore", ",".join(ignored)))["wall"]
            increment = max(0.0, wall - previous)
            steps.append({"step": label, "wall": wall, "increment": increment, "floors": increment / floor_wall})
            print(f"{label:<44} {wall:7.2f}s {increment:9.2f}s {increment / floor_wall:9.1f}x")
            previous = wall
    return steps


def sql_statements(folder: Path) -> list[str]:
    from vgptlint.sql.extract import extract_sql

    seen: dict[str, None] = {}
    for line in (folder / "sft.jsonl").open(encoding="utf-8"):
        if line.strip():
            for statement in extract_sql(json.loads(line).get("output", "")):
                seen.setdefault(statement.text, None)
    return list(seen)


def sql_benchmark(folder: Path, sample: int) -> dict:
    statements = sql_statements(folder)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "statements.jsonl"
        data.write_text("".join(json.dumps({"instruction": "q", "input": "", "output": s}) + "\n" for s in statements))
        empty = measure([sys.executable, "-m", "vgptlint", "check", "--select", "output-empty", "--fail-on", "never", str(data)])
        ours = measure([sys.executable, "-m", "vgptlint", "check", "--policy", "pretrain", "--select", "sql,sql_catalog",
                        "--catalog", str(ROOT / "examples" / "catalog.yaml"), "--fail-on", "never", "--jobs", "1", str(data)])
        # Start-up (imports, policy) is not per statement: subtract a run that loads everything but lints nothing.
        ours_rate = len(statements) / max(1e-9, ours["wall"] - empty["wall"])
        result = {"statements": len(statements), "vgptlint_statements_per_s": ours_rate, "vgptlint_wall": ours["wall"]}
        print(f"\nSQL rules alone: {len(statements):,} distinct statements, {ours_rate:,.0f} statements/s")
        result["long_record"] = long_record_benchmark(statements, Path(tmp))
        fluff = sqlfluff_rate(statements[:sample], Path(tmp))
        if fluff is not None:
            result.update(sqlfluff_statements=min(sample, len(statements)), sqlfluff_statements_per_s=fluff,
                          ratio=ours_rate / fluff)
            print(f"sqlfluff lint --dialect tsql: {fluff:,.1f} statements/s on {min(sample, len(statements))}; "
                  f"vgptlint is {ours_rate / fluff:,.0f}x faster")
        else:
            print("sqlfluff is not installed (pip install sqlfluff): its comparison is skipped")
    return result


LONG_RECORD_STATEMENTS = 4000


def long_record_benchmark(statements: list[str], tmp: Path) -> dict:
    """One record holding 4,000 statements against 4,000 records of one statement each, both with
    fixes verified and findings located and fingerprinted (``--format json``): the cost of a
    finding must not grow with the length of its field (issue 13: 30 s for one 4,000-statement
    record). The target is at most 3x."""
    chosen = (statements * (LONG_RECORD_STATEMENTS // max(1, len(statements)) + 1))[:LONG_RECORD_STATEMENTS]
    one = tmp / "one-record.jsonl"
    one.write_text(json.dumps({"instruction": "q", "input": "", "output": ";\n".join(chosen)}) + "\n")
    many = tmp / "many-records.jsonl"
    many.write_text("".join(json.dumps({"instruction": "q", "input": "", "output": s}) + "\n" for s in chosen))
    figures = {}
    for label, path in (("one record", one), ("one statement per record", many)):
        figures[label] = measure([sys.executable, "-m", "vgptlint", "check", "--policy", "pretrain", "--select", "sql,sql_catalog",
                                  "--catalog", str(ROOT / "examples" / "catalog.yaml"), "--fail-on", "never", "--jobs", "1",
                                  "--format", "json", "-o", str(tmp / "out.json"), str(path)])["wall"]
    ratio = figures["one record"] / figures["one statement per record"]
    print(f"{LONG_RECORD_STATEMENTS:,} statements in one record: {figures['one record']:.2f} s; one per record: "
          f"{figures['one statement per record']:.2f} s ({ratio:.2f}x; target at most 3x)")
    return {"statements": LONG_RECORD_STATEMENTS, "one_record_s": figures["one record"],
            "one_per_record_s": figures["one statement per record"], "ratio": ratio}


def sqlfluff_rate(statements: list[str], tmp: Path) -> float | None:
    try:
        subprocess.run(["sqlfluff", "version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    folder, single = tmp / "sqlfluff", tmp / "sqlfluff-one"
    folder.mkdir()
    single.mkdir()
    for number, statement in enumerate(statements):
        (folder / f"s{number:05d}.sql").write_text(statement + "\n")
    (single / "s00000.sql").write_text(statements[0] + "\n")
    command = ["sqlfluff", "lint", "--dialect", "tsql", "--processes", "1", "--disable-progress-bar"]
    # Start-up is subtracted for sqlfluff as for vgptlint, so both rates are per statement.
    start_up = measure([*command, str(single)])["wall"]
    figures = measure([*command, str(folder)])
    return (len(statements) - 1) / max(1e-9, figures["wall"] - start_up)


if __name__ == "__main__":
    sys.exit(main())
