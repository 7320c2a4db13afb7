"""The result cache's scenarios (issue 16), each against the floor measured just before it.

On a copy of the JSON Lines files, with an empty ``VGPTLINT_CACHE_DIR`` of its own:

1. cold, empty cache: everything linted, results stored;
2. rerun, nothing changed;
3. rerun after changing one dataset rule's threshold (``short-output-share`` max 5% -> 20%);
4. rerun after changing 1% of the SFT records, spread over the file (every 100th record's output);
5. rerun after changing 1% of the SFT records in one run of consecutive records (the file restored first).

vgptlint's modules are compiled to bytecode first, as pip does when it installs a package (a checkout
run with ``PYTHONDONTWRITEBYTECODE`` set would otherwise compile every module in every run, and a
rerun's start-up would measure the compiler). Ratios are to the floor (bench/floor.py on the same files) run right before each scenario, by wall
time and by CPU time (steadier on a shared machine). Each run's report is compared with a run
without the cache (``--no-cache``) of the same inputs: the figures only count if they are equal.

``python bench/run.py --cache`` runs these after its own figures; alone (the same data, nothing else)::

    python bench/cached.py [--scale 1] [--seed 0] [--no-edits] [--repeat N]

``--no-edits`` stops after the threshold scenario (the 1% scenarios lint a file's blocks again).
``--repeat N`` runs each scenario N times from the same cache and prints the median run, with the
range of its ratios (one run on a shared machine can be off by a tenth).
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

BASE_POLICY = "extends: [pretrain]\n"
CHANGED_POLICY = "extends: [pretrain]\nrules:\n  short-output-share:\n    options: {max: 0.20}\n"


def cache_benchmark(folder: Path, measure: Callable[..., dict], root: Path, kinds: tuple[str, ...],
                    edits: bool = True, repeat: int = 1) -> dict:
    """The scenarios' figures; ``measure(command, **environment)`` times one command in a fresh process.
    ``edits=False``: only the cold run, nothing changed and one threshold changed. ``repeat``: each
    scenario run that many times from the same cache (copied before its first run, put back before
    each other), each run against its own floor; the median run's figures, and the range of ratios."""
    compileall.compile_dir(str(root / "vgptlint"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "data"
        data.mkdir()
        for kind in kinds:
            shutil.copy(folder / f"{kind}.jsonl", data / f"{kind}.jsonl")
        shutil.copy(folder / "dataset_info.json", data / "dataset_info.json")
        (work / "base.yaml").write_text(BASE_POLICY)
        (work / "changed.yaml").write_text(CHANGED_POLICY)
        files = [data / f"{kind}.jsonl" for kind in kinds]
        original = (data / "sft.jsonl").read_bytes()
        environment = {"VGPTLINT_CACHE_DIR": str(work / "cache")}

        def command(policy: str, *extra: str) -> list[str]:
            return [sys.executable, "-m", "vgptlint", "check", "--policy", str(work / policy), "--dataset-info",
                    str(data / "dataset_info.json"), "--catalog", str(root / "examples" / "catalog.yaml"),
                    "--fail-on", "never", "--jobs", "1", *extra, *map(str, files)]

        def timed(policy: str) -> dict:
            floor = measure([sys.executable, str(root / "bench" / "floor.py"), *map(str, files)])
            figures = measure(command(policy, "-o", str(work / "cached.txt")), **environment)
            return {"wall": figures["wall"], "cpu": figures["cpu"], "peak_rss_mb": figures["peak_rss_mb"],
                    "floor_wall": floor["wall"], "floor_cpu": floor["cpu"], "time_ratio": figures["wall"] / floor["wall"],
                    "cpu_ratio": figures["cpu"] / floor["cpu"]}

        def scenario(label: str, policy: str) -> dict:
            cache, before = work / "cache", work / "cache-before"
            if repeat > 1 and cache.exists():
                shutil.copytree(cache, before)
            runs = []
            for attempt in range(repeat):
                if attempt:
                    shutil.rmtree(cache, ignore_errors=True)
                    if before.exists():
                        shutil.copytree(before, cache)
                runs.append(timed(policy))
            shutil.rmtree(before, ignore_errors=True)
            subprocess.run(command(policy, "--no-cache", "-o", str(work / "cold.txt")), check=False)
            identical = (work / "cached.txt").read_bytes() == (work / "cold.txt").read_bytes()
            ratios = sorted(run["cpu_ratio"] for run in runs)
            result = {**sorted(runs, key=lambda run: run["cpu_ratio"])[len(runs) // 2], "identical_to_uncached": identical,
                      "cpu_ratios": ratios}
            spread = f" ({ratios[0]:.1f}-{ratios[-1]:.1f}x of {len(runs)})" if len(runs) > 1 else ""
            print(f"{label:<44} {result['wall']:7.2f} s {result['time_ratio']:7.1f}x wall {result['cpu_ratio']:7.1f}x cpu{spread} "
                  f"{result['peak_rss_mb']:7.1f} MB {'same report' if identical else 'REPORT DIFFERS'}")
            return result

        print("\nresult cache (JSON Lines, text report, -j1; ratios to the floor run just before each)")
        results = {"cold, empty cache": scenario("cold, empty cache", "base.yaml")}
        results["nothing changed"] = scenario("rerun, nothing changed", "base.yaml")
        results["one threshold changed"] = scenario("rerun, one threshold changed", "changed.yaml")
        if not edits:
            return results
        lines = original.decode("utf-8").splitlines(keepends=True)
        (data / "sft.jsonl").write_text("".join(_edited(line) if n % 100 == 50 else line for n, line in enumerate(lines)))
        results["1% of records changed, spread"] = scenario("rerun, 1% of records changed (spread)", "base.yaml")
        (data / "sft.jsonl").write_bytes(original)
        subprocess.run(command("base.yaml", "-o", str(work / "restored.txt")), check=False, env=_with(environment))
        start = len(lines) // 3
        (data / "sft.jsonl").write_text("".join(_edited(line) if start <= n < start + len(lines) // 100 else line
                                                for n, line in enumerate(lines)))
        results["1% of records changed, together"] = scenario("rerun, 1% of records changed (together)", "base.yaml")
        size = sum(p.stat().st_size for p in (work / "cache").rglob("*") if p.is_file())
        results["cache_mb"] = size / 2**20
        print(f"{'cache size after these runs':<44} {size / 2**20:7.1f} MB")
    return results


def _edited(line: str) -> str:
    record = json.loads(line)
    record["output"] = str(record.get("output", "")) + " (edited)"
    return json.dumps(record, ensure_ascii=False) + "\n"


def _with(environment: dict) -> dict:
    return {**os.environ, **environment}


def main() -> int:
    parser = argparse.ArgumentParser(description="The result cache's scenarios alone (bench/run.py --cache runs them too).")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-edits", action="store_true", help="stop after the threshold scenario")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each scenario from the same cache (median shown)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.run import KINDS, ROOT, dataset, measure  # here: bench.run imports this module at its top

    cache_benchmark(dataset(args.scale, args.seed), measure, ROOT, KINDS, edits=not args.no_edits, repeat=max(1, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
