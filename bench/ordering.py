"""Order detection on data nobody here generated: source-blocked files flagged, shuffled copies not.

    python bench/ordering.py [--corpora ../shared/corpora] [--seeds 5] [--out bench/out/ordering]

Builds, from `../shared/corpora` when present (nothing is copied into the repository), Alpaca files
written in source blocks the way real pipelines write them, and shuffled copies of each (seeds
0..N-1), then runs `vgptlint check --policy pretrain --select unshuffled --format json` on every file
and prints whether `unshuffled` fired, which features showed the grouping, and each feature's
mixing and z. The blocked files:

- owner SFT by template: the owner's `vgpt2_v4_sft.json`, records sorted by their answer's template
  (its first four words), as a generator that writes one template at a time would;
- LLaMA-Factory demo, concatenated: `alpaca_en_demo.json` + `identity.json` + `alpaca_zh_demo.json`;
- Spider dev by database: Spider's dev questions and gold SQL as Alpaca records, grouped by `db_id`;
- BIRD mini-dev by database: BIRD's questions (evidence as input) and gold SQL, grouped by `db_id`;
- Spider fork + LLaMA-Factory, concatenated: 2,000 records of the fork's `text2sql_en.json`, its
  `sqlQuery.json`, then `alpaca_en_demo.json`.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def blocked_datasets(corpora: Path) -> dict[str, list[dict]]:
    def load(*parts: str) -> list:
        path = corpora.joinpath(*parts)
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []

    out = {}
    owner = load("vgpt2-owner", "vgpt2_v4_sft.json")
    if owner:
        out["owner SFT by template"] = sorted(owner, key=lambda r: " ".join(r["output"].split()[:4]))
    demo = load("llamafactory", "alpaca_en_demo.json") + load("llamafactory", "identity.json") + load("llamafactory", "alpaca_zh_demo.json")
    if demo:
        out["LLaMA-Factory demo, concatenated"] = demo
    spider = load("spider-dev", "dev.json")
    if spider:
        rows = sorted(spider, key=lambda r: r["db_id"])
        out["Spider dev by database"] = [{"instruction": r["question"], "input": "", "output": r["query"]} for r in rows]
    bird = load("bird-minidev", "mini_dev_sqlite.json")
    if bird:
        rows = sorted(bird, key=lambda r: r["db_id"])
        out["BIRD mini-dev by database"] = [{"instruction": r["question"], "input": r.get("evidence", ""), "output": r["SQL"]}
                                            for r in rows]
    fork = load("spider-alpaca-llamafactory-fork", "text2sql_en.json")[:2000] + load("spider-alpaca-llamafactory-fork", "sqlQuery.json")
    if fork and demo:
        out["Spider fork + LLaMA-Factory, concatenated"] = fork + load("llamafactory", "alpaca_en_demo.json")
    return out


def unshuffled(path: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "vgptlint", "check", "--policy", "pretrain", "--select", "unshuffled",
                             "--format", "json", "--fail-on", "never", str(path)], capture_output=True, text=True, check=True)
    report = json.loads(result.stdout)
    metric = next(m for m in report["metrics"] if m["rule"] == "unshuffled")
    return {"flagged": not metric["passed"], "grouped_by": metric["details"]["grouped_by"],
            "features": metric["details"]["features"]}


def _summary(features: dict) -> str:
    return ", ".join(f"{name} {f['mixing']:.2f}/{f['z']:+.1f}" for name, f in features.items()
                     if f["mixing"] is not None and f["z"] is not None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    found = [p for p in (ROOT.parent / "shared" / "corpora", ROOT.parent.parent / "shared" / "corpora") if p.is_dir()]
    parser.add_argument("--corpora", type=Path, default=found[0] if found else ROOT.parent / "shared" / "corpora")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "ordering")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print("dataset | records | blocked: flagged (by) | shuffled copies flagged | blocked: mixing/z per feature")
    for index, (name, rows) in enumerate(blocked_datasets(args.corpora).items()):
        path = args.out / f"blocked-{index}.json"
        path.write_text(json.dumps(rows), encoding="utf-8")
        blocked = unshuffled(path)
        flagged_copies = 0
        for seed in range(args.seeds):
            copy = rows[:]
            random.Random(seed).shuffle(copy)
            copy_path = args.out / f"shuffled-{index}-{seed}.json"
            copy_path.write_text(json.dumps(copy), encoding="utf-8")
            flagged_copies += unshuffled(copy_path)["flagged"]
        by = ", ".join(blocked["grouped_by"]) or "-"
        print(f"{name} | {len(rows):,} | {'yes' if blocked['flagged'] else 'no'} ({by}) | {flagged_copies} of {args.seeds} | "
              f"{_summary(blocked['features'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
