"""Seeded generator of a dataset shaped like the VGPT2 v3 review (../shared/seeds/000_131b4302e43b68f9.txt).

    python bench/generate.py OUTDIR [--scale N] [--seed S] [--formats json,jsonl]

or `from bench.generate import generate; figures = generate(Path("out"), scale=1, seed=0)`.

Writes, under OUTDIR:
- `sft.json` / `sft.jsonl`: Alpaca records `{instruction, input, output}`, grouped by source in this order
  (unshuffled, review §7): schema, business, sql_generation, join_pattern, error_correction, negative.
- `dpo.json` / `dpo.jsonl`: `{instruction, input, chosen, rejected}`, all strings.
- `kto.json` / `kto.jsonl`: `{instruction, input, output, label}` with STRING labels "true"/"false" (as the team
  wrote them; LLaMA-Factory wants booleans, review "Issues Fixed").
- `validation.json`: the review §6 suite, a JSON array of 49 `{id, category, question, expected}`.
- `validation_suite.json`: the suite's metadata, which *claims* 500 questions (`claimed_total`) and a count
  per category (`claimed_per_category`) - the review's 49-of-500 finding.
- `dataset_info.json`: the LLaMA-Factory registry for every data file written.
- `figures.json`: every exact figure (also returned by `generate`).

Figures at scale 1 (the review's, with its 50-199 bucket corrected to 27,606 as issue 4 explains): 59,021 SFT
records; output length buckets <50: 8,623, 50-199: 27,606, 200-499: 12,118, 500-999: 7,868, >=1000: 2,806;
3,360 outputs contain SQL, 882 of them the literal `WITH (NOLOCK)` (the only spelling of the hint anywhere in
SFT outputs); 1,473 refusals, none with a `category` field; 1,427 DPO pairs with the hint in 1,421 chosen and
349 rejected; 2,018 KTO records, 934 "true" and 1,084 "false". The rest (duplicates, trivial DPO pairs,
truncation, ...) is in figures.json. At scale N every planned count is multiplied by N: totals are
rounded half up, then split over their parts by largest remainder, so an integer N multiplies every figure
exactly and a fractional N keeps every total consistent with its parts.

What a record "contains SQL" means here: its output has a ```sql fence, or an inline statement after prose
("Use: SELECT ... FROM APTH WITH (NOLOCK) WHERE APCo = 1", always the end of the output). Every other output is
free of SQL keywords (select, join, insert, update, delete, merge, create), backticks and the hint keyword.
Every complete SQL statement parses with sqlglot (read="tsql"). Truncated outputs are exactly 3,000
characters long and end inside an unclosed ```sql fence; no other output is 2,900 characters or longer.

Refusal language (case-insensitive substrings; every refusal contains one, no other SFT output any):
"There is no table named", "There is no column named", "does not exist in Viewpoint",
"I don't have information", "is not part of the Vista schema".

Duplicates are defined in bench/sft.py (normalized instruction+input+output; near = equal once digit runs
are masked). DPO "trivial" pairs are equal once " WITH (NOLOCK)" is removed and not identical.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import prefs, sft  # noqa: E402
from bench.prose import BUCKET_NAMES  # noqa: E402
from bench.sft import Cell, Slot  # noqa: E402
from bench.sft_sources import Triple  # noqa: E402
from bench.writers import RecordWriter, write_json  # noqa: E402

FORMATS = ("json", "jsonl")

# (source, bucket, variant, count at scale 1). Buckets index prose.BUCKETS.
# sql variant = (has_nolock, is_truncated); negative variant = (is_refusal,).
SFT_PLAN: tuple[tuple[str, int, tuple, int], ...] = (
    ("schema", 0, (), 6000), ("schema", 1, (), 15000), ("schema", 2, (), 6500), ("schema", 3, (), 5200),
    ("schema", 4, (), 1790),
    ("business", 0, (), 2323), ("business", 1, (), 10206), ("business", 2, (), 3758), ("business", 3, (), 1868),
    ("business", 4, (), 656),
    ("sql_generation", 1, (True, False), 150), ("sql_generation", 1, (False, False), 550),
    ("sql_generation", 2, (True, False), 210), ("sql_generation", 2, (False, False), 490),
    ("sql_generation", 3, (True, False), 120), ("sql_generation", 3, (False, False), 260),
    ("sql_generation", 4, (True, False), 38), ("sql_generation", 4, (True, True), 12),
    ("sql_generation", 4, (False, False), 125), ("sql_generation", 4, (False, True), 25),
    ("join_pattern", 1, (True, False), 20), ("join_pattern", 1, (False, False), 80),
    ("join_pattern", 2, (True, False), 90), ("join_pattern", 2, (False, False), 210),
    ("join_pattern", 3, (True, False), 100), ("join_pattern", 3, (False, False), 220),
    ("join_pattern", 4, (True, False), 40), ("join_pattern", 4, (False, False), 60),
    ("error_correction", 1, (True, False), 12), ("error_correction", 1, (False, False), 88),
    ("error_correction", 2, (True, False), 50), ("error_correction", 2, (False, False), 250),
    ("error_correction", 3, (True, False), 30), ("error_correction", 3, (False, False), 70),
    ("error_correction", 4, (True, False), 10), ("error_correction", 4, (False, False), 50),
    ("negative", 0, (True,), 250), ("negative", 0, (False,), 50),
    ("negative", 1, (True,), 900), ("negative", 1, (False,), 600),
    ("negative", 2, (True,), 323), ("negative", 2, (False,), 237),
)
SFT_TOTAL = 59021
# source -> (exact duplicates, near duplicates) at scale 1
SFT_DUPLICATES: dict[str, tuple[int, int]] = {
    "schema": (640, 1450), "business": (380, 520), "sql_generation": (70, 210), "join_pattern": (25, 60),
    "error_correction": (10, 0), "negative": (86, 95),
}
DPO_PLAN: dict[str, int] = {"trivial": 1010, "identical_nolock": 9, "identical_plain": 2,
                            "semantic_both_nolock": 340, "semantic_chosen_nolock": 62, "semantic_no_nolock": 4}
KTO_PLAN: dict[str, int] = {"true_fenced": 880, "true_prose": 54, "false_short": 912, "false_long_inline": 132,
                            "false_long_fenced": 40}
HINT_TEXT = "WITH (NOLOCK)"


def round_half_up(value: float) -> int:
    """Round to the nearest integer, halves up (not to even, as round() does).

    >>> round_half_up(2.5), round_half_up(1180.42)
    (3, 1180)
    """
    return math.floor(value + 0.5 + 1e-9)


def apportion(weights: list[int], total: int) -> list[int]:
    """Split `total` in proportion to `weights` by largest remainder (ties go to the earlier weight).

    >>> apportion([3, 1], 8), apportion([1, 1, 1], 2)
    ([6, 2], [1, 1, 0])
    """
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    shares = [w * total // whole for w in weights]
    rest = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda k: (-(weights[k] * total % whole), k))
    for k in order[:rest]:
        shares[k] += 1
    return shares


def scaled_plan(scale: float) -> tuple[list[Cell], dict[str, tuple[int, int]], dict[str, int], dict[str, int]]:
    counts = apportion([c for *_, c in SFT_PLAN], round_half_up(SFT_TOTAL * scale))
    cells = [Cell(s, b, v, n) for (s, b, v, _), n in zip(SFT_PLAN, counts)]
    dups = {s: (round_half_up(e * scale), round_half_up(n * scale)) for s, (e, n) in SFT_DUPLICATES.items()}
    dpo = dict(zip(DPO_PLAN, apportion(list(DPO_PLAN.values()), round_half_up(sum(DPO_PLAN.values()) * scale))))
    kto = dict(zip(KTO_PLAN, apportion(list(KTO_PLAN.values()), round_half_up(sum(KTO_PLAN.values()) * scale))))
    return cells, dups, dpo, kto


def _sft(outdir: Path, rng: random.Random, cells: list[Cell], dups: dict[str, tuple[int, int]],
         formats: tuple[str, ...], figures: dict) -> None:
    slots_by_source = []
    exact_total = near_total = 0
    for source in sft.SOURCES:
        source_cells = [c for c in cells if c.source == source and c.count]
        slots, exact, near = sft.plan_source(rng, source_cells, *dups[source])
        slots_by_source.append(slots)
        exact_total += exact
        near_total += near
    buckets = [0] * len(BUCKET_NAMES)
    mix = dict.fromkeys(sft.SOURCES, 0)
    counters = dict.fromkeys(("sql", "sql_fenced", "sql_inline", "nolock", "refusal", "nonempty_input", "truncated"), 0)
    ranges: dict[str, list[int]] = {}

    with RecordWriter(outdir, "sft", formats) as writer:
        def on_record(slot: Slot, record: Triple) -> None:
            cell = slot.cell
            instruction, input_, output = record
            ranges.setdefault(cell.source, [writer.count, writer.count])[1] = writer.count + 1
            writer.write({"instruction": instruction, "input": input_, "output": output})
            buckets[cell.bucket] += 1
            mix[cell.source] += 1
            if cell.source in sft.SQL_SOURCES:
                counters["sql"] += 1
                counters["sql_fenced" if "```sql" in output else "sql_inline"] += 1
            counters["nolock"] += cell.has_nolock
            counters["refusal"] += cell.is_refusal
            counters["truncated"] += cell.is_truncated
            counters["nonempty_input"] += bool(input_)

        sft.stream(rng, slots_by_source, on_record)
    figures["sft.records"] = writer.count
    figures["sft.length_buckets"] = dict(zip(BUCKET_NAMES, buckets))
    figures["sft.content_mix"] = mix
    figures["sft.source_order"] = list(sft.SOURCES)
    figures["sft.source_ranges"] = ranges
    for name, value in counters.items():
        figures[f"sft.{name}"] = value
    figures["sft.negative"] = mix["negative"]
    figures["sft.category_field"] = 0
    figures["sft.exact_duplicates"] = exact_total
    figures["sft.near_duplicates"] = near_total
    figures["sft.truncated_length"] = 3000


def _dpo(outdir: Path, rng: random.Random, plan: dict[str, int], formats: tuple[str, ...], figures: dict) -> None:
    kinds = [k for k, n in plan.items() for _ in range(n)]
    rng.shuffle(kinds)
    f = dict.fromkeys(("chosen_nolock", "rejected_nolock", "trivial", "identical", "semantic_join_key",
                       "semantic_company_filter"), 0)
    chosen_len = rejected_len = 0
    with RecordWriter(outdir, "dpo", formats) as writer:
        for kind in kinds:
            record, difference = prefs.dpo_pair(rng, kind)
            writer.write(record)
            chosen, rejected = record["chosen"], record["rejected"]
            f["chosen_nolock"] += HINT_TEXT in chosen
            f["rejected_nolock"] += HINT_TEXT in rejected
            f["identical"] += chosen == rejected
            f["trivial"] += difference == "hint"
            if difference in ("join_key", "company_filter"):
                f[f"semantic_{difference}"] += 1
            chosen_len += len(chosen)
            rejected_len += len(rejected)
    figures["dpo.pairs"] = writer.count
    for name, value in f.items():
        figures[f"dpo.{name}"] = value
    figures["dpo.semantic"] = f["semantic_join_key"] + f["semantic_company_filter"]
    figures["dpo.chosen_mean_length"] = round(chosen_len / writer.count, 1) if writer.count else 0.0
    figures["dpo.rejected_mean_length"] = round(rejected_len / writer.count, 1) if writer.count else 0.0


def _kto(outdir: Path, rng: random.Random, plan: dict[str, int], formats: tuple[str, ...], figures: dict) -> None:
    kinds = [k for k, n in plan.items() for _ in range(n)]
    rng.shuffle(kinds)
    f = dict.fromkeys(("true", "false", "true_under_50", "false_under_50", "true_fenced", "false_fenced"), 0)
    with RecordWriter(outdir, "kto", formats) as writer:
        for kind in kinds:
            record = prefs.kto_record(rng, kind)
            writer.write(record)
            label = record["label"]
            f[label] += 1
            f[f"{label}_under_50"] += len(record["output"]) < 50
            f[f"{label}_fenced"] += "```sql" in record["output"]
    figures["kto.records"] = writer.count
    for name, value in f.items():
        figures[f"kto.{name}"] = value
    # How well "output under 50 characters => false" alone predicts the label (the feature-skew check).
    figures["kto.length_rule_correct"] = f["false_under_50"] + (f["true"] - f["true_under_50"])


def _registry(formats: tuple[str, ...]) -> dict:
    info: dict[str, dict] = {}
    for ext in formats:
        suffix = "" if ext == "json" else "_jsonl"
        info[f"vgpt2_sft{suffix}"] = {"file_name": f"sft.{ext}", "formatting": "alpaca"}
        info[f"vgpt2_dpo{suffix}"] = {"file_name": f"dpo.{ext}", "formatting": "alpaca", "ranking": True,
                                      "columns": {"prompt": "instruction", "query": "input",
                                                  "chosen": "chosen", "rejected": "rejected"}}
        info[f"vgpt2_kto{suffix}"] = {"file_name": f"kto.{ext}", "formatting": "alpaca",
                                      "columns": {"prompt": "instruction", "query": "input",
                                                  "response": "output", "kto_tag": "label"}}
    return info


def generate(outdir: Path, scale: float = 1, seed: int = 0, formats: tuple[str, ...] | list[str] = FORMATS) -> dict:
    """Write the review-shaped dataset under `outdir` and return its exact figures (also in figures.json).

    Args:
        outdir: directory to write into (created if missing).
        scale: multiplies every planned count (1 = the review's 59,021 SFT records).
        seed: same seed, same bytes.
        formats: any of "json" (JSON arrays) and "jsonl".

    Returns:
        A flat dict of figures with dotted keys (`sft.records`, `sft.length_buckets`, `dpo.trivial`, ...).
    """
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"formats must be a non-empty subset of {', '.join(FORMATS)}; got {', '.join(formats) or 'nothing'}")
    if scale <= 0:
        raise ValueError(f"scale must be positive; got {scale}")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    cells, dups, dpo_plan, kto_plan = scaled_plan(scale)
    figures: dict = {"scale": scale, "seed": seed, "formats": list(formats)}
    _sft(outdir, random.Random(f"{seed}:sft"), cells, dups, formats, figures)
    _dpo(outdir, random.Random(f"{seed}:dpo"), dpo_plan, formats, figures)
    _kto(outdir, random.Random(f"{seed}:kto"), kto_plan, formats, figures)

    questions = prefs.validation_questions()
    write_json(outdir / "validation.json", questions)
    write_json(outdir / "validation_suite.json", {
        "name": "vgpt2 validation suite", "questions_file": "validation.json",
        "claimed_total": sum(prefs.VALIDATION_CLAIMED.values()), "claimed_per_category": prefs.VALIDATION_CLAIMED})
    figures["validation.questions"] = len(questions)
    figures["validation.per_category"] = {c: sum(q["category"] == c for q in questions) for c in prefs.VALIDATION_CLAIMED}
    figures["validation.claimed"] = sum(prefs.VALIDATION_CLAIMED.values())
    write_json(outdir / "dataset_info.json", _registry(formats))
    write_json(outdir / "figures.json", figures)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the seeded review-shaped VGPT2 dataset.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every count (default 1: 59,021 SFT)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", default="json,jsonl", help="comma-separated: json, jsonl (default both)")
    args = parser.parse_args(argv)
    try:
        figures = generate(args.outdir, args.scale, args.seed, [f.strip() for f in args.formats.split(",") if f.strip()])
    except ValueError as exc:
        print(f"generate.py: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {figures['sft.records']:,} SFT, {figures['dpo.pairs']:,} DPO, {figures['kto.records']:,} KTO "
          f"records to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
