"""The floor vgptlint is measured against: parse the files with the stdlib json module and apply one
compiled regex per record. Nothing can lint faster than it reads."""
from __future__ import annotations

import json
import re
import sys

NOLOCK = re.compile(r"WITH \(NOLOCK\)")


def main(paths: list[str]) -> int:
    hits = records = 0
    for path in paths:
        with open(path, encoding="utf-8") as stream:
            if path.endswith(".jsonl"):
                rows = (json.loads(line) for line in stream if line.strip())
            else:
                rows = json.load(stream)
            for row in rows:
                records += 1
                text = row.get("output") or row.get("chosen") or ""
                if NOLOCK.search(text):
                    hits += 1
    print(f"{records} records, {hits} with NOLOCK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
