"""Do undesirable examples survive ``vgptlint check --fix --unsafe-fixes``?

    python bench/negatives_kept.py DATA_DIR

Copies DATA_DIR's files to a temporary directory (DATA_DIR is never written), runs the fix there, and
checks that every KTO record labelled false (``false`` or ``"false"``) is still in its file with its
exact raw JSON text (the label may only be respelled ``"false"`` -> ``false``), and that every DPO
rejected answer is still there byte for byte. Files are recognised by their records (``label`` →
KTO, ``chosen``/``rejected`` → DPO); JSON arrays and JSON Lines both work. Exit 0 when all are kept.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path


def raw_records(text: str) -> list[tuple[object, str]]:
    """Each record with its exact text, from a JSON array or JSON Lines."""
    decoder, out = json.JSONDecoder(), []
    position = text.index("[") + 1 if text.lstrip().startswith("[") else 0
    while position < len(text):
        while position < len(text) and text[position] in " \r\n\t,":
            position += 1
        if position >= len(text) or text[position] == "]":
            break
        value, end = decoder.raw_decode(text, position)
        out.append((value, text[position:end]))
        position = end
    return out


def respelled(raw: str) -> set[str]:
    return {raw, raw.replace('"label": "false"', '"label": false'), raw.replace('"label":"false"', '"label":false')}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for path in args.data_dir.iterdir():
            if path.is_file():
                shutil.copy(path, work / path.name)
        data = [p for p in work.iterdir() if p.suffix in (".json", ".jsonl") and p.name != "dataset_info.json"]
        before = {p.name: raw_records(p.read_text(encoding="utf-8")) for p in data}
        run = subprocess.run([sys.executable, "-m", "vgptlint", "check", "--fix", "--unsafe-fixes", "."], cwd=work,
                             capture_output=True, text=True)
        print((run.stdout.strip().splitlines() or [""])[-1])
        ok = True
        for name, records in before.items():
            after = Counter(raw for _, raw in raw_records((work / name).read_text(encoding="utf-8")))
            dicts = [(v, raw) for v, raw in records if isinstance(v, dict)]
            negatives = [raw for v, raw in dicts if v.get("label") in (False, "false")]
            if negatives:
                kept = sum(1 for raw in negatives if any(after[r] for r in respelled(raw)))
                print(f"{name}: KTO records labelled false kept byte-identical: {kept:,}/{len(negatives):,}")
                ok &= kept == len(negatives)
            rejected = Counter(raw[raw.index('"rejected"'):] for v, raw in dicts if "rejected" in v and "chosen" in v)
            if rejected:
                left = Counter(raw[raw.index('"rejected"'):] for raw in after.elements() if '"rejected"' in raw)
                kept = sum((rejected & left).values())
                print(f"{name}: DPO rejected answers kept byte-identical: {kept:,}/{sum(rejected.values()):,}")
                ok &= kept == sum(rejected.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
