"""Time two vgptlint checkouts against each other and the floor, alternating, in one go.

    python bench/compare.py BEFORE_CHECKOUT [--scale 1] [--rounds 2] [--format json]

On a shared machine a before/after pair measured minutes apart says more about the neighbours
than about the change. This runs, round after round, for the JSON arrays and then the JSON Lines
files of the generated data (bench/generate.py): the floor (bench/floor.py), then the full
``pretrain`` policy with ``--jobs 1`` from BEFORE_CHECKOUT and from this checkout (each on
``PYTHONPATH``, from a neutral directory so neither picks the other's package). It prints wall
and CPU seconds (user + system of the process tree) with their ratio to the floor of the same
round, and the best of the rounds for each.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.run import KINDS, dataset  # noqa: E402


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
    args = parser.parse_args()
    folder = dataset(args.scale, 0)
    checkouts = {"before": args.before.resolve(), "after": ROOT}
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


if __name__ == "__main__":
    sys.exit(main())
