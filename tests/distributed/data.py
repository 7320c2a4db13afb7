"""Review-shaped records for the Dask engine tests: SQL, prose, duplicates, short outputs."""
from __future__ import annotations

import json
import random
from pathlib import Path

OUTPUTS = [
    "APCo",
    "There is no table named Vendors in Viewpoint; vendors are in APVM, keyed by VendorGroup and Vendor.",
    "```sql\nSELECT APRef FROM APTH WHERE APCo = 1\n```",
    "```sql\nSELECT a.Vendor, a.Name FROM APVM a WITH (NOLOCK) WHERE a.VendorGroup = 1\n```",
    "APTH holds AP transaction headers keyed by APCo, Mth and APTrans; APTL holds their lines.",
    "```sql\nSELECT JCCo, Job FROM JCJM WHERE JCCo = 1 AND Job = ' 1000-'",
    "```sql\nSELECT Name FROM Vendors WITH (NOLOCK)\n```",  # not in the example catalog
]


def sft_records(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [{"instruction": f"question {index % 97}", "input": rng.choice(["", "company 1"]),
             "output": rng.choice(OUTPUTS) * rng.randint(1, 2)} for index in range(count)]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    lines = [json.dumps(r) for r in rows]
    # blank lines and broken lines must not shift record indexes or line numbers between blocks
    if len(lines) > 80:
        lines[10:10] = ["", "   "]
        lines[40] = "{broken"
        lines[77] = "[1, 2]"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_parquet(path: Path, rows: list[dict], row_group_size: int) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=row_group_size)
    return path


def dataset(root: Path, with_parquet: bool) -> Path:
    """SFT JSONL, KTO and DPO JSON arrays, a broken array, a JSONL whose first line is broken."""
    rows = sft_records(400, seed=3)
    write_jsonl(root / "sft.jsonl", rows)
    kto = [{**r, "label": index % 3 != 0} for index, r in enumerate(rows[:120])]
    (root / "kto.json").write_text(json.dumps(kto, indent=2), encoding="utf-8")
    dpo = [{"instruction": r["instruction"], "input": "", "chosen": r["output"], "rejected": rows[i + 1]["output"]}
           for i, r in enumerate(rows[:90])]
    (root / "dpo.json").write_text(json.dumps(dpo, indent=1), encoding="utf-8")
    (root / "broken.json").write_text('[{"instruction": "a", "input": "", "output": "b"},\n {"instruction": ', encoding="utf-8")
    (root / "late.jsonl").write_text("{oops\n" + "\n".join(json.dumps(r) for r in rows[:30]) + "\n", encoding="utf-8")
    if with_parquet:
        write_parquet(root / "sft.parquet", rows[:250], row_group_size=60)
        (root / "damaged.parquet").write_bytes(b"PAR1 not really")
    return root
